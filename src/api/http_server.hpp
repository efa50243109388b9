#pragma once
// HTTP/1.1 server on the control loop (Boost.Beast): routes by method and exact path (or `{}`
// segments), checks who is calling before the handler runs, and answers errors in the API's one
// shape: {"error":{"code":"…","message":"…","field":"…"|null}}.
//
// Access: each route is public, needs a signed-in caller, or needs one permission. For the
// latter two the server asks the injected Authenticator (which reads the cookie or the bearer
// key, usually in a storage job) and then itself checks, so that no route can forget:
//   - no identity → the authenticator's answer (401);
//   - a write (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry the
//     session's CSRF token in X-CSRF-Token, and an Origin header, when present, must be this
//     server's own or a trusted one → 403 otherwise. API keys need neither: a browser never
//     attaches them to a cross-site request on its own;
//   - the route's permission (auth::can) → 403 otherwise.
// The identity reaches the handler as HttpRequest::caller.
//
// Handlers are synchronous (run on the loop: for in-memory state) or asynchronous (get a
// Responder to answer later from any thread: for database work on the storage executor).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "auth/permissions.hpp"
#include "common/result.hpp"

namespace kefu::api {

struct HttpHeader {
  std::string name;  // lower case
  std::string value;
};

struct HttpRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string body;
  std::vector<std::string> params = {};  // the path's `{}` segments, in order, percent-decoded
  std::vector<HttpHeader> headers = {};  // as received, names in lower case
  std::string client_ip = {};            // the TCP peer (a proxy's X-Forwarded-For is not trusted)
  std::optional<auth::Identity> caller = {};  // set on routes that are not public

  // The first header of that name (any case), "" when absent.
  std::string_view header(std::string_view name) const;
  // A cookie's value from the Cookie header(s).
  std::optional<std::string> cookie(std::string_view name) const;
  std::string_view path() const;
  std::string_view query() const;  // after '?', "" when none
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // More headers: Set-Cookie, Retry-After, … (`= {}`: `HttpResponse{status, type, body}` stays
  // free of -Wmissing-field-initializers).
  std::vector<HttpHeader> headers = {};
};

// The API's error shape; `field` names the input at fault (null in the JSON when empty).
HttpResponse error_response(unsigned status, std::string_view code, std::string_view message,
                            std::string_view field = {});

// ---- Reading input. Every check throws InvalidInput naming the field at fault; the server
// answers it in the error shape (for synchronous handlers and for the synchronous part of
// asynchronous ones), so that a handler reads its input top to bottom.

class InvalidInput : public std::runtime_error {
 public:
  InvalidInput(std::string field, const std::string& message, unsigned status = 400,
               std::string code = "invalid_input")
      : std::runtime_error(message),
        field_(std::move(field)),
        status_(status),
        code_(std::move(code)) {}
  const std::string& field() const { return field_; }
  HttpResponse response() const { return error_response(status_, code_, what(), field_); }

 private:
  std::string field_;
  unsigned status_;
  std::string code_;
};

bool valid_utf8(std::string_view text);
std::size_t utf8_length(std::string_view text);      // code points, for valid UTF-8
bool has_control_characters(std::string_view text);  // C0, DEL and C1 controls
// One line of text: valid UTF-8, no control characters, `min_chars`–`max_chars` characters,
// not blank when `min_chars` > 0. Markup is allowed: it is stored and returned as data.
std::string checked_text(std::string_view field, std::string value, std::size_t min_chars,
                         std::size_t max_chars);
std::int64_t parse_id(std::string_view field, std::string_view text);  // 1 … 10^15
std::int64_t parse_int_in(std::string_view field, std::string_view text, std::int64_t min,
                          std::int64_t max);
// An enum by its stored name (store::EnumNames); the error lists the names.
template <typename E>
E parse_enum(std::string_view field, std::string_view text) {
  if (auto parsed = store::enum_from_string<E>(text)) return *parsed;
  std::string names;
  for (const auto& [value, name] : store::EnumNames<E>::values) {
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw InvalidInput(std::string(field), "must be one of: " + names);
}
// The query string's parameters, percent-decoded ('+' is a space); unknown or repeated
// parameters are refused.
std::map<std::string, std::string> parse_query(std::string_view query,
                                               std::initializer_list<std::string_view> allowed);

// A JSON object body (Content-Type application/json, at most 16 levels deep), read field by
// field; no_other_fields() then refuses any field nobody read.
class JsonBody {
 public:
  explicit JsonBody(const HttpRequest& request);
  bool has(const std::string& field) const { return value_.contains(field); }
  bool empty() const { return value_.empty(); }

  std::string text(const std::string& field, std::size_t min_chars, std::size_t max_chars);
  std::optional<std::string> optional_text(const std::string& field, std::size_t min_chars,
                                           std::size_t max_chars);
  // A secret (password): any characters, only its size checked, never echoed.
  std::string secret(const std::string& field, std::size_t max_bytes);
  std::int64_t id(const std::string& field);  // a positive integer up to 2^53
  // Absent: nullopt; JSON null: an empty inner optional (clear the value).
  std::optional<std::optional<std::int64_t>> nullable_id(const std::string& field);
  std::optional<std::optional<std::string>> nullable_digits(const std::string& field,
                                                            std::size_t max_digits);
  template <typename E>
  std::optional<E> optional_enum(const std::string& field) {
    if (!has(field)) return std::nullopt;
    return parse_enum<E>(field, string(field));
  }
  // A list of distinct enum names (at most `max_items`).
  template <typename E>
  std::optional<std::vector<E>> enum_list(const std::string& field, std::size_t max_items) {
    if (!has(field)) return std::nullopt;
    std::vector<E> out;
    for (const std::string& name : string_list(field, max_items)) {
      const E value = parse_enum<E>(field, name);
      if (std::find(out.begin(), out.end(), value) != out.end()) {
        throw InvalidInput(field, "names " + name + " twice");
      }
      out.push_back(value);
    }
    return out;
  }
  void no_other_fields() const;

 private:
  const nlohmann::json& get(const std::string& field);
  std::string string(const std::string& field);
  std::vector<std::string> string_list(const std::string& field, std::size_t max_items);
  nlohmann::json value_;
  std::set<std::string> read_;
};

// Who may call a route.
class Access {
 public:
  static Access anyone() { return Access(Kind::anyone, {}); }
  static Access signed_in() { return Access(Kind::signed_in, {}); }
  static Access needs(auth::Permission permission) { return Access(Kind::permission, permission); }
  bool is_public() const { return kind_ == Kind::anyone; }
  std::optional<auth::Permission> permission() const {
    if (kind_ != Kind::permission) return std::nullopt;
    return permission_;
  }

 private:
  enum class Kind { anyone, signed_in, permission };
  Access(Kind kind, auth::Permission permission) : kind_(kind), permission_(permission) {}
  Kind kind_;
  auth::Permission permission_;
};

// Answers one request, once (later calls are ignored), from any thread. A responder dropped
// without answering closes the connection.
class Responder {
 public:
  void operator()(HttpResponse response) const;

 private:
  friend class HttpServer;
  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// The authenticator's answer: the caller, or the response to send instead (401, 503, …).
using AuthOutcome = std::variant<auth::Identity, HttpResponse>;
using AuthenticationDone = std::function<void(AuthOutcome)>;  // callable from any thread
using Authenticator = std::function<void(const HttpRequest&, AuthenticationDone)>;

struct HttpOptions {
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::chrono::seconds idle_timeout{30};
  // Origins, besides the server's own (same host and port as the Host header), from which
  // cookie-authenticated writes are accepted: "https://kefu.example.com".
  std::vector<std::string> trusted_origins;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  using AsyncHandler = std::function<void(HttpRequest, Responder)>;

  HttpServer(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log,
             HttpOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `path` is exact, or has `{}` segments that match any one segment: "/api/v1/agents/{}/ready".
  // Without an Access the route is public.
  void route(std::string method, std::string path, Handler handler);
  void route(std::string method, std::string path, Access access, Handler handler);
  void route_async(std::string method, std::string path, Access access, AsyncHandler handler);
  // A WebSocket endpoint (GET with Upgrade): the caller is authenticated like any route (cookie
  // or API key; no CSRF token, but a browser's Origin must be this server or a trusted one),
  // then `handler` gets the open channel and the caller's identity.
  using WebSocketHandler =
      std::function<void(std::shared_ptr<class WebSocketChannel>, auth::Identity)>;
  void websocket(std::string path, Access access, WebSocketHandler handler);
  // Every route as "METHOD /path" ("{}" for path parameters), WebSocket endpoints as "GET":
  // what the OpenAPI document is checked against.
  std::vector<std::string> route_table() const;
  // Without one, every route that is not public answers 401.
  void set_authenticator(Authenticator authenticator);

  // Binds and starts accepting; the error names the address and the reason.
  Result<std::uint16_t, std::string> listen(const std::string& host, std::uint16_t port);
  void stop();

  // Whether an Origin header (if any) names this server (by the Host header) or a trusted
  // origin. The WebSocket handshake uses the same check.
  bool origin_allowed(const HttpRequest& request) const;

 private:
  class Connection;
  struct Route {
    Access access;
    Handler handler;             // either this…
    AsyncHandler async_handler;  // …or this
  };
  void add(std::string method, std::string path, Route route);
  void accept_next();
  void dispatch(HttpRequest request, Responder respond) const;
  void after_authentication(std::shared_ptr<const Route> route, HttpRequest request,
                            Responder respond, AuthOutcome outcome) const;
  void run(const Route& route, HttpRequest request, const Responder& respond) const;
  struct WebSocketRoute {
    Access access;
    WebSocketHandler handler;
  };
  // The upgrade's verdict: the identity, or the response that refuses it.
  void check_upgrade(const WebSocketRoute& route, const HttpRequest& request,
                     std::function<void(AuthOutcome)> done) const;
  std::map<std::string, WebSocketRoute> websockets_;
  std::vector<std::string> route_table_;

  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> log_;
  HttpOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Authenticator authenticator_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Route>> routes_;
  struct PatternRoute {
    std::string method;
    std::vector<std::string> segments;  // "{}" = any one segment
    std::shared_ptr<const Route> route;
  };
  std::vector<PatternRoute> patterns_;
};

}  // namespace kefu::api
