#pragma once
// An in-memory network for transaction and session tests and benchmarks: packets between
// attached endpoints are delivered through the TimerService after a latency, and a fault
// filter can drop, duplicate or delay (reorder) any of them. Deterministic with VirtualClock.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sip/stack/timer.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

struct LoopbackPacket {
  TransportKind transport = TransportKind::Udp;
  Endpoint from;
  Endpoint to;
  std::string bytes;
};

enum class FaultAction : std::uint8_t { Deliver, Drop, Duplicate };
struct FaultDecision {
  FaultAction action = FaultAction::Deliver;
  Duration extra_delay = Duration::zero();  // on top of the latency: reorders packets
};
using FaultFilter = std::function<FaultDecision(const LoopbackPacket&)>;

enum class PacketLog : std::uint8_t { Off, On };

class LoopbackNetwork {
 public:
  explicit LoopbackNetwork(TimerService& timers, Duration latency = std::chrono::milliseconds(1),
                           PacketLog packet_log = PacketLog::On);
  ~LoopbackNetwork();
  LoopbackNetwork(const LoopbackNetwork&) = delete;
  LoopbackNetwork& operator=(const LoopbackNetwork&) = delete;

  // A transport bound to `local` on this network. Tcp transports are "reliable": the stack
  // does not retransmit over them, and Inbound carries a connection id per endpoint pair.
  // The network must outlive the transport.
  std::unique_ptr<Transport> attach(TransportKind kind, const Endpoint& local, TransportSink& sink);

  void set_fault_filter(FaultFilter filter) { fault_filter_ = std::move(filter); }
  void clear_fault_filter() { fault_filter_ = nullptr; }

  // Every packet handed to the network, in send order (before faults), when logging is on.
  const std::vector<LoopbackPacket>& sent() const { return sent_; }
  void clear_log() { sent_.clear(); }
  std::size_t dropped() const { return dropped_; }

  // Used by the attached transports.
  std::optional<std::string> send(TransportKind kind, const Endpoint& from, const Destination& to,
                                  std::string bytes);
  void detach(TransportKind kind, const Endpoint& local);

 private:
  struct Key {
    TransportKind kind;
    Endpoint endpoint;
    bool operator<(const Key& other) const;
  };
  ConnectionId connection_between(const Endpoint& a, const Endpoint& b);
  void schedule(LoopbackPacket packet, ConnectionId connection, Duration delay);

  TimerService& timers_;
  Duration latency_;
  PacketLog packet_log_;
  FaultFilter fault_filter_;
  std::map<Key, TransportSink*> sinks_;
  std::map<std::pair<std::string, std::string>, ConnectionId> connections_;
  std::unordered_map<std::uint64_t, std::pair<Endpoint, Endpoint>> connection_ends_;
  std::uint64_t next_connection_ = 1;
  std::vector<LoopbackPacket> sent_;
  std::size_t dropped_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kefu::sip
