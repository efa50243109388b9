"""The OpenAPI document at /api/v1/openapi.json matches the server: every route the server
registered is documented, and every documented route exists (answers something other than 404
or 405, e.g. 401 without a session)."""
import json
import unittest
import urllib.error
import urllib.request

from kefu_harness import KefuTestCase


class OpenApiTest(KefuTestCase):
    def request(self, method, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.kefu.http_port}{path}", method=method,
                                         data=b"{}" if method in ("POST", "PATCH") else None,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_document_and_routes_agree(self):
        status, body = self.request("GET", "/api/v1/openapi.json")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertTrue(doc["openapi"].startswith("3."))
        self.assertEqual(doc["x-undocumented"], [], "routes the server has but the document lacks")
        checked = 0
        for path, operations in doc["paths"].items():
            for method in operations:
                if path == "/api/v1/events":
                    continue  # a WebSocket endpoint: test_events.py opens it
                concrete = path.replace("{id}", "1")
                status, body = self.request(method.upper(), concrete)
                self.assertNotIn(status, (404, 405), f"{method.upper()} {path}: {status} {body[:200]!r}")
                if status >= 400:
                    error = json.loads(body)["error"]
                    self.assertIn("code", error)
                    self.assertIn("message", error)
                checked += 1
        self.assertGreater(checked, 25)


if __name__ == "__main__":
    unittest.main(verbosity=2)
