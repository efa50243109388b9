#include "sip/stack/counters.hpp"

namespace kefu::sip {

void TrafficCounters::for_each(const std::function<void(Direction, TransportKind, MessageClass,
                                                        Method, std::uint64_t)>& visit) const {
  for (std::size_t d = 0; d < 2; ++d) {
    for (std::size_t t = 0; t < kTransportKindCount; ++t) {
      for (std::size_t c = 0; c < 2; ++c) {
        for (std::size_t m = 0; m < kMethodCount; ++m) {
          const std::uint64_t value = messages_[d][t][c][m];
          if (value == 0) continue;
          visit(static_cast<Direction>(d), static_cast<TransportKind>(t),
                static_cast<MessageClass>(c), static_cast<Method>(m), value);
        }
      }
    }
  }
}

}  // namespace kefu::sip
