"""Starts a real `kefu serve` on loopback ports in a temporary data directory and drives it
with real peers (SIPp, baresip, raw sockets). Every wait has a deadline; nothing sleeps blind.

KEFU_TEST_DB=postgresql runs the servers of KefuTestCase classes on PostgreSQL instead of SQLite:
a throwaway cluster (one per test process, started on first use, stopped at exit) with a fresh
database per server. Tests that build Kefu(...) themselves pass db=database_for_test() to follow
the same switch."""
import atexit
import glob
import grp
import itertools
import json
import math
import os
import pwd
import random
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.request

KEFU = os.environ.get("KEFU_BIN", os.path.join(os.path.dirname(__file__), "../../build/kefu"))
SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
CONFORMANCE = os.environ.get(
    "KEFU_CONFORMANCE_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/conformance/sip"))


# Ports handed out by this process: a port is only bound by its peer (SIPp, baresip) a moment
# after it is chosen, so a later pick must not see it as free in between.
_handed_out = set()


def free_port(kind=socket.SOCK_DGRAM, both=False, span=1):
    """A port free for UDP (and TCP when both=True) on 127.0.0.1, with the span-1 ports after it
    also free and not handed out before (SIPp's -mp binds the port and the port + 2)."""
    if len(_handed_out) > 5000:
        _handed_out.clear()
    for _ in range(500):
        port = random.randrange(20000, 29990, 2 if span > 1 else 1)
        wanted = range(port, port + span)
        if any(p in _handed_out for p in wanted):
            continue
        socks = []
        try:
            for p in wanted:
                for k in ([socket.SOCK_DGRAM, socket.SOCK_STREAM] if both else [kind]):
                    s = socket.socket(socket.AF_INET, k)
                    socks.append(s)
                    s.bind(("127.0.0.1", p))
            _handed_out.update(wanted)
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")


PG_PREFIX = "kefu-pg-py-"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone all the same
    except (OSError, IndexError):
        return True


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port, its socket and data in a temporary
    directory that stop() removes. Debian keeps initdb and pg_ctl in
    /usr/lib/postgresql/<version>/bin (KEFU_TEST_PG_BINDIR overrides). PostgreSQL refuses to run
    as root, so as root its tools run as the `postgres` system user (as
    tests/unit/store/postgres_cluster.cpp does)."""

    def __init__(self):
        self.bindir = self._find_bindir()
        self.as_postgres = os.geteuid() == 0
        self.dir = None
        self.port = None
        self.running = False
        self._databases = itertools.count(1)

    @staticmethod
    def _find_bindir():
        explicit = os.environ.get("KEFU_TEST_PG_BINDIR")
        candidates = [explicit] if explicit else sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else -1,
            reverse=True)
        for d in candidates:
            if os.access(os.path.join(d, "initdb"), os.X_OK) and \
                    os.access(os.path.join(d, "pg_ctl"), os.X_OK):
                return d
        raise RuntimeError("PostgreSQL server tools (initdb, pg_ctl) not found under "
                           "/usr/lib/postgresql/*/bin or KEFU_TEST_PG_BINDIR: install the "
                           "`postgresql` package (scripts/install-deps does)")

    def _run(self, args, timeout=90):
        """Runs a PostgreSQL tool (as `postgres` when we are root); its output goes to
        commands.log. Raises with the log's tail when it fails or overruns."""
        argv = [os.path.join(self.bindir, args[0])] + list(args[1:])
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        log_path = os.path.join(self.dir, "commands.log")
        with open(log_path, "a") as log:
            try:
                # cwd: a directory the postgres user may enter (the test's own may be closed).
                code = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, cwd=self.dir,
                                      timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
        if code != 0:
            raise RuntimeError(f"{args[0]} failed ({code}):\n{self._tail(log_path)}\n"
                               f"server log:\n{self._tail(os.path.join(self.dir, 'server.log'))}")

    @staticmethod
    def _tail(path, keep=2000):
        try:
            with open(path, errors="replace") as f:
                return f.read()[-keep:]
        except OSError:
            return ""

    def _data(self):
        return os.path.join(self.dir, "data")

    def start(self, directory=None):
        """Starts the cluster in a new temporary directory, stopped at this process's exit; or,
        given `directory`, there, left running for `stop()` of a later process (the ctest
        fixture: tests/postgres_fixture.py)."""
        if directory is None:
            self._reap_abandoned()
            self.dir = tempfile.mkdtemp(prefix=f"{PG_PREFIX}{os.getpid()}-")
            atexit.register(self.stop)  # also after a failed start or an interrupted run
        else:
            self.dir = directory
            os.makedirs(directory)
        if self.as_postgres:
            os.chown(self.dir, pwd.getpwnam("postgres").pw_uid, grp.getgrnam("postgres").gr_gid)
        # -N: no fsync; the cluster is thrown away.
        self._run(["initdb", "-D", self._data(), "-U", "kefu", "--auth=trust", "-E", "UTF8",
                   "--locale=C", "-N"])
        # The port is free when chosen but may be taken before the server binds it: try a few.
        for attempt in range(3):
            port = free_port(socket.SOCK_STREAM)
            try:
                self._run(["pg_ctl", "-D", self._data(), "-l", os.path.join(self.dir, "server.log"),
                           "-o", f"-k '{self.dir}' -h 127.0.0.1 -p {port} -F", "-w", "-t", "60",
                           "start"])
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            self.port = port
            self.running = True
            return self

    def create_database(self):
        """A new, empty database; returns its URL for `kefu --db`."""
        name = f"kefu_{next(self._databases)}"
        self._run(["createdb", "-h", self.dir, "-p", str(self.port), "-U", "kefu", name])
        return f"postgresql://kefu@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.dir is None:
            return
        if self.running:
            try:
                self._run(["pg_ctl", "-D", self._data(), "-m", "immediate", "-w", "-t", "30",
                           "stop"], timeout=60)
            except RuntimeError as e:
                print(f"stopping the test PostgreSQL cluster: {e}")
            self.running = False
        if os.environ.get("KEFU_KEEP_TEST_DIRS"):
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def _reap_abandoned(self):
        """Clusters of test processes that died without stopping theirs (killed by a ctest
        time-out): their directory names carry the dead process's id."""
        for d in glob.glob(os.path.join(tempfile.gettempdir(), PG_PREFIX + "*")):
            try:
                pid = int(os.path.basename(d)[len(PG_PREFIX):].split("-")[0])
            except ValueError:
                continue
            if pid == os.getpid() or _pid_alive(pid):
                continue
            if os.path.exists(os.path.join(d, "data", "postmaster.pid")):
                argv = [os.path.join(self.bindir, "pg_ctl"), "-D", os.path.join(d, "data"), "-m",
                        "immediate", "-w", "-t", "30", "stop"]
                if self.as_postgres:
                    argv = ["runuser", "-u", "postgres", "--"] + argv
                subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=d, timeout=60)
            shutil.rmtree(d, ignore_errors=True)


_shared_postgres = None


def database_for_test():
    """The `--db` value for a new kefu: None (SQLite in the data directory) unless
    KEFU_TEST_DB=postgresql, then a fresh database on this process's throwaway cluster."""
    global _shared_postgres
    backend = os.environ.get("KEFU_TEST_DB", "sqlite")
    if backend == "sqlite":
        return None
    if backend != "postgresql":
        raise RuntimeError(f"KEFU_TEST_DB={backend}: expected sqlite or postgresql")
    if _shared_postgres is None:
        cluster = PostgresCluster()
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        _shared_postgres = cluster
    return _shared_postgres.create_database()


# psycopg2 is Debian's (python3-psycopg2), for Debian's Python, which need not be the one running
# the tests: it runs there, and the rows come back as JSON (ints, text and NULLs as they are).
_PG_QUERY = """
import json, sys, psycopg2
url, sql, params = json.load(sys.stdin)
conn = psycopg2.connect(url)
try:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        json.dump([[column.name for column in cursor.description],
                   [list(row) for row in cursor.fetchall()]], sys.stdout)
finally:
    conn.close()
"""


def postgres_rows(url, sql, params=(), named=False):
    """The rows as tuples, or as dicts by column name when `named`."""
    query = json.dumps([url, sql.replace("%", "%%").replace("?", "%s"), list(params)])
    out = subprocess.run(["/usr/bin/python3", "-c", _PG_QUERY], input=query, capture_output=True,
                         text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError(f"query on PostgreSQL failed: {sql}\n{out.stderr[-2000:]}")
    columns, rows = json.loads(out.stdout)
    if named:
        return [dict(zip(columns, row)) for row in rows]
    return [tuple(row) for row in rows]


class Kefu:
    """One kefu server process for a test class. `db`: a `--db` URL (see database_for_test);
    None keeps SQLite in the data directory."""

    def __init__(self, extra_args=(), db=None):
        self.data_dir = tempfile.mkdtemp(prefix="kefu-test-")
        self.sip_port = free_port(both=True)
        self.http_port = free_port(socket.SOCK_STREAM)
        self.log_path = os.path.join(self.data_dir, "kefu.log")
        self.extra_args = list(extra_args)
        self.db = db
        self.proc = None

    def rows(self, sql, *params):
        """The rows of a SELECT (with `?` parameters) on this server's database: the SQLite file
        in its data directory, or its PostgreSQL database."""
        return self._query(sql, params, named=False)

    def named_rows(self, sql, *params):
        """The same rows as dicts by column name."""
        return self._query(sql, params, named=True)

    def _query(self, sql, params, named):
        if self.db:
            return postgres_rows(self.db, sql, params, named)
        db = sqlite3.connect(os.path.join(self.data_dir, "kefu.db"), timeout=5)
        try:
            if named:
                db.row_factory = sqlite3.Row
                return [dict(row) for row in db.execute(sql, params).fetchall()]
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def restarted(self, log_name="kefu2.log"):
        """A new server (not started) on this one's data directory, database and ports, for a
        test that stopped or killed this one."""
        again = Kefu(self.extra_args, db=self.db)
        again.data_dir, again.log_path = self.data_dir, os.path.join(self.data_dir, log_name)
        again.sip_port, again.http_port = self.sip_port, self.http_port
        return again

    def start(self, timeout=60):
        args = [KEFU, "serve", "--demo", "--data-dir", self.data_dir,
                "--sip-listen", f"127.0.0.1:{self.sip_port}",
                "--http-listen", f"127.0.0.1:{self.http_port}",
                "--log-level", "debug", "--media-port-range", self._media_range()] + self.extra_args
        if self.db:
            args += ["--db", self.db]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kefu exited with {self.proc.returncode}:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("kefu did not become ready:\n" + self.read_log())

    def _media_range(self):
        base = random.randrange(30000, 60000, 1000)
        return f"{base}-{base + 998}"

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, needle, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.read_log():
                return True
            time.sleep(0.05)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("kefu did not exit within %ss of SIGTERM" % timeout)
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        if os.environ.get("KEFU_KEEP_TEST_DIRS"):  # for looking at logs and databases afterwards
            print(f"kept {self.data_dir}")
            return
        shutil.rmtree(self.data_dir, ignore_errors=True)


def sipp(kefu, scenario, *args, transport="u1", calls=1, timeout=60, keys=None, cwd=None,
         service="4000"):
    """Runs SIPp against kefu; returns (exit code, output). Exit 0 = every call succeeded."""
    port = free_port(both=True)
    cmd = ["sipp", f"127.0.0.1:{kefu.sip_port}", "-sf", os.path.join(SCENARIOS, scenario),
           "-i", "127.0.0.1", "-p", str(port), "-t", transport, "-m", str(calls), "-s", service,
           "-nostdin", "-timeout", f"{timeout}s", "-timeout_error", "-recv_timeout", "15s"]
    for k, v in (keys or {}).items():
        cmd += ["-key", k, str(v)]
    cmd += list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 30,
                       cwd=cwd or tempfile.gettempdir())
    return p.returncode, p.stdout.decode(errors="replace")


def ulaw_to_linear(byte):
    """G.711 mu-law to 16-bit linear (ITU-T G.711), written out so tests need no audioop."""
    byte = ~byte & 0xFF
    t = ((byte & 0x0F) << 3) + 0x84
    t <<= (byte & 0x70) >> 4
    return (0x84 - t) if byte & 0x80 else (t - 0x84)


def alaw_to_linear(byte):
    byte ^= 0x55
    t = (byte & 0x0F) << 4
    seg = (byte & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if byte & 0x80 else -t


class RtpPeer:
    """The media side of a test caller: receives kefu's RTP, sends RFC 4733 digits back."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.packets = []   # (arrival time, payload type, seq, ts, ssrc, payload)
        self.remote = None
        self.seq = random.randint(0, 65535)
        self.ts = random.randint(0, 2**31)
        self.ssrc = random.randint(1, 2**31)

    def receive(self, duration, stop_after=None):
        deadline = time.time() + duration
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                break
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            self.remote = addr
            pt = data[1] & 0x7F
            seq, ts, ssrc = struct.unpack("!HII", data[2:12])
            cc = data[0] & 0x0F
            self.packets.append((time.time(), pt, seq, ts, ssrc, data[12 + 4 * cc:]))
            if stop_after and len(self.packets) >= stop_after:
                break

    def send_digit(self, digit, payload_type=101, duration_ms=160):
        events = "0123456789*#"
        event = events.index(digit)
        ts = self.ts
        steps = duration_ms // 20
        for i in range(steps + 3):
            end = i >= steps
            dur = min(i + 1, steps) * 160
            marker = 0x80 if i == 0 else 0
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, dur)
            header = struct.pack("!BBHII", 0x80, marker | payload_type, self.seq & 0xFFFF, ts, self.ssrc)
            self.seq += 1
            self.sock.sendto(header + payload, self.remote)
            time.sleep(0.02)
        self.ts += duration_ms * 8 + 800

    def audio_rms(self, payload_type=0, start=0, end=None):
        """RMS of the decoded PCMU/PCMA audio received (16-bit scale)."""
        decode = ulaw_to_linear if payload_type == 0 else alaw_to_linear
        samples = [decode(b) for p in self.packets[start:end] if p[1] == payload_type for b in p[5]]
        return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0

    def close(self):
        self.sock.close()


class SipSocket:
    """Raw SIP over UDP or TCP, for torture messages and hand-made requests."""

    def __init__(self, kefu, transport="udp"):
        self.transport = transport
        self.target = ("127.0.0.1", kefu.sip_port)
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
        else:
            self.sock = socket.create_connection(self.target, timeout=5)
        self.port = self.sock.getsockname()[1]
        self.buffer = b""

    def send(self, data):
        if self.transport == "udp":
            self.sock.sendto(data, self.target)
        else:
            self.sock.sendall(data)

    def recv_message(self, timeout=3):
        """One SIP message, or None on timeout/close."""
        deadline = time.time() + timeout
        while True:
            if self.transport == "udp":
                remaining = deadline - time.time()
                if remaining <= 0:
                    return None
                self.sock.settimeout(remaining)
                try:
                    return self.sock.recvfrom(65535)[0]
                except socket.timeout:
                    return None
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                head = self.buffer[:head_end].decode(errors="replace")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() in ("content-length", "l"):
                        length = int(value.strip())
                total = head_end + 4 + length
                if len(self.buffer) >= total:
                    msg, self.buffer = self.buffer[:total], self.buffer[total:]
                    return msg
            remaining = deadline - time.time()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65535)
            except (socket.timeout, ConnectionResetError):
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def close(self):
        self.sock.close()


def status_of(message):
    if not message or not message.startswith(b"SIP/2.0 "):
        return None
    return int(message.split(b" ", 2)[1])


def header_of(message, name):
    for line in message.decode(errors="replace").split("\r\n")[1:]:
        n, _, v = line.partition(":")
        if n.strip().lower() == name.lower():
            return v.strip()
    return None


def sip_request(method, uri, local_port, transport="UDP", branch=None, call_id=None, cseq=1,
                from_tag=None, to_tag=None, body=b"", content_type="application/sdp", extra=""):
    branch = branch or "z9hG4bK" + "%x" % random.getrandbits(48)
    call_id = call_id or "%x@test" % random.getrandbits(64)
    from_tag = from_tag or "%x" % random.getrandbits(32)
    to = f"<{uri}>" + (f";tag={to_tag}" if to_tag else "")
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch={branch};rport",
             "Max-Forwards: 70",
             f"From: <sip:tester@127.0.0.1:{local_port}>;tag={from_tag}",
             f"To: {to}",
             f"Call-ID: {call_id}",
             f"CSeq: {cseq} {method}",
             f"Contact: <sip:tester@127.0.0.1:{local_port};transport={transport.lower()}>"]
    if body:
        lines.append(f"Content-Type: {content_type}")
    if extra:
        lines.append(extra)
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp_offer(rtp_port, payload_types=(0, 101), codec_names=None):
    names = {0: "PCMU/8000", 8: "PCMA/8000", 18: "G729/8000", 101: "telephone-event/8000"}
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
             f"m=audio {rtp_port} RTP/AVP " + " ".join(map(str, payload_types))]
    for pt in payload_types:
        lines.append(f"a=rtpmap:{pt} {names[pt]}")
        if pt == 101:
            lines.append("a=fmtp:101 0-16")
    lines.append("a=ptime:20")
    return ("\r\n".join(lines) + "\r\n").encode()


def place_call(kefu, sock, peer, number="4000"):
    """INVITE from a raw socket with the peer's RTP port, wait for the 200, send the ACK.
    Returns (invite, ok) or (invite, None) when no 200 came within 5 s."""
    uri = f"sip:{number}@127.0.0.1:{kefu.sip_port}"
    invite = sip_request("INVITE", uri, sock.port, body=sdp_offer(peer.port))
    sock.send(invite)
    ok = None
    deadline = time.time() + 5
    while time.time() < deadline and ok is None:
        m = sock.recv_message(timeout=1)
        if status_of(m) == 200:
            ok = m
    if ok is not None:
        sock.send(sip_request("ACK", uri, sock.port, call_id=header_of(invite, "Call-ID"),
                              from_tag=header_of(invite, "From").split("tag=")[1],
                              to_tag=header_of(ok, "To").split("tag=")[1]))
    return invite, ok


def answer_ok(sock, request):
    """A 200 OK to an in-dialog request kefu sent us (its BYE)."""
    lines = [l for l in request.decode().split("\r\n") if l.split(":")[0].lower() in
             ("via", "from", "to", "call-id", "cseq")]
    sock.send(("SIP/2.0 200 OK\r\n" + "\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())


class KefuTestCase(unittest.TestCase):
    """A test class sharing one kefu server; the server must still be alive after each test."""
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.kefu = Kefu(cls.extra_args, db=database_for_test())
        try:
            cls.kefu.start()
        except BaseException:
            cls.kefu.stop()  # tearDownClass does not run after a failed setUpClass
            cls.kefu.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.kefu.stop()
        if code != 0:
            print(cls.kefu.read_log()[-5000:])
        cls.kefu.cleanup()
        assert code == 0, f"kefu exited with {code} after SIGTERM"

    def tearDown(self):
        if not self.kefu.alive():
            self.fail("kefu died:\n" + self.kefu.read_log()[-5000:])
