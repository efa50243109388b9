"""Calls into the demo service number 4000 with SIPp as the caller: answer, spoken prompt as
RTP, RFC 4733 digits, BYE; CANCEL; 488; retransmitted INVITE; TCP; SIGTERM ends calls."""
import subprocess
import threading
import time
import unittest

from kefu_harness import (KEFU, Kefu, KefuTestCase, RtpPeer, SipSocket, answer_ok, header_of, place_call,
                          sdp_offer, sip_request, sipp, status_of)


class DemoCallTest(KefuTestCase):
    extra_args = ("--answer-delay-ms", "300")

    def call_with_peer(self, transport="u1", digits="5", hold_ms=7000, service="4000", listen_s=2.0):
        peer = RtpPeer()
        result = {}

        def run():
            result["sipp"] = sipp(self.kefu, "call_media_by_peer.xml", "-d", str(hold_ms),
                                  transport=transport, service=service,
                                  keys={"peer_rtp_port": peer.port, "caller": "13912345678"})
        caller = threading.Thread(target=run)
        caller.start()
        try:
            peer.receive(3.0)
            first = len(peer.packets)
            self.assertGreater(first, 60, "expected ~50 RTP packets/s of prompt audio")
            for d in digits:
                peer.send_digit(d)
            peer.receive(listen_s)
        finally:
            caller.join(timeout=60)
            peer.close()
        code, out = result["sipp"]
        self.assertEqual(code, 0, out[-3000:])
        return peer, first

    def test_prompt_audio_and_digits_over_udp(self):
        peer, first = self.call_with_peer()
        pts = {p[1] for p in peer.packets}
        self.assertEqual(pts, {0}, "kefu answers with PCMU, the first codec offered")
        seqs = [p[2] for p in peer.packets[:first]]
        self.assertTrue(all((b - a) % 65536 == 1 for a, b in zip(seqs, seqs[1:])), "consecutive seq")
        stamps = [p[3] for p in peer.packets[:first]]
        self.assertTrue(all((b - a) % 2**32 == 160 for a, b in zip(stamps, stamps[1:])), "ts += 160")
        self.assertEqual(len({p[4] for p in peer.packets}), 1, "one SSRC")
        self.assertGreater(peer.audio_rms(0, 0, first), 300, "the greeting is speech, not silence")
        self.assertTrue(self.kefu.wait_log("digit=5"), "kefu must report the RFC 4733 digit")
        # After the digit, kefu says it back: audio keeps coming and is not silent.
        self.assertGreater(len(peer.packets) - first, 40)
        self.assertGreater(peer.audio_rms(0, first, None), 300)

    def test_tcp_transport(self):
        peer, first = self.call_with_peer(transport="t1", digits="7", hold_ms=6000)
        self.assertGreater(first, 60)
        self.assertTrue(self.kefu.wait_log("digit=7"))

    def test_prompt_loop_number_keeps_playing(self):
        """4001 replays the menu prompt until the caller hangs up: audio never stops."""
        # The menu prompt lasts about 8.5 s: 12 s of listening crosses the loop point.
        peer, first = self.call_with_peer(digits="", hold_ms=14000, service="4001", listen_s=9.0)
        times = [p[0] for p in peer.packets]
        self.assertGreater(len(times), 550, "about 12 s of audio at 50 packets/s")
        self.assertLess(max(b - a for a, b in zip(times, times[1:])), 0.5,
                        "no gap between the loops of the prompt")

    def test_cancel_before_answer(self):
        code, out = sipp(self.kefu, "cancel_before_answer.xml")
        self.assertEqual(code, 0, out[-3000:])

    def test_no_common_codec_gets_488(self):
        code, out = sipp(self.kefu, "no_common_codec.xml")
        self.assertEqual(code, 0, out[-3000:])

    def test_retransmitted_invite_is_absorbed(self):
        sock = SipSocket(self.kefu)
        peer = RtpPeer()
        try:
            invite = sip_request("INVITE", f"sip:4000@127.0.0.1:{self.kefu.sip_port}", sock.port,
                                 body=sdp_offer(peer.port))
            sock.send(invite)
            time.sleep(0.05)
            sock.send(invite)  # the same branch: a retransmission, not a new call
            finals = []
            deadline = time.time() + 5
            while time.time() < deadline and len(finals) < 2:
                m = sock.recv_message(timeout=max(0.1, deadline - time.time()))
                if m is None:
                    break
                if status_of(m) == 200:
                    finals.append(m)
                    # Not ACKed yet: kefu retransmits the 200 (one dialog, the same To tag).
            self.assertGreaterEqual(len(finals), 1)
            tags = {header_of(m, "To") for m in finals}
            self.assertEqual(len(tags), 1, "retransmission must not create a second dialog")
            to = header_of(finals[0], "To")
            call_id = header_of(invite, "Call-ID")
            from_tag = header_of(invite, "From").split("tag=")[1]
            to_tag = to.split("tag=")[1]
            uri = f"sip:4000@127.0.0.1:{self.kefu.sip_port}"
            sock.send(sip_request("ACK", uri, sock.port, call_id=call_id, from_tag=from_tag,
                                  to_tag=to_tag, cseq=1))
            sock.send(sip_request("BYE", uri, sock.port, call_id=call_id, from_tag=from_tag,
                                  to_tag=to_tag, cseq=2))
            deadline = time.time() + 5
            bye_status = None
            while time.time() < deadline:
                m = sock.recv_message(timeout=1)
                if m and header_of(m, "CSeq") == "2 BYE":
                    bye_status = status_of(m)
                    break
            self.assertEqual(bye_status, 200)
            self.assertEqual(self.kefu.read_log().count(f"call_id={call_id} answered"), 1,
                             "exactly one call answered for the retransmitted INVITE")
        finally:
            sock.close()
            peer.close()


class SilentCallerTest(KefuTestCase):
    def test_three_timeouts_then_goodbye_and_bye(self):
        """A caller who never presses a key hears the menu three times, then kefu says goodbye
        and hangs up with BYE (greeting + 3 x (menu + 5 s) + goodbye: well under 60 s)."""
        sock = SipSocket(self.kefu)
        peer = RtpPeer()
        try:
            invite, ok = place_call(self.kefu, sock, peer)
            self.assertIsNotNone(ok)
            answered = time.time()
            bye = None
            while time.time() < answered + 60 and bye is None:
                peer.receive(0.5)
                m = sock.recv_message(timeout=0.1)
                if m and m.startswith(b"BYE "):
                    bye = m
            self.assertIsNotNone(bye, "kefu must hang up after three timeouts")
            self.assertGreater(time.time() - answered, 15, "not before three 5 s timeouts")
            answer_ok(sock, bye)
            self.assertGreater(peer.audio_rms(0), 300, "the caller heard the prompts")
        finally:
            sock.close()
            peer.close()


class ShutdownTest(unittest.TestCase):
    def test_sigterm_ends_calls_with_bye(self):
        kefu = Kefu().start()
        sock = SipSocket(kefu)
        peer = RtpPeer()
        try:
            invite, ok = place_call(kefu, sock, peer)
            self.assertIsNotNone(ok)
            peer.receive(0.5)
            kefu.proc.send_signal(15)
            bye = None
            deadline = time.time() + 5
            while time.time() < deadline and bye is None:
                m = sock.recv_message(timeout=1)
                if m and m.startswith(b"BYE "):
                    bye = m
                    answer_ok(sock, m)  # so kefu can finish cleanly
            self.assertIsNotNone(bye, "SIGTERM must end the established call with BYE")
            kefu.proc.wait(15)
            self.assertEqual(kefu.proc.returncode, 0)
        finally:
            sock.close()
            peer.close()
            if kefu.alive():
                kefu.proc.kill()
            kefu.cleanup()

    def test_busy_port_fails_clearly(self):
        first = Kefu().start()
        try:
            p = subprocess.run([KEFU, "serve", "--data-dir", first.data_dir + "/second",
                                "--sip-listen", f"127.0.0.1:{first.sip_port}",
                                "--http-listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(f"127.0.0.1:{first.sip_port}", p.stdout.decode(errors="replace"))
        finally:
            first.stop()
            first.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
