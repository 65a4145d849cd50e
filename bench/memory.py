#!/usr/bin/env python3
"""The memory benchmark (issue #18): idle RSS and the peak RSS of each workload, for the
release server over SQLite and over Postgres, before and after, in one run. Started by
`bench/memory`, which builds the binaries; standard library only. It prints figures; it is
not a timed test.

For each variant (a binary plus allocator environment) and each backend:
  1. a fresh database: a tenant and SIGNIN_USERS users seeded through `gatehouse seed` at the
     production Argon2 cost, then 10 000 more users bulk-inserted (sharing one hash) for
     ListUsers;
  2. the server started (admin operations unsigned: a throwaway loopback server), idle RSS
     read once it has been up IDLE_SECONDS;
  3. each workload in turn, RSS sampled every 0.1 s for its peak, then read again SETTLE
     seconds after it ended (the "back under 40 MiB within 10 s" target):
       signin       2 000 /Login at concurrency 16 (the sign-in rate is reported)
       refresh      rotating /RefreshToken at concurrency 64 for REFRESH_SECONDS
       set_password 1 000 AdminSetUserPassword at concurrency 16
       signup       two bursts of 256 parallel SignUp (self sign-up turned on through
                    UpdateUserPool first; the script fails if most were not accepted or shed)
       list_users   ListUsers paging over the 10 000+ users, 4 pagers
       jwks         JWKS at concurrency 64 for JWKS_SECONDS
The load generator is Python threads with keep-alive connections: the same client for every
variant, so rates compare side by side within one run (absolute rates are client-bound).
"""

import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def knob(name, default):
    return os.environ.get(name, default)


KNOBS = {
    "VARIANTS": knob("VARIANTS", "before:glibc after:glibc after:glibc-arena2 after:mimalloc"),
    "BACKENDS": knob("BACKENDS", "sqlite postgres"),
    # The allocator comparison is made on SQLite; Postgres compares before and after.
    "VARIANTS_POSTGRES": knob("VARIANTS_POSTGRES", "before:glibc after:glibc"),
    "WORKLOADS": knob("WORKLOADS", "signin refresh set_password signup list_users jwks"),
    "BIN_DIR": knob("BIN_DIR", str(ROOT / "target" / "memory-bench")),
    "PG_URL": knob("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    "PORT": knob("PORT", "18090"),
    "SIGNIN_USERS": int(knob("SIGNIN_USERS", "200")),
    "LIST_USERS": int(knob("LIST_USERS", "10000")),
    "SIGNINS": int(knob("SIGNINS", "2000")),
    "SET_PASSWORDS": int(knob("SET_PASSWORDS", "1000")),
    "REFRESH_SECONDS": float(knob("REFRESH_SECONDS", "30")),
    "JWKS_SECONDS": float(knob("JWKS_SECONDS", "10")),
    "IDLE_SECONDS": float(knob("IDLE_SECONDS", "5")),
    "SETTLE": float(knob("SETTLE", "10")),
    "ARGON2_LIMIT": knob("ARGON2_LIMIT", ""),  # verifications/s with all cores hashing, if measured
    "OUT": knob("OUT", str(ROOT / "bench" / "results" / ("memory-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))),
    "WRITE_BENCHMARKS_MD": knob("WRITE_BENCHMARKS_MD", "1"),
    "COMMAND": knob("COMMAND", "bench/memory"),
}

# Allocator environments, applied to whichever binary the variant names. The mimalloc build is
# its own binary (--features mimalloc); the glibc ones are the default build.
ALLOCATORS = {
    "glibc": {},
    # glibc with at most 2 arenas: the usual tuning for thread-heavy servers.
    "glibc-arena2": {"MALLOC_ARENA_MAX": "2"},
    "mimalloc": {},
}

TENANT = "memtenant"
POOL_ID = "us-east-1_GatehouseMemory"
CLIENT_ID = "memoryclient00000000000001"
PASSWORD = "Memory-Pass-{:05d}!"
NEW_PASSWORD = "Memory-New-{:05d}!"
OUT = Path(KNOBS["OUT"])


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss:
    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, rss_kb(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_kb(self.pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kb(self.pid))


# ---------------------------------------------------------------------------- HTTP client


class Client:
    """One keep-alive connection; reconnects after a server-side close."""

    def __init__(self, port):
        self.port, self.conn = port, None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 1:
                    return 0, b""
        return 0, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login_body(i):
    return json.dumps({"UserName": f"memuser{i:05d}", "TenantName": TENANT, "Password": PASSWORD.format(i)})


def cognito(client, operation, body):
    return client.request("POST", "/", json.dumps(body), {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
    })


def run_threads(count, work):
    """Runs `work(index, client, results)` on `count` threads; returns the status counts."""
    results = [dict() for _ in range(count)]
    port = int(KNOBS["PORT"])

    def body(k):
        client = Client(port)
        try:
            work(k, client, results[k])
        finally:
            client.close()

    threads = [threading.Thread(target=body, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = {}
    for r in results:
        for status, n in r.items():
            total[status] = total.get(status, 0) + n
    return total


def count(results, status):
    results[status] = results.get(status, 0) + 1


def shared_counter(limit):
    lock, state = threading.Lock(), {"next": 0}

    def take():
        with lock:
            if state["next"] >= limit:
                return None
            state["next"] += 1
            return state["next"] - 1

    return take


# ---------------------------------------------------------------------------- workloads


def w_signin(server):
    take = shared_counter(KNOBS["SIGNINS"])
    users = KNOBS["SIGNIN_USERS"]

    def work(_, client, results):
        while (i := take()) is not None:
            status, _ = client.request("POST", "/Login", login_body(i % users), {"Content-Type": "application/json"})
            count(results, status)

    return run_threads(16, work), KNOBS["SIGNINS"]


def w_refresh(server):
    # Setup outside the measured rate: one sign-in per thread for its refresh token.
    tokens = []
    for k in range(64):
        status, data = Client(int(KNOBS["PORT"])).request(
            "POST", "/Login", login_body(k % KNOBS["SIGNIN_USERS"]), {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"sign-in for refresh failed: {status} {data[:200]}")
        tokens.append(json.loads(data)["cognitoToken"]["AuthenticationResult"]["RefreshToken"])
    deadline = time.monotonic() + KNOBS["REFRESH_SECONDS"]
    done = [0] * 64

    def work(k, client, results):
        token = tokens[k]
        while time.monotonic() < deadline:
            status, data = client.request("POST", "/RefreshToken", json.dumps({"RefreshToken": token}),
                                          {"Content-Type": "application/json"})
            count(results, status)
            if status != 200:
                return
            token = json.loads(data)["cognitoToken"]["AuthenticationResult"]["RefreshToken"]
            done[k] += 1

    return run_threads(64, work), None


def w_set_password(server):
    take = shared_counter(KNOBS["SET_PASSWORDS"])
    users = KNOBS["SIGNIN_USERS"]

    def work(_, client, results):
        while (i := take()) is not None:
            status, _ = cognito(client, "AdminSetUserPassword", {
                "UserPoolId": POOL_ID, "Username": f"memuser{i % users:05d}",
                "Password": NEW_PASSWORD.format(i), "Permanent": True})
            count(results, status)

    return run_threads(16, work), KNOBS["SET_PASSWORDS"]


def w_signup(server):
    total = {}
    for burst in range(2):
        gate = threading.Barrier(256)

        def work(k, client, results, burst=burst):
            client.request("GET", "/health/live")  # connect first, so the burst is the requests
            gate.wait()
            status, data = cognito(client, "SignUp", {
                "ClientId": CLIENT_ID, "Username": f"signup{burst}x{k:03d}", "Password": PASSWORD.format(k),
                "UserAttributes": [{"Name": "email", "Value": f"signup{burst}x{k}@example.com"}]})
            # A 429 from the per-address limit is not the hashing queue shedding load.
            count(results, "429 rate-limited" if status == 429 and b"from this address" in data else status)

        for status, n in run_threads(256, work).items():
            total[status] = total.get(status, 0) + n
    # The workload is only a measurement if the SignUps hashed: each must have been accepted
    # (200) or shed by the hashing queue (429), never refused for another reason.
    accepted, shed = total.get(200, 0), total.get(429, 0)
    log(f"signup: {accepted} accepted, {shed} shed with 429, {512 - accepted - shed} other {total}")
    if accepted + shed < 0.9 * 512 or accepted == 0 or total.get("429 rate-limited"):
        raise RuntimeError(f"signup measured nothing: {total} (is self sign-up on for the pool?)")
    return total, 512


def w_list_users(server):
    def work(_, client, results):
        token = None
        while True:
            body = {"UserPoolId": POOL_ID, "Limit": 60}
            if token:
                body["PaginationToken"] = token
            status, data = cognito(client, "ListUsers", body)
            count(results, status)
            if status != 200:
                return
            token = json.loads(data).get("PaginationToken")
            if not token:
                return

    return run_threads(4, work), None


def w_jwks(server):
    deadline = time.monotonic() + KNOBS["JWKS_SECONDS"]

    def work(_, client, results):
        while time.monotonic() < deadline:
            status, _ = client.request("GET", f"/{POOL_ID}/.well-known/jwks.json")
            count(results, status)

    return run_threads(64, work), None


def allow_self_sign_up():
    """Tenants are created refusing SignUp (AllowAdminCreateUserOnly); the signup workload
    turns it off through UpdateUserPool (the server runs with GATEHOUSE_ADMIN_AUTH=insecure-none,
    so the admin call needs no signature)."""
    client = Client(int(KNOBS["PORT"]))
    status, data = cognito(client, "UpdateUserPool", {
        "UserPoolId": POOL_ID, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        # UpdateUserPool resets what it leaves out; keep sending codes as the seeded pool does.
        "AutoVerifiedAttributes": ["email", "phone_number"]})
    client.close()
    if status != 200:
        raise RuntimeError(f"UpdateUserPool (self sign-up on) failed: {status} {data[:200]}")


WORKLOADS = {
    "signin": w_signin,
    "refresh": w_refresh,
    "set_password": w_set_password,
    "signup": w_signup,
    "list_users": w_list_users,
    "jwks": w_jwks,
}


# ---------------------------------------------------------------------------- the server


class Server:
    def __init__(self, binary, env_extra, backend, work):
        self.binary, self.backend, self.work = binary, backend, work
        self.port = int(KNOBS["PORT"])
        self.process = None
        self.db_name = None
        if backend == "sqlite":
            url = f"sqlite://{work / 'gatehouse.db'}"
        else:
            self.db_name = f"gatehouse_mem_{os.getpid()}"
            url = re.sub(r"/[^/]*$", f"/{self.db_name}", KNOBS["PG_URL"])
        self.database_url = url
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("GATEHOUSE_") and not k.startswith("MALLOC_") and not k.startswith("MIMALLOC_")}
        self.env.update(
            GATEHOUSE_DATABASE_URL=url,
            GATEHOUSE_KEY_ENCRYPTION_KEY="YmVuY2htYXJrLWtlay1ub3QtYS1yZWFsLXNlY3JldCE=",
            GATEHOUSE_PEPPER="memory-bench-pepper-not-a-real-secret",
            GATEHOUSE_BIND=f"127.0.0.1:{self.port}",
            GATEHOUSE_SIGN_IN_RATE_PER_IP="0",
            # One client address sends every SignUp: its per-address budget (20 a minute) would
            # answer 429 before the hashing service sees the burst.
            GATEHOUSE_SIGN_UP_RATE_PER_IP="0",
            GATEHOUSE_ADMIN_AUTH="insecure-none",
            GATEHOUSE_LOG="warn",
            **env_extra,
        )

    def cli(self, *args):
        subprocess.run([self.binary, *args], env=self.env, cwd=self.work, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def prepare(self):
        if self.db_name:
            subprocess.run(["psql", KNOBS["PG_URL"], "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {self.db_name}"],
                           check=True)
        users = [{"Username": f"memuser{i:05d}", "Password": PASSWORD.format(i)} for i in range(KNOBS["SIGNIN_USERS"])]
        (self.work / "seed.json").write_text(json.dumps({"Tenants": [{
            "Name": TENANT, "PoolId": POOL_ID, "ClientId": CLIENT_ID, "Users": users}]}))
        self.cli("seed", "seed.json")
        self.bulk_users(KNOBS["LIST_USERS"])

    def bulk_users(self, n):
        now = int(time.time())
        if self.backend == "postgres":
            sql = f"""
            INSERT INTO users (sub, pool_id, username, username_key, password_hash, pepper_id, status, enabled,
                               attributes, tokens_valid_after, created_at, updated_at)
            SELECT lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'), u.pool_id,
                   'listuser' || lpad(g::text, 6, '0'), 'listuser' || lpad(g::text, 6, '0'), u.password_hash,
                   u.pepper_id, u.status, u.enabled, u.attributes, u.tokens_valid_after, {now}, {now}
            FROM generate_series(1, {n}) g, (SELECT * FROM users WHERE username_key = 'memuser00000') u;
            ANALYZE;"""
            subprocess.run(["psql", self.database_url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)
        else:
            db = sqlite3.connect(str(self.work / "gatehouse.db"), timeout=60)
            with db:
                db.execute(f"""
                INSERT INTO users (sub, pool_id, username, username_key, password_hash, pepper_id, status, enabled,
                                   attributes, tokens_valid_after, created_at, updated_at)
                WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {n})
                SELECT printf('%08x-0000-4000-8000-%012x', x, x), u.pool_id, printf('listuser%06d', x),
                       printf('listuser%06d', x), u.password_hash, u.pepper_id, u.status, u.enabled, u.attributes,
                       u.tokens_valid_after, {now}, {now}
                FROM g, (SELECT * FROM users WHERE username_key = 'memuser00000') u""")
            db.execute("ANALYZE")
            db.close()

    def start(self):
        self.log_file = open(self.work / "server.log", "ab")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, cwd=self.work,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gatehouse exited with {self.process.returncode}; see {self.work / 'server.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gatehouse did not become ready within 60 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.db_name:
            subprocess.run(["psql", KNOBS["PG_URL"], "-qc", f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)"],
                           check=False, stdout=subprocess.DEVNULL)


def measure(variant, backend):
    which, allocator = variant.split(":")
    binary = Path(KNOBS["BIN_DIR"]) / f"gatehouse-{which}-{'mimalloc' if allocator == 'mimalloc' else 'glibc'}"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: bench/memory builds it")
    work = Path(tempfile.mkdtemp(prefix="gatehouse-mem-"))
    server = Server(str(binary), ALLOCATORS[allocator], backend, work)
    facts = {"variant": variant, "backend": backend, "workloads": {}}
    try:
        server.prepare()
        server.start()
        if "signup" in KNOBS["WORKLOADS"].split():
            allow_self_sign_up()
        pid = server.process.pid
        time.sleep(KNOBS["IDLE_SECONDS"])
        facts["idle_kb"] = rss_kb(pid)
        log(f"{variant} {backend}: idle {facts['idle_kb'] / 1024:.1f} MiB")
        for name in KNOBS["WORKLOADS"].split():
            started = time.monotonic()
            with PeakRss(pid) as peak:
                statuses, requests = WORKLOADS[name](server)
            seconds = time.monotonic() - started
            done = sum(statuses.values())
            time.sleep(KNOBS["SETTLE"])
            after = rss_kb(pid)
            ok = statuses.get(200, 0)
            facts["workloads"][name] = {
                "peak_kb": peak.peak, "after_kb": after, "seconds": round(seconds, 2),
                "ok": ok, "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "rate": round(ok / seconds, 1) if seconds else 0,
            }
            log(f"{variant} {backend} {name}: {done} requests {statuses} in {seconds:.1f} s "
                f"({ok / seconds:.0f} ok/s), peak {peak.peak / 1024:.1f} MiB, "
                f"after {KNOBS['SETTLE']:.0f} s {after / 1024:.1f} MiB")
        facts["idle_end_kb"] = rss_kb(pid)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return facts


def mib(kb):
    return f"{kb / 1024:.0f}"


def report(runs):
    workloads = KNOBS["WORKLOADS"].split()
    lines = []
    for backend in KNOBS["BACKENDS"].split():
        cols = [r for r in runs if r["backend"] == backend]
        if not cols:
            continue
        lines += ["", f"**{backend}** — RSS in MiB: peak during the workload / {KNOBS['SETTLE']:.0f} s after it; "
                  "rate: successful requests per second", "",
                  "| | " + " | ".join(r["variant"] for r in cols) + " |",
                  "|---|" + "---|" * len(cols),
                  "| idle (fresh) | " + " | ".join(mib(r["idle_kb"]) for r in cols) + " |"]
        for w in workloads:
            cells = []
            for r in cols:
                f = r["workloads"].get(w)
                if not f:
                    cells.append("–")
                    continue
                shed = f["statuses"].get("429", 0)
                other = sum(v for k, v in f["statuses"].items() if k not in ("200", "429"))
                extra = (f", {shed}×429" if shed else "") + (f", {other} failed" if other else "")
                cells.append(f"{mib(f['peak_kb'])} / {mib(f['after_kb'])} ({f['rate']:.0f}/s{extra})")
            lines.append(f"| {w} | " + " | ".join(cells) + " |")
        lines.append("| idle (end) | " + " | ".join(mib(r.get("idle_end_kb", 0)) for r in cols) + " |")
    if KNOBS["ARGON2_LIMIT"]:
        lines += ["", f"Argon2 limit with all cores hashing (cargo bench --bench argon2): {KNOBS['ARGON2_LIMIT']} verifications/s."]
    return "\n".join(lines)


def write_benchmarks_md(section):
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    start, end = "<!-- memory-bench:start -->", "<!-- memory-bench:end -->"
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Memory\n\n" + block + "\n"
    path.write_text(text)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    runs = []
    for backend in KNOBS["BACKENDS"].split():
        variants = KNOBS["VARIANTS_POSTGRES"] if backend == "postgres" else KNOBS["VARIANTS"]
        for variant in variants.split():
            runs.append(measure(variant, backend))
            (OUT / "results.json").write_text(json.dumps(runs, indent=1))
    machine = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    table = (f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{KNOBS['COMMAND']}` on "
             f"{os.cpu_count()} cores (load at the end: {machine.split('load average:')[-1].strip()}).\n" + report(runs))
    (OUT / "report.md").write_text(table + "\n")
    print(table, flush=True)
    if KNOBS["WRITE_BENCHMARKS_MD"] == "1":
        write_benchmarks_md(table)


if __name__ == "__main__":
    sys.exit(main())
