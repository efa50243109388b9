#!/usr/bin/env python3
"""Bridged-call load (issue 3, ACD) against a release build of kefu on this machine.

SIPp callers (bench/load/bridged_caller.xml) call one queue's service number and stream a
mu-law tone both before and after they are connected; kefu answers, queues them, INVITEs a
Ready agent and bridges the two legs' RTP. Every agent's extension is registered (digest, in
Python) with its Contact at ONE SIPp UAS (bench/load/bridged_agent.xml) that answers and echoes
RTP (-rtp_echo), so each bridged call carries 50 packets/s each way on both legs.

For each level N (500, 1,000, 2,000 calls) and mode (plain, recording = "all"): a fresh kefu
with N agents (+2 %), calls arriving at --rate calls/s, every call held long enough that all N
are up together for --hold s; at that plateau kefu's CPU (/proc/PID/stat), busiest thread,
resident memory above the idle baseline (after registration), RTP counters from /metrics,
kernel drops on kefu's RTP sockets and on SIPp's echo socket (/proc/PID/net/udp), media tick
health, SIPp's CPU and the machine's; afterwards failed calls (SIPp statistics), the recordings
(count, sizes, .part files left) and how the recording writer writes: per-thread write system
calls from /proc/PID/task/TID/io (syscw, wchar) over the window, and with --strace also
`strace -c` attached to that one thread (off by default: ptrace on every write slows the writer
thread several-fold, its queue grows and the resident memory measured with it).

The window starts --settle s after the plateau (each caller first hears the agent's ID, audio
kefu sends itself); the share of silent 20 ms slots per channel in 20 recordings and the reason
every leg ended (kefu log at info: rtp_timeout would mean kefu hung up) are recorded too. Before
each level the script waits (bounded) for the rest of the machine to go quiet.

SIPp shares the machine's 2 cores with kefu. Writes bench/results/bridged_load.json (name,
value, unit, command, commit, cpu, date, note) and prints a table. Quick run:
  bench/load/bridged_load.py --kefu build-release/kefu --levels 50 --hold 20 --quiet-wait 5"""
import argparse
import array
import csv
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests/integration"))
from sip_load import commit, cpu_model, metrics, proc_cpu_seconds, proc_rss_kb  # noqa: E402
from acd_peers import register_phone  # noqa: E402
from kefu_harness import free_port  # noqa: E402

CALLER_SCENARIO = os.path.join(HERE, "bridged_caller.xml")
AGENT_SCENARIO = os.path.join(HERE, "bridged_agent.xml")
CLK = os.sysconf("SC_CLK_TCK")
SERVICE = "4500"
FIRST_AGENT = 3000  # 4-digit ids: the agent-ID announcement each caller hears stays short
WAV_HEADER = 44
STEREO_BYTES_PER_S = 8000 * 2 * 2  # 8 kHz, 2 channels, 16 bits


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def stop_process(proc, sig=signal.SIGTERM, timeout=30):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def bench_config(agents, recording):
    parts = [f"""[[queue]]
name = "load"
strategy = "longest_idle"
max_wait_s = 300
max_length = {agents + 100}
overflow = "goodbye"
wrap_up_s = 0
ring_timeout_s = 30
max_missed_offers = 3
recording = "{'all' if recording else 'none'}"
announce_interval_s = 0
last_agent_days = 0
offer_overflow_on_long_wait = false

[[route]]
number = "{SERVICE}"
queue = "load"
"""]
    for i in range(agents):
        agent = str(FIRST_AGENT + i)
        parts.append(f'[[agent]]\nid = "{agent}"\nname = "Load {agent}"\npassword = "pw{agent}"\n'
                     'presence_follows_phone = true\nqueues = { load = 0 }\n')
    return "\n".join(parts)


class Kefu:
    def __init__(self, binary, agents, recording, media_threads, media_ports, log_level="warn"):
        self.dir = tempfile.mkdtemp(prefix="kefu-bridged-")
        self.config = os.path.join(self.dir, "load.toml")
        with open(self.config, "w") as f:
            f.write(bench_config(agents, recording))
        self.sip_port = free_port(both=True)
        self.http_port = free_port(socket.SOCK_STREAM)
        cmd = [binary, "serve", "--config", self.config, "--data-dir", self.dir,
               "--sip-listen", f"127.0.0.1:{self.sip_port}", "--http-listen", f"127.0.0.1:{self.http_port}",
               "--log-level", log_level, "--media-port-range", media_ports]
        if media_threads:
            cmd += ["--media-threads", str(media_threads)]
        self.log_path = os.path.join(self.dir, "kefu.log")
        # The live-state API needs a session: an admin account made at the first start.
        env = dict(os.environ, KEFU_ADMIN_PASSWORD=BENCH_ADMIN_PASSWORD)
        self.cookie = None
        self.proc = subprocess.Popen(cmd, env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT,
                                     preexec_fn=raise_fd_limit)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kefu exited: " + open(self.log_path).read()[-2000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("kefu did not start")

    def api(self, path):
        if self.cookie is None:
            login = urllib.request.Request(
                f"http://127.0.0.1:{self.http_port}/api/v1/auth/login", method="POST",
                data=json.dumps({"login": "admin", "password": BENCH_ADMIN_PASSWORD}).encode(),
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(login, timeout=30) as r:
                self.cookie = r.headers["Set-Cookie"].split(";")[0]
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}",
                                         headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        stop_process(self.proc, timeout=60)


BENCH_ADMIN_PASSWORD = "bench-admin-password"


def start_sipp(args, stat, cwd):
    cmd = ["sipp"] + args + ["-nostdin", "-trace_stat", "-stf", stat, "-fd", "1", "-trace_err",
                             "-error_file", stat + ".errors.log"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(stat + ".err", "w"), cwd=cwd,
                            preexec_fn=raise_fd_limit)
    time.sleep(0.3)  # SIPp binds its ports before traffic arrives
    if proc.poll() is not None:
        raise RuntimeError(f"SIPp exited at once: {' '.join(cmd)}\n" + open(stat + ".err").read()[-2000:])
    return proc


def sipp_stats(stat):
    """(successful, failed, created) from the last line of a SIPp -trace_stat file."""
    if not os.path.exists(stat):
        return 0, 0, 0
    rows = list(csv.reader(open(stat), delimiter=";"))
    if len(rows) < 2:
        return 0, 0, 0
    header, last = rows[0], rows[-1]
    get = lambda column: int(last[header.index(column)])  # noqa: E731
    return get("SuccessfulCall(C)"), get("FailedCall(C)"), get("TotalCallCreated")


def thread_stats(pid):
    """{tid: (cpu seconds, syscw, wchar)} for every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            io = dict(line.split(": ") for line in open(f"/proc/{pid}/task/{tid}/io").read().splitlines())
            out[int(tid)] = ((int(fields[11]) + int(fields[12])) / CLK, int(io["syscw"]), int(io["wchar"]))
        except (OSError, ValueError, KeyError):
            continue
    return out


def machine_busy_seconds():
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLK


def udp_drops(pid):
    """Kernel drops (receive buffer full) summed over pid's UDP sockets."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    drops = 0
    for table in ("udp", "udp6"):
        try:
            lines = open(f"/proc/{pid}/net/{table}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) >= 13 and fields[9] in inodes:
                drops += int(fields[-1])
    return drops


def sample(kefu, sipps, echo_pid):
    return {"t": time.time(), "kefu_cpu": proc_cpu_seconds(kefu.proc.pid),
            "sipp_cpu": sum(proc_cpu_seconds(p.pid) for p in sipps if p.poll() is None),
            "busy": machine_busy_seconds(), "threads": thread_stats(kefu.proc.pid),
            "metrics": metrics(kefu.http_port), "rss": proc_rss_kb(kefu.proc.pid),
            "kefu_drops": udp_drops(kefu.proc.pid), "echo_drops": udp_drops(echo_pid)}


def strace_thread(tid, seconds, out_path):
    """strace -c on one thread for `seconds`; returns {syscall: calls} or None."""
    if not shutil.which("strace"):
        return None
    proc = subprocess.Popen(["strace", "-c", "-e", "trace=write,pwrite64,writev,pwritev", "-p", str(tid),
                             "-o", out_path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    stop_process(proc, signal.SIGINT, timeout=15)
    calls = {}
    if os.path.exists(out_path):
        for line in open(out_path):
            fields = line.split()
            # % time, seconds, usecs/call, calls, [errors], syscall
            if len(fields) >= 5 and fields[-1] in ("write", "pwrite64", "writev", "pwritev"):
                calls[fields[-1]] = int(fields[3])
    return calls


def recordings_summary(data_dir, sample_files=20):
    """Sizes of the .wav files, the count of .part files left, and for a sample of the files the
    share of 20 ms slots that are all silence in each channel (left: the caller's tone; right:
    the agent phone's echo of it), i.e. audio missing from the recording."""
    wav, part, paths = [], 0, []
    for base, _, files in os.walk(os.path.join(data_dir, "recordings")):
        for name in files:
            if name.endswith(".part"):
                part += 1
            elif name.endswith(".wav"):
                wav.append(os.path.getsize(os.path.join(base, name)))
                paths.append(os.path.join(base, name))
    silent, slots = [0, 0], 0
    for path in sorted(paths)[:sample_files]:
        try:
            with wave.open(path) as w:
                if w.getnchannels() != 2 or w.getsampwidth() != 2:
                    continue
                samples = array.array("h", w.readframes(w.getnframes()))
        except (OSError, wave.Error, EOFError):
            continue
        if sys.byteorder != "little":
            samples.byteswap()
        for start in range(0, len(samples) - 319, 320):  # 160 stereo frames
            slots += 1
            for channel in (0, 1):
                if not any(samples[start + channel:start + 320:2]):
                    silent[channel] += 1
    return wav, part, [s / slots if slots else 0.0 for s in silent]


def wait_quiet(limit_cores, timeout):
    """Waits (bounded) until the rest of the machine uses less than limit_cores; returns its use."""
    deadline = time.time() + timeout
    while True:
        b0, t0 = machine_busy_seconds(), time.time()
        time.sleep(2)
        busy = (machine_busy_seconds() - b0) / (time.time() - t0)
        if busy < limit_cores or time.time() >= deadline:
            return busy
        print(f"  machine busy with other work ({busy:.2f} cores), waiting", flush=True)


def run_level(args, calls, recording, record, tone):
    mode = "recording" if recording else "plain"
    prefix = f"{mode}_{calls}" + (f"_mt{args.media_threads}" if args.media_threads else "")
    agents = calls + max(10, calls // 50)
    rate = min(args.rate, calls)
    ramp_s = calls / rate
    hold_ms = int((ramp_s + args.hold + 5) * 1000)  # all calls up for args.hold s
    window = max(2.0, min(args.window, args.hold - args.settle - 6))
    kefu = agent_sipp = None
    callers = []
    busy_before = wait_quiet(args.quiet_cores, args.quiet_wait)
    try:
        kefu = Kefu(args.kefu, agents, recording, args.media_threads, args.media_port_range, args.kefu_log_level)
        shutil.copy(tone, os.path.join(kefu.dir, "tone.wav"))
        agent_port, echo_port = free_port(), free_port()
        agent_sipp = start_sipp(["-sf", AGENT_SCENARIO, "-i", "127.0.0.1", "-p", str(agent_port),
                                 "-mp", str(echo_port), "-rtp_echo", "-l", "100000"] + args.agent_sipp_args.split(),
                                os.path.join(kefu.dir, "agents.csv"), kefu.dir)
        t_reg = time.time()
        refused = 0
        for i in range(agents):
            agent = str(FIRST_AGENT + i)
            if register_phone(kefu, agent, "pw" + agent, agent_port, expires=3600) != 200:
                refused += 1
        if refused:
            raise RuntimeError(f"{refused} of {agents} registrations refused")
        deadline = time.time() + 60
        ready = 0
        while time.time() < deadline:
            ready = sum(1 for a in kefu.api("/api/v1/agents")["agents"] if a["state"] == "ready")
            if ready >= agents:
                break
            time.sleep(0.5)
        if ready < calls:
            raise RuntimeError(f"only {ready} of {agents} agents ready")
        print(f"[{prefix}] {agents} agents registered and ready in {time.time() - t_reg:.1f} s", flush=True)
        time.sleep(2)  # idle baseline after registration
        rss_idle = proc_rss_kb(kefu.proc.pid)
        load_before = os.getloadavg()[0]

        per = [calls // args.caller_instances + (1 if i < calls % args.caller_instances else 0)
               for i in range(args.caller_instances)]
        for i, n in enumerate(per):
            callers.append(start_sipp(
                [f"127.0.0.1:{kefu.sip_port}", "-sf", CALLER_SCENARIO, "-s", SERVICE, "-i", "127.0.0.1",
                 "-p", str(free_port()), "-mp", str(free_port()),
                 "-r", str(max(1, round(rate * n / calls))), "-m", str(n), "-l", str(n), "-d", str(hold_ms),
                 "-recv_timeout", "60s"],
                os.path.join(kefu.dir, f"callers-{i}.csv"), kefu.dir))
        sipps = callers + [agent_sipp]

        # Ramp: until every call is bridged (2 legs each) or the ramp has clearly stalled.
        t_start = time.time()
        deadline = t_start + ramp_s + 30
        legs = 0
        while time.time() < deadline:
            legs = metrics(kefu.http_port).get("kefu_calls_active", 0)
            if legs >= 2 * calls:
                break
            time.sleep(0.5)
        plateau_at = time.time() - t_start
        print(f"[{prefix}] {legs:.0f} legs up after {plateau_at:.1f} s (ramp {ramp_s:.0f} s)", flush=True)

        # The caller hears the agent's ID first (kefu's own audio, sent by the tick): measure after.
        time.sleep(args.settle)
        # Find the recording writer: the thread with the most write system calls over 2 s.
        pre = thread_stats(kefu.proc.pid)
        time.sleep(2)
        post = thread_stats(kefu.proc.pid)
        writer_tid = max(post, key=lambda t: post[t][1] - pre.get(t, (0, 0, 0))[1])

        s0 = sample(kefu, sipps, agent_sipp.pid)
        strace_calls = None
        if recording and args.strace:
            strace_calls = strace_thread(writer_tid, window, os.path.join(kefu.dir, "strace.txt"))
        else:
            time.sleep(window)
        s1 = sample(kefu, sipps, agent_sipp.pid)
        dt = s1["t"] - s0["t"]
        m0, m1 = s0["metrics"], s1["metrics"]
        delta = lambda name: m1.get(name, 0) - m0.get(name, 0)  # noqa: E731

        # Calls end on their own (BYE from the callers); SIPp then exits.
        remaining = hold_ms / 1000 - (time.time() - t_start) + ramp_s + 60
        for proc in callers:
            try:
                proc.wait(max(10, remaining))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        deadline = time.time() + 30
        while time.time() < deadline and metrics(kefu.http_port).get("kefu_calls_active", 0) > 0:
            time.sleep(0.5)
        time.sleep(1.5)
        rss_after = proc_rss_kb(kefu.proc.pid)
        stop_process(agent_sipp)
        exit_codes = [proc.returncode for proc in callers]
        ok = failed = 0
        for i in range(len(callers)):
            o, f, _ = sipp_stats(os.path.join(kefu.dir, f"callers-{i}.csv"))
            ok, failed = ok + o, failed + f
        _, agent_failed, _ = sipp_stats(os.path.join(kefu.dir, "agents.csv"))
        kefu.stop()
        kefu_rc = kefu.proc.returncode
        wavs, parts, silent = recordings_summary(kefu.dir)
        for i in range(len(callers)):
            errors = os.path.join(kefu.dir, f"callers-{i}.csv.errors.log")
            if failed and os.path.exists(errors):
                lines = [line.strip() for line in open(errors, errors="replace") if line.strip()]
                print(f"[{prefix}] SIPp caller {i} errors ({len(lines)} lines), first: " + " | ".join(lines[:6])[:1500],
                      flush=True)
        warnings = [line.strip() for line in open(kefu.log_path, errors="replace")
                    if re.search(r"level=(warning|error|critical)|\[(warning|error|critical)\]", line)]
        # Why legs ended ("ended reason=..." at info level): rtp_timeout means kefu hung up.
        ended = {}
        for line in open(kefu.log_path, errors="replace"):
            found = re.search(r"module=call .*ended reason=(\w+)", line)
            if found:
                ended[found.group(1)] = ended.get(found.group(1), 0) + 1
        for line in warnings[:5]:
            print(f"[{prefix}] kefu log: {line[:300]}", flush=True)
    finally:
        for proc in callers + [agent_sipp]:
            stop_process(proc, timeout=10)
        if kefu is not None:
            kefu.stop()
            if not args.keep:
                shutil.rmtree(kefu.dir, ignore_errors=True)  # recordings: ~32 KB per call-second
            else:
                print(f"[{prefix}] kept {kefu.dir}", flush=True)

    active = m1.get("kefu_calls_active", 0) / 2
    cores = (s1["kefu_cpu"] - s0["kefu_cpu"]) / dt
    thread_cpu = {t: (s1["threads"][t][0] - s0["threads"].get(t, (0, 0, 0))[0]) / dt for t in s1["threads"]}
    busiest = max(thread_cpu.values()) if thread_cpu else 0
    sipp_cores = (s1["sipp_cpu"] - s0["sipp_cpu"]) / dt
    busy = (s1["busy"] - s0["busy"]) / dt
    received = delta("kefu_rtp_packets_received_total") / dt
    sent = delta("kefu_rtp_packets_sent_total") / dt
    ticks = delta("kefu_media_ticks_total")
    unfinished = max(0, calls - ok - failed)

    record(f"{prefix}/calls_target", calls, "calls")
    record(f"{prefix}/calls_at_plateau", active, "calls")
    record(f"{prefix}/ramp_to_plateau", round(plateau_at, 1), "s")
    record(f"{prefix}/successful_calls", ok, "calls")
    record(f"{prefix}/failed_calls", failed + unfinished, "calls")
    record(f"{prefix}/sipp_failed_calls", failed, "calls")
    record(f"{prefix}/unaccounted_calls", unfinished, "calls")
    record(f"{prefix}/caller_sipp_exit_codes", max(exit_codes) if exit_codes else -1, "code (max)")
    record(f"{prefix}/failed_ratio", round((failed + unfinished) / calls, 5), "ratio")
    record(f"{prefix}/agent_side_failed_calls", agent_failed, "calls")
    record(f"{prefix}/kefu_cpu", round(cores, 3), "cores")
    record(f"{prefix}/kefu_cpu_per_call", round(cores * 1000 / max(1, active), 4), "millicores/call")
    record(f"{prefix}/kefu_busiest_thread_cpu", round(busiest, 3), "cores")
    record(f"{prefix}/sipp_cpu", round(sipp_cores, 3), "cores")
    record(f"{prefix}/other_cpu", round(max(0.0, busy - cores - sipp_cores), 3), "cores")
    record(f"{prefix}/machine_busy", round(busy, 3), "cores of 2")
    record(f"{prefix}/loadavg_before", round(load_before, 2), "load")
    record(f"{prefix}/machine_busy_before", round(busy_before, 2), "cores of 2")
    record(f"{prefix}/kefu_rss_idle", rss_idle, "KiB")
    record(f"{prefix}/kefu_rss", s1["rss"], "KiB")
    record(f"{prefix}/rss_per_call", round((s1["rss"] - rss_idle) / max(1, active), 1), "KiB/call")
    record(f"{prefix}/kefu_rss_after_calls", rss_after, "KiB")
    record(f"{prefix}/rtp_received_per_s", round(received), "packets/s")
    record(f"{prefix}/rtp_sent_per_s", round(sent), "packets/s")
    record(f"{prefix}/rtp_received_per_call_per_s", round(received / max(1, active), 2), "packets/s (100 = both legs)")
    record(f"{prefix}/rtp_sent_over_received", round(sent / received, 5) if received else 0, "ratio")
    record(f"{prefix}/rtp_send_errors", delta("kefu_rtp_send_errors_total"), "packets")
    # Where received packets that were not sent on went.
    for name in ("forwarded", "forward_paused", "transcoded", "malformed", "wrong_source", "unknown_payload",
                 "receive_errors"):
        record(f"{prefix}/rtp_{name}", delta(f"kefu_rtp_{name}_total"), "packets")
    record(f"{prefix}/kefu_socket_drops", s1["kefu_drops"] - s0["kefu_drops"], "packets")
    record(f"{prefix}/sipp_echo_socket_drops", s1["echo_drops"] - s0["echo_drops"], "packets")
    record(f"{prefix}/ticks_run", ticks, "ticks (50/s per media thread)")
    record(f"{prefix}/late_ticks", delta("kefu_media_late_ticks_total"), "ticks")
    record(f"{prefix}/skipped_ticks", delta("kefu_media_skipped_ticks_total"), "ticks")
    record(f"{prefix}/mean_tick", round(delta("kefu_media_tick_cpu_ns_total") / max(1, ticks) / 1000, 1), "us")
    record(f"{prefix}/max_tick", round(m1.get("kefu_media_max_tick_ns", 0) / 1000), "us")
    if recording:
        # Recorded audio lost inside kefu during the window (not what never reached it).
        for name in ("late", "early", "dropped"):
            record(f"{prefix}/recording_{name}_samples", delta(f"kefu_recording_{name}_samples_total"),
                   "samples (8 kHz, per channel; dropped: interleaved)")
        record(f"{prefix}/recording_queued_samples", m1.get("kefu_recording_queued_samples", 0),
               "samples waiting for the writer at the window's end")
    record(f"{prefix}/kefu_exit_code", kefu_rc, "code")
    record(f"{prefix}/kefu_log_warnings", len(warnings), "lines")
    for reason, count in sorted(ended.items()):
        record(f"{prefix}/legs_ended_{reason}", count, "legs")
    w0, w1 = s0["threads"].get(writer_tid, (0, 0, 0)), s1["threads"].get(writer_tid, (0, 0, 0))
    writes, written = w1[1] - w0[1], w1[2] - w0[2]
    proc_writes = sum(v[1] for v in s1["threads"].values()) - sum(v[1] for v in s0["threads"].values())
    record(f"{prefix}/process_write_syscalls_per_s", round(proc_writes / dt, 1), "syscalls/s")
    if recording:
        record(f"{prefix}/recordings_written", len(wavs), "files")
        record(f"{prefix}/recordings_part_left", parts, "files")
        record(f"{prefix}/recording_bytes_total", sum(wavs), "bytes")
        record(f"{prefix}/recording_min_length",
               round((min(wavs) - WAV_HEADER) / STEREO_BYTES_PER_S, 1) if wavs else 0, "s")
        record(f"{prefix}/recording_max_length",
               round((max(wavs) - WAV_HEADER) / STEREO_BYTES_PER_S, 1) if wavs else 0, "s")
        record(f"{prefix}/recording_expected_length", round(hold_ms / 1000, 1), "s")
        record(f"{prefix}/recording_silent_slots_caller", round(silent[0], 4), "share of 20 ms slots (20 files)")
        record(f"{prefix}/recording_silent_slots_agent", round(silent[1], 4), "share of 20 ms slots (20 files)")
        record(f"{prefix}/writer_thread_write_syscalls_per_s", round(writes / dt, 1), "syscalls/s")
        record(f"{prefix}/writer_thread_bytes_per_s", round(written / dt), "bytes/s")
        record(f"{prefix}/recording_bytes_per_write", round(written / writes) if writes else 0, "bytes/syscall")
        # 20 ms stereo slots recorded per second = 50 per bridged call.
        record(f"{prefix}/recording_frames_per_write", round(active * 50 * dt / writes, 1) if writes else 0,
               "20ms-frames/syscall")
        if strace_calls is not None:
            for name, n in sorted(strace_calls.items()):
                record(f"{prefix}/strace_{name}_per_s", round(n / window, 1), "syscalls/s")
    return {"mode": mode + (f"/mt{args.media_threads}" if args.media_threads else ""), "calls": calls, "active": active, "cores": cores, "busiest": busiest,
            "sipp": sipp_cores, "busy": busy, "rss_call": (s1["rss"] - rss_idle) / max(1, active),
            "failed": failed + unfinished, "late": delta("kefu_media_late_ticks_total"),
            "skipped": delta("kefu_media_skipped_ticks_total"),
            "drops": s1["kefu_drops"] - s0["kefu_drops"], "echo_drops": s1["echo_drops"] - s0["echo_drops"],
            "fwd": sent / received if received else 0, "rx_call": received / max(1, active),
            "writes": writes / dt if recording else None,
            "bpw": (written / writes) if recording and writes else None,
            "recs": (len(wavs), parts) if recording else None}


def print_table(rows):
    head = ("mode", "calls", "up", "kefu", "mc/call", "thread", "sipp", "busy", "KiB/call", "failed",
            "late", "skip", "kdrop", "edrop", "tx/rx", "rx/call", "wr/s", "B/write", "wav/.part")
    fmt = "{:>9} {:>5} {:>6} {:>5} {:>7} {:>6} {:>5} {:>5} {:>8} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>7} {:>6} {:>7} {:>10}"
    print(fmt.format(*head))
    for r in rows:
        if "error" in r:
            print(f"{r['mode']:>9} {r['calls']:>5}  failed: {r['error']}")
            continue
        print(fmt.format(r["mode"], r["calls"], f"{r['active']:.0f}", f"{r['cores']:.2f}",
                         f"{r['cores'] * 1000 / max(1, r['active']):.3f}", f"{r['busiest']:.2f}",
                         f"{r['sipp']:.2f}", f"{r['busy']:.2f}", f"{r['rss_call']:.1f}", r["failed"],
                         f"{r['late']:.0f}", f"{r['skipped']:.0f}", r["drops"], r["echo_drops"],
                         f"{r['fwd']:.4f}", f"{r['rx_call']:.1f}",
                         "-" if r["writes"] is None else f"{r['writes']:.0f}",
                         "-" if r["bpw"] is None else f"{r['bpw']:.0f}",
                         "-" if r["recs"] is None else f"{r['recs'][0]}/{r['recs'][1]}"))
    print("mc/call = millicores per call; thread = busiest kefu thread (cores); busy = whole machine "
          "(cores of 2); kdrop/edrop = kernel drops on kefu's RTP sockets / SIPp's echo socket in the "
          "window; tx/rx = RTP sent/received by kefu; rx/call = packets/s received per call (100 = both "
          "legs); wr/s, B/write = recording writer thread's write syscalls (/proc/PID/task/TID/io)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kefu", default=os.path.join(ROOT, "build-release/kefu"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/bridged_load.json"))
    parser.add_argument("--levels", default="500,1000,2000")
    parser.add_argument("--modes", default="plain,recording")
    parser.add_argument("--hold", type=float, default=30, help="seconds all calls are up together")
    parser.add_argument("--window", type=float, default=10, help="measurement window at the plateau, s")
    parser.add_argument("--settle", type=float, default=8,
                        help="seconds after the plateau before measuring (agent-ID announcements end)")
    parser.add_argument("--rate", type=int, default=100, help="call arrivals per second")
    parser.add_argument("--caller-instances", type=int, default=1)
    parser.add_argument("--media-threads", type=int, default=0, help="0 = kefu's default (cores - 1)")
    parser.add_argument("--media-port-range", default="10000-19999")
    parser.add_argument("--quiet-cores", type=float, default=0.3,
                        help="before each level wait until other work uses less than this many cores")
    parser.add_argument("--quiet-wait", type=float, default=180, help="... but at most this many seconds")
    parser.add_argument("--agent-sipp-args", default="-rtp_buffsize 4194304", help="extra arguments for the agents' SIPp")
    parser.add_argument("--append", action="store_true", help="add to the --out file instead of replacing it")
    parser.add_argument("--kefu-log-level", default="info", help="info: the reason each leg ended")
    parser.add_argument("--strace", action="store_true",
                        help="also count the writer thread's writes with strace -c (slows that thread)")
    parser.add_argument("--keep", action="store_true", help="keep kefu's data directories (recordings)")
    args = parser.parse_args()
    if not shutil.which("sipp") or not os.path.exists(args.kefu):
        sys.exit("needs sipp and a kefu binary (--kefu)")

    meta = {"command": " ".join(sys.argv), "commit": commit(), "cpu": cpu_model(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "note": (f"SIPp (callers streaming RTP, agents echoing it) shares the {os.cpu_count()} cores with "
                     f"kefu; media threads={args.media_threads or 'default'}; {args.rate} calls/s arrivals, "
                     f"all calls up {args.hold:g} s, window {args.window:g} s; write pattern from "
                     "/proc/PID/task/TID/io" + (" and strace -c on the writer thread" if args.strace and shutil.which("strace") else ""))}
    results, rows = [], []
    if args.append and os.path.exists(args.out):
        results = json.load(open(args.out))

    def record(name, value, unit):
        results.append(dict(meta, name=name, value=value, unit=unit))
        print(f"  {name}: {value} {unit}", flush=True)

    work = tempfile.mkdtemp(prefix="kefu-bridged-tone-")
    tone = os.path.join(work, "tone.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", tone, "synth", "30", "sine", "440",
                    "vol", "0.5"], check=True)
    for calls in [int(c) for c in args.levels.split(",") if c]:
        for mode in [m for m in args.modes.split(",") if m]:
            try:
                rows.append(run_level(args, calls, mode == "recording", record, tone))
            except Exception as error:  # one failed level must not lose the others
                traceback.print_exc()
                record(f"{mode}_{calls}/run_failed", 1, "flag")
                rows.append({"mode": mode, "calls": calls, "error": str(error)[:200]})
            os.makedirs(os.path.dirname(args.out), exist_ok=True)
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
    shutil.rmtree(work, ignore_errors=True)
    print_table(rows)


if __name__ == "__main__":
    main()
