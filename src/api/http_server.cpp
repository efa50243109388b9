#include "api/http_server.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

#include "api/websocket_channel.hpp"

#include <array>
#include <atomic>
#include <cctype>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "auth/crypto.hpp"

namespace kefu::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_write(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::string peer_address(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  auto address = endpoint.address();
  // An IPv4 client of a dual-stack socket: the throttle and logs should see the IPv4 form.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .to_string();
  }
  return address.to_string();
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

std::optional<std::string> HttpRequest::cookie(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name != "cookie") continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      auto end = rest.find(';');
      std::string_view pair = trim(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
      auto equals = pair.find('=');
      if (equals == std::string_view::npos) continue;
      if (trim(pair.substr(0, equals)) == name) return std::string(trim(pair.substr(equals + 1)));
    }
  }
  return std::nullopt;
}

std::string_view HttpRequest::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

std::string_view HttpRequest::query() const {
  auto mark = target.find('?');
  if (mark == std::string::npos) return {};
  return std::string_view(target).substr(mark + 1);
}

HttpResponse error_response(unsigned status, std::string_view code, std::string_view message,
                            std::string_view field) {
  nlohmann::json error{{"code", code}, {"message", message}, {"field", nullptr}};
  if (!field.empty()) error["field"] = field;
  // Replacement instead of an exception if a message ever carried invalid UTF-8.
  return {status,
          "application/json",
          nlohmann::json{{"error", error}}.dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace),
          {}};
}

struct Responder::State {
  std::function<void(HttpResponse)> send;
  std::atomic<bool> answered{false};
};

void Responder::operator()(HttpResponse response) const {
  if (!state_ || state_->answered.exchange(true)) return;
  state_->send(std::move(response));
}

class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServer& server)
      : client_ip_(peer_address(socket)), stream_(std::move(socket)), server_(server) {}

  void start() { read_next(); }

 private:
  void read_next() {
    parser_.emplace();
    parser_->body_limit(server_.options_.max_body_bytes);
    stream_.expires_after(server_.options_.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) {
      close();
      return;
    }
    // Oversized or malformed requests get an answer before the connection closes.
    if (ec == http::error::body_limit) {
      reply(error_response(413, "payload_too_large",
                           "the request body is larger than " +
                               std::to_string(server_.options_.max_body_bytes) + " bytes"),
            false);
      return;
    }
    if (ec == http::error::header_limit) {
      reply(error_response(431, "headers_too_large", "the request headers are too large"), false);
      return;
    }
    if (ec) {
      reply(error_response(400, "bad_request", ec.message()), false);
      return;
    }
    auto& message = parser_->get();
    if (boost::beast::websocket::is_upgrade(message)) {
      upgrade();
      return;
    }
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.body = std::move(message.body());
    for (const auto& field : message) {
      request.headers.push_back({lower(field.name_string()), std::string(field.value())});
    }
    request.client_ip = client_ip_;
    const bool keep_alive = message.keep_alive();
    auto state = std::make_shared<Responder::State>();
    state->send = [self = shared_from_this(), keep_alive](HttpResponse response) {
      // Always through the loop: the answer may come from a storage thread.
      boost::asio::post(self->stream_.get_executor(),
                        [self, keep_alive, response = std::move(response)]() mutable {
                          self->reply(std::move(response), keep_alive);
                        });
    };
    server_.dispatch(std::move(request), Responder(std::move(state)));
  }

  // GET /api/v1/events with Upgrade: websocket.
  void upgrade() {
    auto message = std::make_shared<http::request<http::string_body>>(parser_->release());
    HttpRequest request;
    request.method = std::string(message->method_string());
    request.target = std::string(message->target());
    for (const auto& field : *message) {
      request.headers.push_back({lower(field.name_string()), std::string(field.value())});
    }
    request.client_ip = client_ip_;
    const std::string path = request.target.substr(0, request.target.find('?'));
    auto found = server_.websockets_.find(path);
    if (found == server_.websockets_.end() || request.method != "GET") {
      reply(error_response(404, "not_found", "no WebSocket endpoint here"), false);
      return;
    }
    const WebSocketRoute& route = found->second;
    server_.check_upgrade(
        route, request, [self = shared_from_this(), message, &route](AuthOutcome outcome) {
          boost::asio::post(self->stream_.get_executor(), [self, message, &route,
                                                           outcome = std::move(outcome)]() mutable {
            if (auto* refusal = std::get_if<HttpResponse>(&outcome)) {
              self->reply(std::move(*refusal), false);
              return;
            }
            self->stream_.expires_never();
            accept_websocket(
                self->stream_.release_socket(), std::move(*message), self->server_.log_,
                [handler = route.handler, identity = std::get<auth::Identity>(outcome)](
                    std::shared_ptr<WebSocketChannel> channel) {
                  handler(std::move(channel), identity);
                });
          });
        });
  }

  void reply(HttpResponse response, bool keep_alive) {
    // The head is written out here rather than through Beast's response serializer: its field
    // list and buffer-sequence machinery cost about a tenth of a look-up's CPU under load, for
    // a head that is a handful of known lines.
    const unsigned status = response.status;
    std::string& head = reply_head_;
    head.clear();
    head.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
    head.append(http::obsolete_reason(static_cast<http::status>(status)));
    head.append("\r\nServer: kefu\r\nContent-Type: ");
    append_header_value(head, response.content_type);
    // Stored markup stays data: no browser sniffs a JSON answer into HTML.
    head.append("\r\nX-Content-Type-Options: nosniff\r\n");
    bool cache_control = false;
    for (const auto& h : response.headers) {
      append_header_value(head, h.name);
      head.append(": ");
      append_header_value(head, h.value);
      head.append("\r\n");
      cache_control |= iequals(h.name, "cache-control");
    }
    // API answers carry personal data and tokens: never kept by a browser or proxy cache.
    if (!cache_control && response.content_type == "application/json") {
      head.append("Cache-Control: no-store\r\n");
    }
    // 1xx, 204 and 304 have no body (RFC 9110 6.4.1).
    const bool bodiless = status < 200 || status == 204 || status == 304;
    if (bodiless) {
      response.body.clear();
    } else {
      head.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
    }
    if (!keep_alive) head.append("Connection: close\r\n");
    head.append("\r\n");
    reply_body_ = std::move(response.body);
    // The write gets its own deadline: the handler may have taken a while.
    stream_.expires_after(server_.options_.idle_timeout);
    const std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(reply_head_),
                                                           boost::asio::buffer(reply_body_)};
    boost::asio::async_write(
        stream_, buffers,
        [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            self->close();
          } else {
            self->read_next();
          }
        });
  }

  // A header name or value as written: CR and LF dropped, so that no value can end the head
  // early or add a header of its own (handlers' values are kefu's, but some carry user data).
  static void append_header_value(std::string& head, std::string_view text) {
    for (char c : text) {
      if (c != '\r' && c != '\n') head.push_back(c);
    }
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  std::string client_ip_;
  beast::tcp_stream stream_;
  const HttpServer& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string reply_head_;  // the answer being written: kept until its write completes
  std::string reply_body_;
};

HttpServer::HttpServer(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log,
                       HttpOptions options)
    : io_(io), log_(std::move(log)), options_(std::move(options)), acceptor_(io) {}

HttpServer::~HttpServer() {
  stop();
}

namespace {
std::vector<std::string> split_path(std::string_view path);
}

void HttpServer::route(std::string method, std::string path, Handler handler) {
  add(std::move(method), std::move(path), Route{Access::anyone(), std::move(handler), {}});
}

void HttpServer::route(std::string method, std::string path, Access access, Handler handler) {
  add(std::move(method), std::move(path), Route{access, std::move(handler), {}});
}

void HttpServer::route_async(std::string method, std::string path, Access access,
                             AsyncHandler handler) {
  add(std::move(method), std::move(path), Route{access, {}, std::move(handler)});
}

std::vector<std::string> HttpServer::route_table() const {
  return route_table_;
}

void HttpServer::add(std::string method, std::string path, Route route) {
  route_table_.push_back(method + " " + path);
  auto shared = std::make_shared<const Route>(std::move(route));
  if (path.find("{}") != std::string::npos) {
    patterns_.push_back({std::move(method), split_path(path), std::move(shared)});
    return;
  }
  routes_[{std::move(method), std::move(path)}] = std::move(shared);
}

void HttpServer::set_authenticator(Authenticator authenticator) {
  authenticator_ = std::move(authenticator);
}

Result<std::uint16_t, std::string> HttpServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return unexpected("invalid HTTP listen address '" + host + "'");
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close();
    return unexpected("cannot listen for HTTP on " + host + ":" + std::to_string(port) + ": " +
                      ec.message());
  }
  accept_next();
  return acceptor_.local_endpoint().port();
}

void HttpServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void HttpServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Connection>(std::move(socket), *this)->start();
    if (acceptor_.is_open()) accept_next();
  });
}

bool HttpServer::origin_allowed(const HttpRequest& request) const {
  const std::string_view origin = request.header("origin");
  if (origin.empty()) return true;  // not a browser, or a same-origin GET
  for (const auto& trusted : options_.trusted_origins) {
    if (iequals(origin, trusted)) return true;
  }
  std::string_view authority = origin;
  if (authority.starts_with("https://")) {
    authority.remove_prefix(8);
  } else if (authority.starts_with("http://")) {
    authority.remove_prefix(7);
  } else {
    return false;  // "null" (sandboxed, file:) and anything else unexpected
  }
  const std::string_view host = request.header("host");
  return !host.empty() && iequals(authority, host);
}

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Matches `segments` against a pattern; the `{}` segments are appended to `params`.
bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
           std::vector<std::string>& params) {
  if (pattern.size() != segments.size()) return false;
  std::vector<std::string> captured;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == "{}") {
      if (segments[i].empty()) return false;
      captured.push_back(percent_decode(segments[i]));
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

HttpResponse method_not_allowed() {
  return error_response(405, "method_not_allowed", "method not allowed");
}

}  // namespace

// ---------------------------------------------------------------- reading input

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = byte < 0x80           ? 1
                               : (byte >> 5) == 0x6  ? 2
                               : (byte >> 4) == 0xe  ? 3
                               : (byte >> 3) == 0x1e ? 4
                                                     : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? byte : byte & (0x7fu >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3fu);
    }
    const bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                          (length == 4 && code < 0x10000);
    if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

bool has_control_characters(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return true;
    // U+0080–U+009F are "\xc2\x80"–"\xc2\x9f".
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      return true;
    }
  }
  return false;
}

std::string checked_text(std::string_view field, std::string value, std::size_t min_chars,
                         std::size_t max_chars) {
  const std::string name(field);
  if (!valid_utf8(value)) throw InvalidInput(name, "must be valid UTF-8");
  if (has_control_characters(value))
    throw InvalidInput(name, "must not contain control characters");
  const std::size_t length = utf8_length(value);
  if (length < min_chars || length > max_chars) {
    throw InvalidInput(
        name, min_chars == 0 ? "must be at most " + std::to_string(max_chars) + " characters long"
                             : "must be " + std::to_string(min_chars) + " to " +
                                   std::to_string(max_chars) + " characters long");
  }
  if (min_chars > 0 && value.find_first_not_of(' ') == std::string::npos) {
    throw InvalidInput(name, "must not be blank");
  }
  return value;
}

namespace {

bool all_digits(std::string_view text, std::size_t max_digits) {
  return !text.empty() && text.size() <= max_digits &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::int64_t parse_id(std::string_view field, std::string_view text) {
  const std::int64_t value = all_digits(text, 15) ? std::stoll(std::string(text)) : 0;
  if (value <= 0) throw InvalidInput(std::string(field), "must be a positive integer");
  return value;
}

std::int64_t parse_int_in(std::string_view field, std::string_view text, std::int64_t min,
                          std::int64_t max) {
  const bool digits = all_digits(text, 15);
  const std::int64_t value = digits ? std::stoll(std::string(text)) : 0;
  if (!digits || value < min || value > max) {
    throw InvalidInput(std::string(field), "must be an integer from " + std::to_string(min) +
                                               " to " + std::to_string(max));
  }
  return value;
}

namespace {

std::string query_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// A name from the input that goes into an error's "field": shown only when it is harmless.
std::string shown_name(const std::string& name) {
  return valid_utf8(name) && !has_control_characters(name) && name.size() <= 64 ? name : "?";
}

// Nesting depth of a JSON text (brackets outside strings), checked before parsing so that a
// body of a million '[' is refused without building it.
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

constexpr std::size_t max_json_depth = 16;

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view query,
                                               std::initializer_list<std::string_view> allowed) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    std::string name = query_decode(pair.substr(0, equals));
    std::string value =
        equals == std::string_view::npos ? "" : query_decode(pair.substr(equals + 1));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw InvalidInput(shown_name(name), "unknown query parameter");
    }
    if (!out.emplace(name, std::move(value)).second) {
      throw InvalidInput(name, "given more than once");
    }
  }
  return out;
}

JsonBody::JsonBody(const HttpRequest& request) {
  const std::string_view type = request.header("content-type");
  if (trim(type.substr(0, type.find(';'))) != "application/json") {
    throw InvalidInput("", "the body must be JSON (Content-Type: application/json)", 415,
                       "unsupported_media_type");
  }
  if (nesting_depth(request.body) > max_json_depth) {
    throw InvalidInput("", "the JSON body is nested too deeply", 400, "invalid_json");
  }
  value_ = nlohmann::json::parse(request.body, nullptr, false);
  if (value_.is_discarded())
    throw InvalidInput("", "the body is not valid JSON", 400, "invalid_json");
  if (!value_.is_object()) {
    throw InvalidInput("", "the body must be a JSON object", 400, "invalid_json");
  }
}

const nlohmann::json& JsonBody::get(const std::string& field) {
  read_.insert(field);
  auto found = value_.find(field);
  if (found == value_.end()) throw InvalidInput(field, "is required");
  return *found;
}

std::string JsonBody::string(const std::string& field) {
  const nlohmann::json& v = get(field);
  if (!v.is_string()) throw InvalidInput(field, "must be a string");
  return v.get<std::string>();
}

std::vector<std::string> JsonBody::string_list(const std::string& field, std::size_t max_items) {
  const nlohmann::json& v = get(field);
  if (!v.is_array() || v.size() > max_items) {
    throw InvalidInput(field, "must be a list of at most " + std::to_string(max_items) + " names");
  }
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) throw InvalidInput(field, "must be a list of names");
    out.push_back(checked_text(field, item.get<std::string>(), 1, 64));
  }
  return out;
}

std::string JsonBody::text(const std::string& field, std::size_t min_chars, std::size_t max_chars) {
  return checked_text(field, string(field), min_chars, max_chars);
}

std::optional<std::string> JsonBody::optional_text(const std::string& field, std::size_t min_chars,
                                                   std::size_t max_chars) {
  if (!has(field)) return std::nullopt;
  return text(field, min_chars, max_chars);
}

std::string JsonBody::secret(const std::string& field, std::size_t max_bytes) {
  std::string value = string(field);
  if (value.empty() || value.size() > max_bytes) {
    throw InvalidInput(field, "must be 1 to " + std::to_string(max_bytes) + " bytes long");
  }
  return value;
}

std::int64_t JsonBody::id(const std::string& field) {
  const nlohmann::json& v = get(field);
  constexpr std::uint64_t largest = 1ULL << 53;  // exact in every JSON reader
  const bool positive = (v.is_number_unsigned() && v.get<std::uint64_t>() >= 1 &&
                         v.get<std::uint64_t>() <= largest) ||
                        (v.is_number_integer() && v.get<std::int64_t>() >= 1 &&
                         v.get<std::int64_t>() <= static_cast<std::int64_t>(largest));
  if (!positive) throw InvalidInput(field, "must be a positive integer");
  return v.get<std::int64_t>();
}

std::optional<std::optional<std::int64_t>> JsonBody::nullable_id(const std::string& field) {
  if (!has(field)) return std::nullopt;
  if (get(field).is_null()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{id(field)};
}

std::optional<std::optional<std::string>> JsonBody::nullable_digits(const std::string& field,
                                                                    std::size_t max_digits) {
  if (!has(field)) return std::nullopt;
  if (get(field).is_null()) return std::optional<std::string>{};
  std::string value = string(field);
  if (!all_digits(value, max_digits)) {
    throw InvalidInput(field, "must be 1 to " + std::to_string(max_digits) + " digits");
  }
  return std::optional<std::string>{std::move(value)};
}

void JsonBody::no_other_fields() const {
  for (const auto& [name, value] : value_.items()) {
    if (!read_.contains(name)) throw InvalidInput(shown_name(name), "unknown field");
  }
}

void HttpServer::dispatch(HttpRequest request, Responder respond) const {
  const std::string path(request.path());
  log_->debug("http request method={} path={} client={}", request.method, path, request.client_ip);
  std::shared_ptr<const Route> route;
  if (auto found = routes_.find({request.method, path}); found != routes_.end()) {
    route = found->second;
  }
  if (!route) {
    bool path_known = false;
    const auto segments = split_path(path);
    for (const auto& pattern : patterns_) {
      std::vector<std::string> params;
      if (!match(pattern.segments, segments, params)) continue;
      path_known = true;
      if (pattern.method != request.method) continue;
      request.params = std::move(params);
      route = pattern.route;
      break;
    }
    for (const auto& [key, exact] : routes_) path_known |= key.second == path;
    if (!route) {
      respond(path_known ? method_not_allowed()
                         : error_response(404, "not_found", "no such route"));
      return;
    }
  }
  if (route->access.is_public()) {
    run(*route, std::move(request), respond);
    return;
  }
  if (!authenticator_) {
    log_->error("http route needs sign-in but no authenticator is set: path={}", path);
    respond(error_response(401, "unauthenticated", "sign in first"));
    return;
  }
  // The authenticator may answer from a storage thread: continue on the loop.
  auto pending = std::make_shared<HttpRequest>(std::move(request));
  const HttpRequest& view = *pending;
  authenticator_(view, [this, route, pending, respond](AuthOutcome outcome) {
    boost::asio::post(io_, [this, route, pending, respond, outcome = std::move(outcome)]() mutable {
      after_authentication(route, std::move(*pending), respond, std::move(outcome));
    });
  });
}

void HttpServer::websocket(std::string path, Access access, WebSocketHandler handler) {
  route_table_.push_back("GET " + path);
  websockets_.insert_or_assign(std::move(path), WebSocketRoute{access, std::move(handler)});
}

void HttpServer::check_upgrade(const WebSocketRoute& route, const HttpRequest& request,
                               std::function<void(AuthOutcome)> done) const {
  // Cookies ride along on cross-site WebSocket handshakes: only this server's own pages (or a
  // trusted origin) may open the stream with them.
  if (!origin_allowed(request)) {
    done(error_response(403, "forbidden_origin", "this origin may not open the event stream"));
    return;
  }
  if (route.access.is_public()) {
    done(auth::Identity{});
    return;
  }
  if (!authenticator_) {
    done(error_response(401, "unauthenticated", "sign in first"));
    return;
  }
  authenticator_(request, [done = std::move(done),
                           needed = route.access.permission()](AuthOutcome outcome) {
    if (auto* identity = std::get_if<auth::Identity>(&outcome);
        identity && needed && !auth::can(*identity, *needed)) {
      done(error_response(403, "forbidden",
                          "this needs the permission " + std::string(store::to_string(*needed))));
      return;
    }
    done(std::move(outcome));
  });
}

void HttpServer::after_authentication(std::shared_ptr<const Route> route, HttpRequest request,
                                      Responder respond, AuthOutcome outcome) const {
  if (auto* refusal = std::get_if<HttpResponse>(&outcome)) {
    respond(std::move(*refusal));
    return;
  }
  auto& identity = std::get<auth::Identity>(outcome);
  if (is_write(request.method) && identity.credential == auth::CredentialKind::session) {
    if (!origin_allowed(request)) {
      respond(error_response(403, "forbidden_origin", "cross-origin writes are not accepted"));
      return;
    }
    const std::string_view sent = request.header("x-csrf-token");
    if (identity.csrf_token.empty() || sent.empty() ||
        !auth::equal_in_constant_time(sent, identity.csrf_token)) {
      respond(error_response(403, "csrf_token_invalid",
                             "writes need the session's CSRF token in the X-CSRF-Token header"));
      return;
    }
  }
  if (auto needed = route->access.permission(); needed && !auth::can(identity, *needed)) {
    respond(error_response(403, "forbidden",
                           "this needs the permission " + std::string(store::to_string(*needed))));
    return;
  }
  request.caller = std::move(identity);
  run(*route, std::move(request), respond);
}

void HttpServer::run(const Route& route, HttpRequest request, const Responder& respond) const {
  const std::string method = request.method;
  const std::string path(request.path());
  try {
    if (route.handler) {
      respond(route.handler(request));
    } else {
      route.async_handler(std::move(request), respond);
    }
  } catch (const InvalidInput& e) {
    respond(e.response());
  } catch (const std::exception& e) {
    // The one boundary where control-path exceptions become responses (STYLE.md #4).
    log_->error("http handler failed: method={} path={} error={}", method, path, e.what());
    respond(error_response(500, "internal", "internal error"));
  }
}

}  // namespace kefu::api
