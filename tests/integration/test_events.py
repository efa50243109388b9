"""The live event stream and the screen pop: agent 1001 of the demo signs in, opens the
WebSocket /api/v1/events, registers a SIPp phone; a call from the VIP customer's number offers the
agent a screen pop with the customer's name (and, on the second call, the first call in the
history); an unknown number comes with its region. Without a session or from another site's
page the stream is refused."""
import base64
import json
import os
import socket
import struct
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from kefu_harness import KefuTestCase
from acd_peers import AgentPhone, Caller, unregister_phone


class WebSocket:
    """A minimal RFC 6455 client (the standard library has none): handshake, text frames in."""

    def __init__(self, port, path, headers):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            response += chunk
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1]) if head else 0

    def _read(self, n, deadline):
        while len(self.buffer) < n:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def next_event(self, timeout=10):
        deadline = time.time() + timeout
        while True:
            b1, b2 = self._read(2, deadline)
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2, deadline))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8, deadline))[0]
            payload = self._read(length, deadline)
            if b1 & 0x0F == 1:
                return json.loads(payload)
            if b1 & 0x0F == 8:
                raise ConnectionError("closed by server")

    def wait_for(self, predicate, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                event = self.next_event(deadline - time.time())
            except socket.timeout:
                break
            if predicate(event):
                return event
        return None

    def close(self):
        self.sock.close()


class EventStreamTest(KefuTestCase):
    extra_args = ("--rtp-timeout", "0")

    def login(self, user, password):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.kefu.http_port}/api/v1/auth/login",
            data=json.dumps({"login": user, "password": password}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.headers["Set-Cookie"].split(";")[0]

    def test_offer_carries_the_screen_pop(self):
        cookie = self.login("1001", "demo1001")
        stream = WebSocket(self.kefu.http_port, "/api/v1/events", {"Cookie": cookie})
        self.assertEqual(stream.status, 101)
        self.assertEqual(stream.next_event()["type"], "hello")
        phone = AgentPhone(self.kefu, "1001", ring_ms=300, talk_ms=500, calls=3, timeout=60)
        try:
            state = stream.wait_for(lambda e: e["type"] == "agent.state" and e["agent"] == "1001")
            self.assertEqual(state["state"], "ready")
            # The demo's VIP customer 王芳 calls 4100.
            self.assertEqual(Caller(self.kefu, "4100", 0, caller="13800138000", wait_for_bye=True).wait()[0], 0)
            offer = stream.wait_for(lambda e: e["type"] == "call.offered")
            self.assertIsNotNone(offer)
            self.assertEqual(offer["agent"], "1001")
            pop = offer["screen_pop"]
            self.assertTrue(pop["known"], pop)
            self.assertEqual(pop["customer"]["name"], "王芳")
            self.assertEqual(pop["customer"]["vip_tier"], 2)
            self.assertTrue(stream.wait_for(lambda e: e["type"] == "call.ended"))
            # Her second call shows the first one in her history.
            self.assertTrue(stream.wait_for(lambda e: e["type"] == "agent.state" and e["state"] == "ready"))
            time.sleep(0.5)  # the interaction is written by the storage thread after the call
            self.assertEqual(Caller(self.kefu, "4100", 0, caller="13800138000", wait_for_bye=True).wait()[0], 0)
            offer = stream.wait_for(lambda e: e["type"] == "call.offered")
            history = offer["screen_pop"]["last_interactions"]
            self.assertGreaterEqual(len(history), 1, offer)
            self.assertIn("1001", json.dumps(history, ensure_ascii=False))
            self.assertTrue(stream.wait_for(lambda e: e["type"] == "call.ended"))
            # An unknown number: its region and the form to create the customer.
            self.assertTrue(stream.wait_for(lambda e: e["type"] == "agent.state" and e["state"] == "ready"))
            self.assertEqual(Caller(self.kefu, "4100", 0, caller="02087654321", wait_for_bye=True).wait()[0], 0)
            offer = stream.wait_for(lambda e: e["type"] == "call.offered")
            pop = offer["screen_pop"]
            self.assertFalse(pop["known"])
            self.assertIn("广州", json.dumps(pop, ensure_ascii=False))
        finally:
            stream.close()
            phone.kill()
            unregister_phone(self.kefu, "1001", "demo1001", phone.port)

    def test_screen_pop_moves_with_a_transfer(self):
        """Agent 1001 passes 王芳's call to 1002: 1002's offer carries the payload 1001 got, and
        who passed it on."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.kefu.http_port}/api/v1/auth/login",
            data=json.dumps({"login": "1001", "password": "demo1001"}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            first = {"Cookie": r.headers["Set-Cookie"].split(";")[0], "X-CSRF-Token": json.loads(r.read())["csrf_token"]}
        first_stream = WebSocket(self.kefu.http_port, "/api/v1/events", {"Cookie": first["Cookie"]})
        second_stream = WebSocket(self.kefu.http_port, "/api/v1/events", {"Cookie": self.login("1002", "demo1002")})
        first_phone = AgentPhone(self.kefu, "1001", ring_ms=200, timeout=60)  # talks until kefu's BYE
        second_phone = None
        try:
            self.assertTrue(first_stream.wait_for(lambda e: e["type"] == "agent.state" and e["agent"] == "1001"
                                                  and e["state"] == "ready"))
            caller = Caller(self.kefu, "4100", 0, caller="13800138000", wait_for_bye=True)
            offer = first_stream.wait_for(lambda e: e["type"] == "call.offered")
            self.assertEqual(offer["screen_pop"]["customer"]["name"], "王芳")
            self.assertEqual(offer["transfers"], [])
            self.assertTrue(first_stream.wait_for(lambda e: e["type"] == "call.connected"))
            # 1002 comes on only now, so that the call went to 1001 first.
            second_phone = AgentPhone(self.kefu, "1002", ring_ms=200, talk_ms=800, timeout=60)
            self.assertTrue(second_stream.wait_for(lambda e: e["type"] == "agent.state" and e["agent"] == "1002"
                                                   and e["state"] == "ready"))
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.kefu.http_port}/api/v1/calls/"
                f"{urllib.parse.quote(offer['call_id'], safe='')}/transfer",
                data=json.dumps({"agent": "1002"}).encode(), method="POST",
                headers={"Content-Type": "application/json", **first})
            with urllib.request.urlopen(request, timeout=10) as r:
                self.assertEqual(r.status, 200)
            moved = second_stream.wait_for(lambda e: e["type"] == "call.offered")
            self.assertIsNotNone(moved)
            self.assertEqual(moved["call_id"], offer["call_id"])
            self.assertEqual(moved["screen_pop"], offer["screen_pop"], "the payload moved with the call")
            self.assertEqual(len(moved["transfers"]), 1, moved)
            self.assertEqual(moved["transfers"][0]["from_agent"], "1001")
            self.assertIn("to_agent=1002", moved["transfers"][0]["to"])
            self.assertEqual(caller.wait()[0], 0)
            self.assertEqual(first_phone.wait()[0], 0)
            self.assertEqual(second_phone.wait()[0], 0)
        finally:
            first_stream.close()
            second_stream.close()
            first_phone.kill()
            unregister_phone(self.kefu, "1001", "demo1001", first_phone.port)
            if second_phone:
                second_phone.kill()
                unregister_phone(self.kefu, "1002", "demo1002", second_phone.port)

    def test_supervisor_gets_queue_statistics(self):
        cookie = self.login("supervisor", "super123")
        stream = WebSocket(self.kefu.http_port, "/api/v1/events", {"Cookie": cookie})
        self.assertEqual(stream.status, 101)
        stats = stream.wait_for(lambda e: e["type"] == "queue.stats", timeout=5)
        self.assertIsNotNone(stats)
        self.assertEqual({q["name"] for q in stats["queues"]}, {"service", "complaints"})
        stream.close()

    def test_stream_refused_without_session_or_from_another_site(self):
        self.assertEqual(WebSocket(self.kefu.http_port, "/api/v1/events", {}).status, 401)
        cookie = self.login("1001", "demo1001")
        other = WebSocket(self.kefu.http_port, "/api/v1/events",
                          {"Cookie": cookie, "Origin": "https://evil.example"})
        self.assertEqual(other.status, 403)
        same = WebSocket(self.kefu.http_port, "/api/v1/events",
                         {"Cookie": cookie, "Origin": f"http://127.0.0.1:{self.kefu.http_port}"})
        self.assertEqual(same.status, 101)
        same.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
