"""REGISTER with digest authentication against the demo extensions 1001-1010: SIPp with the
right and a wrong password, MD5 and SHA-256 by hand, unregister, and the brute-force throttle."""
import time
import unittest

from acd_peers import digest_header, parse_challenges
from kefu_harness import KefuTestCase, SipSocket, header_of, sip_request, sipp, status_of


class RegisterTest(KefuTestCase):
    # MD5 first for SIPp (it answers only the first challenge); SHA-256 offered too.
    extra_args = ("--digest-algorithms", "MD5,SHA-256")
    def test_sipp_right_password(self):
        code, out = sipp(self.kefu, "register_auth.xml", "-au", "1001", "-ap", "demo1001",
                         keys={"user": "1001"})
        self.assertEqual(code, 0, out[-3000:])

    def test_sipp_wrong_password(self):
        code, out = sipp(self.kefu, "register_wrong_password.xml", "-au", "1002", "-ap", "wrong",
                         keys={"user": "1002"})
        self.assertEqual(code, 0, out[-3000:])

    def register(self, sock, user, password, algorithm, expires=60, call_id=None, cseq=1,
                 contact_expires=None):
        uri = f"sip:127.0.0.1:{self.kefu.sip_port}"
        call_id = call_id or f"reg-{user}-{algorithm}-{time.time()}"
        extra = f"Expires: {expires}"
        to = f"sip:{user}@127.0.0.1"
        def req(cs, auth=""):
            r = sip_request("REGISTER", uri, sock.port, call_id=call_id, cseq=cs,
                            extra=extra + ("\r\n" + auth if auth else ""))
            return r.replace(b"<sip:tester@127.0.0.1:%d>;tag" % sock.port,
                             f"<{to}>;tag".encode()).replace(f"To: <{uri}>".encode(),
                                                              f"To: <{to}>".encode())
        sock.send(req(cseq))
        challenge = sock.recv_message(3)
        if status_of(challenge) == 403:
            return challenge  # throttled: no challenge any more
        self.assertEqual(status_of(challenge), 401)
        chosen = [c for c in parse_challenges(challenge) if c.get("algorithm", "MD5").upper() == algorithm]
        self.assertTrue(chosen, f"no {algorithm} challenge in {challenge!r}")
        sock.send(req(cseq + 1, digest_header(chosen[0], user, password, uri)))
        return sock.recv_message(3)

    def test_md5_and_sha256_then_unregister(self):
        sock = SipSocket(self.kefu)
        try:
            ok = self.register(sock, "1003", "demo1003", "SHA-256")
            self.assertEqual(status_of(ok), 200, ok)
            self.assertIn(f"127.0.0.1:{sock.port}", header_of(ok, "Contact"))
            ok = self.register(sock, "1004", "demo1004", "MD5")
            self.assertEqual(status_of(ok), 200, ok)
            bye = self.register(sock, "1004", "demo1004", "MD5", expires=0, cseq=10)
            self.assertEqual(status_of(bye), 200)
            self.assertIsNone(header_of(bye, "Contact"), "no bindings left after Expires: 0")
        finally:
            sock.close()

    def test_unknown_user_and_wrong_password_look_the_same(self):
        sock = SipSocket(self.kefu)
        try:
            a = self.register(sock, "1005", "not-the-password", "MD5")
            b = self.register(sock, "9999", "whatever", "MD5")
            self.assertEqual(status_of(a), status_of(b))
            self.assertEqual(len(parse_challenges(a)), len(parse_challenges(b)))
        finally:
            sock.close()


class ThrottleTest(KefuTestCase):
    def test_repeated_failures_are_throttled(self):
        sock = SipSocket(self.kefu)
        try:
            statuses = []
            for i in range(12):
                statuses.append(status_of(RegisterTest.register(self, sock, "1006", f"guess{i}", "MD5",
                                                                 cseq=1 + 2 * i)))
            self.assertIn(403, statuses, statuses)
            # Once throttled, even the right password is refused from this address.
            sock.send(sip_request("REGISTER", f"sip:127.0.0.1:{self.kefu.sip_port}", sock.port))
            self.assertEqual(status_of(sock.recv_message(3)), 403)
        finally:
            sock.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
