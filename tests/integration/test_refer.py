"""Blind transfer from the agent's own phone with SIP REFER (RFC 3515): a SIPp agent phone
answers a queued call and sends REFER; kefu answers 202, reports progress with NOTIFYs
(message/sipfrag) and hands the caller over the way an HTTP transfer does (same queue events
and records): to another agent's extension, or to a queue's service number. Also checked: a
REFER with Replaces (attended transfer) is refused and the call goes on, a REFER from the
caller's side is refused, and a phone that never hangs up after the transfer gets kefu's BYE."""
import os
import re
import tempfile
import time
import unittest

import test_acd
from kefu_harness import KefuTestCase
from acd_peers import AgentPhone, Caller, SippProcess, caller_scenario, register_phone, unregister_phone

QUEUES = {
    # name: route number
    "ref_a": "4500",
    "ref_b": "4510",
    "ref_c": "4520",
}
AGENTS = {
    # id: queues
    "3001": ["ref_a"],
    "3002": ["ref_b"],
    "3003": ["ref_a"],
    "3004": ["ref_c"],
    "3005": ["ref_a"],
}
REPLACES = "Replaces=abc%40127.0.0.1%3Bto-tag%3D1%3Bfrom-tag%3D2"


def config():
    parts = []
    for name, number in QUEUES.items():
        parts.append(f'[[queue]]\nname = "{name}"\nwrap_up_s = 1\nring_timeout_s = 10\nmax_wait_s = 120\n'
                     'announce_interval_s = 0\nlast_agent_days = 0\noffer_overflow_on_long_wait = false\n')
        parts.append(f'[[route]]\nnumber = "{number}"\nqueue = "{name}"\n')
    for agent, queues in AGENTS.items():
        q = ", ".join(f"{name} = 0" for name in queues)
        parts.append(f'[[agent]]\nid = "{agent}"\nname = "Agent {agent}"\npassword = "demo{agent}"\n'
                     f'presence_follows_phone = true\nqueues = {{ {q} }}\n')
    return "\n".join(parts)


def referring_agent_scenario(extension, refer_to, after_refer, talk_ms=800, ring_ms=100):
    """An agent phone that answers, talks `talk_ms`, then sends REFER in the call's dialog;
    `after_refer` is the rest of the scenario (what it expects back)."""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone transfers with REFER">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="invite_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="invite_to"/>
      <ereg regexp=".*" search_in="hdr" header="Call-ID:" check_it="true" assign_to="invite_call_id"/>
      <ereg regexp="&lt;(sip:[^&gt;]*)&gt;" search_in="hdr" header="Contact:" check_it="true" assign_to="contact_all,contact_uri"/>
    </action>
  </recv>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]A[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:agent@[local_ip]:[local_port]>
      Content-Length: 0
  ]]></send>
  <pause milliseconds="{ring_ms}"/>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]A[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:agent@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=agent 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
  ]]></send>
  <recv request="ACK" crlf="true"/>
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500"><![CDATA[
      REFER [$contact_uri] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: [$invite_to];tag=[pid]A[call_number]
      To: [$invite_from]
      Call-ID: [$invite_call_id]
      X-Contact-Was: [$contact_all]
      CSeq: 1 REFER
      Contact: <sip:agent@[local_ip]:[local_port]>
      Refer-To: {refer_to}
      Referred-By: <sip:{extension}@[local_ip]>
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  {after_refer}
</scenario>
"""


ANSWER_NOTIFY = """
  <recv request="NOTIFY" crlf="true"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>"""

ANSWER_BYE = """
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>"""

# Accepted: 202, NOTIFY 100 Trying, NOTIFY 200 OK, then the phone hangs up itself.
TRANSFER_THEN_BYE = '<recv response="202"/>' + ANSWER_NOTIFY + ANSWER_NOTIFY + """
  <send retrans="500"><![CDATA[
      BYE [$contact_uri] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: [$invite_to];tag=[pid]A[call_number]
      To: [$invite_from]
      Call-ID: [$invite_call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>"""

# Accepted, but the phone never hangs up: kefu does.
TRANSFER_THEN_WAIT = '<recv response="202"/>' + ANSWER_NOTIFY + ANSWER_NOTIFY + ANSWER_BYE

# Refused (attended transfer): the call goes on until the caller hangs up.
REFUSED_THEN_WAIT = '<recv response="501"/>' + ANSWER_BYE


def caller_refers_scenario(hold_ms, refer_after_ms, caller):
    """A caller that, once answered, sends REFER itself (refused 403), then hangs up."""
    refer = f"""<pause milliseconds="{refer_after_ms}"/>
  <send retrans="500"><![CDATA[
      REFER [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 REFER
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Refer-To: <sip:3002@[remote_ip]>
      [routes]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="403"/>
  <pause milliseconds="{hold_ms}"/>"""
    text = caller_scenario(hold_ms, caller=caller)
    pause = f'<pause milliseconds="{hold_ms}"/>'
    assert text.count(pause) == 1 and text.count("CSeq: 2 BYE") == 1
    return text.replace(pause, refer).replace("CSeq: 2 BYE", "CSeq: 3 BYE")


class ScenarioPhone(SippProcess):
    """A registered agent phone running `scenario` (a SIPp UAS)."""

    def __init__(self, kefu, extension, scenario, timeout=40):
        super().__init__(["-key", "caller", extension, "-key", "service", extension], scenario,
                         timeout=timeout)
        self.extension = extension
        self.kefu = kefu
        time.sleep(0.2)  # SIPp binds its port before the first INVITE can arrive
        if self.proc.poll() is not None:
            raise RuntimeError("SIPp phone did not start:\n" + self.wait()[1][-3000:])
        status = register_phone(kefu, extension, f"demo{extension}", self.port)
        if status != 200:
            self.kill()
            raise RuntimeError(f"registering {extension} got {status}")

    def messages(self, direction, first_word):
        """Whole messages from SIPp's trace, in order: direction 'sent' or 'received', whose
        first line starts with `first_word`."""
        path = os.path.join(self.workdir, "msg.log")
        if not os.path.exists(path):
            return []
        with open(path, errors="replace") as f:
            text = f.read().replace("\r\n", "\n")
        blocks = re.split(r"\n-+ \d{4}-\d\d-\d\d\s+[\d:.]+[^\n]*\n", "\n" + text)
        out = []
        for block in blocks:
            head, _, message = block.partition("\n")
            if direction not in head:
                continue
            message = message.lstrip("\n")
            if message.startswith(first_word):
                out.append(message)
        return out


def header(message, name):
    for line in message.split("\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


class ReferTest(KefuTestCase):
    config_path = None
    # The ACD test's helpers: API sessions, agent states, database rows, SIPp results.
    login = test_acd.AcdTest.login
    raw = test_acd.AcdTest.raw
    api = test_acd.AcdTest.api
    agent_state = test_acd.AcdTest.agent_state
    wait_state = test_acd.AcdTest.wait_state
    rows = test_acd.AcdTest.rows
    wait_rows = test_acd.AcdTest.wait_rows
    assert_sipp_ok = test_acd.AcdTest.assert_sipp_ok

    @classmethod
    def setUpClass(cls):
        fd, cls.config_path = tempfile.mkstemp(suffix=".toml", prefix="kefu-refer-")
        with os.fdopen(fd, "w") as f:
            f.write(config())
        cls.extra_args = ("--config", cls.config_path, "--registration-min-expires", "1",
                          "--rtp-timeout", "0")
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.config_path)

    def call_id_of(self, caller_number, timeout=5):
        rows = self.wait_rows("SELECT call_id FROM call_records WHERE caller_number = ?",
                              (caller_number,), 1, timeout)
        self.assertEqual(len(rows), 1, f"no call record for {caller_number}")
        return rows[0][0]

    def events(self, call_id, count, timeout=10):
        """(kind, agent number or None, details) of the call's queue events, once there are
        `count` of them (or the deadline passed)."""
        self.wait_rows("SELECT id FROM queue_events WHERE call_id = ?", (call_id,), count, timeout)
        return self.rows("SELECT e.kind, a.agent_number, e.details FROM queue_events e"
                         " LEFT JOIN agents a ON a.id = e.agent_id WHERE e.call_id = ? ORDER BY e.id",
                         call_id)

    def assert_notifies(self, phone):
        notifies = phone.messages("received", "NOTIFY")
        self.assertEqual(len(notifies), 2, notifies)
        cseqs = []
        for notify, (sipfrag, state) in zip(notifies, [("SIP/2.0 100 Trying", "active;expires=60"),
                                                       ("SIP/2.0 200 OK", "terminated;reason=noresource")]):
            self.assertEqual(header(notify, "Event"), "refer", notify)
            self.assertEqual(header(notify, "Subscription-State"), state, notify)
            self.assertEqual(header(notify, "Content-Type"), "message/sipfrag;version=2.0", notify)
            self.assertIn(sipfrag, notify.split("\n\n", 1)[-1], notify)
            cseqs.append(int(header(notify, "CSeq").split()[0]))
        self.assertLess(cseqs[0], cseqs[1])

    def test_refer_to_an_agent_extension(self):
        first = ScenarioPhone(self.kefu, "3001",
                              referring_agent_scenario("3001", "<sip:3002@127.0.0.1>", TRANSFER_THEN_BYE))
        second = AgentPhone(self.kefu, "3002", ring_ms=100)  # waits for kefu's BYE
        try:
            self.assertTrue(self.wait_state("3001", "ready", 3))
            self.assertTrue(self.wait_state("3002", "ready", 3))
            caller = Caller(self.kefu, "4500", 5000, caller="13900003001")
            self.assertTrue(self.wait_state("3001", "on_call", 5))
            call_id = self.call_id_of("13900003001")
            self.assert_sipp_ok(first)  # 202, both NOTIFYs, its own BYE answered
            self.assertTrue(self.wait_state("3002", "on_call", 5))
            self.assertTrue(self.wait_state("3001", "ready", 5))  # after its wrap-up
            self.assert_sipp_ok(caller)
            self.assert_sipp_ok(second)
            self.assert_notifies(first)
            refer_answer = first.messages("received", "SIP/2.0 202")
            self.assertEqual(len(refer_answer), 1)
            self.assertIn("REFER", header(refer_answer[0], "CSeq"))
            events = self.events(call_id, 7)
            self.assertEqual([e[0] for e in events],
                             ["enqueue", "offer", "connect", "transfer", "offer", "connect", "complete"], events)
            self.assertEqual(events[2][1], "3001")
            self.assertEqual(events[3][1], "3001")
            self.assertEqual(events[3][2], "to_queue=ref_b to_agent=3002")  # as an HTTP transfer
            self.assertEqual(events[5][1], "3002")
            agent = self.rows("SELECT a.agent_number FROM call_records c JOIN agents a ON a.id = c.agent_id"
                              " WHERE c.call_id = ?", call_id)
            self.assertEqual(agent, [("3002",)])
            states = [r[0] for r in self.rows(
                "SELECT s.state FROM agent_state_changes s JOIN agents a ON a.id = s.agent_id"
                " WHERE a.agent_number = '3001' ORDER BY s.id")]
            self.assertIn("wrap_up", states[states.index("on_call"):], states)
        finally:
            for phone in (first, second):
                phone.kill()
            unregister_phone(self.kefu, "3001", "demo3001", first.port)
            unregister_phone(self.kefu, "3002", "demo3002", second.port)

    def test_refer_to_a_queue_number_and_kefu_hangs_up_a_phone_that_stays(self):
        first = ScenarioPhone(self.kefu, "3003",
                              referring_agent_scenario("3003", "sip:4520@127.0.0.1", TRANSFER_THEN_WAIT))
        second = AgentPhone(self.kefu, "3004", ring_ms=100)
        try:
            self.assertTrue(self.wait_state("3003", "ready", 3))
            self.assertTrue(self.wait_state("3004", "ready", 3))
            caller = Caller(self.kefu, "4500", 8000, caller="13900003003")
            self.assertTrue(self.wait_state("3003", "on_call", 5))
            call_id = self.call_id_of("13900003003")
            self.assertTrue(self.wait_state("3004", "on_call", 5))
            self.assert_sipp_ok(first)  # kefu's BYE came within its grace time
            self.assert_sipp_ok(caller)
            self.assert_sipp_ok(second)
            self.assert_notifies(first)
            last_notify = first.message_times()
            notify_at = [t for t, d, line in last_notify if d == "received" and line.startswith("NOTIFY")][-1]
            bye_at = [t for t, d, line in last_notify if d == "received" and line.startswith("BYE")][0]
            self.assertGreater((bye_at - notify_at).total_seconds(), 2.0)
            self.assertLess((bye_at - notify_at).total_seconds(), 8.0)
            events = self.events(call_id, 7)
            self.assertEqual([e[0] for e in events],
                             ["enqueue", "offer", "connect", "transfer", "offer", "connect", "complete"], events)
            self.assertEqual(events[3][2], "to_queue=ref_c")
            self.assertEqual(events[5][1], "3004")
        finally:
            for phone in (first, second):
                phone.kill()
            unregister_phone(self.kefu, "3003", "demo3003", first.port)
            unregister_phone(self.kefu, "3004", "demo3004", second.port)

    def test_attended_transfer_and_the_callers_refer_are_refused(self):
        phone = ScenarioPhone(self.kefu, "3005",
                              referring_agent_scenario("3005", f"<sip:3002@127.0.0.1?{REPLACES}>",
                                                       REFUSED_THEN_WAIT, talk_ms=300))
        try:
            self.assertTrue(self.wait_state("3005", "ready", 3))
            caller = SippProcess(["127.0.0.1:%d" % self.kefu.sip_port, "-s", "4500", "-t", "u1"],
                                 caller_refers_scenario(2500, 1500, "13900003005"))
            self.assertTrue(self.wait_state("3005", "on_call", 5))
            call_id = self.call_id_of("13900003005")
            self.assert_sipp_ok(caller)  # its REFER got 403; then it hung up
            self.assert_sipp_ok(phone)  # 501 to its REFER; the call went on to the caller's BYE
            self.assertEqual(phone.messages("received", "NOTIFY"), [])
            refused = phone.messages("received", "SIP/2.0 501")
            self.assertEqual(len(refused), 1)
            events = self.events(call_id, 4)
            self.assertEqual([e[0] for e in events], ["enqueue", "offer", "connect", "complete"], events)
            self.assertEqual(events[3][2], "ended_by=caller")
        finally:
            phone.kill()
            unregister_phone(self.kefu, "3005", "demo3005", phone.port)


if __name__ == "__main__":
    unittest.main()
