// libFuzzer target for everything in kefu_rtp that reads network bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "rtp/byte_order.hpp"
#include "rtp/g711.hpp"
#include "rtp/packet.hpp"
#include "rtp/stream.hpp"
#include "rtp/telephone_event.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void round_trip(std::span<const std::byte> bytes, const kefu::rtp::PacketView& packet) {
  std::vector<std::uint32_t> csrcs;
  for (std::size_t i = 0; i < packet.csrc_count(); ++i) csrcs.push_back(packet.csrc(i));
  kefu::rtp::PacketFields fields;
  fields.marker = packet.marker;
  fields.payload_type = packet.payload_type;
  fields.sequence = packet.sequence;
  fields.timestamp = packet.timestamp;
  fields.ssrc = packet.ssrc;
  fields.csrcs = csrcs;
  fields.extension = packet.extension;
  fields.padding_size = packet.padding_size;
  std::vector<std::byte> out(bytes.size());
  const auto size = kefu::rtp::serialize_packet(fields, packet.payload, out);
  check(size.has_value() && *size == bytes.size());
  // Everything but the padding bytes (we write zeros) must come back identical.
  const std::size_t compared = bytes.size() - (packet.padding_size > 0 ? packet.padding_size : 0);
  check(std::memcmp(out.data(), bytes.data(), compared) == 0);
  check(out.back() == bytes.back() || packet.padding_size == 0);
  const auto again = kefu::rtp::parse_packet(std::span(out).first(*size));
  check(again.has_value() && again->payload.size() == packet.payload.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);

  if (const auto packet = kefu::rtp::parse_packet(bytes)) {
    round_trip(bytes, *packet);
    std::array<std::int16_t, 2048> pcm{};
    kefu::rtp::g711::decode_ulaw(packet->payload, pcm);
    kefu::rtp::g711::decode_alaw(packet->payload, pcm);
    if (const auto event = kefu::rtp::parse_telephone_event(packet->payload)) {
      std::array<std::byte, kefu::rtp::telephone_event_size> out{};
      kefu::rtp::write_telephone_event(*event, out);
      const auto reparsed = kefu::rtp::parse_telephone_event(out);
      check(reparsed && reparsed->event == event->event && reparsed->end == event->end &&
            reparsed->duration == event->duration && reparsed->volume == event->volume);
    }
  }

  // The input as a stream of 10-byte records (timestamp, marker, event payload, sequence) fed to
  // the event receiver and the receive statistics: any order of packets must be survivable.
  kefu::rtp::TelephoneEventReceiver receiver(100);
  kefu::rtp::ReceiveStats stats;
  std::uint64_t now = 0;
  std::size_t reported = 0;
  for (std::size_t at = 0; at + 10 <= bytes.size(); at += 10) {
    const std::uint32_t ts = kefu::rtp::read_u32(bytes, at);
    const bool marker = (kefu::rtp::read_u8(bytes, at + 4) & 1) != 0;
    const auto event = kefu::rtp::parse_telephone_event(bytes.subspan(at + 5, 4));
    now += kefu::rtp::read_u8(bytes, at + 9);
    for (const auto& e : receiver.on_packet(ts, marker, *event, now)) {
      (void)e;
      ++reported;
    }
    if (receiver.expire(now)) ++reported;
    stats.on_packet(static_cast<std::uint16_t>(ts), ts, static_cast<std::uint32_t>(now * 8));
  }
  // Every report ends an event, and each packet starts at most one.
  check(reported <= bytes.size() / 10 + 1);
  check(stats.packets_lost() <= stats.packets_expected());
  return 0;
}
