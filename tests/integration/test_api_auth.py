"""Sign-in, sessions, permissions and input validation of the REST API against a real
`kefu serve --demo` (demo people: admin/admin123, supervisor/super123 of 客服一组 with agents
1001–1005, leader/leader123 of 客服二组 with agents 1006–1010, agents 1001–1010 / demo1001…).

Customers are scoped like users: each test builds its own departments and people through the
admin API. KEFU_TEST_DB=postgresql runs all of it on PostgreSQL (kefu_harness.py).

Requests come from several loopback addresses (127.0.0.2, 127.0.0.3, …: all of 127.0.0.0/8 is
loopback on Linux) so that the throttling test can be an attacker and the agent at once. Each
test uses its own users, so the order of tests does not matter."""
import http.client
import json
import unittest

from kefu_harness import KefuTestCase


class Client:
    """One browser: a cookie jar holding the session, and the CSRF token from sign-in."""

    def __init__(self, kefu, source="127.0.0.1"):
        self.kefu = kefu
        self.source = source
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw_body=None, csrf=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.kefu.http_port, timeout=10,
                                          source_address=(self.source, 0))
        all_headers = dict(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if self.cookie:
            all_headers["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            all_headers["X-CSRF-Token"] = self.csrf
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            payload = response.read()
            set_cookie = response.getheader("Set-Cookie")
            return response.status, (json.loads(payload) if payload else None), response, set_cookie
        finally:
            conn.close()

    def login(self, login, password):
        status, body, response, set_cookie = self.request(
            "POST", "/api/v1/auth/login", {"login": login, "password": password})
        if status == 200:
            self.cookie = set_cookie.split(";", 1)[0]
            self.csrf = body["csrf_token"]
        return status, body, response, set_cookie


class ApiAuthTest(KefuTestCase):

    def client(self, source="127.0.0.1"):
        return Client(self.kefu, source)

    def signed_in(self, login, password, source="127.0.0.1"):
        client = self.client(source)
        status, body, _, _ = client.login(login, password)
        self.assertEqual(status, 200, body)
        return client

    def assertError(self, result, status, code, field=None):
        got_status, body = result[0], result[1]
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)
        self.assertIn("field", body["error"])
        self.assertEqual(body["error"]["field"], field, body)

    def user_id(self, admin, login):
        status, body, _, _ = admin.request("GET", f"/api/v1/users?q={login}&page_size=200")
        self.assertEqual(status, 200, body)
        matches = [u["id"] for u in body["items"] if u["login"] == login]
        self.assertEqual(len(matches), 1, body)
        return matches[0]

    # ---- sign-in ----

    def test_login_ok_sets_a_strict_httponly_cookie(self):
        client = self.client()
        status, body, response, set_cookie = client.login("1001", "demo1001")
        self.assertEqual(status, 200, body)
        self.assertTrue(set_cookie.startswith("kefu_session="), set_cookie)
        attributes = [a.strip() for a in set_cookie.split(";")]
        self.assertIn("HttpOnly", attributes)
        self.assertIn("SameSite=Strict", attributes)
        self.assertIn("Path=/", attributes)
        self.assertEqual(body["user"]["login"], "1001")
        self.assertEqual(body["user"]["agent_number"], "1001")
        self.assertEqual(body["user"]["role"], "agent")
        self.assertEqual(response.getheader("Cache-Control"), "no-store")
        status, me, _, _ = client.request("GET", "/api/v1/auth/me")
        self.assertEqual(status, 200, me)
        self.assertEqual(me["user"]["display_name"], "李娜")
        self.assertEqual(me["csrf_token"], client.csrf)

    def test_each_login_gets_a_new_token(self):
        client = self.signed_in("1003", "demo1003")
        first = client.cookie
        status, body, _, _ = client.login("1003", "demo1003")  # sends the old cookie along
        self.assertEqual(status, 200, body)
        self.assertNotEqual(client.cookie, first)
        stale = self.client()
        stale.cookie = first
        self.assertError(stale.request("GET", "/api/v1/auth/me"), 401, "unauthenticated")

    def test_wrong_password_is_401(self):
        self.assertError(self.client().login("1002", "not-the-password"), 401,
                         "invalid_credentials")
        self.assertError(self.client().login("no-such-user", "whatever1"), 401,
                         "invalid_credentials")

    def test_throttling_stops_the_attacker_but_not_the_agent(self):
        attacker = self.client("127.0.0.2")
        for i in range(5):
            self.assertError(attacker.login("1010", f"guess-{i}"), 401, "invalid_credentials")
        status, body, response, _ = attacker.login("1010", "demo1010")
        self.assertError((status, body), 429, "too_many_attempts")
        self.assertGreaterEqual(int(response.getheader("Retry-After")), 1)
        # The agent at their own desk (another address) signs in at once.
        agent = self.client("127.0.0.3")
        status, body, _, _ = agent.login("1010", "demo1010")
        self.assertEqual(status, 200, body)

    def test_passwords_are_never_logged(self):
        self.signed_in("1004", "demo1004")
        self.client().login("1004", "wrong-password-in-log-test")
        self.assertTrue(self.kefu.wait_log("login failed"))
        log = self.kefu.read_log()
        self.assertNotIn("demo1004", log)
        self.assertNotIn("wrong-password-in-log-test", log)

    # ---- sessions and permissions ----

    def test_no_session_is_401(self):
        for path in ("/api/v1/auth/me", "/api/v1/users", "/api/v1/departments"):
            self.assertError(self.client().request("GET", path), 401, "unauthenticated")
        forged = self.client()
        forged.cookie = "kefu_session=" + "0" * 32
        self.assertError(forged.request("GET", "/api/v1/auth/me"), 401, "unauthenticated")

    def test_agent_on_an_admin_route_is_403(self):
        agent = self.signed_in("1005", "demo1005")
        self.assertError(agent.request("GET", "/api/v1/users"), 403, "forbidden")
        self.assertError(agent.request("POST", "/api/v1/users", {"login": "x"}), 403, "forbidden")
        self.assertError(agent.request("GET", "/api/v1/api-keys"), 403, "forbidden")

    def test_department_scope_on_lists_and_single_reads(self):
        admin = self.signed_in("admin", "admin123")
        supervisor = self.signed_in("supervisor", "super123")
        status, body, _, _ = supervisor.request("GET", "/api/v1/users?page_size=200")
        self.assertEqual(status, 200, body)
        logins = sorted(u["login"] for u in body["items"])
        self.assertTrue(set(logins) >= {"1001", "1002", "1003", "1004", "1005", "supervisor"},
                        logins)
        self.assertFalse(set(logins) & {"1006", "1007", "1008", "1009", "1010", "leader", "admin"},
                         logins)
        self.assertEqual(body["total"], len(body["items"]))
        in_team = self.user_id(admin, "1002")
        other_team = self.user_id(admin, "1007")
        self.assertEqual(supervisor.request("GET", f"/api/v1/users/{in_team}")[0], 200)
        self.assertError(supervisor.request("GET", f"/api/v1/users/{other_team}"), 404,
                         "not_found", "id")
        # Asking for the other team by filter shows nothing of it either.
        status, body, _, _ = admin.request("GET", "/api/v1/departments")
        team2 = body["items"][0]["children"][1]["id"]
        status, body, _, _ = supervisor.request("GET", f"/api/v1/users?department={team2}")
        self.assertEqual((status, body["items"]), (200, []), body)

    # ---- customers: department scope ----

    def make_department(self, admin, name, parent=None):
        body = {"name": name}
        if parent is not None:
            body["parent_id"] = parent
        status, created, _, _ = admin.request("POST", "/api/v1/departments", body)
        self.assertEqual(status, 201, created)
        return created["id"]

    def make_user(self, admin, login, role, department):
        status, created, _, _ = admin.request("POST", "/api/v1/users", {
            "login": login, "display_name": login, "password": "password11", "role": role,
            "department_id": department})
        self.assertEqual(status, 201, created)
        return self.signed_in(login, "password11"), created["id"]

    def customer_ids(self, client, query):
        status, body, _, _ = client.request("GET", "/api/v1/customers?" + query)
        self.assertEqual(status, 200, body)
        return sorted(c["id"] for c in body["customers"])

    def test_customer_scope_on_lists_and_single_reads(self):
        # 客户部 with teams A and B under it: an agent in each, a supervisor of 客户部.
        admin = self.signed_in("admin", "admin123")
        parent = self.make_department(admin, "it 客户部")
        team_a = self.make_department(admin, "it 客户 A 组", parent)
        team_b = self.make_department(admin, "it 客户 B 组", parent)
        agent_a, agent_a_id = self.make_user(admin, "it-cust-a", "agent", team_a)
        agent_b, _ = self.make_user(admin, "it-cust-b", "agent", team_b)
        supervisor, _ = self.make_user(admin, "it-cust-sup", "supervisor", parent)
        other_supervisor = self.signed_in("supervisor", "super123")  # the demo's, of 客服一组

        # Both teams' customers share a switchboard number and a name prefix.
        status, of_a, _, _ = agent_a.request("POST", "/api/v1/customers", {
            "name": "范围测试甲", "phone": "020-8111 0001"})
        self.assertEqual(status, 201, of_a)
        self.assertEqual((of_a["department_id"], of_a["owner_user_id"]), (team_a, agent_a_id))
        status, of_b, _, _ = agent_b.request("POST", "/api/v1/customers", {
            "name": "范围测试乙", "phone": "+86 20 81110001"})
        self.assertEqual(status, 201, of_b)
        self.assertEqual(of_b["department_id"], team_b)
        a, b = of_a["id"], of_b["id"]
        by_phone, by_name = "phone=02081110001", "name=%E8%8C%83%E5%9B%B4%E6%B5%8B%E8%AF%95"

        # The agent in A: not B's customer, in a list or by id (404 as for a missing one).
        self.assertEqual(self.customer_ids(agent_a, by_phone), [a])
        self.assertEqual(self.customer_ids(agent_a, by_name), [a])
        self.assertEqual(agent_a.request("GET", f"/api/v1/customers/{a}")[0], 200)
        self.assertError(agent_a.request("GET", f"/api/v1/customers/{b}"), 404, "not_found", "id")
        self.assertEqual(self.customer_ids(agent_b, by_phone), [b])
        self.assertError(agent_b.request("GET", f"/api/v1/customers/{a}"), 404, "not_found", "id")
        # The supervisor of the department above both teams sees both; the administrator too;
        # a supervisor of an unrelated team neither.
        for client in (supervisor, admin):
            self.assertEqual(self.customer_ids(client, by_phone), sorted([a, b]))
            self.assertEqual(self.customer_ids(client, by_name), sorted([a, b]))
            for customer in (a, b):
                self.assertEqual(client.request("GET", f"/api/v1/customers/{customer}")[0], 200)
        self.assertEqual(self.customer_ids(other_supervisor, by_phone), [])
        self.assertError(other_supervisor.request("GET", f"/api/v1/customers/{a}"), 404,
                         "not_found", "id")
        # The demo's customers have no owner: shared, every agent finds them.
        self.assertEqual(len(self.customer_ids(agent_a, "phone=13800138000")), 1)
        # The screen pop is about the caller on the line: not scoped.
        status, pop, _, _ = agent_a.request("GET", "/api/v1/screen-pop?number=02081110001")
        self.assertEqual(status, 200, pop)
        self.assertTrue(pop["known"], pop)

    def test_customer_department_on_create_is_checked(self):
        admin = self.signed_in("admin", "admin123")
        parent = self.make_department(admin, "it 建客户部")
        team_a = self.make_department(admin, "it 建客户 A 组", parent)
        team_b = self.make_department(admin, "it 建客户 B 组", parent)
        agent_a, _ = self.make_user(admin, "it-create-a", "agent", team_a)
        supervisor, _ = self.make_user(admin, "it-create-sup", "supervisor", parent)
        self.assertError(agent_a.request("POST", "/api/v1/customers", {
            "name": "别组的", "department_id": team_b}), 403, "forbidden", "department_id")
        self.assertError(agent_a.request("POST", "/api/v1/customers", {
            "name": "没有的组", "department_id": 999999}), 400, "invalid_input", "department_id")
        self.assertError(agent_a.request("POST", "/api/v1/customers", {
            "name": "坏组", "department_id": "1 OR 1=1"}), 400, "invalid_input", "department_id")
        status, own, _, _ = agent_a.request("POST", "/api/v1/customers", {
            "name": "本组的", "department_id": team_a})
        self.assertEqual((status, own["department_id"]), (201, team_a), own)
        # A supervisor files a customer under a team below them; the other team cannot read it.
        status, filed, _, _ = supervisor.request("POST", "/api/v1/customers", {
            "name": "分给 B 组", "department_id": team_b})
        self.assertEqual((status, filed["department_id"]), (201, team_b), filed)
        self.assertError(agent_a.request("GET", f"/api/v1/customers/{filed['id']}"), 404,
                         "not_found", "id")
        self.assertEqual(admin.request("GET", f"/api/v1/customers/{filed['id']}")[0], 200)

    def test_missing_csrf_header_is_403(self):
        admin = self.signed_in("admin", "admin123")
        self.assertError(admin.request("POST", "/api/v1/departments", {"name": "csrf test"},
                                       csrf=False),
                         403, "csrf_token_invalid")
        self.assertError(admin.request("POST", "/api/v1/departments", {"name": "csrf test"},
                                       headers={"Origin": "https://evil.example"}),
                         403, "forbidden_origin")
        status, body, _, _ = admin.request("POST", "/api/v1/departments", {"name": "csrf test"})
        self.assertEqual(status, 201, body)

    def test_api_key_needs_no_csrf_and_dies_when_revoked(self):
        admin = self.signed_in("admin", "admin123")
        status, created, _, _ = admin.request("POST", "/api/v1/api-keys", {"name": "it test"})
        self.assertEqual(status, 201, created)
        key = created["key"]
        integration = self.client()
        headers = {"Authorization": f"Bearer {key}"}
        status, me, _, _ = integration.request("GET", "/api/v1/auth/me", headers=headers)
        self.assertEqual((status, me["credential"]), (200, "api_key"), me)
        status, body, _, _ = integration.request("POST", "/api/v1/departments",
                                                 {"name": "made by key"}, headers=headers)
        self.assertEqual(status, 201, body)
        status, listed, _, _ = admin.request("GET", "/api/v1/api-keys")
        self.assertNotIn(key, json.dumps(listed))
        self.assertEqual(admin.request("DELETE", f"/api/v1/api-keys/{created['id']}")[0], 200)
        self.assertError(integration.request("GET", "/api/v1/auth/me", headers=headers), 401,
                         "unauthenticated")

    def test_logout_invalidates_the_session(self):
        agent = self.signed_in("1006", "demo1006")
        cookie = agent.cookie
        status, body, _, set_cookie = agent.request("POST", "/api/v1/auth/logout")
        self.assertEqual(status, 200, body)
        self.assertIn("Max-Age=0", set_cookie)
        replay = self.client()
        replay.cookie = cookie
        self.assertError(replay.request("GET", "/api/v1/auth/me"), 401, "unauthenticated")

    def test_disabling_a_user_ends_their_sessions(self):
        admin = self.signed_in("admin", "admin123")
        agent = self.signed_in("1008", "demo1008")
        user = self.user_id(admin, "1008")
        status, body, _, _ = admin.request("POST", f"/api/v1/users/{user}/disable")
        self.assertEqual((status, body["status"]), (200, "disabled"), body)
        self.assertError(agent.request("GET", "/api/v1/auth/me"), 401, "unauthenticated")
        status, audit, _, _ = admin.request("GET", f"/api/v1/audit?entity=user&entity_id={user}")
        self.assertEqual(status, 200, audit)
        self.assertEqual(audit["items"][0]["action"], "disable")
        self.assertEqual(audit["items"][0]["before"]["status"], "active")
        self.assertEqual(audit["items"][0]["after"]["status"], "disabled")
        self.assertEqual(admin.request("POST", f"/api/v1/users/{user}/enable")[0], 200)

    # ---- input ----

    def test_sql_injection_and_overlong_inputs_are_400_naming_the_field(self):
        admin = self.signed_in("admin", "admin123")
        good = {"login": "it-new-user", "display_name": "新人", "password": "password11",
                "role": "agent"}
        cases = [
            ("login", "x' OR '1'='1"),
            ("login", "Robert'); DROP TABLE users;--"),
            ("login", "a" * 65),
            ("display_name", "x" * 101),
            ("display_name", ""),
            ("password", "short"),
            ("password", "p" * 1025),
            ("role", "admin' --"),
            ("department_id", "1 OR 1=1"),
            ("agent_number", "1; DELETE FROM users"),
            ("granted_permissions", ["users.read' --"]),
        ]
        for field, value in cases:
            with self.subTest(field=field, value=value[:40] if isinstance(value, str) else value):
                body = dict(good, **{field: value})
                self.assertError(admin.request("POST", "/api/v1/users", body), 400,
                                 "invalid_input", field)
        self.assertError(admin.request("GET", "/api/v1/users?department=1%20OR%201%3D1"), 400,
                         "invalid_input", "department")
        self.assertError(admin.request("GET", "/api/v1/users?page_size=100000"), 400,
                         "invalid_input", "page_size")
        self.assertError(admin.request("GET", "/api/v1/users?q=" + "a" * 101), 400,
                         "invalid_input", "q")
        status, body, _, _ = admin.request("GET", "/api/v1/users?q=%27%20OR%20%271%27%3D%271")
        self.assertEqual((status, body["total"]), (200, 0), body)
        self.assertError(admin.request("POST", "/api/v1/users", raw_body=b"{not json",
                                       headers={"Content-Type": "application/json"}),
                         400, "invalid_json")
        # Everything is still there.
        status, body, _, _ = admin.request("GET", "/api/v1/users?role=agent&page_size=200")
        self.assertEqual(status, 200, body)
        self.assertGreaterEqual(body["total"], 10)

    def test_request_body_limit_is_413(self):
        admin = self.signed_in("admin", "admin123")
        # Only the headers announcing 2 MiB: the server answers from Content-Length alone.
        conn = http.client.HTTPConnection("127.0.0.1", self.kefu.http_port, timeout=10)
        try:
            conn.putrequest("POST", "/api/v1/departments")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(2 * 1024 * 1024))
            conn.putheader("Cookie", admin.cookie)
            conn.putheader("X-CSRF-Token", admin.csrf)
            conn.endheaders()
            response = conn.getresponse()
            self.assertError((response.status, json.loads(response.read())), 413,
                             "payload_too_large")
        finally:
            conn.close()

    def test_stored_markup_is_returned_as_data(self):
        admin = self.signed_in("admin", "admin123")
        markup = "<script>alert('x')</script><img src=x onerror=alert(1)>"
        status, created, _, _ = admin.request("POST", "/api/v1/users", {
            "login": "it-markup", "display_name": markup, "password": "password11",
            "role": "back_office"})
        self.assertEqual(status, 201, created)
        status, read, response, _ = admin.request("GET", f"/api/v1/users/{created['id']}")
        self.assertEqual(status, 200, read)
        self.assertEqual(read["display_name"], markup)
        self.assertEqual(response.getheader("Content-Type"), "application/json")
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")


if __name__ == "__main__":
    unittest.main(verbosity=2)
