#include "api/http_server.hpp"

#include <cctype>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace kefu::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {
constexpr std::size_t kMaxBodyBytes = 1 << 20;
constexpr auto kIdleTimeout = std::chrono::seconds(30);
}  // namespace

class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServer& server)
      : stream_(std::move(socket)), server_(server) {}

  void start() { read_next(); }

 private:
  void read_next() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) {
      close();
      return;
    }
    if (ec) {
      // Oversized or malformed requests get an answer before the connection closes.
      reply(HttpResponse{400, "application/json",
                         R"({"error":{"code":"bad_request","message":")" + ec.message() + "\"}}"},
            false);
      return;
    }
    auto& message = parser_->get();
    HttpRequest request{std::string(message.method_string()), std::string(message.target()),
                        std::move(message.body()), {}};
    reply(server_.dispatch(request), message.keep_alive());
  }

  void reply(HttpResponse response, bool keep_alive) {
    response_ = std::make_unique<http::response<http::string_body>>(
        static_cast<http::status>(response.status), 11);
    response_->set(http::field::server, "kefu");
    response_->set(http::field::content_type, response.content_type);
    response_->keep_alive(keep_alive);
    response_->body() = std::move(response.body);
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive) {
                          self->close();
                        } else {
                          self->read_next();
                        }
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const HttpServer& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<http::response<http::string_body>> response_;
};

HttpServer::HttpServer(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log)
    : io_(io), log_(std::move(log)), acceptor_(io) {}

HttpServer::~HttpServer() { stop(); }

namespace {
std::vector<std::string> split_path(std::string_view path);
}

void HttpServer::route(std::string method, std::string path, Handler handler) {
  if (path.find("{}") != std::string::npos) {
    patterns_.push_back({std::move(method), split_path(path), std::move(handler)});
    return;
  }
  routes_[{std::move(method), std::move(path)}] = std::move(handler);
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

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() + 0 && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
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

}  // namespace

HttpResponse HttpServer::dispatch(const HttpRequest& request) const {
  auto path = request.target.substr(0, request.target.find('?'));
  auto found = routes_.find({request.method, path});
  if (found == routes_.end() && !patterns_.empty()) {
    const auto segments = split_path(path);
    bool path_known = false;
    for (const auto& pattern : patterns_) {
      std::vector<std::string> params;
      if (!match(pattern.segments, segments, params)) continue;
      path_known = true;
      if (pattern.method != request.method) continue;
      HttpRequest with_params = request;
      with_params.params = std::move(params);
      try {
        return pattern.handler(with_params);
      } catch (const std::exception& e) {
        log_->error("http handler failed: method={} path={} error={}", request.method, path, e.what());
        return {500, "application/json",
                R"({"error":{"code":"internal","message":"internal error"}})"};
      }
    }
    if (path_known) {
      return {405, "application/json",
              R"({"error":{"code":"method_not_allowed","message":"method not allowed"}})"};
    }
  }
  if (found == routes_.end()) {
    bool path_known = false;
    for (const auto& [key, handler] : routes_) path_known |= key.second == path;
    if (path_known) {
      return {405, "application/json",
              R"({"error":{"code":"method_not_allowed","message":"method not allowed"}})"};
    }
    return {404, "application/json", R"({"error":{"code":"not_found","message":"no such route"}})"};
  }
  try {
    return found->second(request);
  } catch (const std::exception& e) {
    // The one boundary where control-path exceptions become responses (STYLE.md #4).
    log_->error("http handler failed: method={} path={} error={}", request.method, path, e.what());
    return {500, "application/json",
            R"({"error":{"code":"internal","message":"internal error"}})"};
  }
}

}  // namespace kefu::api
