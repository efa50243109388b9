"""Click-to-call with real peers: an agent signed in to the API asks kefu to call a number; kefu
rings the agent's SIPp phone first and only after its answer dials the number through the
outbound gateway (a SIPp UAS acting as the carrier), then bridges the two. Checked: the order of
the INVITEs, the gateway's Request-URI, media across the bridge (in the recording), hang-up
from either side, the call record, the events, the agent's ACD state (no queue call offered
during the call), a busy number, an agent who does not answer, and the API's errors."""
import datetime
import json
import os
import socket
import struct
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import wave

from kefu_harness import KefuTestCase, free_port
from acd_peers import AgentPhone, Caller, SippProcess, _answer_scenario, _reject_scenario, unregister_phone
from test_acd import goertzel_power, write_tone
from test_events import WebSocket
import test_refer

GATEWAY_PORT = free_port(both=True)
NUMBER = "139 1234 5678"  # typed as a person would; the gateway gets national digits


def config():
    parts = ['''[[queue]]
name = "c2c"
wrap_up_s = 1
ring_timeout_s = 10
max_wait_s = 120
announce_interval_s = 0
last_agent_days = 0
offer_overflow_on_long_wait = false
recording = "chosen_agents"

[[route]]
number = "4400"
queue = "c2c"

[outbound]
gateway = "sip:127.0.0.1:%d"
caller_id = "02088886666"
number_format = "national"
agent_ring_timeout_s = 2
ring_timeout_s = 5
''' % GATEWAY_PORT]
    for agent in ("1001", "1002", "1003", "1004"):
        parts.append(f'[[agent]]\nid = "{agent}"\npassword = "demo{agent}"\npresence_follows_phone = true\n'
                     f'queues = {{ c2c = 0 }}\nrecord_calls = {"true" if agent == "1001" else "false"}\n')
    return "\n".join(parts)


class ClickToCallTest(KefuTestCase):
    @classmethod
    def setUpClass(cls):
        fd, cls.config_path = tempfile.mkstemp(suffix=".toml", prefix="kefu-c2c-")
        with os.fdopen(fd, "w") as f:
            f.write(config())
        cls.extra_args = ("--config", cls.config_path, "--rtp-timeout", "0")
        super().setUpClass()
        cls.tone440 = os.path.join(cls.kefu.data_dir, "tone440.wav")
        write_tone(cls.tone440, 440)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.config_path)

    # ---- helpers ----

    def raw(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.kefu.http_port}{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def login(self, user, password):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.kefu.http_port}/api/v1/auth/login",
            data=json.dumps({"login": user, "password": password}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            body = json.loads(r.read())
            return {"Cookie": r.headers["Set-Cookie"].split(";")[0], "X-CSRF-Token": body["csrf_token"]}

    def originate(self, session, **body):
        return self.raw("POST", "/api/v1/calls/originate", body, session)

    def state(self, session, agent):
        return self.raw("GET", f"/api/v1/agents/{agent}", None, session)[1]["state"]

    def wait_state(self, session, agent, state, timeout=8):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.state(session, agent) == state:
                return True
            time.sleep(0.05)
        return False

    def rows(self, sql, *params):
        return self.kefu.rows(sql, *params)

    def finished(self, call_id, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            rows = self.rows("SELECT direction, caller_number, dialed_number,"
                             " (SELECT agent_number FROM agents WHERE id = agent_id), arrival_at,"
                             " answered_at, ended_at, talk_ms, disposition FROM call_records"
                             " WHERE call_id = ? AND ended_at IS NOT NULL", call_id)
            if rows:
                return rows[0]
            time.sleep(0.1)
        self.fail(f"no finished call record for {call_id}")

    def legs(self, call_id, count, timeout=5):
        deadline = time.time() + timeout
        rows = []
        while time.time() < deadline:
            rows = self.rows("SELECT role, number, end_reason FROM call_legs WHERE call_id = ? ORDER BY id",
                             call_id)
            if len(rows) >= count:
                break
            time.sleep(0.1)
        return rows

    def assert_sipp_ok(self, peer):
        code, out = peer.wait()
        self.assertEqual(code, 0, out[-3000:])

    @staticmethod
    def first(events, direction, prefix):
        return next((t, line) for t, d, line in events if d == direction and line.startswith(prefix))

    # ---- tests ----

    def test_agent_rings_first_then_the_number_bridged_recorded_and_customer_hangs_up(self):
        session = self.login("1001", "demo1001")
        # The carrier: rings 0.8 s, answers, sends a 440 Hz tone, hangs up after 3 s.
        gateway = SippProcess([], _answer_scenario(800, 3000, self.tone440), sip_port=GATEWAY_PORT)
        # The agent's phone echoes what it hears: the customer's tone comes back in the agent's
        # channel of the recording only if kefu forwarded it. Two calls: the click-to-call,
        # then the queue call that must wait until it is over.
        agent = AgentPhone(self.kefu, "1001", ring_ms=500, rtp_echo=True, calls=2)
        stream = WebSocket(self.kefu.http_port, "/api/v1/events", {"Cookie": session["Cookie"]})
        try:
            self.assertTrue(self.wait_state(session, "1001", "ready"))
            status, body = self.originate(session, number=NUMBER)
            self.assertEqual(status, 202, body)
            call_id = body["call_id"]
            self.assertEqual((body["agent"], body["number"]), ("1001", "+8613912345678"))
            self.assertEqual(self.state(session, "1001"), "on_call")
            # A queue call now is not offered to the agent on the click-to-call.
            queued = Caller(self.kefu, "4400", 9000, caller="13900000201")
            connected = stream.wait_for(lambda e: e["type"] == "call.connected" and e.get("call_id") == call_id)
            self.assertIsNotNone(connected, "the number answered and was bridged")
            self.assertEqual(connected["direction"], "outbound")
            ended = stream.wait_for(lambda e: e["type"] == "call.ended" and e.get("call_id") == call_id)
            self.assertEqual((ended["disposition"], ended["details"]), ("answered", "ended_by=customer"))
            self.assert_sipp_ok(gateway)
            self.assert_sipp_ok(queued)
            self.assert_sipp_ok(agent)  # got kefu's BYE for both calls

            agent_seen, gateway_seen = agent.message_times(), gateway.message_times()
            agent_invite, _ = self.first(agent_seen, "received", "INVITE")
            agent_answer, _ = self.first(agent_seen, "sent", "SIP/2.0 200")
            gateway_invite, request_line = self.first(gateway_seen, "received", "INVITE")
            agent_bye, _ = self.first(agent_seen, "received", "BYE")
            gateway_bye, _ = self.first(gateway_seen, "sent", "BYE")
            self.assertLess(agent_invite, gateway_invite)
            # Two SIPp processes stamp their own logs (after sending): allow them 20 ms of skew.
            # Without the ordering the gateway's INVITE would come ~500 ms (the agent's ring) earlier.
            skew = datetime.timedelta(milliseconds=20)
            self.assertLessEqual(agent_answer, gateway_invite + skew,
                                 "the number is dialed only after the agent answered")
            self.assertTrue(request_line.startswith(f"INVITE sip:13912345678@127.0.0.1:{GATEWAY_PORT} "),
                            request_line)
            self.assertLess(gateway_bye, agent_bye + skew, "the customer's BYE ends the agent's leg")
            with open(os.path.join(gateway.workdir, "msg.log"), errors="replace") as f:
                self.assertIn("sip:02088886666@", f.read(), "the configured caller id goes to the carrier")

            record = self.finished(call_id)
            self.assertEqual(record[:4], ("outbound", "1001", "+8613912345678", "1001"))
            self.assertEqual(record[8], "answered")
            self.assertIsNotNone(record[5])
            self.assertAlmostEqual(record[7], 3000, delta=600)
            legs = self.legs(call_id, 2)
            self.assertEqual([(r[0], r[1]) for r in legs], [("agent", "1001"), ("outbound", "+8613912345678")])

            # The queue caller was offered to 1001 only after the click-to-call (and wrap-up).
            deadline, queue_call = time.time() + 5, None
            while time.time() < deadline and (queue_call is None or queue_call[2] is None):
                queue_call = self.rows("SELECT offered_at, (SELECT agent_number FROM agents WHERE id = agent_id),"
                                       " disposition FROM call_records WHERE caller_number = '13900000201'")[0]
                time.sleep(0.1)
            self.assertEqual(queue_call[1:], ("1001", "answered"))
            self.assertGreaterEqual(queue_call[0], record[6] + 900, "offered after the call and 1 s of wrap-up")

            recs = self.rows("SELECT file_path FROM recordings WHERE call_id = ?", call_id)
            self.assertEqual(len(recs), 1)
            deadline = time.time() + 5
            while not os.path.exists(recs[0][0]) and time.time() < deadline:
                time.sleep(0.1)
            with wave.open(recs[0][0], "rb") as w:
                frames = w.readframes(w.getnframes())
            samples = struct.unpack("<%dh" % (len(frames) // 2), frames)
            middle = len(samples) // 4
            left = samples[0::2][middle - 4000:middle + 4000]
            right = samples[1::2][middle - 4000:middle + 4000]
            self.assertGreater(goertzel_power(left, 440), 20 * goertzel_power(left, 1000), "customer on the left")
            self.assertGreater(goertzel_power(right, 440), 20 * goertzel_power(right, 1000),
                               "the customer's audio reached the agent's phone (echoed back)")
        finally:
            stream.close()
            gateway.kill()
            agent.kill()
            unregister_phone(self.kefu, "1001", "demo1001", agent.port)

    def test_agent_hangs_up_and_the_customer_gets_bye(self):
        session = self.login("supervisor", "super123")  # may place calls for any agent
        gateway = SippProcess([], _answer_scenario(300, None, None), sip_port=GATEWAY_PORT)
        agent = AgentPhone(self.kefu, "1004", ring_ms=300, talk_ms=1500)
        try:
            self.assertTrue(self.wait_state(session, "1004", "ready"))
            status, body = self.originate(session, agent="1004", number="020-8333 1234")
            self.assertEqual(status, 202, body)
            self.assert_sipp_ok(agent)
            self.assert_sipp_ok(gateway)  # got the BYE
            _, request_line = self.first(gateway.message_times(), "received", "INVITE")
            self.assertTrue(request_line.startswith("INVITE sip:02083331234@"), request_line)
            record = self.finished(body["call_id"])
            self.assertEqual((record[0], record[2], record[3], record[8]),
                             ("outbound", "+862083331234", "1004", "answered"))
            self.assertAlmostEqual(record[7], 1500, delta=500)
            # Wrap-up after the conversation, then Ready by itself.
            self.assertTrue(self.wait_state(session, "1004", "ready", 5))
        finally:
            gateway.kill()
            agent.kill()
            unregister_phone(self.kefu, "1004", "demo1004", agent.port)

    def test_busy_number_agent_hears_a_tone_then_bye(self):
        session = self.login("1003", "demo1003")
        gateway = SippProcess([], _reject_scenario(486), sip_port=GATEWAY_PORT)
        agent = AgentPhone(self.kefu, "1003", ring_ms=200)
        stream = WebSocket(self.kefu.http_port, "/api/v1/events", {"Cookie": session["Cookie"]})
        try:
            self.assertTrue(self.wait_state(session, "1003", "ready"))
            status, body = self.originate(session, number="13912345678")
            self.assertEqual(status, 202, body)
            self.assert_sipp_ok(gateway)
            self.assert_sipp_ok(agent)
            seen = agent.message_times()
            answered, _ = self.first(seen, "sent", "SIP/2.0 200")
            bye, _ = self.first(seen, "received", "BYE")
            heard = (bye - answered).total_seconds()
            self.assertGreater(heard, 2.5, "the busy tone plays before the BYE")
            self.assertLess(heard, 6)
            ended = stream.wait_for(lambda e: e["type"] == "call.ended" and e.get("call_id") == body["call_id"])
            self.assertEqual((ended["disposition"], ended["details"]), ("unanswered", "busy 486"))
            record = self.finished(body["call_id"])
            self.assertEqual((record[0], record[8], record[7]), ("outbound", "unanswered", 0))
            self.assertIsNone(record[5])
            legs = self.legs(body["call_id"], 2)
            self.assertIn("486", legs[1][2])
            # Nobody was connected: back to Ready without wrap-up.
            self.assertEqual(self.state(session, "1003"), "ready")
        finally:
            stream.close()
            gateway.kill()
            agent.kill()
            unregister_phone(self.kefu, "1003", "demo1003", agent.port)

    def test_agent_does_not_answer_nothing_is_dialed(self):
        session = self.login("1002", "demo1002")
        carrier = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        carrier.bind(("127.0.0.1", GATEWAY_PORT))
        agent = AgentPhone(self.kefu, "1002", answer=False)
        try:
            self.assertTrue(self.wait_state(session, "1002", "ready"))
            status, body = self.originate(session, number="13912345678")
            self.assertEqual(status, 202, body)
            self.assert_sipp_ok(agent)  # rang, then CANCEL after agent_ring_timeout_s = 2
            record = self.finished(body["call_id"])
            self.assertEqual(record[8], "unanswered")
            carrier.settimeout(0.5)
            with self.assertRaises(socket.timeout, msg="nothing may reach the gateway"):
                carrier.recvfrom(65535)
            self.assertEqual(self.state(session, "1002"), "ready")
        finally:
            carrier.close()
            agent.kill()
            unregister_phone(self.kefu, "1002", "demo1002", agent.port)

    def queue_events(self, call_id, count, timeout=10):
        deadline = time.time() + timeout
        rows = []
        while time.time() < deadline:
            rows = self.rows("SELECT kind, details FROM queue_events WHERE call_id = ? ORDER BY id", call_id)
            if len(rows) >= count:
                break
            time.sleep(0.1)
        return rows

    def queue_call_on(self, session, agent, caller):
        self.assertTrue(self.wait_state(session, agent, "on_call", 8))
        return self.rows("SELECT call_id FROM call_records WHERE caller_number = ?", caller)[0][0]

    # The same from the agent's own phone: REFER with a number outside as its target (ADR 0013).
    def test_refer_from_the_agents_phone_to_a_number(self):
        session = self.login("1003", "demo1003")
        gateway = SippProcess([], _answer_scenario(300, 2000, None), sip_port=GATEWAY_PORT)
        phone = test_refer.ScenarioPhone(
            self.kefu, "1003",
            test_refer.referring_agent_scenario("1003", "<sip:13912345678@127.0.0.1>",
                                                test_refer.TRANSFER_THEN_BYE))
        try:
            self.assertTrue(self.wait_state(session, "1003", "ready"))
            caller = Caller(self.kefu, "4400", 0, caller="13900000310", wait_for_bye=True)
            call_id = self.queue_call_on(session, "1003", "13900000310")
            self.assert_sipp_ok(phone)    # 202, NOTIFY 100 and 200, its own BYE answered
            self.assert_sipp_ok(gateway)  # answered, talked 2 s, hung up
            self.assert_sipp_ok(caller)   # then kefu's BYE reached the caller
            _, request_line = self.first(gateway.message_times(), "received", "INVITE")
            self.assertTrue(request_line.startswith("INVITE sip:13912345678@"), request_line)
            events = self.queue_events(call_id, 6)
            self.assertEqual([e[0] for e in events], ["enqueue", "offer", "connect", "transfer", "connect", "complete"])
            self.assertIn("to_number=13912345678", events[3][1])
            self.assertEqual(events[5][1], "ended_by=number")
            self.assertEqual([r[0] for r in self.legs(call_id, 2)], ["agent", "outbound"])
            self.assertEqual(self.finished(call_id)[8], "answered")
        finally:
            gateway.kill()
            phone.kill()
            unregister_phone(self.kefu, "1003", "demo1003", phone.port)

    # Blind transfer to a number goes out through the same gateway: the agent leaves, the caller
    # is bridged to the number, and the number's hang-up ends the caller's call.
    def test_blind_transfer_of_a_queue_call_to_a_number(self):
        session = self.login("1002", "demo1002")
        gateway = SippProcess([], _answer_scenario(300, 2000, None), sip_port=GATEWAY_PORT)
        agent = AgentPhone(self.kefu, "1002", ring_ms=200)  # talks until kefu's BYE
        try:
            self.assertTrue(self.wait_state(session, "1002", "ready"))
            caller = Caller(self.kefu, "4400", 0, caller="13900000301", wait_for_bye=True)
            call_id = self.queue_call_on(session, "1002", "13900000301")
            path = f"/api/v1/calls/{urllib.request.quote(call_id, safe='')}/transfer"
            status, body = self.raw("POST", path, {"number": "12345"}, session)
            self.assertEqual((status, body["error"]["field"]), (400, "number"), body)
            status, body = self.raw("POST", path, {"number": NUMBER}, session)
            self.assertEqual(status, 200, body)
            self.assert_sipp_ok(agent)    # the agent's leg ended at the transfer
            self.assert_sipp_ok(gateway)  # answered, talked 2 s, hung up
            self.assert_sipp_ok(caller)   # then kefu's BYE reached the caller
            _, request_line = self.first(gateway.message_times(), "received", "INVITE")
            self.assertTrue(request_line.startswith("INVITE sip:13912345678@"), request_line)
            events = self.queue_events(call_id, 6)
            self.assertEqual([e[0] for e in events], ["enqueue", "offer", "connect", "transfer", "connect", "complete"])
            self.assertIn("to_number=" + NUMBER, events[3][1])
            self.assertEqual(events[5][1], "ended_by=number")
            self.assertEqual([r[0] for r in self.legs(call_id, 2)], ["agent", "outbound"])
            self.assertEqual(self.finished(call_id)[8], "answered")
            self.assertTrue(self.wait_state(session, "1002", "ready", 5), "the agent is free after wrap-up")
        finally:
            gateway.kill()
            agent.kill()
            unregister_phone(self.kefu, "1002", "demo1002", agent.port)

    # The number is busy: the caller goes back to the queue and is offered again.
    def test_transfer_to_a_busy_number_returns_the_caller_to_the_queue(self):
        session = self.login("1003", "demo1003")
        gateway = SippProcess([], _reject_scenario(486), sip_port=GATEWAY_PORT)
        agent = AgentPhone(self.kefu, "1003", ring_ms=200, calls=2)
        try:
            self.assertTrue(self.wait_state(session, "1003", "ready"))
            caller = Caller(self.kefu, "4400", 7000, caller="13900000302")
            call_id = self.queue_call_on(session, "1003", "13900000302")
            status, body = self.raw("POST", f"/api/v1/calls/{urllib.request.quote(call_id, safe='')}/transfer",
                                    {"number": "13912345678"}, session)
            self.assertEqual(status, 200, body)
            self.assert_sipp_ok(gateway)
            self.assert_sipp_ok(caller)
            self.assert_sipp_ok(agent)  # both calls: before the transfer, and the offer after it
            events = self.queue_events(call_id, 8)
            self.assertEqual([e[0] for e in events],
                             ["enqueue", "offer", "connect", "transfer", "enqueue", "offer", "connect", "complete"])
            self.assertIn("transfer_failed=13912345678", events[4][1])
            self.assertIn("486", events[4][1])
            self.assertEqual(self.finished(call_id)[8], "answered")
        finally:
            gateway.kill()
            agent.kill()
            unregister_phone(self.kefu, "1003", "demo1003", agent.port)

    def test_errors(self):
        agent = self.login("1002", "demo1002")
        # Another agent's name: 403. A number that is none: 400 naming it.
        status, body = self.originate(agent, agent="1003", number="13912345678")
        self.assertEqual(status, 403, body)
        status, body = self.originate(agent, number="12345")
        self.assertEqual((status, body["error"]["field"]), (400, "number"), body)
        status, body = self.originate(agent, number=12345)
        self.assertEqual((status, body["error"]["field"]), (400, "number"), body)
        # The agent's phone is not registered: 409.
        status, body = self.originate(agent, number="13912345678")
        self.assertEqual(status, 409, body)
        supervisor = self.login("supervisor", "super123")
        status, body = self.originate(supervisor, agent="nobody", number="13912345678")
        self.assertEqual((status, body["error"]["field"]), (404, "agent"), body)
        status, body = self.originate(supervisor, number="13912345678")
        self.assertEqual((status, body["error"]["field"]), (400, "agent"), "a supervisor names the agent")
        # An extension of an agent whose phone is not registered: 409, not the gateway.
        status, body = self.originate(supervisor, agent="1003", number="1004")
        self.assertEqual(status, 409, body)
        # Without a session: 401; without the CSRF token: 403.
        self.assertEqual(self.originate({}, number="13912345678")[0], 401)
        self.assertEqual(self.originate({"Cookie": agent["Cookie"]}, number="13912345678")[0], 403)


if __name__ == "__main__":
    unittest.main(verbosity=2)
