#!/usr/bin/env python3
"""CRM look-ups under concurrency (issue 4): the HTTP API of a release build of kefu at
1,000,000 customers, on SQLite and on PostgreSQL, driven by wrk with 200 connections.

1. Data: build-release/crm_seed (bench/crm_seed.cpp, the generator of bench/crm.cpp, schema from
   kefu's own migrations) fills a SQLite file and a PostgreSQL database; each in one
   transaction with multi-row INSERTs. PostgreSQL is a throwaway cluster this script starts:
   initdb in a temporary directory, loopback port, **fsync=off** (a benchmark, not a
   durability test; look-ups do not write, but the load does), default memory settings; as
   root it runs as the `postgres` user (runuser), as tests/unit/store/postgres_cluster.cpp does.
2. Server: `kefu serve --db <that database>` with an admin made through KEFU_ADMIN_PASSWORD; the
   script signs in and sends the session cookie with every request.
3. Load: for each backend, each --readers value (kefu's --db-readers: 0 = look-ups share the
   single writer connection, as before the read pool; N = N read-only connections), each
   --auth-cache value (kefu's --auth-cache-ms: 0 = every request looks its session up on the
   writer, as before the credential cache; 5000 = the default) and each
   kind of look-up, wrk -c 200 for --duration s with bench/load/crm_load.lua: random existing
   customers' phone numbers as people type them ("139 0012 3456", "020-8012 3456"), name
   prefixes ("王伟", "Zhang W"), account numbers, and caller numbers for the screen pop; and, as a
   floor, GET /api/v1/auth/me (the per-request session check and nothing else). Every
   response is checked: non-2xx and bodies that found nothing are counted (and fail the row).
   Latency is wrk's, from request sent to response read, so it includes the time a request
   waits in kefu's queues (closed loop: 200 requests always outstanding).

wrk, kefu and PostgreSQL share this machine's cores (2 here), and other engineers' builds may
be running: the JSON records the load average (`uptime`) before each run and the machine's busy
cores during it. Writes bench/results/crm_load.json (name, value, unit, command, commit, cpu,
date, loadavg, note) and prints a table. Quick run:
  bench/load/crm_load.py --customers 100000 --duration 5 --backends sqlite"""
import argparse
import datetime
import glob
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, HERE)
from sip_load import commit, cpu_model, proc_cpu_seconds  # noqa: E402

LUA = os.path.join(HERE, "crm_load.lua")
CLK = os.sysconf("SC_CLK_TCK")
ADMIN_PASSWORD = "bench-admin-password"
BUILD_LOCK = "/tmp/kefu-build.lock"
# What each kind of look-up asks, and a substring every useful answer contains (a customer
# found; for the screen pop, a known caller).
KINDS = {
    "phone": ("/api/v1/customers?phone=", '"customers":[{'),
    "name": ("/api/v1/customers?name=", '"customers":[{'),
    "account": ("/api/v1/customers?account=", '"customers":[{'),
    "pop": ("/api/v1/screen-pop?number=", '"known":true'),
    # No look-up: what signing in every request costs (the session check on its own executor).
    "auth": ("/api/v1/auth/me", '"login":"admin"'),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, timeout=30):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def machine_busy_seconds():
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK


def uptime_load():
    return [round(v, 2) for v in os.getloadavg()]


def build(build_dir):
    """Configures and builds kefu and crm_seed in the Release dir, through the shared lock."""
    subprocess.run(["flock", BUILD_LOCK, "cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    "-DKEFU_TESTS=OFF", "-DKEFU_BENCH=ON"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["flock", BUILD_LOCK, "cmake", "--build", build_dir, "-j2", "--target", "kefu", "crm_seed"],
                   check=True, stdout=subprocess.DEVNULL)


class PostgresCluster:
    """initdb + pg_ctl in a temporary directory, loopback only, fsync off; removed by stop()."""

    def __init__(self, work, settings=()):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
        bindir = next((d for d in reversed(bindirs) if os.path.exists(os.path.join(d, "initdb"))), None)
        if bindir is None:
            raise RuntimeError("no PostgreSQL server tools in /usr/lib/postgresql/*/bin (package postgresql)")
        self.bindir = bindir
        self.dir = os.path.join(work, "pg")
        os.mkdir(self.dir)
        # PostgreSQL refuses to run as root: then its tools run as the postgres user.
        self.prefix = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            os.chmod(work, 0o755)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.started = False
        self._run([os.path.join(bindir, "initdb"), "-D", self.data, "-U", "kefu", "--auth=trust", "-E", "UTF8",
                   "--locale=C", "-N"])
        self.port = free_port()
        self._run([os.path.join(bindir, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                   f"-k {self.dir} -h 127.0.0.1 -p {self.port} -F" + "".join(f" -c {s}" for s in settings),
                   "start"])
        self.started = True
        self.url = f"postgresql://kefu@127.0.0.1:{self.port}/postgres"

    def _run(self, argv):
        result = subprocess.run(self.prefix + argv, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout[-2000:]}")

    def version(self):
        out = subprocess.run([os.path.join(self.bindir, "postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self):
        if self.started:
            self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])
            self.started = False


class Kefu:
    def __init__(self, binary, db, readers, auth_cache_ms, work):
        self.dir = tempfile.mkdtemp(prefix="kefu-", dir=work)
        self.http_port = free_port()
        cmd = [binary, "serve", "--data-dir", self.dir, "--db", db, "--sip-listen", f"127.0.0.1:{free_port()}",
               "--http-listen", f"127.0.0.1:{self.http_port}", "--log-level", "warn", "--db-readers", str(readers),
               "--auth-cache-ms", str(auth_cache_ms)]
        self.log_path = os.path.join(self.dir, "kefu.log")
        env = dict(os.environ, KEFU_ADMIN_PASSWORD=ADMIN_PASSWORD)
        self.proc = subprocess.Popen(cmd, env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 120  # the first start on a database migrates it
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kefu exited: " + open(self.log_path).read()[-2000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("kefu did not start")
        login = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api/v1/auth/login", method="POST",
            data=json.dumps({"login": "admin", "password": ADMIN_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=30) as r:
            self.cookie = r.headers["Set-Cookie"].split(";")[0]

    def get(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode()

    def stop(self):
        stop_process(self.proc)


def seed(seed_binary, db, customers, samples):
    t0 = time.time()
    out = subprocess.run([seed_binary, db, "--customers", str(customers)] + (["--samples", samples] if samples else []),
                         check=True, capture_output=True, text=True)
    print(f"  seeded {db}: {out.stdout.strip().splitlines()[-1]} ({time.time() - t0:.1f} s)", flush=True)
    # The last line is crm_seed's JSON (spdlog's migration lines come before it).
    return json.loads(out.stdout.strip().splitlines()[-1])["load_s"]


def path_files(samples, work):
    """One file of URL-encoded request paths per kind, from crm_seed's samples."""
    paths = {kind: [] for kind in KINDS}
    paths["auth"].append(KINDS["auth"][0])
    for line in open(samples, encoding="utf-8"):
        kind, text = line.rstrip("\n").split("\t", 1)
        paths[kind].append(KINDS[kind][0] + urllib.parse.quote(text, safe=""))
    files = {}
    for kind, lines in paths.items():
        files[kind] = os.path.join(work, f"paths-{kind}.txt")
        with open(files[kind], "w") as f:
            f.write("\n".join(lines) + "\n")
    return files, paths


def run_wrk(args, kefu, kind, paths_file, rate):
    """rate 0: every connection sends its next request as soon as the last is answered."""
    think_ms = args.connections * 1000.0 / rate if rate else 0
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
           "--timeout", "10s", "-s", LUA, f"http://127.0.0.1:{kefu.http_port}", "--", paths_file, kefu.cookie,
           KINDS[kind][1], f"{think_ms:.3f}"]
    kefu_cpu0, busy0, t0 = proc_cpu_seconds(kefu.proc.pid), machine_busy_seconds(), time.time()
    wrk_cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60)
    dt = time.time() - t0
    wrk_cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr[-1000:]}")
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"no JSON from wrk:\n{out.stdout[-2000:]}")
    r = json.loads(line)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["kefu_cores"] = (proc_cpu_seconds(kefu.proc.pid) - kefu_cpu0) / dt
    r["wrk_cores"] = (wrk_cpu1.ru_utime + wrk_cpu1.ru_stime - wrk_cpu0.ru_utime - wrk_cpu0.ru_stime) / dt
    r["busy_cores"] = (machine_busy_seconds() - busy0) / dt
    return r


def print_table(rows, target_ms):
    fmt = "{:>10} {:>7} {:>5} {:>8} {:>10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>6} {:>5} {:>5} {:>5} {:>5} {:>14}"
    print(fmt.format("backend", "readers", "cache", "kind", "mode", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non2xx",
                     "empty", "kefu", "wrk", "busy", "load1", "p99 target"))
    for r in rows:
        if "error" in r:
            print(f"{r['backend']:>10} {r['readers']:>7} {r['auth_cache']:>5} {r['kind']:>8}  failed: {r['error']}")
            continue
        ok = r["p99_us"] / 1000 < target_ms and r["non_2xx"] == 0 and r["empty"] == 0 and r["socket_errors"] == 0
        print(fmt.format(r["backend"], r["readers"], r["auth_cache"], r["kind"], r["mode"], f"{r['rps']:.0f}", f"{r['p50_us'] / 1000:.2f}",
                         f"{r['p90_us'] / 1000:.2f}", f"{r['p99_us'] / 1000:.2f}", f"{r['max_us'] / 1000:.1f}",
                         r["non_2xx"], r["empty"], f"{r['kefu_cores']:.2f}", f"{r['wrk_cores']:.2f}",
                         f"{r['busy_cores']:.2f}", f"{r['loadavg_before'][0]:.2f}",
                         ("met" if ok else "MISSED") + f" (<{target_ms:g})"))
    print("readers = kefu --db-readers (0: look-ups share the one writer connection, as before the read pool); "
          "cache = kefu --auth-cache-ms (0: every request looks its session up on the writer); "
          "kefu/wrk/busy = cores used by kefu, by wrk, by the whole machine (PostgreSQL included) during the run; "
          "load1 = 1-minute load average before the run; mode saturated: each connection sends its next "
          "request when the last is answered (latency = connections / throughput); paced_N: N requests/s "
          "offered in total by the same connections")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-release"))
    parser.add_argument("--no-build", action="store_true", help="use the binaries in --build-dir as they are")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/crm_load.json"))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--readers", default=str(max(2, os.cpu_count() or 2)),
                        help="kefu --db-readers values to compare (0 = before the read pool; "
                             "default: kefu's own, the number of cores)")
    parser.add_argument("--auth-cache", default="0,5000",
                        help="kefu --auth-cache-ms values, comma-separated (0: a session look-up per request)")
    parser.add_argument("--kinds", default="phone,name,account,pop,auth")
    parser.add_argument("--duration", type=int, default=12, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--paced-rate", default="1000",
                        help="also run the connections at these many requests/s in total (comma-separated; "
                             "random think times); 0: saturated runs only")
    parser.add_argument("--pg-setting", action="append", default=[],
                        help="a PostgreSQL server setting (name=value, repeatable), e.g. shared_buffers=1GB")
    parser.add_argument("--target-ms", type=float, default=20.0, help="the p99 requirement")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs (prints where)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk (scripts/install-deps installs it)")
    if not args.no_build:
        print("building kefu and crm_seed (Release) ...", flush=True)
        build(args.build_dir)
    rates = [0] + [int(r) for r in args.paced_rate.split(",") if r and int(r) > 0]
    kefu_binary = os.path.join(args.build_dir, "kefu")
    seed_binary = os.path.join(args.build_dir, "bench", "crm_seed")

    work = tempfile.mkdtemp(prefix="kefu-crm-load-")
    meta = {"command": " ".join(sys.argv), "commit": commit(), "cpu": cpu_model(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    notes = [f"wrk ({args.threads} threads, {args.connections} connections, {args.duration} s a run), kefu and "
             f"PostgreSQL share this machine's {os.cpu_count()} cores; other work may run too (loadavg: 1/5/15-min "
             "load before each run)", f"{args.customers} customers"]
    if args.pg_setting:
        notes.append("PostgreSQL settings: " + ", ".join(args.pg_setting))
    results, rows = [], []
    cluster = None
    try:
        samples = os.path.join(work, "samples.tsv")
        databases = {}
        backends = [b for b in args.backends.split(",") if b]
        for backend in backends:
            if backend == "sqlite":
                db = os.path.join(work, "crm.db")
            elif backend == "postgresql":
                cluster = PostgresCluster(work, args.pg_setting)
                db = cluster.url
                notes.append(f"{cluster.version()}: throwaway cluster, fsync=off, default memory settings")
            else:
                sys.exit(f"unknown backend {backend}")
            load_s = seed(seed_binary, db, args.customers, samples if not os.path.exists(samples) else None)
            databases[backend] = db
            results.append(dict(meta, name=f"{backend}/seed_load", value=round(load_s, 1), unit="s"))
        files, paths = path_files(samples, work)
        meta["note"] = "; ".join(notes)
        for r in results:
            r["note"] = meta["note"]

        def record(name, value, unit, loadavg):
            results.append(dict(meta, name=name, value=value, unit=unit, loadavg=loadavg))

        for backend in backends:
            for readers, auth_cache in [(int(r), int(c)) for r in args.readers.split(",") if r
                                        for c in args.auth_cache.split(",") if c]:
                kefu = None
                try:
                    kefu = Kefu(kefu_binary, databases[backend], readers, auth_cache, work)
                    for kind in [k for k in args.kinds.split(",") if k]:
                        # A benchmark of 404s is worthless: one look-up of each kind must find.
                        status, body = kefu.get(paths[kind][0])
                        if status != 200 or KINDS[kind][1] not in body:
                            raise RuntimeError(f"{kind} look-up found nothing: {status} {body[:200]}")
                        for rate in rates:
                            mode = f"paced_{rate}" if rate else "saturated"
                            load = uptime_load()
                            print(f"[{backend} readers={readers} auth_cache={auth_cache} {kind} {mode}] load {load} ...",
                                  flush=True)
                            r = run_wrk(args, kefu, kind, files[kind], rate)
                            r.update(backend=backend, readers=readers, auth_cache=auth_cache, kind=kind, mode=mode,
                                     loadavg_before=load)
                            rows.append(r)
                            prefix = f"{backend}/readers_{readers}/auth_cache_{auth_cache}/{kind}/{mode}"
                            for key, unit, scale in (("p50_us", "ms", 1e-3), ("p90_us", "ms", 1e-3),
                                                     ("p99_us", "ms", 1e-3), ("p999_us", "ms", 1e-3),
                                                     ("max_us", "ms", 1e-3), ("rps", "requests/s", 1),
                                                     ("requests", "requests", 1), ("non_2xx", "responses", 1),
                                                     ("empty", "responses", 1), ("socket_errors", "errors", 1),
                                                     ("kefu_cores", "cores", 1), ("wrk_cores", "cores", 1),
                                                     ("busy_cores", "cores", 1)):
                                record(f"{prefix}/{key.replace('_us', '')}", round(r[key] * scale, 3), unit, load)
                            print(f"  p50 {r['p50_us'] / 1000:.2f} ms, p99 {r['p99_us'] / 1000:.2f} ms, "
                                  f"{r['rps']:.0f} req/s, non-2xx {r['non_2xx']}, empty {r['empty']}", flush=True)
                except Exception as error:  # one failed configuration must not lose the others
                    print(f"[{backend} readers={readers} auth_cache={auth_cache}] failed: {error}", flush=True)
                    rows.append({"backend": backend, "readers": readers, "auth_cache": auth_cache, "kind": "-",
                                 "error": str(error)[:200]})
                    record(f"{backend}/readers_{readers}/auth_cache_{auth_cache}/run_failed", 1, "flag", uptime_load())
                finally:
                    if kefu:
                        kefu.stop()
                os.makedirs(os.path.dirname(args.out), exist_ok=True)
                with open(args.out, "w") as f:
                    json.dump(results, f, indent=1, ensure_ascii=False)
    finally:
        if cluster:
            cluster.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows, args.target_ms)


if __name__ == "__main__":
    main()
