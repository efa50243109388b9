#pragma once
// RFC 4733 telephone-event payloads (section 2.3) and a receiver that turns a stream of event
// packets into digits, each reported exactly once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/result.hpp"

namespace kefu::rtp {

inline constexpr std::size_t telephone_event_size = 4;

// One event payload: event code, E bit, volume (0..63, -dBm0) and duration in timestamp units.
struct TelephoneEvent {
  std::uint8_t event = 0;
  bool end = false;
  std::uint8_t volume = 0;
  std::uint16_t duration = 0;
};

enum class TelephoneEventError : std::uint8_t { too_short };

// Reads the first event block; RFC 4733 payloads carry one block (redundancy uses RFC 2198).
Result<TelephoneEvent, TelephoneEventError> parse_telephone_event(
    std::span<const std::byte> payload);
void write_telephone_event(const TelephoneEvent& event,
                           std::span<std::byte, telephone_event_size> out);

// DTMF events 0-15 (RFC 4733 section 3.2): '0'-'9', '*', '#', 'A'-'D'.
std::optional<char> dtmf_digit_for_event(std::uint8_t event);
std::optional<std::uint8_t> event_for_dtmf_digit(char digit);

// Receives the telephone-event packets of one RTP stream and reports each event once, when it
// ends. An event is identified by its RTP timestamp (the event start); its packets repeat that
// timestamp with growing durations and end with three redundant packets carrying the E bit.
// Handles: redundant and late end packets (ignored), lost start or update packets (the first
// packet seen starts the event), lost end packets (the event is reported when the next event
// starts or when no packet arrived for `stale_after_ms`), long events split into segments
// (RFC 4733 2.5.1.3), and old reordered packets (ignored).
class TelephoneEventReceiver {
 public:
  struct Event {
    std::uint8_t event = 0;
    std::uint32_t duration = 0;  // timestamp units (samples at the stream's clock rate)
  };
  // Up to two events finish on one packet: the previous one whose end was lost and a new one
  // whose only surviving packet is an end packet.
  struct Finished {
    std::array<Event, 2> events{};
    std::size_t count = 0;
    // Iterable directly, so `for (auto& e : receiver.on_packet(...))` keeps the result alive.
    const Event* begin() const { return events.data(); }
    const Event* end() const { return events.data() + count; }
    bool empty() const { return count == 0; }
  };

  explicit TelephoneEventReceiver(std::uint64_t stale_after_ms = 1000)
      : stale_after_ms_(stale_after_ms) {}

  Finished on_packet(std::uint32_t rtp_timestamp, bool marker, const TelephoneEvent& event,
                     std::uint64_t now_ms);
  // Reports an event whose packets stopped without an end packet.
  std::optional<Event> expire(std::uint64_t now_ms);
  void reset();

  bool event_in_progress() const { return current_.has_value(); }

 private:
  struct Current {
    std::uint32_t timestamp = 0;  // of the current segment
    std::uint8_t event = 0;
    std::uint32_t earlier_segments = 0;
    std::uint16_t duration = 0;  // largest duration seen in the current segment
    std::uint64_t last_packet_ms = 0;
  };
  Event finish_current();

  std::uint64_t stale_after_ms_;
  std::optional<Current> current_;
  std::optional<std::uint32_t> last_finished_timestamp_;
};

}  // namespace kefu::rtp
