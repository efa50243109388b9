#include "sip/stack/loopback_transport.hpp"

#include <tuple>

namespace kefu::sip {
namespace {

class LoopbackTransport final : public Transport {
 public:
  LoopbackTransport(LoopbackNetwork& network, TransportKind kind, const Endpoint& local)
      : network_(&network), kind_(kind), local_(local) {}
  ~LoopbackTransport() override { close(); }

  TransportKind kind() const override { return kind_; }
  Endpoint local_endpoint() const override { return local_; }
  std::optional<std::string> send(const Destination& to, std::string bytes,
                                  SendToken /*token*/) override {
    if (network_ == nullptr) return "loopback transport closed";
    return network_->send(kind_, local_, to, std::move(bytes));
  }
  void close() override {
    if (network_ != nullptr) network_->detach(kind_, local_);
    network_ = nullptr;
  }

 private:
  LoopbackNetwork* network_;
  TransportKind kind_;
  Endpoint local_;
};

}  // namespace

bool LoopbackNetwork::Key::operator<(const Key& other) const {
  return std::tuple(kind, endpoint.address, endpoint.port) <
         std::tuple(other.kind, other.endpoint.address, other.endpoint.port);
}

LoopbackNetwork::LoopbackNetwork(TimerService& timers, Duration latency, PacketLog packet_log)
    : timers_(timers), latency_(latency), packet_log_(packet_log) {}

LoopbackNetwork::~LoopbackNetwork() {
  *alive_ = false;
}

std::unique_ptr<Transport> LoopbackNetwork::attach(TransportKind kind, const Endpoint& local,
                                                   TransportSink& sink) {
  sinks_[Key{kind, local}] = &sink;
  return std::make_unique<LoopbackTransport>(*this, kind, local);
}

void LoopbackNetwork::detach(TransportKind kind, const Endpoint& local) {
  sinks_.erase(Key{kind, local});
}

ConnectionId LoopbackNetwork::connection_between(const Endpoint& a, const Endpoint& b) {
  auto first = a.to_string();
  auto second = b.to_string();
  if (second < first) std::swap(first, second);
  auto [it, inserted] = connections_.try_emplace({first, second}, ConnectionId{next_connection_});
  if (inserted) connection_ends_.emplace(next_connection_++, std::pair(a, b));
  return it->second;
}

std::optional<std::string> LoopbackNetwork::send(TransportKind kind, const Endpoint& from,
                                                 const Destination& to, std::string bytes) {
  Endpoint target = to.address;
  if (is_reliable(kind) && to.connection != ConnectionId::None) {
    // An open "connection" wins over the address, as with TCP.
    const auto ends = connection_ends_.find(static_cast<std::uint64_t>(to.connection));
    if (ends != connection_ends_.end()) {
      target = ends->second.first == from ? ends->second.second : ends->second.first;
    }
  }
  LoopbackPacket packet{kind, from, target, std::move(bytes)};
  if (packet_log_ == PacketLog::On) sent_.push_back(packet);
  const FaultDecision decision = fault_filter_ ? fault_filter_(packet) : FaultDecision{};
  if (decision.action == FaultAction::Drop) {
    ++dropped_;
    return std::nullopt;
  }
  const ConnectionId connection =
      is_reliable(kind) ? connection_between(from, target) : ConnectionId::None;
  if (decision.action == FaultAction::Duplicate) {
    schedule(packet, connection, latency_ + decision.extra_delay);
  }
  schedule(std::move(packet), connection, latency_ + decision.extra_delay);
  return std::nullopt;
}

void LoopbackNetwork::schedule(LoopbackPacket packet, ConnectionId connection, Duration delay) {
  timers_.start(delay, [this, alive = alive_, connection, packet = std::move(packet)]() mutable {
    if (!*alive) return;
    const auto sink = sinks_.find(Key{packet.transport, packet.to});
    if (sink == sinks_.end()) {
      ++dropped_;
      return;
    }
    const Inbound from{packet.transport, packet.from, packet.to, connection};
    sink->second->on_received(std::move(packet.bytes), from);
  });
}

}  // namespace kefu::sip
