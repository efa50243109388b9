"""Real peers for the ACD tests: SIPp processes as agent phones (UAS: answer after a ring,
reject, or never answer) and as callers, each with its own SIP and RTP ports, their scenarios
generated from the timings a test needs, and their message traces parsed for timestamps."""
import datetime
import hashlib
import os
import re
import subprocess
import tempfile
import time

from kefu_harness import SipSocket, free_port, sip_request, status_of

SIP_HEADERS = """Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>"""


def parse_challenges(message):
    out = []
    for line in message.decode(errors="replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "www-authenticate":
            out.append(dict(re.findall(r'(\w+)="?([^",]*)"?', value)))
    return out


def digest_header(challenge, user, password, uri, method="REGISTER", nc=1, cnonce="0a4f113b"):
    algo = challenge.get("algorithm", "MD5")
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if algo.upper() == "SHA-256" else \
        (lambda s: hashlib.md5(s.encode()).hexdigest())
    ha1 = h(f"{user}:{challenge['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    ncv = "%08x" % nc
    resp = h(f"{ha1}:{challenge['nonce']}:{ncv}:{cnonce}:auth:{ha2}")
    return (f'Authorization: Digest username="{user}", realm="{challenge["realm"]}", '
            f'nonce="{challenge["nonce"]}", uri="{uri}", response="{resp}", algorithm={algo}, '
            f'qop=auth, nc={ncv}, cnonce="{cnonce}"' +
            (f', opaque="{challenge["opaque"]}"' if "opaque" in challenge else ""))


def register_phone(kefu, user, password, contact_port, expires=300):
    """Registers `user` with a Contact at 127.0.0.1:contact_port (where a SIPp phone listens),
    as a provisioning system would; returns the final status."""
    sock = SipSocket(kefu)
    try:
        uri = f"sip:127.0.0.1:{kefu.sip_port}"
        call_id = f"reg-{user}-{time.time()}"
        to = f"sip:{user}@127.0.0.1"

        def req(cseq, auth=""):
            extra = f"Expires: {expires}" + ("\r\n" + auth if auth else "")
            r = sip_request("REGISTER", uri, sock.port, call_id=call_id, cseq=cseq, extra=extra)
            r = r.replace(b"<sip:tester@127.0.0.1:%d>;tag" % sock.port, f"<{to}>;tag".encode())
            r = r.replace(f"To: <{uri}>".encode(), f"To: <{to}>".encode())
            return r.replace(b"Contact: <sip:tester@127.0.0.1:%d;transport=udp>" % sock.port,
                             f"Contact: <sip:{user}@127.0.0.1:{contact_port}>".encode())
        sock.send(req(1))
        challenge = sock.recv_message(3)
        if status_of(challenge) != 401:
            return status_of(challenge)
        sock.send(req(2, digest_header(parse_challenges(challenge)[0], user, password, uri)))
        return status_of(sock.recv_message(3))
    finally:
        sock.close()


def unregister_phone(kefu, user, password, contact_port):
    return register_phone(kefu, user, password, contact_port, expires=0)


def _write(text):
    fd, path = tempfile.mkstemp(suffix=".xml", prefix="kefu-sipp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _answer_scenario(ring_ms, talk_ms, rtp_stream):
    # The phone's own BYE needs the dialog's headers the other way round: kept from the INVITE
    # (SIPp refuses variables that are set but never used, so only in that variant).
    invite = '''<recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="invite_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="invite_to"/>
      <ereg regexp=".*" search_in="hdr" header="Call-ID:" check_it="true" assign_to="invite_call_id"/>
      <ereg regexp="&lt;(sip:[^&gt;]*)&gt;" search_in="hdr" header="Contact:" check_it="true" assign_to="contact_all,contact_uri"/>
    </action>
  </recv>''' \
        if talk_ms is not None else '<recv request="INVITE" crlf="true"/>'
    media = f'<nop><action><exec rtp_stream="{rtp_stream},-1,0"/></action></nop>' if rtp_stream else ""
    hangup = f"""
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [$contact_uri] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: [$invite_to];tag=[pid]A[call_number]
      To: [$invite_from]
      Call-ID: [$invite_call_id]
      X-Contact-Was: [$contact_all]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>""" if talk_ms is not None else """
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
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone answers">
  {invite}
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
  {media}
  {hangup}
</scenario>
"""


def _reject_scenario(status):
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone rejects">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
      SIP/2.0 {status} Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]R[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <recv request="ACK"/>
</scenario>
"""


def _no_answer_scenario():
    return """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone rings and is cancelled">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]N[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <recv request="CANCEL"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]N[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <send><![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]N[call_number]
      [last_Call-ID:]
      CSeq: [last_cseq_number] INVITE
      Content-Length: 0
  ]]></send>
  <recv request="ACK"/>
</scenario>
"""


class SippProcess:
    """A SIPp running in the background with its own SIP and RTP ports and a message trace."""

    def __init__(self, args, scenario_text, sip_port=None, calls=1, timeout=60):
        self.port = sip_port or free_port(both=True)
        self.media_port = free_port(span=4)
        self.workdir = tempfile.mkdtemp(prefix="kefu-sipp-")
        self.scenario = _write(scenario_text)
        self.cmd = ["sipp"] + args + ["-sf", self.scenario, "-i", "127.0.0.1", "-p", str(self.port),
                                      "-mp", str(self.media_port), "-m", str(calls), "-nostdin",
                                      "-timeout", f"{timeout}s", "-timeout_error",
                                      "-trace_msg", "-message_file", os.path.join(self.workdir, "msg.log")]
        self.timeout = timeout
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     cwd=self.workdir)

    def wait(self):
        try:
            out, _ = self.proc.communicate(timeout=self.timeout + 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return self.proc.returncode, out.decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def message_times(self):
        """[(datetime, 'sent'|'received', first line)] from SIPp's message trace."""
        path = os.path.join(self.workdir, "msg.log")
        if not os.path.exists(path):
            return []
        events = []
        with open(path, errors="replace") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            m = re.match(r"-+ (\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+)", line)
            if not m:
                continue
            stamp = datetime.datetime.strptime(re.sub(r"\s+", " ", m.group(1)), "%Y-%m-%d %H:%M:%S.%f")
            direction = "sent" if i + 1 < len(lines) and "sent" in lines[i + 1] else "received"
            first = ""
            for follow in lines[i + 2:i + 6]:
                if follow.strip():
                    first = follow.strip()
                    break
            events.append((stamp, direction, first))
        return events


class AgentPhone(SippProcess):
    """An agent's phone: registers `extension`, then answers (after ring_ms; hangs up after
    talk_ms, or waits for the BYE), rejects with `reject`, or only rings (`answer=False`)."""

    def __init__(self, kefu, extension, password=None, ring_ms=300, talk_ms=None, reject=None,
                 answer=True, calls=1, rtp_echo=False, rtp_stream=None, timeout=60):
        if reject:
            text = _reject_scenario(reject)
        elif not answer:
            text = _no_answer_scenario()
        else:
            text = _answer_scenario(ring_ms, talk_ms, rtp_stream)
        args = ["-key", "caller", extension, "-key", "service", extension]
        if rtp_echo:
            args.append("-rtp_echo")
        super().__init__(args, text, calls=calls, timeout=timeout)
        self.extension = extension
        self.kefu = kefu
        time.sleep(0.2)  # SIPp binds its port before the first INVITE can arrive
        if self.proc.poll() is not None:
            raise RuntimeError("SIPp agent phone did not start:\n" + self.wait()[1][-3000:])
        status = register_phone(kefu, extension, password or f"demo{extension}", self.port)
        if status != 200:
            self.kill()
            raise RuntimeError(f"registering {extension} got {status}")

    def unregister(self):
        return unregister_phone(self.kefu, self.extension, f"demo{self.extension}", self.port)


def caller_scenario(hold_ms, rtp_stream=None, caller="13900000001"):
    media = f'<nop><action><exec rtp_stream="{rtp_stream},-1,0"/></action></nop>' if rtp_stream else ""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller waits, talks, hangs up">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      [routes]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  {media}
  <pause milliseconds="{hold_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]T[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      [routes]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


def agent_hangs_up_caller_scenario(caller="13900000001"):
    """A caller that waits until the far end (the agent, through kefu) hangs up."""
    return caller_scenario(0, caller=caller).split("<pause")[0] + """
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
</scenario>
"""


class Caller(SippProcess):
    """A SIPp caller to `number` from `caller`, hanging up after hold_ms (from the 200)."""

    def __init__(self, kefu, number, hold_ms, caller="13900000001", rtp_stream=None,
                 wait_for_bye=False, timeout=60, sip_port=None):
        text = agent_hangs_up_caller_scenario(caller) if wait_for_bye else \
            caller_scenario(hold_ms, rtp_stream, caller)
        super().__init__([f"127.0.0.1:{kefu.sip_port}", "-s", number, "-t", "u1"], text,
                         timeout=timeout, sip_port=sip_port)
