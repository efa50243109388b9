#pragma once
// SDP offer/answer (RFC 3264) for one call leg's audio: answer a remote offer, make our own
// offer and take the remote answer to it. The result is what the media engine needs: where
// to send RTP, which payload type and codec, the RFC 4733 telephone-event payload type, the
// packet time and the direction of media flow.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "sdp/session_description.hpp"

namespace kefu::sdp {

struct Codec {
  std::string encoding;  // "PCMU", compared case-insensitively with rtpmap names
  std::uint32_t clock_rate = 8000;
  std::uint8_t payload_type = 0;  // the number we offer; answers echo the offerer's number
};

// Which common codec wins when answering: the first in the offer (RFC 3264 §6.1 lets the
// answerer choose; following the offerer avoids transcoding at most trunks), or our first.
enum class CodecPreference : std::uint8_t { OffererOrder, LocalOrder };

struct LocalMedia {
  std::string address = "127.0.0.1";  // our RTP address; IP6 when it contains ':'
  std::uint16_t port = 0;
  std::vector<Codec> codecs = {{"PCMU", 8000, 0}, {"PCMA", 8000, 8}};
  // RFC 4733 events we offer and receive; nullopt disables telephone-event.
  std::optional<std::uint8_t> telephone_event_payload_type = 101;
  std::string telephone_event_fmtp = "0-16";
  CodecPreference preference = CodecPreference::OffererOrder;
  std::uint32_t ptime_ms = 20;  // default packet time; a remote a=ptime in range overrides it
  std::string username = "kefu";
  std::string session_name = "kefu";
};

// RFC 2543-style hold (c=0.0.0.0) or an offer/answer that stops the peer receiving.
enum class RemoteHold : std::uint8_t { No, Yes };

struct NegotiatedMedia {
  std::size_t media_index = 0;  // which m= line carries the audio
  std::string remote_address;   // where to send RTP (host only); "0.0.0.0" on old-style hold
  AddressType remote_address_type = AddressType::Ip4;
  std::uint16_t remote_port = 0;
  std::uint8_t payload_type = 0;  // payload type to send and expect for voice
  std::string codec;              // our spelling: "PCMU" / "PCMA"
  std::uint32_t clock_rate = 8000;
  std::optional<std::uint8_t> telephone_event_payload_type;
  std::uint32_t ptime_ms = 20;
  Direction direction = Direction::SendRecv;  // ours: SendOnly = we send and do not receive
  RemoteHold remote_hold = RemoteHold::No;
};

// Why a description could not be accepted, with the SIP status to answer an offer with
// (488 Not Acceptable Here, RFC 3261 §13.3.1.3).
struct Rejection {
  int sip_status = 488;
  std::string reason;
};

// Owns our side of one SDP session: the o= line identity and version, the last description
// we sent, and the offer awaiting an answer. One per call leg, used on the control loop.
class OfferAnswer {
 public:
  // session_id: our o= session id (any number unique enough, e.g. from the leg id or time).
  OfferAnswer(LocalMedia local, std::uint64_t session_id);

  struct Answer {
    std::string sdp;
    NegotiatedMedia media;
  };
  // Answers a remote offer (initial or re-offer). `wanted` limits our direction (e.g.
  // SendOnly when we put the call on hold). The first usable audio stream is accepted; every
  // other stream is rejected with port 0. No common audio codec -> Rejection{488}.
  Result<Answer, Rejection> answer(const SessionDescription& offer,
                                   Direction wanted = Direction::SendRecv);

  // Our offer (initial INVITE, re-INVITE for hold/resume, or a 200 to an offerless INVITE).
  std::string offer(Direction wanted = Direction::SendRecv);
  // The remote answer to our last offer. Clears the pending offer either way.
  Result<NegotiatedMedia, Rejection> accept_answer(const SessionDescription& answer);

  // The media engine moved our RTP endpoint; takes effect in the next offer or answer.
  void set_local_endpoint(std::string address, std::uint16_t port);

  bool has_pending_offer() const { return pending_offer_.has_value(); }
  std::uint64_t session_version() const { return version_; }
  const std::optional<NegotiatedMedia>& negotiated() const { return negotiated_; }
  const LocalMedia& local() const { return local_; }

 private:
  SessionDescription skeleton() const;
  MediaDescription audio_media(const std::vector<std::pair<Codec, std::uint8_t>>& voice,
                               std::optional<std::uint8_t> telephone_event_pt,
                               std::uint32_t ptime_ms, Direction direction) const;
  // Serializes with the session version bumped only when the content changed (RFC 3264 §8).
  std::string finish(SessionDescription description);

  LocalMedia local_;
  std::string session_id_;
  std::uint64_t version_;
  std::optional<std::string> last_sent_;  // last description, serialized with version 0
  std::optional<SessionDescription> pending_offer_;
  Direction pending_direction_ = Direction::SendRecv;
  std::optional<NegotiatedMedia> negotiated_;
};

}  // namespace kefu::sdp
