#!/usr/bin/env python3
"""The Gatehouse benchmark: Gatehouse on SQLite and on Postgres against cognito-local and moto,
with the physical limits of the machine measured in the same run. Started by `bench/run`, which
builds the release binary and installs wrk first; every knob is an environment variable (see
KNOBS below). Standard library only.

What one run does:
  1. machine facts; the limits: Argon2 verifications at the production parameters
     (`cargo bench --bench argon2`) and RS256 signatures (`cargo bench --bench rs256`), one at
     a time and with every core at work (the limits are the all-cores rates);
  2. for each backend: a fresh database, 10 000 users seeded through `gatehouse seed` (the
     production Argon2 parameters, one seeding process per core), the server started, refresh
     tokens collected by signing users in, then every workload at every concurrency with wrk;
     then the database is grown in bulk (users, sessions, refresh tokens) and the sign-in and
     refresh workloads run again;
  3. the peers (cognito-local, moto) on the same workloads, through the shared peers folder
     (copied to a scratch directory; its own run.sh installs, seeds and drives them);
  4. the tables, the ratios Gatehouse / peer and the share of the limits: printed, written to
     OUT/report.md, and placed between the markers in docs/benchmarks.md.
"""

import json
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk" / "gatehouse.lua"


def knob(name, default):
    return os.environ.get(name, default)


KNOBS = {
    "DUR": knob("DUR", "15"),  # seconds per cell
    "REPEAT": knob("REPEAT", "2"),  # runs per cell
    "CONCS": knob("CONCS", "1 8 64"),
    "WORKLOADS": knob("WORKLOADS", "login initiate_auth refresh refresh_token_auth get_tokens jwks"),
    "BACKENDS": knob("BACKENDS", "sqlite postgres"),
    "PEERS": knob("PEERS", "cognito-local moto"),  # empty: no peers
    "USERS_N": knob("USERS_N", "10000"),
    "PEER_USERS_N": knob("PEER_USERS_N", "1000"),  # the shared peers folder's own default
    "GROWTH": knob("GROWTH", "1"),  # 0: skip the grown-database runs
    "GROWTH_USERS": knob("GROWTH_USERS", "100000"),
    "GROWTH_TOKENS": knob("GROWTH_TOKENS", "1000000"),
    "GROWTH_WORKLOADS": knob("GROWTH_WORKLOADS", "login refresh"),
    "LIMITS": knob("LIMITS", "1"),  # 0: skip the Argon2 / RS256 measurement
    "PG_URL": knob("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    # The shared peers folder: next to the repository (../shared/peers), else /work/shared/peers.
    "PEERS_SRC": knob("PEERS_SRC", next(
        (str(p) for p in (ROOT.parent / "shared" / "peers", Path("/work/shared/peers")) if (p / "run.sh").exists()),
        str(ROOT.parent / "shared" / "peers"))),
    "PORT": knob("PORT", "18080"),
    "BIN": knob("BIN", str(ROOT / "target" / "release" / "gatehouse")),
    # A second binary (an earlier build) benchmarked in the same run, before BIN on each backend,
    # for before/after tables measured on one machine under one load; empty: none.
    "BASELINE_BIN": knob("BASELINE_BIN", ""),
    "OUT": knob("OUT", str(ROOT / "bench" / "results" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))),
    "WRITE_BENCHMARKS_MD": knob("WRITE_BENCHMARKS_MD", "1"),
}

TENANT = "bench"
POOL_ID = "us-east-1_GatehouseBench"
CLIENT_ID = "benchclient000000000000001"
# A second client of the pool, rotating its refresh tokens, for GetTokensFromRefreshToken.
ROTATING_CLIENT_ID = "benchrotating0000000000001"
ROTATING_CLIENT = {
    "Name": "rotating", "ClientId": ROTATING_CLIENT_ID,
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
}
PASSWORD = "Bench-Pass-{:05d}!"
REFRESH_TOKEN_AUTH_TOKENS = 1000  # cycled by REFRESH_TOKEN_AUTH, never consumed
CORES = os.cpu_count() or 1

# Absolute: the peers' run.sh writes its results from its own working directory.
OUT = Path(KNOBS["OUT"]).resolve()


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def sh(cmd, **kw):
    log("$", " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---------------------------------------------------------------------------- process facts


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class PeakRss:
    """Samples a process's RSS every 0.2 s while a load runs."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, rss_kb(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_kb(self.pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def machine_facts():
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "n/a"

    cpu = re.search(r"Model name:\s*(.+)", first(["lscpu"]))
    mem = re.search(r"Mem:\s+(\S+)", first(["free", "-h"]))
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kernel": platform.platform(),
        "cpu": f"{cpu.group(1) if cpu else 'unknown'} x {CORES}",
        "memory": mem.group(1) if mem else "n/a",
        "rustc": first(["rustc", "--version"]),
        "wrk": first(["wrk", "-v"]).splitlines()[0] if first(["wrk", "-v"]) else "n/a",
        "postgres": first(["psql", KNOBS["PG_URL"], "-Atc", "SHOW server_version"]),
        "git": first(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"]),
        "load_before": first(["cat", "/proc/loadavg"]),
    }


# ---------------------------------------------------------------------------- limits


def measure_limits():
    """One Argon2 verification and one RS256 signature, timed by the release-mode benches."""
    argon2 = subprocess.run(
        ["cargo", "bench", "--bench", "argon2", "--", "21"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    rs256 = subprocess.run(
        ["cargo", "bench", "--bench", "rs256", "--", "301"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    (OUT / "limits.txt").write_text(argon2 + "\n" + rs256)
    print(argon2 + rs256, flush=True)
    argon2_ms = float(re.search(r"verify \(real user\):\s+median ([\d.]+) ms", argon2).group(1))
    argon2_all_cores = float(re.search(r"throughput with \d+ hashing workers: ([\d.]+) verifications/s", argon2).group(1))
    rs256_ms = float(re.search(r"sign: median ([\d.]+) ms", rs256).group(1))
    rs256_all_cores = float(re.search(r"all cores: ([\d.]+) signatures/s", rs256).group(1))
    params = re.search(r"argon2id (m=\d+ KiB t=\d+ p=\d+)", argon2).group(1)
    # The limits are what every core doing the work at once achieves, measured: on a virtual
    # machine two cores need not give twice one core's rate. cores / one operation's time is
    # kept beside it for comparison.
    return {
        "argon2_ms": argon2_ms,
        "argon2_params": params,
        "rs256_ms": rs256_ms,
        "cores": CORES,
        "sign_in_limit": argon2_all_cores,
        "sign_in_limit_from_one": CORES / (argon2_ms / 1000),
        "refresh_limit": rs256_all_cores / 2,
        "refresh_limit_from_one": CORES / (2 * rs256_ms / 1000),
    }


# ---------------------------------------------------------------------------- wrk


def run_wrk(label, url, args, conc, pid, raw_dir):
    """One cell: wrk for DUR seconds at `conc` connections; RSS and CPU of the server beside."""
    dur = int(KNOBS["DUR"])
    threads = 1 if conc < 2 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{dur}s", "--timeout", "10s", "--latency",
           "-s", str(LUA), url, "--", *args, str(threads)]
    time.sleep(1)  # let the previous cell's connections close
    rss_before = rss_kb(pid)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    wrk0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with PeakRss(pid) as peak:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=dur + 60, check=False)
    elapsed = time.monotonic() - t0
    wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = (cpu_seconds(pid) - cpu0) / elapsed * 100
    # The load generator shares the machine's cores: its CPU is what the server could not have.
    wrk_cpu = (wrk1.ru_utime + wrk1.ru_stime - wrk0.ru_utime - wrk0.ru_stime) / elapsed * 100
    raw = raw_dir / f"{label}.txt"
    raw.write_text("# " + " ".join(cmd) + "\n" + done.stdout + done.stderr)
    line = next((l for l in reversed(done.stdout.splitlines()) if l.startswith("RESULT ")), None)
    result = json.loads(line[len("RESULT "):]) if line else {"error": f"wrk exit {done.returncode}: {done.stderr[-300:]}"}
    result.update(rss_before_kb=rss_before, rss_peak_kb=peak.peak, server_cpu_pct=round(server_cpu),
                  wrk_cpu_pct=round(wrk_cpu),
                  load1=round(os.getloadavg()[0], 1))
    return result


def failures(r):
    return sum(r.get(k, 0) for k in ("non2xx", "invalid", "starved", "err_connect", "err_read", "err_write", "err_timeout"))


# ---------------------------------------------------------------------------- Gatehouse


class Gatehouse:
    def __init__(self, backend, work, binary):
        self.backend, self.work, self.binary = backend, work, binary
        self.port = int(KNOBS["PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.db_name = None
        if backend == "sqlite":
            self.database_url = f"sqlite://{work / 'gatehouse.db'}"
        else:
            self.db_name = f"gatehouse_bench_{os.getpid()}"
            self.database_url = re.sub(r"/[^/]*$", f"/{self.db_name}", KNOBS["PG_URL"])
        self.env = dict(
            os.environ,
            GATEHOUSE_DATABASE_URL=self.database_url,
            # Fixed throwaway secrets: the benchmark database is dropped afterwards.
            GATEHOUSE_KEY_ENCRYPTION_KEY="YmVuY2htYXJrLWtlay1ub3QtYS1yZWFsLXNlY3JldCE=",
            GATEHOUSE_PEPPER="benchmark-pepper-not-a-real-secret",
            GATEHOUSE_BIND=f"127.0.0.1:{self.port}",
            # The per-address sign-in limit would shed almost all of a one-address load
            # generator's sign-ins; the benchmark measures the server, so it is off.
            GATEHOUSE_SIGN_IN_RATE_PER_IP="0",
            GATEHOUSE_LOG="warn",
        )
        for name in [k for k in self.env if k.startswith("GATEHOUSE_ARGON2") or k == "GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING"]:
            del self.env[name]  # production Argon2 parameters only

    def create_database(self):
        if self.db_name:
            sh(["psql", KNOBS["PG_URL"], "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {self.db_name}"])

    def drop_database(self):
        if self.db_name:
            subprocess.run(["psql", KNOBS["PG_URL"], "-qc", f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)"], check=False)

    def cli(self, *args, **kw):
        return sh([self.binary, *args], env=self.env, cwd=self.work, **kw)

    def seed(self, users, name=TENANT, pool_id=POOL_ID, client_id=CLIENT_ID, prefix="benchuser",
             settings=None, users_file="users.tsv", clients=()):
        """The pool first (with `settings`: any other seed-file member, e.g. LambdaConfig, and
        `clients` beside its default one), then the users in one seed file per core, applied in
        parallel; `users_file` lists them."""
        def tenant(user_range, **pool_only):
            return {"Tenants": [{
                "Name": name, "PoolId": pool_id, "ClientId": client_id, **(settings or {}), **pool_only,
                "Users": [{"Username": f"{prefix}{i:05d}", "Password": PASSWORD.format(i)} for i in user_range],
            }]}

        (self.work / f"{name}.json").write_text(json.dumps(tenant(range(0), Clients=list(clients))))
        self.cli("seed", f"{name}.json", stdout=subprocess.DEVNULL)
        chunks = [range(k, users, CORES) for k in range(CORES)]
        procs = []
        started = time.monotonic()
        for k, chunk in enumerate(chunks):
            (self.work / f"{name}-users-{k}.json").write_text(json.dumps(tenant(chunk)))
            procs.append(subprocess.Popen([self.binary, "seed", f"{name}-users-{k}.json"], env=self.env,
                                          cwd=self.work, stdout=subprocess.DEVNULL))
        if any(p.wait() != 0 for p in procs):
            raise RuntimeError("seeding failed")
        seconds = time.monotonic() - started
        log(f"seeded {users} users of {name} in {seconds:.0f} s with {CORES} processes")
        with open(self.work / users_file, "w") as f:
            for i in range(users):
                f.write(f"{prefix}{i:05d}\t{PASSWORD.format(i)}\n")
        return seconds

    def start(self):
        self.log_file = open(self.work / "server.log", "ab")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, cwd=self.work,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gatehouse exited with {self.process.returncode}; see {self.work / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{self.base}/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
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
        self.process = None

    def post_json(self, path, payload, headers):
        """The JSON answer of a POST of `payload` to `path`."""
        request = urllib.request.Request(f"{self.base}{path}", json.dumps(payload).encode(), headers)
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.load(r)

    def sign_in(self, i):
        """User i's refresh token from `/Login` (the default client's)."""
        answer = self.post_json("/Login", {"UserName": f"benchuser{i:05d}", "TenantName": TENANT,
                                           "Password": PASSWORD.format(i)},
                                {"Content-Type": "application/json"})
        return answer["cognitoToken"]["AuthenticationResult"]["RefreshToken"]

    def sign_in_rotating_client(self, i):
        """User i's refresh token from `InitiateAuth` through the rotating client."""
        answer = self.post_json("/", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": ROTATING_CLIENT_ID,
                                      "AuthParameters": {"USERNAME": f"benchuser{i:05d}",
                                                         "PASSWORD": PASSWORD.format(i)}},
                                {"Content-Type": "application/x-amz-json-1.1",
                                 "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"})
        return answer["AuthenticationResult"]["RefreshToken"]

    def collect_tokens(self, count, users, sign_in=None):
        """Signs `count` users in once each (spread over the user list) for their refresh tokens
        (through `/Login` unless another `sign_in` is given)."""
        picks = [(k * 7) % users for k in range(count)]
        with ThreadPoolExecutor(8) as pool:
            tokens = list(pool.map(sign_in or self.sign_in, picks))
        return [(f"benchuser{i:05d}", t) for i, t in zip(picks, tokens)]

    def grow(self, users, tokens):
        """Bulk-inserts `users` users sharing one seeded user's password hash, one session each,
        and `tokens` refresh tokens spread over those sessions (all but the newest consumed)."""
        now = int(time.time())
        if self.backend == "postgres":
            sql = f"""
            INSERT INTO users (sub, pool_id, username, username_key, password_hash, pepper_id, status, enabled,
                               attributes, tokens_valid_after, created_at, updated_at)
            SELECT lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'), u.pool_id,
                   'growthuser' || lpad(g::text, 7, '0'), 'growthuser' || lpad(g::text, 7, '0'), u.password_hash,
                   u.pepper_id, u.status, u.enabled, u.attributes, u.tokens_valid_after, {now}, {now}
            FROM generate_series(1, {users}) g, (SELECT * FROM users WHERE username_key = 'benchuser00000') u;
            INSERT INTO sessions (id, pool_id, client_id, user_sub, auth_time, expires_at, created_at)
            SELECT lpad(to_hex(g), 8, '0') || '-1111-4000-8000-' || lpad(to_hex(g), 12, '0'), '{POOL_ID}',
                   '{CLIENT_ID}', lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'),
                   {now}, {now + 30 * 86400}, {now}
            FROM generate_series(1, {users}) g;
            INSERT INTO refresh_tokens (token_hash, session_id, issued_at, consumed_at)
            SELECT lpad(to_hex(g), 64, '0'),
                   lpad(to_hex((g - 1) % {users} + 1), 8, '0') || '-1111-4000-8000-'
                       || lpad(to_hex((g - 1) % {users} + 1), 12, '0'),
                   {now}, CASE WHEN g > {tokens} - {users} THEN NULL ELSE {now} END
            FROM generate_series(1, {tokens}) g;
            ANALYZE;
            """
            sh(["psql", self.database_url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        else:
            db = sqlite3.connect(str(self.work / "gatehouse.db"), timeout=60)
            series = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {n})"
            sub = "printf('%08x-0000-4000-8000-%012x', {v}, {v})"
            session = "printf('%08x-1111-4000-8000-%012x', {v}, {v})"
            with db:
                db.execute(f"""
                INSERT INTO users (sub, pool_id, username, username_key, password_hash, pepper_id, status, enabled,
                                   attributes, tokens_valid_after, created_at, updated_at)
                {series.format(n=users)}
                SELECT {sub.format(v='x')}, u.pool_id, printf('growthuser%07d', x), printf('growthuser%07d', x),
                       u.password_hash, u.pepper_id, u.status, u.enabled, u.attributes, u.tokens_valid_after, {now}, {now}
                FROM g, (SELECT * FROM users WHERE username_key = 'benchuser00000') u""")
                db.execute(f"""
                INSERT INTO sessions (id, pool_id, client_id, user_sub, auth_time, expires_at, created_at)
                {series.format(n=users)}
                SELECT {session.format(v='x')}, '{POOL_ID}', '{CLIENT_ID}', {sub.format(v='x')}, {now}, {now + 30 * 86400}, {now}
                FROM g""")
                db.execute(f"""
                INSERT INTO refresh_tokens (token_hash, session_id, issued_at, consumed_at)
                {series.format(n=tokens)}
                SELECT printf('%064x', x), {session.format(v=f'((x - 1) % {users} + 1)')}, {now},
                       CASE WHEN x > {tokens} - {users} THEN NULL ELSE {now} END
                FROM g""")
            db.execute("ANALYZE")
            db.close()

    def counts(self):
        query = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions), (SELECT count(*) FROM refresh_tokens)"
        if self.backend == "postgres":
            out = subprocess.run(["psql", self.database_url, "-Atc", query], capture_output=True, text=True, check=True).stdout
            return [int(v) for v in out.strip().split("|")]
        db = sqlite3.connect(str(self.work / "gatehouse.db"), timeout=60)
        try:
            return list(db.execute(query).fetchone())
        finally:
            db.close()


def workload_target(gh, workload, tokens_file, rotating_file):
    """URL and wrk script arguments of one workload against Gatehouse."""
    users = str(gh.work / "users.tsv")
    return {
        "login": (f"{gh.base}/Login", ["login", TENANT, users]),
        "initiate_auth": (f"{gh.base}/", ["initiate_auth", CLIENT_ID, users]),
        "refresh": (f"{gh.base}/RefreshToken", ["refresh", TENANT, rotating_file]),
        "refresh_token_auth": (f"{gh.base}/", ["refresh_token_auth", CLIENT_ID, tokens_file]),
        "get_tokens": (f"{gh.base}/", ["get_tokens", ROTATING_CLIENT_ID, rotating_file]),
        "jwks": (f"{gh.base}/{POOL_ID}/.well-known/jwks.json", ["jwks"]),
    }[workload]


def bench_gatehouse(backend, results, binary, label):
    concs = [int(c) for c in KNOBS["CONCS"].split()]
    repeat = int(KNOBS["REPEAT"])
    workloads = KNOBS["WORKLOADS"].split()
    growth_workloads = KNOBS["GROWTH_WORKLOADS"].split() if KNOBS["GROWTH"] == "1" else []
    users = int(KNOBS["USERS_N"])
    raw_dir = OUT / "raw" / f"gatehouse-{label.replace(' ', '-').replace('(', '').replace(')', '')}"
    raw_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"gatehouse-bench-{backend}-"))
    gh = Gatehouse(backend, work, binary)
    facts = results.setdefault("gatehouse", {}).setdefault(label, {"cells": [], "facts": {}})
    binary_label = label
    try:
        gh.drop_database()
        gh.create_database()
        facts["facts"]["seed_seconds"] = round(gh.seed(users, clients=[ROTATING_CLIENT]))
        gh.start()
        time.sleep(2)
        facts["facts"]["rss_idle_fresh_kb"] = rss_kb(gh.process.pid)
        # Rotating refresh tokens are used up by a cell: each cell gets its own slice, enough
        # for two per connection (a lost answer loses the token it presented). /RefreshToken's
        # are the default client's (signed in through /Login), GetTokensFromRefreshToken's the
        # rotating client's.
        def rotating_needed(workload):
            cells = [c for c in concs for _ in range(repeat)] * (
                (workload in workloads) + (workload in growth_workloads))
            return sum(max(2 * c, 4) for c in cells)

        started = time.monotonic()
        collected = gh.collect_tokens(REFRESH_TOKEN_AUTH_TOKENS + rotating_needed("refresh"), users)
        tokens_file = work / "refresh.tsv"
        tokens_file.write_text("".join(f"{u}\t{t}\n" for u, t in collected[:REFRESH_TOKEN_AUTH_TOKENS]))
        rotating = {"refresh": collected[REFRESH_TOKEN_AUTH_TOKENS:],
                    "get_tokens": gh.collect_tokens(rotating_needed("get_tokens"), users,
                                                    gh.sign_in_rotating_client)}
        log(f"collected {len(collected) + len(rotating['get_tokens'])} refresh tokens in "
            f"{time.monotonic() - started:.0f} s")

        def rotating_slice(workload, conc, label):
            take = rotating[workload][:max(2 * conc, 4)]
            rotating[workload] = rotating[workload][max(2 * conc, 4):]
            path = work / f"rotating-{label}.tsv"
            path.write_text("".join(f"{u}\t{t}\n" for u, t in take))
            return str(path)

        time.sleep(3)
        facts["facts"]["rss_idle_seeded_kb"] = rss_kb(gh.process.pid)

        def run_phase(phase, phase_workloads):
            for workload in phase_workloads:
                for rep in range(1, repeat + 1):
                    for conc in concs:
                        label = f"{phase}-{workload}-c{conc}-r{rep}"
                        rot = rotating_slice(workload, conc, label) if workload in rotating else ""
                        url, args = workload_target(gh, workload, str(tokens_file), rot)
                        r = run_wrk(label, url, args, conc, gh.process.pid, raw_dir)
                        cell = {"phase": phase, "workload": workload, "conc": conc, "rep": rep, **r}
                        facts["cells"].append(cell)
                        log(f"gatehouse {binary_label} {label}: {r.get('rps')} req/s p50 {r.get('p50_ms')} ms "
                            f"p99 {r.get('p99_ms')} ms ok {r.get('ok')} 429 {r.get('shed_429')} "
                            f"failed {failures(r)} peak {r['rss_peak_kb'] // 1024} MiB cpu {r['server_cpu_pct']}% "
                            f"{r.get('sample_error', '') if failures(r) else ''}")

        run_phase("base", workloads)
        time.sleep(3)
        facts["facts"]["rss_idle_after_load_kb"] = rss_kb(gh.process.pid)
        if growth_workloads:
            started = time.monotonic()
            gh.grow(int(KNOBS["GROWTH_USERS"]), int(KNOBS["GROWTH_TOKENS"]))
            facts["facts"]["growth_insert_seconds"] = round(time.monotonic() - started)
            run_phase("grown", growth_workloads)
        facts["facts"]["rows_at_end"] = dict(zip(("users", "sessions", "refresh_tokens"), gh.counts()))
    finally:
        gh.stop()
        gh.drop_database()
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------- peers


REFRESH_WORKLOADS = ("refresh", "refresh_token_auth", "get_tokens")
PEER_WORKLOAD = {"password": "initiate_auth", "refresh": "refresh_token_auth", "jwks": "jwks"}


def bench_peers(results):
    peers = KNOBS["PEERS"].split()
    if not peers:
        return
    source = Path(KNOBS["PEERS_SRC"])
    if not (source / "run.sh").exists():
        raise RuntimeError(f"the shared peers folder is not at {source}; set PEERS_SRC")
    scratch = Path(tempfile.mkdtemp(prefix="gatehouse-bench-peers-"))
    work = scratch / "peers"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("state", "results*"))
    out = OUT / "peers"
    env = dict(os.environ, PEERS=" ".join(peers), DUR=KNOBS["DUR"], REPEAT=KNOBS["REPEAT"], CONCS=KNOBS["CONCS"],
               WORKLOADS="password refresh jwks", GROWTH="0", USERS_N=KNOBS["PEER_USERS_N"], RESULTS=str(out))
    log(f"peers: {' '.join(peers)} via a copy of {source} in {work}")
    # Its last step (its own summary) can fail on a line its RSS sampler left half written;
    # the cells themselves are read below, so only missing results count as failure.
    done = subprocess.run(["bash", "run.sh"], cwd=work, env=env, check=False)
    if done.returncode != 0:
        log(f"the peers' run.sh exited with {done.returncode}; reading the cells it wrote")
    load_peers(out, peers, results)
    shutil.rmtree(scratch, ignore_errors=True)


def load_peers(out, peers, results):
    for peer in peers:
        cells = []
        path = out / peer / "results.jsonl"
        if not path.exists():
            raise RuntimeError(f"no results from {peer} in {path}")
        for line in path.read_text().splitlines():
            # The shared bench.sh sometimes writes an empty RSS peak (`"rss_peak_kb":,`).
            d = json.loads(re.sub(r'":,', '":0,', line))
            w = d["wrk"]
            cells.append({"phase": "base", "workload": PEER_WORKLOAD[d["workload"]], "conc": d["conc"], "rep": d["rep"],
                          **w, "rss_before_kb": d["rss_before_kb"], "rss_peak_kb": d["rss_peak_kb"],
                          "server_cpu_pct": d.get("server_cpu_pct", 0), "wrk_cpu_pct": d.get("wrk_cpu_pct", "–")})
        rss = {}
        rss_file = out / peer / "rss.txt"
        if rss_file.exists():
            for line in rss_file.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1].isdigit():
                    rss[parts[0]] = int(parts[1])
        results.setdefault("peers", {})[peer] = {"cells": cells, "facts": rss}


# ---------------------------------------------------------------------------- report


WORKLOAD_TITLES = {
    "login": "POST /Login",
    "initiate_auth": "InitiateAuth USER_PASSWORD_AUTH",
    "refresh": "POST /RefreshToken (rotating)",
    "refresh_token_auth": "InitiateAuth REFRESH_TOKEN_AUTH",
    "get_tokens": "GetTokensFromRefreshToken (rotating)",
    "jwks": "GET JWKS",
}


def group(cells):
    grouped = {}
    for c in cells:
        grouped.setdefault((c["phase"], c["workload"], c["conc"]), []).append(c)
    return grouped


def mean_rps(runs):
    return statistics.mean(r.get("rps", 0) for r in runs)


def per_cpu_second(runs):
    """Requests served per second of the server's CPU time: what a request costs the server,
    which a machine shared with other work changes far less than the req/s."""
    return statistics.mean(r.get("rps", 0) / max(r.get("server_cpu_pct", 0) / 100, 0.01) for r in runs)


def runs_text(runs, key, fmt):
    return " / ".join(fmt.format(r.get(key, float("nan"))) for r in runs)


def cell_table(cells):
    lines = ["| phase | workload | conc | req/s | p50 ms | p99 ms | failed | 429 shed | peak RSS MiB | server CPU % "
             "| wrk CPU % | load (1 min) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (phase, workload, conc), runs in group(cells).items():
        lines.append(
            f"| {phase} | {WORKLOAD_TITLES[workload]} | {conc} | {runs_text(runs, 'rps', '{:.0f}')} "
            f"| {runs_text(runs, 'p50_ms', '{:.1f}')} | {runs_text(runs, 'p99_ms', '{:.1f}')} "
            f"| {' / '.join(str(failures(r)) for r in runs)} | {' / '.join(str(r.get('shed_429', 0)) for r in runs)} "
            f"| {' / '.join(str(r['rss_peak_kb'] // 1024) for r in runs)} "
            f"| {' / '.join(str(r['server_cpu_pct']) for r in runs)} "
            f"| {' / '.join(str(r.get('wrk_cpu_pct', '–')) for r in runs)} "
            f"| {' / '.join(str(r.get('load1', '–')) for r in runs)} |")
    return "\n".join(lines)


def report(results):
    knobs = results.get("knobs", KNOBS)
    limits = results.get("limits")
    knobs_line = " ".join(f"{k}={v!r}" if " " in v else f"{k}={v}" for k, v in knobs.items()
                          if k in ("DUR", "REPEAT", "CONCS", "WORKLOADS", "BACKENDS", "PEERS", "USERS_N", "GROWTH",
                                   "GROWTH_USERS", "GROWTH_TOKENS"))
    md = ["## Results", "",
          f"Generated by `bench/run` ({knobs_line}). Each cell is one wrk run of {knobs['DUR']} s; "
          "`a / b` are the repeats. `failed` counts non-2xx other than 429, bodies without the expected "
          "tokens, and socket errors; `429 shed` is deliberate load shedding (hashing queue full). "
          "Raw wrk output and results.json are kept in `bench/results/<run>/` (not committed).", "",
          "### Machine", ""]
    md += [f"- {k}: {v}" for k, v in results["machine"].items()]
    if limits:
        md += ["", "### Physical limits (measured in this run)", "",
               f"- Argon2id {limits['argon2_params']}: one verification {limits['argon2_ms']:.1f} ms; "
               f"all {limits['cores']} cores verifying at once: **{limits['sign_in_limit']:.0f} sign-ins/s** "
               f"(the sign-in limit; {limits['cores']} cores / {limits['argon2_ms']:.1f} ms would be "
               f"{limits.get('sign_in_limit_from_one', limits['sign_in_limit']):.0f})",
               f"- RS256 (2048-bit) one signature {limits['rs256_ms']:.3f} ms; all {limits['cores']} cores signing "
               f"at once, two signatures a refresh: **{limits['refresh_limit']:.0f} refreshes/s** (the refresh "
               f"limit; {limits['cores']} cores / (2 × {limits['rs256_ms']:.3f} ms) would be "
               f"{limits.get('refresh_limit_from_one', limits['refresh_limit']):.0f})"]
    for backend, data in results.get("gatehouse", {}).items():
        f = data["facts"]
        md += ["", f"### Gatehouse on {backend}", "",
               f"Seeding {knobs['USERS_N']} users through `gatehouse seed` ({CORES} processes): {f.get('seed_seconds')} s. "
               f"Idle RSS: {f.get('rss_idle_fresh_kb', 0) / 1024:.1f} MiB fresh, "
               f"{f.get('rss_idle_seeded_kb', 0) / 1024:.1f} MiB after collecting tokens, "
               f"{f.get('rss_idle_after_load_kb', 0) / 1024:.1f} MiB after the load. "
               + (f"Growth insert: {f['growth_insert_seconds']} s; " if "growth_insert_seconds" in f else "")
               + (f"rows at the end: {f['rows_at_end']}." if "rows_at_end" in f else ""), "",
               cell_table(data["cells"])]
    for peer, data in results.get("peers", {}).items():
        md += ["", f"### {peer}", "", f"RSS (KiB): {data['facts']}", "", cell_table(data["cells"])]

    # Ratios and targets
    peers = results.get("peers", {})
    if peers and results.get("gatehouse"):
        md += ["", "### Ratios Gatehouse / peer (mean req/s of the repeats)", "",
               "| Gatehouse backend | workload | conc | Gatehouse req/s | "
               + " | ".join(f"{p} req/s | ratio vs {p}" for p in peers) + " |",
               "|---|---|---|---|" + "---|---|" * len(peers)]
        for backend, data in results["gatehouse"].items():
            ours = group(data["cells"])
            for (phase, workload, conc), runs in ours.items():
                if phase != "base":
                    continue
                peer_workload = "refresh_token_auth" if workload in REFRESH_WORKLOADS else \
                    "initiate_auth" if workload == "login" else workload
                row = f"| {backend} | {WORKLOAD_TITLES[workload]} | {conc} | {mean_rps(runs):.0f} |"
                for p, pdata in peers.items():
                    theirs = group(pdata["cells"]).get(("base", peer_workload, conc))
                    if theirs:
                        row += f" {mean_rps(theirs):.0f} | {mean_rps(runs) / max(mean_rps(theirs), 0.001):.1f}× |"
                    else:
                        row += " – | – |"
                md.append(row)
    if limits and results.get("gatehouse"):
        md += ["", "### Share of the physical limits", "",
               "| Gatehouse backend | phase | workload | conc | req/s | limit | % of limit |", "|---|---|---|---|---|---|---|"]
        for backend, data in results["gatehouse"].items():
            for (phase, workload, conc), runs in group(data["cells"]).items():
                if workload in ("login", "initiate_auth"):
                    limit = limits["sign_in_limit"]
                elif workload in REFRESH_WORKLOADS:
                    limit = limits["refresh_limit"]
                else:
                    continue
                md.append(f"| {backend} | {phase} | {WORKLOAD_TITLES[workload]} | {conc} | {mean_rps(runs):.0f} "
                          f"| {limit:.0f} | {100 * mean_rps(runs) / limit:.0f} % |")
    befores = [label for label in results.get("gatehouse", {}) if label.endswith(" (before)")]
    if befores:
        md += ["", "### Before / after (BASELINE_BIN against BIN, same run)", "",
               "| backend | phase | workload | conc | before req/s | after req/s | after / before "
               + ("| before % of limit | after % of limit " if limits else "")
               + "| before p99 ms | after p99 ms | before req/CPU-s | after req/CPU-s |",
               "|---|---|---|---|---|---|---|" + ("---|---|" if limits else "") + "---|---|---|---|"]
        for before_label in befores:
            backend = before_label[:-len(" (before)")]
            after = group(results["gatehouse"].get(backend, {}).get("cells", []))
            for key, before_runs in group(results["gatehouse"][before_label]["cells"]).items():
                after_runs = after.get(key)
                if not after_runs:
                    continue
                phase, workload, conc = key
                b, a = mean_rps(before_runs), mean_rps(after_runs)
                row = (f"| {backend} | {phase} | {WORKLOAD_TITLES[workload]} | {conc} | {b:.0f} | {a:.0f} "
                       f"| {a / max(b, 0.001):.2f}× ")
                if limits:
                    limit = limits["sign_in_limit"] if workload in ("login", "initiate_auth") else \
                        limits["refresh_limit"] if workload in REFRESH_WORKLOADS else None
                    row += (f"| {100 * b / limit:.0f} % | {100 * a / limit:.0f} % " if limit else "| – | – ")
                row += (f"| {statistics.mean(r.get('p99_ms', 0) for r in before_runs):.1f} "
                        f"| {statistics.mean(r.get('p99_ms', 0) for r in after_runs):.1f} "
                        f"| {per_cpu_second(before_runs):.0f} | {per_cpu_second(after_runs):.0f} |")
                md.append(row)
    return "\n".join(md) + "\n"


def write_benchmarks_md(section):
    path = ROOT / "docs" / "benchmarks.md"
    begin, end = "<!-- bench/run results: begin -->", "<!-- bench/run results: end -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    block = f"{begin}\n{section}{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main():
    if os.environ.get("REPORT_FROM"):
        # Rebuild the report of an earlier run: REPORT_FROM=bench/results/<run> bench/bench.py
        source = Path(os.environ["REPORT_FROM"])
        results = json.loads((source / "results.json").read_text())
        peers = [p.name for p in sorted((source / "peers").glob("*")) if (p / "results.jsonl").exists()]
        load_peers(source / "peers", peers, results)
        (source / "results.json").write_text(json.dumps(results, indent=1))
        finish(results, source)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "raw").mkdir(exist_ok=True)
    results = {"machine": machine_facts(), "knobs": KNOBS}
    log("machine:", results["machine"])
    started = time.monotonic()
    if KNOBS["LIMITS"] == "1":
        results["limits"] = measure_limits()
    for backend in KNOBS["BACKENDS"].split():
        if KNOBS["BASELINE_BIN"]:
            bench_gatehouse(backend, results, KNOBS["BASELINE_BIN"], f"{backend} (before)")
            (OUT / "results.json").write_text(json.dumps(results, indent=1))
        bench_gatehouse(backend, results, KNOBS["BIN"], backend)
        (OUT / "results.json").write_text(json.dumps(results, indent=1))
    bench_peers(results)
    results["duration_s"] = round(time.monotonic() - started)
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    finish(results, OUT)


def finish(results, out):
    section = report(results)
    if "duration_s" in results:
        section += f"\nWhole run: {results['duration_s'] // 60} min {results['duration_s'] % 60} s.\n"
    (out / "report.md").write_text(section)
    print(section)
    if KNOBS["WRITE_BENCHMARKS_MD"] == "1":
        write_benchmarks_md(section)
        log("docs/benchmarks.md updated")
    log(f"results in {out}")


if __name__ == "__main__":
    sys.exit(main())
