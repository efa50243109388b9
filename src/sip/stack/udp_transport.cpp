#include "sip/stack/udp_transport.hpp"

#include <array>
#include <boost/asio/ip/udp.hpp>

namespace kefu::sip {
namespace {

using boost::asio::ip::udp;

constexpr std::size_t kMaxDatagram = 65535;

// Shared with the pending receive so a completion that races close() finds the state alive.
class UdpSocket : public std::enable_shared_from_this<UdpSocket> {
 public:
  UdpSocket(boost::asio::io_context& io, TransportSink& sink) : socket_(io), sink_(&sink) {}

  std::optional<std::string> open(const Endpoint& local) {
    boost::system::error_code error;
    const udp::endpoint endpoint(local.address, local.port);
    socket_.open(endpoint.protocol(), error);
    if (!error) socket_.bind(endpoint, error);
    if (!error) socket_.non_blocking(true, error);
    if (error) return "UDP " + local.to_string() + ": " + error.message();
    const auto bound = socket_.local_endpoint(error);
    local_ = Endpoint{bound.address(), bound.port()};
    return std::nullopt;
  }

  void start_receive() {
    socket_.async_receive_from(
        boost::asio::buffer(buffer_), sender_,
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
          self->on_receive(error, size);
        });
  }

  std::optional<std::string> send(const Endpoint& to, const std::string& bytes) {
    boost::system::error_code error;
    socket_.send_to(boost::asio::buffer(bytes), udp::endpoint(to.address, to.port), 0, error);
    if (error) return "UDP send to " + to.to_string() + ": " + error.message();
    return std::nullopt;
  }

  void close() {
    sink_ = nullptr;
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  const Endpoint& local() const { return local_; }

 private:
  void on_receive(const boost::system::error_code& error, std::size_t size) {
    if (sink_ == nullptr || error == boost::asio::error::operation_aborted) return;
    if (!error && size > 0) {
      Inbound from;
      from.transport = TransportKind::Udp;
      from.source = Endpoint{sender_.address(), sender_.port()};
      from.local = local_;
      sink_->on_received(std::string(buffer_.data(), size), from);
      if (sink_ == nullptr) return;  // closed by the handler
    }
    // Errors such as ICMP port unreachable (ECONNREFUSED on Linux) must not stop the loop.
    start_receive();
  }

  udp::socket socket_;
  TransportSink* sink_;
  Endpoint local_;
  udp::endpoint sender_;
  std::array<char, kMaxDatagram> buffer_{};
};

class UdpTransport final : public Transport {
 public:
  explicit UdpTransport(std::shared_ptr<UdpSocket> socket) : socket_(std::move(socket)) {}
  ~UdpTransport() override { close(); }

  TransportKind kind() const override { return TransportKind::Udp; }
  Endpoint local_endpoint() const override { return socket_->local(); }
  std::optional<std::string> send(const Destination& to, std::string bytes,
                                  SendToken /*token*/) override {
    return socket_->send(to.address, bytes);
  }
  void close() override { socket_->close(); }

 private:
  std::shared_ptr<UdpSocket> socket_;
};

}  // namespace

Result<std::unique_ptr<Transport>, std::string> open_udp_transport(boost::asio::io_context& io,
                                                                   const Endpoint& local,
                                                                   TransportSink& sink) {
  auto socket = std::make_shared<UdpSocket>(io, sink);
  if (auto error = socket->open(local)) return unexpected(std::move(*error));
  socket->start_receive();
  return std::unique_ptr<Transport>(std::make_unique<UdpTransport>(std::move(socket)));
}

}  // namespace kefu::sip
