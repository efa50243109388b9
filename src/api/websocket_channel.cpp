#include "api/websocket_channel.hpp"

#include <deque>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace kefu::api {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr std::size_t kMaxBacklog = 1000;  // frames; a second of events for a busy supervisor

class Channel final : public WebSocketChannel, public std::enable_shared_from_this<Channel> {
 public:
  Channel(boost::asio::ip::tcp::socket socket, std::shared_ptr<spdlog::logger> log)
      : ws_(std::move(socket)), log_(std::move(log)) {}

  void accept(beast::http::request<beast::http::string_body> upgrade,
              std::function<void(std::shared_ptr<WebSocketChannel>)> ready) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(beast::http::field::server, "kefu"); }));
    ws_.read_message_max(64 * 1024);
    ws_.async_accept(upgrade, [self = shared_from_this(), ready = std::move(ready)](beast::error_code ec) {
      if (ec) {
        self->log_->info("websocket handshake failed: {}", ec.message());
        return;
      }
      self->open_ = true;
      ready(self);
      self->read_next();
    });
  }

  void send(std::string text) override {
    if (!open_) return;
    if (queue_.size() >= kMaxBacklog) {
      log_->warn("websocket client too slow: closing");
      close();
      return;
    }
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) write_next();
  }

  void close() override {
    if (!open_) return;
    open_ = false;
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
    notify_closed();
  }

  bool open() const override { return open_; }

  void on_closed(std::function<void()> handler) override { closed_handler_ = std::move(handler); }

 private:
  void read_next() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->buffer_.clear();  // nothing is expected from clients
      if (ec) {
        self->open_ = false;
        self->notify_closed();
        return;
      }
      self->read_next();
    });
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) {
                        self->open_ = false;
                        self->queue_.clear();
                        self->notify_closed();
                        return;
                      }
                      self->queue_.pop_front();
                      if (!self->queue_.empty() && self->open_) self->write_next();
                    });
  }

  void notify_closed() {
    if (auto handler = std::move(closed_handler_)) {
      closed_handler_ = nullptr;
      handler();
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<spdlog::logger> log_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool open_ = false;
  std::function<void()> closed_handler_;
};

}  // namespace

void accept_websocket(boost::asio::ip::tcp::socket socket,
                      boost::beast::http::request<boost::beast::http::string_body> upgrade,
                      std::shared_ptr<spdlog::logger> log,
                      std::function<void(std::shared_ptr<WebSocketChannel>)> ready) {
  auto channel = std::make_shared<Channel>(std::move(socket), std::move(log));
  channel->accept(std::move(upgrade), std::move(ready));
}

}  // namespace kefu::api
