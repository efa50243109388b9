// The HTTP server's checks (sign-in, CSRF, Origin, permissions, limits, the error shape) and the
// auth routes, over loopback against a SQLite database seeded with the demo's people.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "api/auth_routes.hpp"
#include "api/http_server.hpp"
#include "auth/auth_schema.hpp"
#include "auth/seed.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_database.hpp"
#include "test_support.hpp"

namespace kefu::api {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;
using nlohmann::json;

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  json data() const { return json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
  std::string error_field() const {
    const json d = data();
    return d["error"]["field"].is_string() ? d["error"]["field"].get<std::string>() : "";
  }
};

struct Call {
  std::string method = "GET";
  std::string target;
  std::string body = {};
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string source = "127.0.0.1";  // the client's address: 127.0.0.0/8 is all loopback
};

class HttpAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto connection = database_.connect();
    store::migrate(*connection);
    auth::apply_auth_schema(*connection);
    auth::seed_demo_users(*connection, auth::PasswordCost::minimal());
    setup_connection_ = std::move(connection);

    auto log =
        std::make_shared<spdlog::logger>("http", std::make_shared<spdlog::sinks::null_sink_mt>());
    storage_ = std::make_unique<store::StorageExecutor>(
        database_, [this](std::function<void()> job) { boost::asio::post(io_, std::move(job)); });
    auth::AuthSettings settings;
    settings.password_cost = auth::PasswordCost::minimal();
    service_ = std::make_unique<auth::AuthService>(settings, auth::system_clock());
    HttpOptions options;
    options.max_body_bytes = 64 * 1024;
    server_ = std::make_unique<HttpServer>(io_, log, options);
    server_->route("GET", "/healthz", [](const HttpRequest&) {
      return HttpResponse{200, "application/json", R"({"status":"ok"})"};
    });
    server_->route("GET", "/note", [](const HttpRequest& request) {
      // A header value carrying user data that tries to end the head early.
      return HttpResponse{
          200, "text/plain", "noted", {{"X-Note", std::string(request.query()) + "\r\nX-Evil: 1"}}};
    });
    server_->route("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("handler bug");
    });
    server_->route("POST", "/api/v1/echo/{}", Access::needs(auth::Permission::agents_control),
                   [](const HttpRequest& request) {
                     return HttpResponse{200, "application/json",
                                         json{{"param", request.params.at(0)},
                                              {"caller", request.caller->login},
                                              {"ip", request.client_ip}}
                                             .dump()};
                   });
    routes_ = add_auth_routes(*server_, *service_, *storage_, log);
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error();
    port_ = *port;
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    routes_.reset();
    storage_.reset();
  }

  Reply send(const Call& call) {
    boost::asio::io_context client_io;
    tcp::socket socket(client_io);
    socket.open(tcp::v4());
    socket.bind({boost::asio::ip::make_address(call.source), 0});
    timeval timeout{10, 0};  // a server that never answers fails the test instead of hanging it
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    for (const auto& [name, value] : call.headers) request.set(name, value);
    request.body() = call.body;
    request.prepare_payload();
    http::write(socket, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code ec;
    http::read(socket, buffer, response, ec);
    Reply reply;
    if (ec) {
      ADD_FAILURE() << call.method << " " << call.target << ": " << ec.message();
      return reply;
    }
    reply.status = response.result_int();
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    reply.body = response.body();
    return reply;
  }

  struct Session {
    std::string cookie;  // "kefu_session=…"
    std::string csrf;
  };

  Reply post_json(const std::string& target, const json& body, const Session* session = nullptr,
                  const std::string& method = "POST", const std::string& source = "127.0.0.1") {
    Call call{method, target, body.dump(), {{"Content-Type", "application/json"}}, source};
    if (session) {
      call.headers.push_back({"Cookie", session->cookie});
      call.headers.push_back({"X-CSRF-Token", session->csrf});
    }
    return send(call);
  }

  Reply get(const std::string& target, const Session& session) {
    return send({"GET", target, "", {{"Cookie", session.cookie}}});
  }

  Session sign_in(const std::string& login, const std::string& password) {
    Reply reply = post_json("/api/v1/auth/login", {{"login", login}, {"password", password}});
    EXPECT_EQ(reply.status, 200u) << reply.body;
    const std::string set_cookie = reply.header("set-cookie");
    return {set_cookie.substr(0, set_cookie.find(';')), reply.data().value("csrf_token", "")};
  }

  std::int64_t user_id(const std::string& login) {
    return store::raw(auth::UserRepository(*setup_connection_).find_by_login(login)->id);
  }

  store::test::TempDir dir_;
  store::SqliteDatabase database_{dir_.path() / "kefu.db"};
  std::unique_ptr<store::Connection> setup_connection_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::unique_ptr<store::StorageExecutor> storage_;
  std::unique_ptr<auth::AuthService> service_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<AuthRoutes> routes_;
  std::thread io_thread_;
  std::uint16_t port_ = 0;
};

void expect_error(const Reply& reply, unsigned status, const std::string& code,
                  const std::string& field = "") {
  EXPECT_EQ(reply.status, status) << reply.body;
  const json data = reply.data();
  ASSERT_TRUE(data.contains("error")) << reply.body;
  EXPECT_EQ(data["error"]["code"], code) << reply.body;
  EXPECT_TRUE(data["error"]["message"].is_string()) << reply.body;
  ASSERT_TRUE(data["error"].contains("field")) << reply.body;
  if (field.empty()) {
    EXPECT_TRUE(data["error"]["field"].is_null()) << reply.body;
  } else {
    EXPECT_EQ(data["error"]["field"], field) << reply.body;
  }
  EXPECT_EQ(reply.header("content-type"), "application/json");
}

TEST_F(HttpAuthTest, PublicRoutesAndRoutingErrorsKeepWorking) {
  Reply health = send({"GET", "/healthz"});
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(health.header("x-content-type-options"), "nosniff");
  expect_error(send({"GET", "/nowhere"}), 404, "not_found");
  expect_error(send({"DELETE", "/healthz"}), 405, "method_not_allowed");
  expect_error(send({"GET", "/api/v1/echo/x"}), 405, "method_not_allowed");
  expect_error(send({"GET", "/boom"}), 500, "internal");
}

TEST_F(HttpAuthTest, AnswersKeepTheConnectionAndNoHeaderValueAddsAHeader) {
  Reply noted = send({"GET", "/note?a"});
  EXPECT_EQ(noted.status, 200u);
  EXPECT_EQ(noted.body, "noted");
  EXPECT_EQ(noted.header("x-note"), "aX-Evil: 1");
  EXPECT_EQ(noted.header("x-evil"), "");
  EXPECT_EQ(noted.header("content-length"), "5");
  EXPECT_EQ(noted.header("cache-control"), "");  // not JSON: the handler's choice
  EXPECT_EQ(send({"GET", "/note", "", {{"Connection", "close"}}}).header("connection"), "close");

  // Three requests on one connection, each answered whole.
  boost::asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> request{http::verb::get, i == 1 ? "/nowhere" : "/healthz", 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(socket, request);
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), i == 1 ? 404u : 200u) << i;
    EXPECT_TRUE(response.keep_alive()) << i;
    EXPECT_EQ(response[http::field::content_length], std::to_string(response.body().size()));
    if (i != 1) {
      EXPECT_EQ(response.body(), R"({"status":"ok"})");
    }
  }
}

TEST_F(HttpAuthTest, NoSessionIs401) {
  expect_error(send({"GET", "/api/v1/users"}), 401, "unauthenticated");
  expect_error(send({"GET", "/api/v1/auth/me"}), 401, "unauthenticated");
  expect_error(
      send({"GET", "/api/v1/auth/me", "", {{"Cookie", "kefu_session=" + std::string(32, 'a')}}}),
      401, "unauthenticated");
  expect_error(send({"GET", "/api/v1/auth/me", "", {{"Authorization", "Bearer kefu_nope"}}}), 401,
               "unauthenticated");
}

TEST_F(HttpAuthTest, LoginSetsAStrictHttpOnlyCookieAndMeKnowsTheCaller) {
  Reply reply = post_json("/api/v1/auth/login", {{"login", "1001"}, {"password", "demo1001"}});
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const std::string cookie = reply.header("set-cookie");
  EXPECT_TRUE(cookie.starts_with("kefu_session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  const json data = reply.data();
  EXPECT_EQ(data["user"]["login"], "1001");
  EXPECT_EQ(data["user"]["agent_number"], "1001");
  EXPECT_EQ(data["user"]["role"], "agent");
  EXPECT_EQ(data["csrf_token"].get<std::string>().size(), 64u);

  Session session{cookie.substr(0, cookie.find(';')), data["csrf_token"]};
  Reply me = get("/api/v1/auth/me", session);
  ASSERT_EQ(me.status, 200u) << me.body;
  EXPECT_EQ(me.data()["user"]["display_name"], "李娜");
  EXPECT_EQ(me.data()["csrf_token"], session.csrf);
  EXPECT_EQ(me.data()["user"]["scopes"]["customers"], "own");
}

TEST_F(HttpAuthTest, WrongPasswordIs401AndRepeatedFailuresAre429OnlyFromThatAddress) {
  for (int i = 0; i < 5; ++i) {
    expect_error(post_json("/api/v1/auth/login",
                           {{"login", "1002"}, {"password", "guess" + std::to_string(i)}}, nullptr,
                           "POST", "127.0.0.2"),
                 401, "invalid_credentials");
  }
  Reply throttled = post_json("/api/v1/auth/login", {{"login", "1002"}, {"password", "demo1002"}},
                              nullptr, "POST", "127.0.0.2");
  expect_error(throttled, 429, "too_many_attempts");
  EXPECT_EQ(throttled.header("retry-after"), "1");
  // The agent at another address is not locked out.
  Reply desk = post_json("/api/v1/auth/login", {{"login", "1002"}, {"password", "demo1002"}},
                         nullptr, "POST", "127.0.0.3");
  EXPECT_EQ(desk.status, 200u) << desk.body;
}

TEST_F(HttpAuthTest, UnknownUserIsRefusedLikeAWrongPassword) {
  expect_error(post_json("/api/v1/auth/login", {{"login", "nobody"}, {"password", "whatever1"}}),
               401, "invalid_credentials");
  expect_error(post_json("/api/v1/auth/login", {{"login", "admin' --"}, {"password", "x"}}), 401,
               "invalid_credentials");
}

TEST_F(HttpAuthTest, AgentOnAnAdminRouteIs403) {
  const Session agent = sign_in("1001", "demo1001");
  expect_error(get("/api/v1/users", agent), 403, "forbidden");
  expect_error(get("/api/v1/api-keys", agent), 403, "forbidden");
  expect_error(post_json("/api/v1/users", {{"login", "x"}}, &agent), 403, "forbidden");
}

TEST_F(HttpAuthTest, WritesWithTheCookieNeedTheCsrfHeader) {
  const Session admin = sign_in("admin", "admin123");
  const json body{{"name", "夜班"}};
  Call no_header{"POST",
                 "/api/v1/departments",
                 body.dump(),
                 {{"Content-Type", "application/json"}, {"Cookie", admin.cookie}}};
  expect_error(send(no_header), 403, "csrf_token_invalid");
  Call wrong_header = no_header;
  wrong_header.headers.push_back({"X-CSRF-Token", std::string(64, '0')});
  expect_error(send(wrong_header), 403, "csrf_token_invalid");
  Call cross_site = no_header;
  cross_site.headers.push_back({"X-CSRF-Token", admin.csrf});
  cross_site.headers.push_back({"Origin", "https://evil.example"});
  expect_error(send(cross_site), 403, "forbidden_origin");
  Call same_site = no_header;
  same_site.headers.push_back({"X-CSRF-Token", admin.csrf});
  same_site.headers.push_back({"Origin", "http://127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(send(same_site).status, 201u);
  // Reads need no CSRF header.
  EXPECT_EQ(get("/api/v1/departments", admin).status, 200u);
}

TEST_F(HttpAuthTest, ApiKeysWorkWithoutCsrfAndStopWhenRevoked) {
  const Session admin = sign_in("admin", "admin123");
  Reply created = post_json("/api/v1/api-keys", {{"name", "crm sync"}}, &admin);
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string key = created.data()["key"];
  Call with_key{"POST", "/api/v1/echo/a%20b", "", {{"Authorization", "Bearer " + key}}};
  Reply echoed = send(with_key);
  ASSERT_EQ(echoed.status, 200u) << echoed.body;
  EXPECT_EQ(echoed.data()["param"], "a b");
  EXPECT_EQ(echoed.data()["caller"], "admin");
  EXPECT_EQ(echoed.data()["ip"], "127.0.0.1");
  Reply listed = get("/api/v1/api-keys", admin);
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(listed.body.find(key), std::string::npos) << "the key is shown once only";
  const auto id = created.data()["id"].get<std::int64_t>();
  EXPECT_EQ(
      post_json("/api/v1/api-keys/" + std::to_string(id), json::object(), &admin, "DELETE").status,
      200u);
  expect_error(send(with_key), 401, "unauthenticated");
}

TEST_F(HttpAuthTest, SupervisorsSeeOnlyTheirDepartmentSubtree) {
  const Session supervisor = sign_in("supervisor", "super123");
  Reply list = get("/api/v1/users?page_size=100", supervisor);
  ASSERT_EQ(list.status, 200u) << list.body;
  std::vector<std::string> logins;
  const json listed = list.data();
  for (const auto& item : listed["items"]) logins.push_back(item["login"]);
  EXPECT_EQ(logins,
            (std::vector<std::string>{"1001", "1002", "1003", "1004", "1005", "supervisor"}));
  EXPECT_EQ(list.data()["total"], 6);
  EXPECT_EQ(get("/api/v1/users/" + std::to_string(user_id("1003")), supervisor).status, 200u);
  expect_error(get("/api/v1/users/" + std::to_string(user_id("1006")), supervisor), 404,
               "not_found", "id");
  expect_error(get("/api/v1/users/" + std::to_string(user_id("admin")), supervisor), 404,
               "not_found", "id");
  // Supervisors have no users.write.
  expect_error(post_json("/api/v1/users/" + std::to_string(user_id("1001")) + "/disable",
                         json::object(), &supervisor),
               403, "forbidden");
}

TEST_F(HttpAuthTest, ListsPageAndFilter) {
  const Session admin = sign_in("admin", "admin123");
  Reply page = get("/api/v1/users?page=2&page_size=5&role=agent", admin);
  ASSERT_EQ(page.status, 200u) << page.body;
  EXPECT_EQ(page.data()["total"], 10);
  EXPECT_EQ(page.data()["items"].size(), 5u);
  EXPECT_EQ(page.data()["items"][0]["login"], "1006");
  Reply search = get("/api/v1/users?q=%E6%9D%8E", admin);  // 李
  ASSERT_EQ(search.status, 200u) << search.body;
  EXPECT_EQ(search.data()["total"], 1);
  Reply injected = get("/api/v1/users?q=%27%20OR%20%271%27%3D%271", admin);
  ASSERT_EQ(injected.status, 200u) << injected.body;
  EXPECT_EQ(injected.data()["total"], 0);
}

TEST_F(HttpAuthTest, BadQueryParametersAre400NamingTheParameter) {
  const Session admin = sign_in("admin", "admin123");
  expect_error(get("/api/v1/users?page_size=1000", admin), 400, "invalid_input", "page_size");
  expect_error(get("/api/v1/users?page=0", admin), 400, "invalid_input", "page");
  expect_error(get("/api/v1/users?department=1%20OR%201%3D1", admin), 400, "invalid_input",
               "department");
  expect_error(get("/api/v1/users?department=999", admin), 400, "invalid_input", "department");
  expect_error(get("/api/v1/users?role=root", admin), 400, "invalid_input", "role");
  expect_error(get("/api/v1/users?q=" + std::string(101, 'a'), admin), 400, "invalid_input", "q");
  expect_error(get("/api/v1/users?q=%FF", admin), 400, "invalid_input", "q");
  expect_error(get("/api/v1/users?sort=login", admin), 400, "invalid_input", "sort");
  expect_error(get("/api/v1/users?page=1&page=2", admin), 400, "invalid_input", "page");
  expect_error(get("/api/v1/users/abc", admin), 400, "invalid_input", "id");
}

TEST_F(HttpAuthTest, CreatingAUserValidatesEveryField) {
  const Session admin = sign_in("admin", "admin123");
  const json good{{"login", "1011"},
                  {"display_name", "新人"},
                  {"password", "password11"},
                  {"role", "agent"},
                  {"department_id", 2},
                  {"agent_number", "1011"},
                  {"granted_permissions", {"reports.read"}}};
  auto with = [&](const std::string& field, const json& value) {
    json body = good;
    body[field] = value;
    return post_json("/api/v1/users", body, &admin);
  };
  expect_error(with("login", "1011' OR '1'='1"), 400, "invalid_input", "login");
  expect_error(with("login", "Robert'); DROP TABLE users;--"), 400, "invalid_input", "login");
  expect_error(with("login", std::string(65, 'a')), 400, "invalid_input", "login");
  expect_error(with("display_name", std::string(101, 'x')), 400, "invalid_input", "display_name");
  expect_error(with("display_name", ""), 400, "invalid_input", "display_name");
  expect_error(with("display_name", "a\nb"), 400, "invalid_input", "display_name");
  expect_error(with("display_name", 42), 400, "invalid_input", "display_name");
  expect_error(with("password", "short"), 400, "invalid_input", "password");
  expect_error(with("password", std::string(1025, 'p')), 400, "invalid_input", "password");
  expect_error(with("role", "superuser"), 400, "invalid_input", "role");
  expect_error(with("department_id", "2"), 400, "invalid_input", "department_id");
  expect_error(with("department_id", -1), 400, "invalid_input", "department_id");
  expect_error(with("department_id", 999), 400, "invalid_input", "department_id");
  expect_error(with("agent_number", "10a1"), 400, "invalid_input", "agent_number");
  expect_error(with("granted_permissions", {"root"}), 400, "invalid_input", "granted_permissions");
  expect_error(with("surprise", 1), 400, "invalid_input", "surprise");
  expect_error(with("login", "1001"), 409, "conflict", "login");
  expect_error(with("agent_number", "1001"), 409, "conflict", "agent_number");

  Call not_json{"POST",
                "/api/v1/users",
                "{\"login\":",
                {{"Content-Type", "application/json"},
                 {"Cookie", admin.cookie},
                 {"X-CSRF-Token", admin.csrf}}};
  expect_error(send(not_json), 400, "invalid_json");
  Call deep = not_json;
  deep.body = std::string(1000, '[') + std::string(1000, ']');
  expect_error(send(deep), 400, "invalid_json");
  Call form = not_json;
  form.headers[0].second = "application/x-www-form-urlencoded";
  form.body = "login=x";
  expect_error(send(form), 415, "unsupported_media_type");

  Reply created = post_json("/api/v1/users", good, &admin);
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(created.data()["login"], "1011");
  EXPECT_EQ(created.data()["granted_permissions"], json::array({"reports.read"}));
  EXPECT_EQ(created.body.find("password"), std::string::npos);
  EXPECT_EQ(sign_in("1011", "password11").csrf.size(), 64u);
}

TEST_F(HttpAuthTest, StoredMarkupComesBackAsData) {
  const Session admin = sign_in("admin", "admin123");
  const std::string markup = "<script>alert(\"x\")</script><img src=x onerror=alert(1)>";
  Reply created = post_json("/api/v1/users",
                            {{"login", "markup"},
                             {"display_name", markup},
                             {"password", "password11"},
                             {"role", "agent"}},
                            &admin);
  ASSERT_EQ(created.status, 201u) << created.body;
  Reply read = get("/api/v1/users/" + created.data()["id"].dump(), admin);
  ASSERT_EQ(read.status, 200u);
  EXPECT_EQ(read.data()["display_name"], markup);
  EXPECT_EQ(read.header("content-type"), "application/json");
  EXPECT_EQ(read.header("x-content-type-options"), "nosniff");
}

TEST_F(HttpAuthTest, OversizedBodiesAre413) {
  boost::asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  // Only the headers: the server answers from the Content-Length without reading the body.
  const std::string head =
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/json\r\nContent-Length: 10000000\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(head));
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_EQ(json::parse(response.body())["error"]["code"], "payload_too_large");
}

TEST_F(HttpAuthTest, LogoutEndsTheSession) {
  const Session agent = sign_in("1004", "demo1004");
  ASSERT_EQ(get("/api/v1/auth/me", agent).status, 200u);
  Reply out = post_json("/api/v1/auth/logout", json::object(), &agent);
  ASSERT_EQ(out.status, 200u) << out.body;
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  expect_error(get("/api/v1/auth/me", agent), 401, "unauthenticated");
}

TEST_F(HttpAuthTest, DisablingAUserEndsTheirSessionsAndIsAudited) {
  const Session admin = sign_in("admin", "admin123");
  const Session agent = sign_in("1005", "demo1005");
  ASSERT_EQ(get("/api/v1/auth/me", agent).status, 200u);  // verified once (and kept a moment)
  const std::string id = std::to_string(user_id("1005"));
  Reply disabled = post_json("/api/v1/users/" + id + "/disable", json::object(), &admin);
  ASSERT_EQ(disabled.status, 200u) << disabled.body;
  EXPECT_EQ(disabled.data()["status"], "disabled");
  expect_error(get("/api/v1/auth/me", agent), 401, "unauthenticated");
  expect_error(post_json("/api/v1/auth/login", {{"login", "1005"}, {"password", "demo1005"}}), 401,
               "invalid_credentials");
  expect_error(post_json("/api/v1/users/" + std::to_string(user_id("admin")) + "/disable",
                         json::object(), &admin),
               409, "conflict", "id");

  Reply audit = get("/api/v1/audit?entity=user&entity_id=" + id, admin);
  ASSERT_EQ(audit.status, 200u) << audit.body;
  const json latest = audit.data()["items"][0];
  EXPECT_EQ(latest["action"], "disable");
  EXPECT_EQ(latest["actor_login"], "admin");
  EXPECT_EQ(latest["client_ip"], "127.0.0.1");
  EXPECT_EQ(latest["before"]["status"], "active");
  EXPECT_EQ(latest["after"]["status"], "disabled");
}

TEST_F(HttpAuthTest, UpdatesAreScopedAndCannotEscalate) {
  const Session admin = sign_in("admin", "admin123");
  const std::string leader_id = std::to_string(user_id("leader"));
  // An admin lets the team leader manage users.
  Reply granted = post_json("/api/v1/users/" + leader_id,
                            {{"granted_permissions", {"users.write"}}}, &admin, "PATCH");
  ASSERT_EQ(granted.status, 200u) << granted.body;
  const Session leader = sign_in("leader", "leader123");
  const std::string agent_in_team = std::to_string(user_id("1008"));
  const std::string agent_elsewhere = std::to_string(user_id("1002"));
  EXPECT_EQ(
      post_json("/api/v1/users/" + agent_in_team, {{"display_name", "周丽丽"}}, &leader, "PATCH")
          .status,
      200u);
  expect_error(
      post_json("/api/v1/users/" + agent_elsewhere, {{"display_name", "x"}}, &leader, "PATCH"), 404,
      "not_found", "id");
  expect_error(
      post_json("/api/v1/users/" + agent_in_team, {{"role", "supervisor"}}, &leader, "PATCH"), 403,
      "forbidden", "role");
  expect_error(post_json("/api/v1/users/" + agent_in_team,
                         {{"granted_permissions", {"api_keys.manage"}}}, &leader, "PATCH"),
               403, "forbidden", "granted_permissions");
  expect_error(
      post_json("/api/v1/users/" + agent_in_team, {{"department_id", 2}}, &leader, "PATCH"), 403,
      "forbidden", "department_id");
  expect_error(post_json("/api/v1/users/" + leader_id, {{"role", "admin"}}, &leader, "PATCH"), 409,
               "conflict", "role");
  expect_error(post_json("/api/v1/users/" + agent_in_team, json::object(), &leader, "PATCH"), 400,
               "invalid_input");
}

// A verified session is reused for a few seconds without the database; a role taken away must
// still count from the next request on.
TEST_F(HttpAuthTest, ARoleChangeTakesEffectOnTheNextRequest) {
  const Session admin = sign_in("admin", "admin123");
  const Session supervisor = sign_in("supervisor", "super123");
  ASSERT_EQ(get("/api/v1/users", supervisor).status, 200u);
  ASSERT_EQ(get("/api/v1/users", supervisor).status, 200u);
  Reply demoted = post_json("/api/v1/users/" + std::to_string(user_id("supervisor")),
                            {{"role", "agent"}}, &admin, "PATCH");
  ASSERT_EQ(demoted.status, 200u) << demoted.body;
  expect_error(get("/api/v1/users", supervisor), 403, "forbidden");
  Reply me = get("/api/v1/auth/me", supervisor);
  ASSERT_EQ(me.status, 200u) << me.body;
  EXPECT_EQ(me.data()["user"]["role"], "agent") << me.body;
}

TEST_F(HttpAuthTest, PasswordChangeEndsEverySession) {
  const Session first = sign_in("1009", "demo1009");
  const Session second = sign_in("1009", "demo1009");
  ASSERT_EQ(get("/api/v1/auth/me", second).status, 200u);  // verified once (and kept a moment)
  expect_error(
      post_json("/api/v1/auth/password",
                {{"current_password", "wrong"}, {"new_password", "new-password-1"}}, &first),
      403, "wrong_password", "current_password");
  expect_error(post_json("/api/v1/auth/password",
                         {{"current_password", "demo1009"}, {"new_password", "short"}}, &first),
               400, "invalid_input", "new_password");
  Reply changed =
      post_json("/api/v1/auth/password",
                {{"current_password", "demo1009"}, {"new_password", "new-password-1"}}, &first);
  ASSERT_EQ(changed.status, 200u) << changed.body;
  expect_error(get("/api/v1/auth/me", first), 401, "unauthenticated");
  expect_error(get("/api/v1/auth/me", second), 401, "unauthenticated");
  sign_in("1009", "new-password-1");
}

TEST_F(HttpAuthTest, DepartmentsAreATree) {
  const Session admin = sign_in("admin", "admin123");
  Reply created = post_json("/api/v1/departments", {{"name", "夜班"}, {"parent_id", 2}}, &admin);
  ASSERT_EQ(created.status, 201u) << created.body;
  expect_error(post_json("/api/v1/departments", {{"name", "夜班"}, {"parent_id", 2}}, &admin), 409,
               "conflict", "name");
  expect_error(post_json("/api/v1/departments", {{"name", "x"}, {"parent_id", 999}}, &admin), 400,
               "invalid_input", "parent_id");
  expect_error(post_json("/api/v1/departments", {{"name", std::string(101, 'x')}}, &admin), 400,
               "invalid_input", "name");
  Reply tree = get("/api/v1/departments", admin);
  ASSERT_EQ(tree.status, 200u);
  const json root = tree.data()["items"][0];
  EXPECT_EQ(root["name"], "客服中心");
  EXPECT_EQ(root["children"].size(), 2u);
  EXPECT_EQ(root["children"][0]["children"][0]["name"], "夜班");
}

}  // namespace
}  // namespace kefu::api
