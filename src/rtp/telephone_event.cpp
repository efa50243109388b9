#include "rtp/telephone_event.hpp"

#include <algorithm>
#include <string_view>

#include "rtp/byte_order.hpp"
#include "rtp/packet.hpp"

namespace kefu::rtp {

namespace {
constexpr std::string_view dtmf_digits = "0123456789*#ABCD";
}

Result<TelephoneEvent, TelephoneEventError> parse_telephone_event(
    std::span<const std::byte> payload) {
  if (payload.size() < telephone_event_size) return unexpected(TelephoneEventError::too_short);
  TelephoneEvent event;
  event.event = read_u8(payload, 0);
  const std::uint8_t flags = read_u8(payload, 1);
  event.end = (flags & 0x80) != 0;
  event.volume = flags & 0x3F;  // the R bit (0x40) is reserved and ignored
  event.duration = read_u16(payload, 2);
  return event;
}

void write_telephone_event(const TelephoneEvent& event,
                           std::span<std::byte, telephone_event_size> out) {
  write_u8(out, 0, event.event);
  write_u8(out, 1, static_cast<std::uint8_t>((event.end ? 0x80 : 0) | (event.volume & 0x3F)));
  write_u16(out, 2, event.duration);
}

std::optional<char> dtmf_digit_for_event(std::uint8_t event) {
  if (event >= dtmf_digits.size()) return std::nullopt;
  return dtmf_digits[event];
}

std::optional<std::uint8_t> event_for_dtmf_digit(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  const auto at = dtmf_digits.find(digit);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<std::uint8_t>(at);
}

TelephoneEventReceiver::Event TelephoneEventReceiver::finish_current() {
  const Event done{current_->event, current_->earlier_segments + current_->duration};
  last_finished_timestamp_ = current_->timestamp;
  current_.reset();
  return done;
}

TelephoneEventReceiver::Finished TelephoneEventReceiver::on_packet(std::uint32_t rtp_timestamp,
                                                                   bool marker,
                                                                   const TelephoneEvent& event,
                                                                   std::uint64_t now_ms) {
  Finished finished;
  auto report = [&finished](Event e) { finished.events[finished.count++] = e; };

  // Redundant end packets and anything older than the last reported event.
  if (last_finished_timestamp_ && (rtp_timestamp == *last_finished_timestamp_ ||
                                   timestamp_before(rtp_timestamp, *last_finished_timestamp_))) {
    return finished;
  }

  if (current_ && rtp_timestamp == current_->timestamp) {
    current_->duration = std::max(current_->duration, event.duration);
    current_->last_packet_ms = now_ms;
    if (event.end) report(finish_current());
    return finished;
  }

  if (current_) {
    if (timestamp_before(rtp_timestamp, current_->timestamp)) return finished;  // reordered
    // A long event continues in a new segment whose timestamp is where the previous segment's
    // duration ended (RFC 4733 2.5.1.3); the marker bit is only set on a new event.
    const bool continues = !marker && event.event == current_->event &&
                           rtp_timestamp - current_->timestamp == current_->duration;
    if (continues) {
      current_->earlier_segments += current_->duration;
      current_->timestamp = rtp_timestamp;
      current_->duration = event.duration;
      current_->last_packet_ms = now_ms;
      if (event.end) report(finish_current());
      return finished;
    }
    report(finish_current());  // its end packets were lost
  }

  current_ = Current{rtp_timestamp, event.event, 0, event.duration, now_ms};
  if (event.end) report(finish_current());  // start and update packets were lost
  return finished;
}

std::optional<TelephoneEventReceiver::Event> TelephoneEventReceiver::expire(std::uint64_t now_ms) {
  if (!current_ || now_ms - current_->last_packet_ms < stale_after_ms_) return std::nullopt;
  return finish_current();
}

void TelephoneEventReceiver::reset() {
  current_.reset();
  last_finished_timestamp_.reset();
}

}  // namespace kefu::rtp
