"""The ACD with real peers: SIPp processes are the callers and the agents' phones (registered
through kefu's registrar with their passwords), kefu routes, rings, bridges, records and
stores. Each test uses its own queue and agents of one shared server (test set-up below), so
the order of tests does not matter."""
import json
import math
import os
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import wave

from kefu_harness import (Kefu, KefuTestCase, RtpPeer, SipSocket, free_port, header_of, place_call,
                          sip_request, status_of)
from acd_peers import AgentPhone, Caller, register_phone, unregister_phone
from test_baresip import netstring, write_voice

QUEUES = {
    # name: (route number, extra settings)
    "presence": ("4300", ""),
    "fifo": ("4301", ""),
    "vip": ("4302", ""),
    "skills": ("4303", 'required_skills = { billing = 7 }\n'
                       'relaxation = [ { after_s = 0, min_level = 7 }, { after_s = 2, min_level = 3 } ]'),
    "lastagent": ("4304", "last_agent_days = 7\nlast_agent_wait_s = 5"),
    "idle": ("4305", ""),
    "ringto": ("4306", "ring_timeout_s = 2\nmax_missed_offers = 1"),
    "abandon": ("4307", ""),
    "overflow": ("4308", "max_wait_s = 2\noverflow = \"goodbye\""),
    "xfer_a": ("4309", ""),
    "xfer_b": ("4310", ""),
    "rec": ("4311", 'recording = "all"'),
    "cdr": ("4312", 'recording = "all"'),
    "skilled": ("4313", 'required_skills = { billing = 7 }'),
    "menu": ("4314", ""),
    "hold": ("4315", ""),
    "history": ("4316", 'recording = "all"'),
}

AGENTS = {
    # id: (queues, skills)
    "2001": (["presence"], ""),
    "2002": (["fifo"], ""),
    "2003": (["vip"], ""),
    "2004": (["skills"], "billing = 4"),
    "2005": (["skilled"], "billing = 8"),
    "2006": (["lastagent"], ""),
    "2007": (["lastagent"], ""),
    "2008": (["idle"], ""),
    "2009": (["idle"], ""),
    "2010": (["ringto"], ""),
    "2011": (["ringto"], ""),
    "2012": (["xfer_a"], ""),
    "2013": (["xfer_b"], ""),
    "2014": (["rec"], ""),
    "2015": (["cdr"], ""),
    "2016": (["menu"], ""),
    "2017": (["presence"], ""),
    "2018": (["hold"], ""),
    "2019": (["history"], ""),
    "2020": (["history"], ""),
}

VIP_NUMBER = "13900000099"


def acd_config():
    parts = ['menu_queue = "menu"\n']
    for name, (number, extra) in QUEUES.items():
        defaults = {"wrap_up_s": 0, "ring_timeout_s": 10, "max_wait_s": 120, "announce_interval_s": 0,
                    "last_agent_days": 0, "offer_overflow_on_long_wait": "false"}
        body = "\n".join(f"{k} = {v}" for k, v in defaults.items()
                         if not any(line.startswith(k + " ") for line in extra.split("\n")))
        parts.append(f'[[queue]]\nname = "{name}"\n{body}\n{extra}\n')
        parts.append(f'[[route]]\nnumber = "{number}"\nqueue = "{name}"\n')
    for agent, (queues, skills) in AGENTS.items():
        q = ", ".join(f"{name} = 0" for name in queues)
        parts.append(f'[[agent]]\nid = "{agent}"\nname = "Agent {agent}"\npassword = "demo{agent}"\n'
                     f'presence_follows_phone = true\nqueues = {{ {q} }}\n'
                     + (f"skills = {{ {skills} }}\n" if skills else ""))
    parts.append(f'[[customer]]\nname = "VIP Customer"\nvip_tier = 3\nphones = ["+86{VIP_NUMBER}"]\n')
    return "\n".join(parts)


def write_tone(path, frequency, seconds=30):
    """An 8 kHz mu-law WAV tone for SIPp's rtp_stream (made by sox)."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", path, "synth", str(seconds),
                    "sine", str(frequency), "vol", "0.5"], check=True)


def goertzel_power(samples, frequency, rate=8000):
    k = 2 * math.cos(2 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s2 * s2 + s1 * s1 - k * s1 * s2


class AcdTest(KefuTestCase):
    config_path = None

    @classmethod
    def setUpClass(cls):
        fd, cls.config_path = tempfile.mkstemp(suffix=".toml", prefix="kefu-acd-")
        with os.fdopen(fd, "w") as f:
            f.write(acd_config())
        # SIPp callers without rtp_stream send no RTP while they wait: no media time-out here.
        cls.extra_args = ("--config", cls.config_path, "--registration-min-expires", "1",
                          "--rtp-timeout", "0")
        super().setUpClass()
        cls.work = tempfile.mkdtemp(prefix="kefu-acd-media-")
        cls.tone440 = os.path.join(cls.work, "tone440.wav")
        cls.tone1400 = os.path.join(cls.work, "tone1400.wav")
        write_tone(cls.tone440, 440)
        write_tone(cls.tone1400, 1400)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.config_path)

    # ---- helpers ----

    def login(self, user, password):
        """A session (cookie and CSRF token) for `user`, as the web app gets at sign-in."""
        status, body, headers = self.raw("POST", "/api/v1/auth/login", {"login": user, "password": password})
        self.assertEqual(status, 200, body)
        cookie = headers["Set-Cookie"].split(";")[0]
        return {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}

    def raw(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.kefu.http_port}{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read()), r.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), e.headers

    def api(self, method, path, body=None):
        """As the demo's administrator."""
        if not getattr(type(self), "admin_session", None):
            type(self).admin_session = self.login("admin", "admin123")
        status, body, _ = self.raw(method, path, body, type(self).admin_session)
        return status, body

    def agent_state(self, agent):
        return self.api("GET", f"/api/v1/agents/{agent}")[1]

    def wait_state(self, agent, state, timeout=8):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.agent_state(agent)["state"] == state:
                return True
            time.sleep(0.05)
        return False

    def rows(self, sql, *params):
        return self.kefu.rows(sql, *params)

    def wait_rows(self, sql, params, count, timeout=10):
        deadline = time.time() + timeout
        rows = []
        while time.time() < deadline:
            rows = self.rows(sql, *params)
            if len(rows) >= count:
                return rows
            time.sleep(0.1)
        return rows

    def queue_id(self, name):
        return self.rows("SELECT id FROM queues WHERE name = ?", name)[0][0]

    def finished_calls(self, queue, count, timeout=20):
        return self.wait_rows(
            "SELECT call_id, caller_number, arrival_at, queued_at, offered_at, answered_at, ended_at,"
            " wait_ms, talk_ms, hold_ms, disposition, agent_id FROM call_records"
            " WHERE queue_id = ? AND ended_at IS NOT NULL ORDER BY arrival_at",
            (self.queue_id(queue),), count, timeout)

    def agent_number(self, agent_id):
        return self.rows("SELECT agent_number FROM agents WHERE id = ?", agent_id)[0][0]

    def assert_sipp_ok(self, peer):
        code, out = peer.wait()
        self.assertEqual(code, 0, out[-3000:])

    # ---- tests ----

    def test_presence_follows_registration_and_its_expiry(self):
        self.assertEqual(self.agent_state("2001")["state"], "logged_out")
        self.assertEqual(register_phone(self.kefu, "2001", "demo2001", 5999, expires=2), 200)
        self.assertTrue(self.wait_state("2001", "ready", 3), self.agent_state("2001"))
        # The registration runs out: the agent is logged out by the expiry.
        self.assertTrue(self.wait_state("2001", "logged_out", 6), self.agent_state("2001"))
        self.assertEqual(register_phone(self.kefu, "2001", "demo2001", 5999, expires=60), 200)
        self.assertTrue(self.wait_state("2001", "ready", 3))
        self.assertEqual(unregister_phone(self.kefu, "2001", "demo2001", 5999), 200)
        self.assertTrue(self.wait_state("2001", "logged_out", 3))
        states = [r[0] for r in self.wait_rows(
            "SELECT state FROM agent_state_changes WHERE agent_id = (SELECT id FROM agents WHERE"
            " agent_number = '2001') ORDER BY id", (), 4)]
        self.assertEqual(states, ["ready", "logged_out", "ready", "logged_out"])

    def test_agent_endpoints_and_errors(self):
        status, body = self.api("POST", "/api/v1/agents/2009/login", {"state": "not_ready"})
        self.assertEqual((status, body["state"]), (200, "not_ready"))
        status, body = self.api("POST", "/api/v1/agents/2009/ready")
        self.assertEqual((status, body["state"]), (200, "ready"))
        status, body = self.api("POST", "/api/v1/agents/2009/not-ready", {"reason": "lunch"})
        self.assertEqual((status, body["state"], body["reason"]), (200, "not_ready", "lunch"))
        status, body = self.api("POST", "/api/v1/agents/2009/not-ready", {"reason": 5})
        self.assertEqual((status, body["error"]["field"]), (400, "reason"))
        status, body = self.api("POST", "/api/v1/agents/nobody/ready")
        self.assertEqual(status, 404)
        status, body = self.api("POST", "/api/v1/agents/2009/logout")
        self.assertEqual((status, body["state"]), (200, "logged_out"))
        status, body = self.api("POST", "/api/v1/agents/2009/ready")
        self.assertEqual(status, 409, body)
        self.assertIn("logged_out", body["error"]["message"])
        # Without a session: 401. An agent may not change another agent: 403.
        self.assertEqual(self.raw("GET", "/api/v1/queues")[0], 401)
        agent = self.login("1001", "demo1001")
        self.assertEqual(self.raw("POST", "/api/v1/agents/2009/login", {}, agent)[0], 403)
        self.assertEqual(self.raw("POST", "/api/v1/agents/2009/ready", {}, {"Cookie": agent["Cookie"]})[0], 403,
                         "a write with the session cookie but no CSRF token")

    def test_first_come_first_served(self):
        callers = []
        for i in range(3):
            callers.append(Caller(self.kefu, "4301", 0, caller=f"1390000001{i}", wait_for_bye=True))
            time.sleep(0.4)
        self.assertTrue(self.kefu.wait_log("queue=fifo", timeout=5))
        agent = AgentPhone(self.kefu, "2002", ring_ms=200, talk_ms=400, calls=3)
        for c in callers:
            self.assert_sipp_ok(c)
        self.assert_sipp_ok(agent)
        calls = self.finished_calls("fifo", 3)
        answered = sorted(calls, key=lambda r: r[5])
        self.assertEqual([r[1] for r in answered], ["13900000010", "13900000011", "13900000012"])
        self.assertTrue(all(r[10] == "answered" for r in calls), calls)
        agent.unregister()

    def test_vip_jumps_ahead(self):
        callers = [Caller(self.kefu, "4302", 0, caller="13900000021", wait_for_bye=True)]
        time.sleep(0.4)
        callers.append(Caller(self.kefu, "4302", 0, caller="13900000022", wait_for_bye=True))
        time.sleep(0.4)
        callers.append(Caller(self.kefu, "4302", 0, caller=VIP_NUMBER, wait_for_bye=True))
        self.assertTrue(self.kefu.wait_log("queue=vip priority=3", timeout=5))
        agent = AgentPhone(self.kefu, "2003", ring_ms=200, talk_ms=400, calls=3)
        for c in callers:
            self.assert_sipp_ok(c)
        self.assert_sipp_ok(agent)
        answered = sorted(self.finished_calls("vip", 3), key=lambda r: r[5])
        self.assertEqual([r[1] for r in answered], [VIP_NUMBER, "13900000021", "13900000022"])
        agent.unregister()

    def test_skills_route_and_relax_over_time(self):
        # 2005 has billing 8: served at once. 2004 has billing 4: only after the queue relaxes
        # the requirement to level 3 at 2 s.
        skilled = AgentPhone(self.kefu, "2005", ring_ms=100, talk_ms=300)
        self.assert_sipp_ok(Caller(self.kefu, "4313", 0, caller="13900000030", wait_for_bye=True))
        self.assert_sipp_ok(skilled)
        fast = self.finished_calls("skilled", 1)[0]
        self.assertLess(fast[4] - fast[3], 500, fast)

        weak = AgentPhone(self.kefu, "2004", ring_ms=100, talk_ms=300)
        self.assertTrue(self.wait_state("2004", "ready", 3))
        self.assert_sipp_ok(Caller(self.kefu, "4303", 0, caller="13900000031", wait_for_bye=True))
        self.assert_sipp_ok(weak)
        relaxed = self.finished_calls("skills", 1)[0]
        offered_after = relaxed[4] - relaxed[3]
        self.assertGreaterEqual(offered_after, 1900, relaxed)
        self.assertLess(offered_after, 3500, relaxed)
        self.assertEqual(self.agent_number(relaxed[11]), "2004")
        skilled.unregister()
        weak.unregister()

    def test_last_agent_gets_the_caller_again(self):
        first = AgentPhone(self.kefu, "2006", ring_ms=100, talk_ms=300, calls=2, timeout=30)
        time.sleep(0.2)
        second = AgentPhone(self.kefu, "2007", ring_ms=100, talk_ms=300, calls=2, timeout=30)
        self.assertTrue(self.wait_state("2007", "ready", 3))
        self.assert_sipp_ok(Caller(self.kefu, "4304", 0, caller="13900000040", wait_for_bye=True))
        self.assertTrue(self.wait_state("2006", "ready", 5))
        # 2006 (longest idle) took the first call and is now the one idle for less time; the
        # caller's second call still goes to 2006, the last agent.
        self.assert_sipp_ok(Caller(self.kefu, "4304", 0, caller="13900000040", wait_for_bye=True))
        calls = self.finished_calls("lastagent", 2)
        self.assertEqual([self.agent_number(r[11]) for r in calls], ["2006", "2006"])
        first.kill()
        second.kill()
        unregister_phone(self.kefu, "2006", "demo2006", first.port)
        unregister_phone(self.kefu, "2007", "demo2007", second.port)

    def test_longest_idle_agent_first(self):
        a = AgentPhone(self.kefu, "2008", ring_ms=100, talk_ms=300, calls=2, timeout=30)
        self.assertTrue(self.wait_state("2008", "ready", 3))
        time.sleep(0.3)
        b = AgentPhone(self.kefu, "2009", ring_ms=100, talk_ms=300, calls=2, timeout=30)
        self.assertTrue(self.wait_state("2009", "ready", 3))
        self.assert_sipp_ok(Caller(self.kefu, "4305", 0, caller="13900000050", wait_for_bye=True))
        self.assertTrue(self.wait_state("2008", "ready", 5))
        self.assert_sipp_ok(Caller(self.kefu, "4305", 0, caller="13900000051", wait_for_bye=True))
        calls = self.finished_calls("idle", 2)
        self.assertEqual([self.agent_number(r[11]) for r in calls], ["2008", "2009"])
        a.kill()
        b.kill()
        unregister_phone(self.kefu, "2008", "demo2008", a.port)
        unregister_phone(self.kefu, "2009", "demo2009", b.port)

    def test_ring_timeout_reroutes_and_sets_not_ready(self):
        silent = AgentPhone(self.kefu, "2010", answer=False)
        self.assertTrue(self.wait_state("2010", "ready", 3))
        time.sleep(0.2)
        answering = AgentPhone(self.kefu, "2011", ring_ms=100, talk_ms=300)
        self.assertTrue(self.wait_state("2011", "ready", 3))
        self.assert_sipp_ok(Caller(self.kefu, "4306", 0, caller="13900000060", wait_for_bye=True))
        self.assert_sipp_ok(silent)  # rang, then was cancelled with CANCEL/487
        self.assert_sipp_ok(answering)
        state = self.agent_state("2010")
        self.assertEqual((state["state"], state["reason"]), ("not_ready", "missed"), state)
        call = self.finished_calls("ringto", 1)[0]
        self.assertEqual(self.agent_number(call[11]), "2011")
        self.assertGreaterEqual(call[5] - call[4], 1900, "re-routed only after the 2 s ring timeout")
        legs = self.rows("SELECT number, end_reason FROM call_legs WHERE call_id = ? ORDER BY id", call[0])
        self.assertEqual(legs[0][0], "2010")
        self.assertIn("no_answer", legs[0][1])
        unregister_phone(self.kefu, "2010", "demo2010", silent.port)
        unregister_phone(self.kefu, "2011", "demo2011", answering.port)

    def test_abandoned_while_waiting(self):
        self.assert_sipp_ok(Caller(self.kefu, "4307", 1500, caller="13900000070"))
        call = self.finished_calls("abandon", 1)[0]
        self.assertEqual(call[10], "abandoned")
        self.assertAlmostEqual(call[7], 1500, delta=300)
        events = self.wait_rows("SELECT kind, details FROM queue_events WHERE call_id = ? ORDER BY id",
                                (call[0],), 2)
        self.assertEqual([e[0] for e in events], ["enqueue", "abandon"])
        waited = int(events[1][1].split("waited_ms=")[1])
        self.assertAlmostEqual(waited, 1500, delta=300)
        stats = {q["name"]: q for q in self.api("GET", "/api/v1/queues")[1]["queues"]}
        self.assertEqual(stats["abandon"]["abandoned_today"], 1)

    def test_overflow_at_maximum_wait(self):
        started = time.time()
        caller = Caller(self.kefu, "4308", 0, caller="13900000080", wait_for_bye=True)
        self.assert_sipp_ok(caller)  # kefu says goodbye and hangs up
        self.assertGreater(time.time() - started, 2.0)
        call = self.finished_calls("overflow", 1)[0]
        self.assertEqual(call[10], "overflowed")
        kinds = [r[0] for r in self.wait_rows("SELECT kind FROM queue_events WHERE call_id = ? ORDER BY id",
                                              (call[0],), 2)]
        self.assertEqual(kinds, ["enqueue", "overflow"])

    def test_blind_transfer_to_another_queue(self):
        first = AgentPhone(self.kefu, "2012", ring_ms=100)  # waits for kefu's BYE
        second = AgentPhone(self.kefu, "2013", ring_ms=100)
        self.assertTrue(self.wait_state("2013", "ready", 3))
        caller = Caller(self.kefu, "4309", 5000, caller="13900000090")
        self.assertTrue(self.wait_state("2012", "on_call", 5))
        call_id = self.rows("SELECT call_id FROM call_records WHERE caller_number = '13900000090'")[0][0]
        transfer_path = f"/api/v1/calls/{urllib.request.quote(call_id, safe='')}/transfer"
        # An agent moves only their own calls: 1001 is not on this one; 2012 (a user linked to
        # agent 2012, made here) is, and transfers it.
        outsider = self.login("1001", "demo1001")
        status, body, _ = self.raw("POST", transfer_path, {"queue": "xfer_b"}, outsider)
        self.assertEqual(status, 403, body)
        status, body = self.api("POST", "/api/v1/users", {"login": "agent2012", "display_name": "坐席2012",
                                                          "password": "Agent-2012-pw", "role": "agent",
                                                          "agent_number": "2012"})
        self.assertEqual(status, 201, body)
        owner = self.login("agent2012", "Agent-2012-pw")
        status, body, _ = self.raw("POST", transfer_path, {"queue": "xfer_b"}, owner)
        self.assertEqual(status, 200, body)
        self.assert_sipp_ok(first)  # got its BYE
        self.assertTrue(self.wait_state("2013", "on_call", 5))
        self.assert_sipp_ok(caller)
        self.assert_sipp_ok(second)
        kinds = [r[0] for r in self.wait_rows("SELECT kind FROM queue_events WHERE call_id = ? ORDER BY id",
                                              (call_id,), 7)]
        self.assertEqual(kinds, ["enqueue", "offer", "connect", "transfer", "offer", "connect", "complete"])
        status, body = self.api("POST", "/api/v1/calls/nope/transfer", {"queue": "xfer_b"})
        self.assertEqual(status, 409)
        status, body = self.api("POST", f"/api/v1/calls/x/transfer", {})
        self.assertEqual(status, 400)
        unregister_phone(self.kefu, "2012", "demo2012", first.port)
        unregister_phone(self.kefu, "2013", "demo2013", second.port)

    def test_recording_caller_left_agent_right(self):
        agent = AgentPhone(self.kefu, "2014", ring_ms=100, rtp_stream=self.tone1400)
        caller = Caller(self.kefu, "4311", 4000, caller="13900000100", rtp_stream=self.tone440)
        self.assert_sipp_ok(caller)
        self.assert_sipp_ok(agent)
        call = self.finished_calls("rec", 1)[0]
        recs = self.wait_rows("SELECT file_path, duration_ms, state FROM recordings WHERE call_id = ?"
                              " AND state = 'complete'", (call[0],), 1)
        self.assertEqual(len(recs), 1, self.rows("SELECT * FROM recordings"))
        path, duration, _ = recs[0]
        self.assertFalse(os.path.exists(path + ".part"))
        with wave.open(path, "rb") as w:
            self.assertEqual((w.getnchannels(), w.getframerate(), w.getsampwidth()), (2, 8000, 2))
            frames = w.readframes(w.getnframes())
        samples = struct.unpack("<%dh" % (len(frames) // 2), frames)
        # One second from the middle of the talk.
        middle = len(samples) // 4
        left = samples[0::2][middle - 4000:middle + 4000]
        right = samples[1::2][middle - 4000:middle + 4000]
        self.assertGreater(goertzel_power(left, 440), 20 * goertzel_power(left, 1400), "caller's tone on the left")
        self.assertGreater(goertzel_power(right, 1400), 20 * goertzel_power(right, 440), "agent's tone on the right")
        self.assertAlmostEqual(duration, call[8], delta=300)
        unregister_phone(self.kefu, "2014", "demo2014", agent.port)

    def test_call_record_durations_match_what_sipp_saw(self):
        agent = AgentPhone(self.kefu, "2015", ring_ms=800)
        caller = Caller(self.kefu, "4312", 3000, caller="13900000110")
        self.assert_sipp_ok(caller)
        self.assert_sipp_ok(agent)
        call = self.finished_calls("cdr", 1)[0]
        seen = agent.message_times()
        answered = next(t for t, d, line in seen if d == "sent" and line.startswith("SIP/2.0 200"))
        bye = next(t for t, d, line in seen if d == "received" and line.startswith("BYE"))
        invite = next(t for t, d, line in seen if d == "received" and line.startswith("INVITE"))
        sipp_talk_ms = (bye - answered).total_seconds() * 1000
        self.assertAlmostEqual(call[8], sipp_talk_ms, delta=100, msg=f"talk {call[8]} vs SIPp {sipp_talk_ms}")
        caller_seen = caller.message_times()
        caller_200 = next(t for t, d, line in caller_seen if d == "received" and line.startswith("SIP/2.0 200"))
        # Waiting for an agent: from kefu's answer (queued) to the agent's answer.
        sipp_wait_ms = (answered - caller_200).total_seconds() * 1000
        self.assertAlmostEqual(call[7], sipp_wait_ms, delta=100, msg=f"wait {call[7]} vs SIPp {sipp_wait_ms}")
        self.assertAlmostEqual(call[4] - call[3], (invite - caller_200).total_seconds() * 1000, delta=100)
        unregister_phone(self.kefu, "2015", "demo2015", agent.port)

    def test_call_history_api_pages_filters_and_keeps_to_the_readers_scope(self):
        # Two calls of the history queue: the first answered by 2019, the second by 2020.
        for number, agent in (("13900000121", "2019"), ("13900000122", "2020")):
            phone = AgentPhone(self.kefu, agent, ring_ms=100)
            caller = Caller(self.kefu, "4316", 1200, caller=number)
            self.assert_sipp_ok(caller)
            self.assert_sipp_ok(phone)
            unregister_phone(self.kefu, agent, f"demo{agent}", phone.port)
        calls = self.finished_calls("history", 2)
        self.assertEqual(len(calls), 2, calls)
        first, second = calls
        self.assertEqual(self.agent_number(first[11]), "2019")
        self.wait_rows("SELECT id FROM recordings WHERE call_id = ? AND state = 'complete'", (first[0],), 1)

        status, page = self.api("GET", "/api/v1/calls?queue=history")
        self.assertEqual(status, 200, page)
        self.assertEqual([c["id"] for c in page["items"]], [second[0], first[0]], "newest first")
        self.assertIsNone(page["next_before"], "a short page is the last")
        item = page["items"][1]
        self.assertEqual((item["caller_number"], item["agent_number"], item["agent_name"], item["queue"]),
                         (first[1], "2019", "Agent 2019", "history"))
        self.assertEqual((item["disposition"], item["talk_ms"], item["wait_ms"], item["answered_at"]),
                         (first[10], first[8], first[7], first[5]))

        # Pages of one: the cursor leads from the newer call to the older, then to nothing.
        status, one = self.api("GET", "/api/v1/calls?queue=history&limit=1")
        self.assertEqual([c["id"] for c in one["items"]], [second[0]])
        status, two = self.api("GET", f"/api/v1/calls?queue=history&limit=1&before={one['next_before']}")
        self.assertEqual((status, [c["id"] for c in two["items"]]), (200, [first[0]]), two)
        status, three = self.api("GET", f"/api/v1/calls?queue=history&limit=1&before={two['next_before']}")
        self.assertEqual((status, three["items"]), (200, []))
        # Filters.
        self.assertEqual([c["id"] for c in self.api("GET", "/api/v1/calls?number=13900000122")[1]["items"]],
                         [second[0]])
        self.assertEqual([c["id"] for c in self.api("GET", "/api/v1/calls?agent=2019&queue=history")[1]["items"]],
                         [first[0]])
        self.assertEqual(self.api("GET", f"/api/v1/calls?queue=history&to={first[2]}")[1]["items"], [])
        self.assertEqual([c["id"] for c in self.api(
            "GET", f"/api/v1/calls?queue=history&from={second[2]}&disposition=answered")[1]["items"]], [second[0]])
        # One call, with its legs and (for the administrator) its recording.
        status, detail = self.api("GET", f"/api/v1/calls/{first[0]}")
        self.assertEqual(status, 200, detail)
        # The caller is the record itself; the legs are the calls kefu placed: here, to the agent.
        self.assertEqual([leg["role"] for leg in detail["legs"]], ["agent"], detail)
        self.assertIsNotNone(detail["legs"][0]["answered_at"])
        self.assertEqual([r["state"] for r in detail["recordings"]], ["complete"])
        self.assertEqual(self.api("GET", "/api/v1/calls/no-such-call")[0], 404)
        # Bad input names its field.
        for query, field in (("limit=0", "limit"), ("disposition=lost", "disposition"),
                             ("before=yesterday", "before"), ("from=abc", "from"),
                             (f"from={second[2]}&to={first[2]}", "to"), ("colour=red", None)):
            status, body = self.api("GET", f"/api/v1/calls?{query}")
            self.assertEqual(status, 400, (query, body))
            if field:
                self.assertEqual(body["error"]["field"], field, query)

        # Agents see the calls they took and nothing else; no recordings without recordings.read.
        for agent in ("2019", "2020"):
            status, body = self.api("POST", "/api/v1/users", {
                "login": f"history{agent}", "display_name": f"Agent {agent}", "password": f"history-{agent}-pw",
                "role": "agent", "agent_number": agent})
            self.assertEqual(status, 201, body)
        own = self.login("history2019", "history-2019-pw")
        status, page, _ = self.raw("GET", "/api/v1/calls?queue=history", headers=own)
        self.assertEqual((status, [c["id"] for c in page["items"]]), (200, [first[0]]), page)
        status, detail, _ = self.raw("GET", f"/api/v1/calls/{first[0]}", headers=own)
        self.assertEqual(status, 200, detail)
        self.assertNotIn("recordings", detail)
        status, body, _ = self.raw("GET", f"/api/v1/calls/{second[0]}", headers=own)
        self.assertEqual((status, body["error"]["code"]), (404, "not_found"), "another agent's call reads as missing")
        other = self.login("history2020", "history-2020-pw")
        status, page, _ = self.raw("GET", "/api/v1/calls", headers=other)
        self.assertEqual([c["id"] for c in page["items"]], [second[0]])
        self.assertEqual(self.raw("GET", "/api/v1/calls", headers={})[0], 401)

    def test_demo_menu_zero_reaches_an_agent(self):
        agent = AgentPhone(self.kefu, "2016", ring_ms=100, talk_ms=1500)
        sock, peer = SipSocket(self.kefu), RtpPeer()
        try:
            invite, ok = place_call(self.kefu, sock, peer, number="4000")
            self.assertIsNotNone(ok)
            peer.receive(1.0, stop_after=20)  # the greeting is playing: kefu's RTP address is known
            peer.send_digit("0")
            self.assertTrue(self.kefu.wait_log("queue=menu", timeout=5), "0 at the menu queues the caller")
            # The agent answers, talks 1.5 s and hangs up: kefu ends the caller's call too.
            deadline, bye = time.time() + 15, None
            while time.time() < deadline and bye is None:
                m = sock.recv_message(timeout=1)
                if m and m.startswith(b"BYE "):
                    bye = m
            self.assertIsNotNone(bye, "the caller gets kefu's BYE when the agent hangs up")
            sock.send(("SIP/2.0 200 OK\r\n" + "\r\n".join(
                l for l in bye.decode().split("\r\n") if l.split(":")[0].lower() in
                ("via", "from", "to", "call-id", "cseq")) + "\r\nContent-Length: 0\r\n\r\n").encode())
            self.assert_sipp_ok(agent)
            call = self.finished_calls("menu", 1)[0]
            self.assertEqual((call[10], self.agent_number(call[11])), ("answered", "2016"))
            self.assertEqual(self.rows("SELECT dialed_number FROM call_records WHERE call_id = ?",
                                       call[0])[0][0], "4000")
        finally:
            sock.close()
            peer.close()
            unregister_phone(self.kefu, "2016", "demo2016", agent.port)

    def feature_code(self, code, port):
        caller = Caller(self.kefu, code, 0, caller="2017", wait_for_bye=True, sip_port=port)
        return caller.wait()[0]

    def test_feature_codes_from_the_agents_phone(self):
        port = free_port(both=True)
        self.assertEqual(register_phone(self.kefu, "2017", "demo2017", port), 200)
        self.assertTrue(self.wait_state("2017", "ready", 3))
        self.assertEqual(self.feature_code("*24", port), 0)
        self.assertEqual((self.agent_state("2017")["state"], self.agent_state("2017")["reason"]),
                         ("not_ready", "phone"))
        self.assertEqual(self.feature_code("*23", port), 0)
        self.assertEqual(self.agent_state("2017")["state"], "ready")
        self.assertEqual(self.feature_code("*22", port), 0)
        self.assertEqual(self.agent_state("2017")["state"], "logged_out")
        self.assertEqual(self.feature_code("*21", port), 0)
        self.assertEqual(self.agent_state("2017")["state"], "ready")
        # From anywhere but the agent's registered phone the code is refused (480).
        self.assertNotEqual(self.feature_code("*22", free_port(both=True)), 0)
        self.assertTrue(self.kefu.wait_log("feature code refused: extension=2017", timeout=3))
        self.assertEqual(self.agent_state("2017")["state"], "ready")
        unregister_phone(self.kefu, "2017", "demo2017", port)

    def test_baresip_agent_puts_the_caller_on_hold_with_music(self):
        work = tempfile.mkdtemp(prefix="kefu-baresip-agent-")
        ctrl_port, sip_port, rtp = free_port(socket.SOCK_STREAM), free_port(both=True), free_port()
        write_voice(os.path.join(work, "voice.wav"), frequency=1400)
        with open(os.path.join(work, "config"), "w") as f:
            f.write(f"""sip_listen 127.0.0.1:{sip_port}
audio_source aufile,{work}/voice.wav
audio_player aufile,{work}/heard.wav
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
rtp_ports {rtp}-{rtp + 20}
""")
        with open(os.path.join(work, "accounts"), "w") as f:
            f.write(f"<sip:2018@127.0.0.1:{self.kefu.sip_port}>;auth_pass=demo2018;answermode=auto;regint=60\n")
        phone = subprocess.Popen(["baresip", "-f", work, "-t", "60"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, cwd=work)
        sock, peer = SipSocket(self.kefu), RtpPeer()
        try:
            self.assertTrue(self.wait_state("2018", "ready", 20), "baresip registers: presence logs in")
            invite, ok = place_call(self.kefu, sock, peer, number="4315")
            self.assertIsNotNone(ok)
            self.assertTrue(self.wait_state("2018", "on_call", 10), "baresip answers automatically")
            ctrl = socket.create_connection(("127.0.0.1", ctrl_port), timeout=5)
            peer.receive(6.0)  # the agent's ID announcement, then the agent's voice (1400 Hz)
            talk = len(peer.packets)
            ctrl.sendall(netstring({"command": "hold", "params": "", "token": "hold"}))
            self.assertTrue(self.kefu.wait_log("hold=on", timeout=5), "baresip's re-INVITE puts the call on hold")
            held_from = len(peer.packets)
            peer.receive(2.0)
            held_to = len(peer.packets)
            ctrl.sendall(netstring({"command": "resume", "params": "", "token": "resume"}))
            self.assertTrue(self.kefu.wait_log("hold=off", timeout=5))
            resumed_from = len(peer.packets)
            peer.receive(1.5)

            def tone_share(first, last):
                samples = [ulaw for p in peer.packets[first:last] if p[1] == 0 for ulaw in p[5]]
                from kefu_harness import ulaw_to_linear
                linear = [ulaw_to_linear(b) for b in samples]
                frames = [linear[i:i + 800] for i in range(0, len(linear) - 800, 800)]
                voiced = [f for f in frames if sum(x * x for x in f) / len(f) > 100 ** 2]
                if not voiced:
                    return 0.0, 0
                share = sum(1 for f in voiced if goertzel_power(f, 1400) > 0.5 * sum(x * x for x in f) * len(f) / 2)
                return share / len(voiced), len(voiced)

            before, n_before = tone_share(talk - 50, talk)
            held, n_held = tone_share(held_from + 10, held_to)
            after, n_after = tone_share(resumed_from + 10, len(peer.packets))
            self.assertGreater(before, 0.8, f"the agent's voice reaches the caller ({n_before} frames)")
            self.assertGreater(n_held, 10, "music plays while on hold")
            self.assertLess(held, 0.2, "on hold the caller hears music, not the agent")
            self.assertGreater(after, 0.8, "after resume the agent is heard again")
            uri = f"sip:4315@127.0.0.1:{self.kefu.sip_port}"
            sock.send(sip_request("BYE", uri, sock.port, call_id=header_of(invite, "Call-ID"),
                                  from_tag=header_of(invite, "From").split("tag=")[1],
                                  to_tag=header_of(ok, "To").split("tag=")[1], cseq=2))
            call = self.finished_calls("hold", 1)[0]
            self.assertAlmostEqual(call[9], 2000, delta=500, msg=f"hold_ms {call[9]}")
            ctrl.close()
        finally:
            sock.close()
            peer.close()
            phone.terminate()
            try:
                phone.wait(timeout=10)
            except subprocess.TimeoutExpired:
                phone.kill()
                phone.wait()
            phone.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
