#pragma once
// Message counters per direction, transport and method, for /metrics. Plain integers: the
// control loop is the only writer; readers on the same loop see exact values.
#include <array>
#include <cstdint>
#include <functional>

#include "sip/message.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

enum class MessageClass : std::uint8_t { Request, Response };
enum class Direction : std::uint8_t { Received, Sent };

inline constexpr std::size_t kMethodCount = static_cast<std::size_t>(Method::Publish) + 1;

class TrafficCounters {
 public:
  // Responses are counted under their CSeq method.
  void count(Direction direction, TransportKind transport, MessageClass message_class,
             Method method) {
    ++messages_[index(direction)][index(transport)][index(message_class)][index(method)];
  }
  // Received bytes that did not parse (or could not be framed) on this transport.
  void count_malformed(TransportKind transport) { ++malformed_[index(transport)]; }

  std::uint64_t messages(Direction direction, TransportKind transport, MessageClass message_class,
                         Method method) const {
    return messages_[index(direction)][index(transport)][index(message_class)][index(method)];
  }
  std::uint64_t malformed(TransportKind transport) const { return malformed_[index(transport)]; }

  // Visits every non-zero message counter (for a Prometheus exporter).
  void for_each(const std::function<void(Direction, TransportKind, MessageClass, Method,
                                         std::uint64_t)>& visit) const;

 private:
  template <typename E>
  static constexpr std::size_t index(E value) {
    return static_cast<std::size_t>(value);
  }
  using PerMethod = std::array<std::uint64_t, kMethodCount>;
  std::array<std::array<std::array<PerMethod, 2>, kTransportKindCount>, 2> messages_{};
  std::array<std::uint64_t, kTransportKindCount> malformed_{};
};

}  // namespace kefu::sip
