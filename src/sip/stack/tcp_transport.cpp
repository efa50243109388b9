#include "sip/stack/tcp_transport.hpp"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <unordered_map>

#include "sip/message.hpp"

namespace kefu::sip {
namespace {

using boost::asio::ip::tcp;

class TcpHub;

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(tcp::socket socket, std::weak_ptr<TcpHub> hub, ConnectionId id, Endpoint remote,
                const TcpOptions& options)
      : socket_(std::move(socket)),
        hub_(std::move(hub)),
        id_(id),
        remote_(remote),
        framer_(options.max_message_bytes) {}

  ConnectionId id() const { return id_; }
  const Endpoint& remote() const { return remote_; }
  bool open() const { return state_ != State::Closed; }

  void start_reading();  // an accepted or a connected socket
  void connect(Duration timeout);
  void queue(std::string bytes, SendToken token);
  void close(std::string_view why, bool report_queued);
  void touch();

 private:
  enum class State { Connecting, Open, Closed };
  struct Pending {
    std::string bytes;
    SendToken token;
  };
  void read_more();
  void on_read(const boost::system::error_code& error, std::size_t size);
  void write_next();
  void arm_idle_timer(Duration after);

  tcp::socket socket_;
  std::weak_ptr<TcpHub> hub_;
  ConnectionId id_;
  Endpoint remote_;
  StreamFramer framer_;
  State state_ = State::Open;
  std::deque<Pending> writes_;
  bool writing_ = false;
  std::array<char, 16384> read_buffer_{};
  TimePoint last_activity_{};
  TimerId idle_timer_;
  TimerId connect_timer_;
};

class TcpHub : public std::enable_shared_from_this<TcpHub> {
 public:
  TcpHub(boost::asio::io_context& io, TransportSink& sink, TimerService& timers, TcpOptions options)
      : io_(io), acceptor_(io), sink_(&sink), timers_(timers), options_(options) {}

  std::optional<std::string> listen(const Endpoint& local) {
    boost::system::error_code error;
    const tcp::endpoint endpoint(local.address, local.port);
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
    if (error) return "TCP " + local.to_string() + ": " + error.message();
    const auto bound = acceptor_.local_endpoint(error);
    local_ = Endpoint{bound.address(), bound.port()};
    return std::nullopt;
  }

  void accept_next() {
    acceptor_.async_accept(
        [self = shared_from_this()](const boost::system::error_code& error, tcp::socket socket) {
          if (self->sink_ == nullptr || error == boost::asio::error::operation_aborted) return;
          if (!error) {
            boost::system::error_code ignored;
            const auto peer = socket.remote_endpoint(ignored);
            auto connection = self->add(std::move(socket), Endpoint{peer.address(), peer.port()});
            connection->start_reading();
          }
          self->accept_next();
        });
  }

  std::optional<std::string> send(const Destination& to, std::string bytes, SendToken token) {
    if (sink_ == nullptr) return "TCP transport closed";
    std::shared_ptr<TcpConnection> connection = find(to.connection);
    if (!connection) {
      const auto by_remote = by_remote_.find(to.address);
      if (by_remote != by_remote_.end()) connection = find(by_remote->second);
    }
    if (!connection) {
      connection = add(tcp::socket(io_), to.address);
      connection->connect(options_.connect_timeout);  // first, so queue() waits for it
      connection->queue(std::move(bytes), token);
      return std::nullopt;
    }
    connection->queue(std::move(bytes), token);
    return std::nullopt;
  }

  std::shared_ptr<TcpConnection> add(tcp::socket socket, const Endpoint& remote) {
    const ConnectionId id{next_id_++};
    auto connection =
        std::make_shared<TcpConnection>(std::move(socket), weak_from_this(), id, remote, options_);
    connections_.emplace(id, connection);
    by_remote_[remote] = id;
    return connection;
  }

  std::shared_ptr<TcpConnection> find(ConnectionId id) const {
    if (id == ConnectionId::None) return nullptr;
    const auto found = connections_.find(id);
    if (found == connections_.end() || !found->second->open()) return nullptr;
    return found->second;
  }

  void remove(const TcpConnection& connection) {
    const auto by_remote = by_remote_.find(connection.remote());
    if (by_remote != by_remote_.end() && by_remote->second == connection.id()) {
      by_remote_.erase(by_remote);
    }
    connections_.erase(connection.id());
  }

  void close() {
    sink_ = nullptr;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    auto connections = std::move(connections_);
    connections_.clear();
    by_remote_.clear();
    for (auto& [id, connection] : connections) connection->close("transport closed", false);
  }

  Inbound inbound(const TcpConnection& connection) const {
    return Inbound{TransportKind::Tcp, connection.remote(), local_, connection.id()};
  }

  TransportSink* sink() const { return sink_; }
  TimerService& timers() { return timers_; }
  const TcpOptions& options() const { return options_; }
  const Endpoint& local() const { return local_; }

 private:
  struct ConnectionIdHash {
    std::size_t operator()(ConnectionId id) const {
      return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(id));
    }
  };

  boost::asio::io_context& io_;
  tcp::acceptor acceptor_;
  TransportSink* sink_;
  TimerService& timers_;
  TcpOptions options_;
  Endpoint local_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<ConnectionId, std::shared_ptr<TcpConnection>, ConnectionIdHash> connections_;
  std::unordered_map<Endpoint, ConnectionId, EndpointHash> by_remote_;
};

void TcpConnection::touch() {
  if (auto hub = hub_.lock()) last_activity_ = hub->timers().now();
}

void TcpConnection::arm_idle_timer(Duration after) {
  auto hub = hub_.lock();
  if (!hub) return;
  hub->timers().cancel(idle_timer_);
  idle_timer_ = hub->timers().start(after, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || !self->open()) return;
    auto owner = self->hub_.lock();
    if (!owner) return;
    self->idle_timer_ = TimerId{};
    const Duration idle = owner->timers().now() - self->last_activity_;
    const Duration limit = owner->options().idle_timeout;
    if (idle >= limit) {
      self->close("idle", true);
    } else {
      self->arm_idle_timer(limit - idle);
    }
  });
}

void TcpConnection::start_reading() {
  state_ = State::Open;
  touch();
  if (auto hub = hub_.lock()) arm_idle_timer(hub->options().idle_timeout);
  read_more();
  write_next();
}

void TcpConnection::connect(Duration timeout) {
  auto hub = hub_.lock();
  if (!hub) return;
  state_ = State::Connecting;
  connect_timer_ = hub->timers().start(timeout, [weak = weak_from_this()] {
    if (auto self = weak.lock(); self && self->state_ == State::Connecting) {
      self->connect_timer_ = TimerId{};
      self->close("connect timeout", true);
    }
  });
  socket_.async_connect(tcp::endpoint(remote_.address, remote_.port),
                        [self = shared_from_this()](const boost::system::error_code& error) {
                          if (self->state_ != State::Connecting) return;
                          if (auto owner = self->hub_.lock()) {
                            owner->timers().cancel(self->connect_timer_);
                          }
                          self->connect_timer_ = TimerId{};
                          if (error) {
                            self->close("connect: " + error.message(), true);
                            return;
                          }
                          self->start_reading();
                        });
}

void TcpConnection::read_more() {
  socket_.async_read_some(
      boost::asio::buffer(read_buffer_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
        self->on_read(error, size);
      });
}

void TcpConnection::on_read(const boost::system::error_code& error, std::size_t size) {
  if (state_ == State::Closed) return;
  if (error) {
    close(error == boost::asio::error::eof ? "closed by peer" : error.message(), true);
    return;
  }
  touch();
  framer_.append(std::string_view(read_buffer_.data(), size));
  while (true) {
    auto hub = hub_.lock();
    if (!hub || hub->sink() == nullptr || state_ == State::Closed) return;
    StreamFramer::Frame frame = framer_.next();
    if (frame.status == StreamFramer::Status::NeedMore) break;
    if (frame.status == StreamFramer::Status::Error) {
      const Inbound from = hub->inbound(*this);
      close(frame.error, true);
      hub->sink()->on_stream_error(from, frame.error);
      return;
    }
    hub->sink()->on_received(std::move(frame.bytes), hub->inbound(*this));
  }
  read_more();
}

void TcpConnection::queue(std::string bytes, SendToken token) {
  writes_.push_back(Pending{std::move(bytes), token});
  if (state_ == State::Open) write_next();
}

void TcpConnection::write_next() {
  if (writing_ || writes_.empty() || state_ != State::Open) return;
  writing_ = true;
  boost::asio::async_write(
      socket_, boost::asio::buffer(writes_.front().bytes),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t /*written*/) {
        self->writing_ = false;
        if (self->state_ == State::Closed) return;
        if (error) {
          self->close("write: " + error.message(), true);
          return;
        }
        self->writes_.pop_front();
        self->touch();
        self->write_next();
      });
}

void TcpConnection::close(std::string_view why, bool report_queued) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  auto hub = hub_.lock();
  if (hub) {
    hub->timers().cancel(idle_timer_);
    hub->timers().cancel(connect_timer_);
  }
  auto pending = std::move(writes_);
  writes_.clear();
  if (!hub) return;
  const auto keep_alive = shared_from_this();
  hub->remove(*this);
  if (!report_queued || hub->sink() == nullptr) return;
  const std::string reason = "TCP " + remote_.to_string() + ": " + std::string(why);
  for (const Pending& item : pending) {
    if (item.token != SendToken::None && hub->sink() != nullptr) {
      hub->sink()->on_send_failed(item.token, reason);
    }
  }
}

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(std::shared_ptr<TcpHub> hub) : hub_(std::move(hub)) {}
  ~TcpTransport() override { close(); }

  TransportKind kind() const override { return TransportKind::Tcp; }
  Endpoint local_endpoint() const override { return hub_->local(); }
  std::optional<std::string> send(const Destination& to, std::string bytes,
                                  SendToken token) override {
    return hub_->send(to, std::move(bytes), token);
  }
  void close() override { hub_->close(); }

 private:
  std::shared_ptr<TcpHub> hub_;
};

}  // namespace

Result<std::unique_ptr<Transport>, std::string> open_tcp_transport(boost::asio::io_context& io,
                                                                   const Endpoint& local,
                                                                   TransportSink& sink,
                                                                   TimerService& timers,
                                                                   TcpOptions options) {
  auto hub = std::make_shared<TcpHub>(io, sink, timers, options);
  if (auto error = hub->listen(local)) return unexpected(std::move(*error));
  hub->accept_next();
  return std::unique_ptr<Transport>(std::make_unique<TcpTransport>(std::move(hub)));
}

}  // namespace kefu::sip
