#pragma once
// Vocabulary shared by the media engine's API: session handles, codecs, directions, and the
// events media threads report to the control plane.
#include <chrono>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <variant>

#include <boost/asio/ip/udp.hpp>

#include "rtp/symmetric_latch.hpp"

namespace kefu::media {

// A checked handle: `index` names a slot, `generation` the occupant. A handle whose session
// was destroyed finds "gone" (the slot's generation moved on), never another session.
struct SessionId {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // 0 is never issued: a default SessionId is invalid
  bool valid() const { return generation != 0; }
  friend bool operator==(const SessionId&, const SessionId&) = default;
  friend auto operator<=>(const SessionId&, const SessionId&) = default;
};

enum class Codec : std::uint8_t { pcmu, pcma };
std::string_view to_string(Codec codec);

struct CodecSpec {
  Codec codec = Codec::pcmu;
  std::uint8_t payload_type = 0;  // 0 for PCMU, 8 for PCMA unless the SDP says otherwise
};

// Our side's direction, as negotiated (RFC 3264 6.1). Sending happens in sendrecv/sendonly;
// received packets are always read and processed; the RTP timeout only counts while we expect
// to receive (sendrecv/recvonly).
enum class Direction : std::uint8_t { sendrecv, sendonly, recvonly, inactive };

inline bool sends(Direction d) {
  return d == Direction::sendrecv || d == Direction::sendonly;
}
inline bool expects_to_receive(Direction d) {
  return d == Direction::sendrecv || d == Direction::recvonly;
}

using rtp::Latching;

// What the SDP offer/answer decided for one leg.
struct MediaParams {
  boost::asio::ip::udp::endpoint remote;
  CodecSpec codec;
  std::optional<std::uint8_t> telephone_event_payload_type;  // RFC 4733 if negotiated
  std::chrono::milliseconds ptime{20};                       // 10..60 in steps of 10
  Direction direction = Direction::sendrecv;
  Latching latching = Latching::on;  // symmetric RTP: send back to where packets come from
};

enum class Loop : std::uint8_t { no, yes };
using PlayId = std::uint64_t;

enum class DtmfSource : std::uint8_t { rfc4733, inband };
enum class PlayOutcome : std::uint8_t { completed, stopped };

struct DtmfReceived {
  SessionId session;
  char digit = 0;
  std::chrono::milliseconds duration{0};
  DtmfSource source = DtmfSource::rfc4733;
};

// A play request ended: completed (a non-looping sequence played to its end) or stopped
// (stop_play, or replaced by another play). Destroying a session reports nothing.
struct PlayDone {
  SessionId session;
  PlayId play_id = 0;
  PlayOutcome outcome = PlayOutcome::completed;
};

// No RTP arrived for the configured timeout while we expected to receive. Reported once per
// silent period: the next packet re-arms it.
struct RtpTimeout {
  SessionId session;
};

// A recording was finished (record_stop, a new record_start, or destroy) and its file renamed
// from `path.part` to `path`; ok = false if it could not be opened or written (the .part file
// is removed). Delivered even when the session has been destroyed meanwhile.
struct RecordingDone {
  SessionId session;
  std::filesystem::path path;
  std::chrono::milliseconds duration{0};
  bool ok = false;
};

using MediaEvent = std::variant<DtmfReceived, PlayDone, RtpTimeout, RecordingDone>;

inline SessionId session_of(const MediaEvent& event) {
  return std::visit([](const auto& e) { return e.session; }, event);
}

// Called on media threads and on the recording writer thread; it must be thread-safe and should
// only post the event to the control loop. Events for sessions destroyed meanwhile may still
// arrive there: check MediaEngine::is_live() on the control thread before acting on them.
using EventCallback = std::function<void(MediaEvent)>;

enum class MediaError : std::uint8_t {
  no_free_port,     // every port of the range is in use (or refused by bind)
  unknown_session,  // the handle names a destroyed session (or was never issued)
  bad_argument,     // e.g. ptime out of range, unknown DTMF digit, empty play sequence
};
std::string_view to_string(MediaError error);

}  // namespace kefu::media
