#pragma once
// Minimal HTTP/1.1 server on the control loop (Boost.Beast): routes by method and exact path.
// Later issues add the REST API, WebSocket events and the web app behind the same listener.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <spdlog/logger.h>

#include "common/result.hpp"

namespace kefu::api {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string body;
  std::vector<std::string> params;  // the path's `{}` segments, in order
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `path` is exact, or has `{}` segments that match any one segment: "/api/v1/agents/{}/ready".
  void route(std::string method, std::string path, Handler handler);
  // Binds and starts accepting; the error names the address and the reason.
  Result<std::uint16_t, std::string> listen(const std::string& host, std::uint16_t port);
  void stop();

 private:
  class Connection;
  void accept_next();
  HttpResponse dispatch(const HttpRequest& request) const;

  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<std::pair<std::string, std::string>, Handler> routes_;
  struct PatternRoute {
    std::string method;
    std::vector<std::string> segments;  // "{}" = any one segment
    Handler handler;
  };
  std::vector<PatternRoute> patterns_;
};

}  // namespace kefu::api
