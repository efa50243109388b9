#pragma once
// A server-side WebSocket (RFC 6455) on the control loop, for the event stream: text frames out
// in order, incoming frames ignored (pings are answered by Beast), one close notification.
// Beast's websocket templates stay in websocket_channel.cpp.
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <spdlog/logger.h>

namespace kefu::api {

class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  // Queues one text frame. Frames beyond the backlog limit close the channel: a client that
  // does not read is dropped rather than let to grow the server's memory.
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
  virtual bool open() const = 0;
  // Called once when the channel closes (either side, or an error).
  virtual void on_closed(std::function<void()> handler) = 0;
};

// Takes over `socket`, whose upgrade request `upgrade` has been read and checked, completes the
// handshake and calls `ready` with the channel (or never, when the handshake fails).
void accept_websocket(boost::asio::ip::tcp::socket socket,
                      boost::beast::http::request<boost::beast::http::string_body> upgrade,
                      std::shared_ptr<spdlog::logger> log,
                      std::function<void(std::shared_ptr<WebSocketChannel>)> ready);

}  // namespace kefu::api
