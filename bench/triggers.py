#!/usr/bin/env python3
"""The trigger isolation benchmark (issue #17): does a slow Lambda trigger in one pool take
sign-in capacity from the pools that have none? Started by `bench/triggers`, which builds the
release binary and installs wrk first; knobs are environment variables (KNOBS below). Standard
library only; the server, seeding and wrk cells are bench/bench.py's. It prints figures and
asserts nothing about timing.

For each backend:
  1. a fresh database with two pools: `fast` (USERS_N users, no triggers) and `slow`, whose
     PreAuthentication function is served here, by a threaded HTTP server speaking the Lambda
     Invoke API, which sleeps SLOW_MS before each answer (FAST_TRIGGER=1 gives pool `fast` a
     PreTokenGeneration function of its own, served there too, which answers at once);
  2. the server started with GATEHOUSE_LAMBDA_ENDPOINT pointing at those functions, otherwise
     as bench/run starts it (production Argon2, the per-address sign-in limit off);
  3. ROUNDS rounds, each running the PHASES in turn so drift of a shared machine hits all alike:
       alone  pool `fast` signs in with wrk at CONC connections for DUR seconds;
       slow   the same, while SLOW_CONC connections sign in to pool `slow` without pause,
              each waiting SLOW_MS in the function (started WARM seconds before, so the
              function holds about SLOW_CONC calls throughout);
       paced  the same `slow` load at the same rate, but the function answers at once and
              each connection pauses SLOW_MS after its answer instead: pool `slow` costs the
              server the same Argon2 work as in `slow`, without the waits inside the server.
`slow` / `alone` is the issue's figure. The `slow` pool's own sign-ins are real Argon2
verifications (PreAuthentication runs once the password is proven), so they take their share
of the cores: `slow` / `paced` isolates what the 2-second waits themselves cost the others,
and (fast + slow pool) / `alone` shows whether any capacity is lost at all.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (bench/bench.py: the server, seeding and wrk cells)
from bench import log  # noqa: E402

KNOBS = {
    "DUR": bench.knob("DUR", "15"),  # seconds pool `fast` is measured per phase
    "ROUNDS": bench.knob("ROUNDS", "2"),
    "PHASES": bench.knob("PHASES", "alone slow paced"),
    "CONC": bench.knob("CONC", "16"),  # connections signing in to pool `fast`
    "SLOW_CONC": bench.knob("SLOW_CONC", "48"),  # connections signing in to pool `slow`
    "SLOW_MS": bench.knob("SLOW_MS", "2000"),  # the PreAuthentication function's time per call
    "WARM": bench.knob("WARM", "4"),  # seconds the `slow` load runs before `fast` is measured
    "WORKLOAD": bench.knob("WORKLOAD", "initiate_auth"),  # or login (POST /Login)
    "FAST_TRIGGER": bench.knob("FAST_TRIGGER", "0"),  # 1: pool `fast` has a PreTokenGeneration function
    "USERS_N": bench.knob("USERS_N", "1000"),
    "BACKENDS": bench.knob("BACKENDS", "sqlite postgres"),
    "LAMBDA_CONCURRENCY": bench.knob("LAMBDA_CONCURRENCY", ""),  # empty: the server's default
    "PG_URL": bench.KNOBS["PG_URL"],
    "PORT": bench.KNOBS["PORT"],
    "BIN": str(Path(bench.KNOBS["BIN"]).resolve()),
    "OUT": bench.knob("OUT", str(bench.ROOT / "bench" / "results" /
                                 ("triggers-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))),
    "WRITE_BENCHMARKS_MD": bench.knob("WRITE_BENCHMARKS_MD", "1"),
}
bench.KNOBS["DUR"] = KNOBS["DUR"]  # bench.run_wrk reads it

SLOW_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:slow-pre-authentication"
FAST_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fast-pre-token-generation"
FAST = {"name": "fast", "pool_id": "us-east-1_TriggerBenchFast", "client_id": "triggerbenchfastclient0001"}
SLOW = {"name": "slow", "pool_id": "us-east-1_TriggerBenchSlow", "client_id": "triggerbenchslowclient0001"}
OUT = Path(KNOBS["OUT"])


class Functions:
    """The Lambda Invoke API of the two functions, one thread per connection so it holds as
    many calls as arrive: pool `slow`'s PreAuthentication, whose answers wait `delay` seconds
    (the calls and the most held at once are counted), and pool `fast`'s PreTokenGeneration
    (with FAST_TRIGGER=1), which answers at once."""

    def __init__(self):
        self.delay = 0.0
        self.calls = self.held = self.peak = self.fast_calls = self.unexpected = 0
        self.lock = threading.Lock()
        function = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the server's client pools them
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                source = event.get("triggerSource")
                if source == "PreAuthentication_Authentication":
                    with function.lock:
                        function.calls += 1
                        function.held += 1
                        function.peak = max(function.peak, function.held)
                    try:
                        time.sleep(function.delay)
                    finally:
                        with function.lock:
                            function.held -= 1
                else:
                    with function.lock:
                        function.fast_calls += 1
                        function.unexpected += source != "TokenGeneration_Authentication"
                event["response"] = {}
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # a burst of new connections is not dropped at accept

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counters(self):
        with self.lock:
            return self.calls, self.peak, self.fast_calls

    def reset_peak(self):
        with self.lock:
            self.peak = self.held


def target(gh, pool, users_file):
    """wrk's URL and script arguments for signing in to `pool`."""
    if KNOBS["WORKLOAD"] == "login":
        return f"{gh.base}/Login", ["login", pool["name"], str(users_file)]
    return f"{gh.base}/", ["initiate_auth", pool["client_id"], str(users_file)]


def start_background(gh, users_file, pause_ms, seconds, raw):
    """wrk signing in to pool `slow` at SLOW_CONC connections, in the background."""
    url, args = target(gh, SLOW, users_file)
    conc = int(KNOBS["SLOW_CONC"])
    cmd = ["wrk", "-t2", f"-c{conc}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(bench.LUA),
           url, "--", *args, "2", str(pause_ms)]
    out = open(raw, "w")
    out.write("# " + " ".join(cmd) + "\n")
    out.flush()
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True), out


def finish_background(proc, out, raw):
    """Waits for the background wrk, returns its RESULT line (or an error)."""
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    out.close()
    line = next((l for l in reversed(Path(raw).read_text().splitlines()) if l.startswith("RESULT ")), None)
    return json.loads(line[len("RESULT "):]) if line else {"error": f"wrk exit {proc.returncode}"}


def run_phase(gh, function, phase, label, files, raw_dir):
    dur, warm, slow_ms = int(KNOBS["DUR"]), int(KNOBS["WARM"]), int(KNOBS["SLOW_MS"])
    background = None
    if phase != "alone":
        function.delay = slow_ms / 1000 if phase == "slow" else 0.0
        pause = 0 if phase == "slow" else slow_ms
        raw = raw_dir / f"{label}-slow-pool.txt"
        # bench.run_wrk waits 1 s before its cell; the load goes on a few seconds past it.
        background = (*start_background(gh, files["slow"], pause, warm + 1 + dur + 3, raw), raw)
        time.sleep(warm)
    calls0, _, fast0 = function.counters()
    function.reset_peak()
    started = time.monotonic()
    url, args = target(gh, FAST, files["fast"])
    cell = bench.run_wrk(label, url, args, int(KNOBS["CONC"]), gh.process.pid, raw_dir)
    calls1, peak, fast1 = function.counters()
    # Calls the function received while pool `fast` was measured (and the second before it).
    cell.update(phase=phase, slow_pool_rps=round((calls1 - calls0) / (time.monotonic() - started), 1),
                function_peak_held=peak, fast_function_calls=fast1 - fast0)
    if background:
        cell["slow_pool"] = finish_background(*background)
        time.sleep(slow_ms / 1000 + 1)  # the last waits end before the next phase
    return cell


def bench_backend(backend, results):
    raw_dir = OUT / "raw" / backend
    raw_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"gatehouse-bench-triggers-{backend}-"))
    gh = bench.Gatehouse(backend, work, KNOBS["BIN"])
    function = Functions()
    gh.env["GATEHOUSE_LAMBDA_ENDPOINT"] = function.endpoint
    if KNOBS["LAMBDA_CONCURRENCY"]:
        gh.env["GATEHOUSE_LAMBDA_CONCURRENCY"] = KNOBS["LAMBDA_CONCURRENCY"]
    cells = results.setdefault("backends", {}).setdefault(backend, [])
    try:
        gh.drop_database()
        gh.create_database()
        files = {"fast": work / "fast-users.tsv", "slow": work / "slow-users.tsv"}
        # FAST_TRIGGER=1: pool `fast` calls a function of its own on every sign-in, which
        # answers at once; its calls then compete with the slow ones for the server's places.
        fast_settings = {"LambdaConfig": {"PreTokenGeneration": FAST_FUNCTION}} if KNOBS["FAST_TRIGGER"] == "1" else {}
        gh.seed(int(KNOBS["USERS_N"]), **FAST, prefix="fastuser", users_file=files["fast"].name,
                settings=fast_settings)
        # Enough users that none has more than one sign-in waiting in the function: a user's
        # attempts count against the lockout until the sign-in ends (docs/triggers.md, "Errors").
        gh.seed(4 * int(KNOBS["SLOW_CONC"]), **SLOW, prefix="slowuser", users_file=files["slow"].name,
                settings={"LambdaConfig": {"PreAuthentication": SLOW_FUNCTION}})
        gh.start()
        time.sleep(2)
        for rnd in range(1, int(KNOBS["ROUNDS"]) + 1):
            for phase in KNOBS["PHASES"].split():
                label = f"{phase}-r{rnd}"
                cell = run_phase(gh, function, phase, label, files, raw_dir)
                cell["round"] = rnd
                cells.append(cell)
                slow = cell.get("slow_pool", {})
                log(f"{backend} {label}: fast pool {cell.get('rps')} sign-ins/s p50 {cell.get('p50_ms')} ms "
                    f"p99 {cell.get('p99_ms')} ms failed {bench.failures(cell)} 429 {cell.get('shed_429')} | "
                    f"slow pool {cell['slow_pool_rps']} sign-ins/s, function held up to {cell['function_peak_held']}, "
                    f"p99 {slow.get('p99_ms', '–')} ms failed {bench.failures(slow) if slow else '–'} "
                    f"429 {slow.get('shed_429', '–')} | server cpu {cell['server_cpu_pct']}% load {cell['load1']}"
                    + (f" | fast pool's function called {cell['fast_function_calls']} times"
                       if KNOBS["FAST_TRIGGER"] == "1" else ""))
        if function.unexpected:
            raise RuntimeError(f"the functions received {function.unexpected} events of other sources")
    finally:
        gh.stop()
        gh.drop_database()
        function.server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


def mean(cells, key):
    values = [c.get(key, 0) for c in cells]
    return statistics.mean(values) if values else float("nan")


def report(results):
    knobs = results["knobs"]
    shown = ("DUR", "ROUNDS", "CONC", "SLOW_CONC", "SLOW_MS", "WORKLOAD", "FAST_TRIGGER", "USERS_N", "BACKENDS",
             "LAMBDA_CONCURRENCY")
    line = " ".join(f"{k}={knobs[k]!r}" if " " in knobs[k] else f"{k}={knobs[k]}" for k in shown)
    md = [f"Run {results['machine']['date']}, commit {results['machine']['git'].split()[0]}, with `bench/triggers` ({line}); "
          f"{results['machine']['cpu']}, load before the run {results['machine']['load_before']}.", "",
          "| backend | phase | fast pool sign-ins/s (each round) | p50 ms | p99 ms | failed / 429 | slow pool sign-ins/s "
          "| calls held by the function | slow pool p99 ms | server CPU % | load (1 min) |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    summary = ["", "| backend | slow / alone | paced / alone | slow / paced | (fast + slow pool) / alone "
               "| per server CPU-second: slow / alone | per server CPU-second: (fast + slow pool) / alone "
               "| p99 alone → slow ms |", "|---|---|---|---|---|---|---|---|"]
    for backend, cells in results["backends"].items():
        by_phase = {}
        for c in cells:
            by_phase.setdefault(c["phase"], []).append(c)
        for phase, runs in by_phase.items():
            md.append(
                f"| {backend} | {phase} | {' / '.join('%.1f' % r.get('rps', 0) for r in runs)} "
                f"| {mean(runs, 'p50_ms'):.0f} | {mean(runs, 'p99_ms'):.0f} "
                f"| {sum(bench.failures(r) for r in runs)} / {sum(r.get('shed_429', 0) for r in runs)} "
                f"| {mean(runs, 'slow_pool_rps'):.1f} | {max(r['function_peak_held'] for r in runs)} "
                f"| {statistics.mean(r['slow_pool'].get('p99_ms', 0) for r in runs) if phase != 'alone' else 0:.0f} "
                f"| {' / '.join(str(r['server_cpu_pct']) for r in runs)} | {mean(runs, 'load1'):.1f} |")
        cell = {(c["phase"], c["round"]): c for c in cells}
        rounds = sorted({c["round"] for c in cells})

        def fast(c):
            return c.get("rps", 0)

        def both(c):
            return c.get("rps", 0) + c.get("slow_pool_rps", 0)

        def per_cpu(metric):
            # A CPU-bound server does in proportion to the CPU it gets: per CPU-second, a
            # phase that other work on the machine squeezed compares with one it did not.
            return lambda c: metric(c) / max(c.get("server_cpu_pct", 0) / 100, 0.01)

        def ratio(metric, a, b):
            """The ratio of the phases' means, then each round's own (its phases ran back to back)."""
            if not (by_phase.get(a) and by_phase.get(b)):
                return "–"
            mean_a = statistics.mean(metric(c) for c in by_phase[a])
            mean_b = statistics.mean(metric(c) for c in by_phase[b])
            each = [100 * metric(cell[(a, r)]) / max(metric(cell[(b, r)]), 0.001) for r in rounds
                    if (a, r) in cell and (b, r) in cell]
            return f"{100 * mean_a / max(mean_b, 0.001):.0f} % ({', '.join(f'{x:.0f}' for x in each)})"

        p99 = {phase: mean(runs, "p99_ms") for phase, runs in by_phase.items()}
        summary.append(f"| {backend} | **{ratio(fast, 'slow', 'alone')}** | {ratio(fast, 'paced', 'alone')} "
                       f"| {ratio(fast, 'slow', 'paced')} | {ratio(both, 'slow', 'alone')} "
                       f"| {ratio(per_cpu(fast), 'slow', 'alone')} | {ratio(per_cpu(both), 'slow', 'alone')} "
                       f"| {p99.get('alone', 0):.0f} → {p99.get('slow', 0):.0f} |")
    summary.append("")
    summary.append("Ratios of the phases' mean sign-ins/s, each round's own in brackets. \"fast + slow pool\" "
                   "counts the slow pool's sign-ins too (in `alone` there are none); \"per server CPU-second\" "
                   "divides each phase's sign-ins/s by the CPU the server got in it, which other work on a shared "
                   "machine changes from phase to phase.")
    return "\n".join(md + summary) + "\n"


def write_benchmarks_md(section):
    path = bench.ROOT / "docs" / "benchmarks.md"
    begin, end = "<!-- bench/triggers results: begin -->", "<!-- bench/triggers results: end -->"
    text = path.read_text()
    if begin not in text or end not in text:
        raise RuntimeError(f"docs/benchmarks.md has no {begin} … {end} markers")
    path.write_text(text[:text.index(begin) + len(begin)] + "\n" + section + text[text.index(end):])


def main():
    if os.environ.get("REPORT_FROM"):
        # The report of an earlier run again: REPORT_FROM=bench/results/triggers-<time> bench/triggers.py
        source = Path(os.environ["REPORT_FROM"])
        section = report(json.loads((source / "results.json").read_text()))
        print(section, flush=True)
        if KNOBS["WRITE_BENCHMARKS_MD"] == "1":
            write_benchmarks_md(section)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    results = {"machine": bench.machine_facts(), "knobs": KNOBS}
    log("machine:", results["machine"])
    for backend in KNOBS["BACKENDS"].split():
        bench_backend(backend, results)
        (OUT / "results.json").write_text(json.dumps(results, indent=1))
    section = report(results)
    (OUT / "report.md").write_text(section)
    print(section, flush=True)
    if KNOBS["WRITE_BENCHMARKS_MD"] == "1":
        write_benchmarks_md(section)
        log("docs/benchmarks.md updated")
    log(f"results in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
