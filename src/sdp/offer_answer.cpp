#include "sdp/offer_answer.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace kefu::sdp {
namespace {

constexpr std::string_view kRtpAvp = "RTP/AVP";
constexpr std::string_view kTelephoneEvent = "telephone-event";
// Packet times a G.711 engine packetizes cleanly; anything else falls back to our default.
constexpr std::uint32_t kMinPtimeMs = 10;
constexpr std::uint32_t kMaxPtimeMs = 120;

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct StaticPayload {
  std::uint8_t payload_type;
  std::string_view encoding;
  std::uint32_t clock_rate;
};
// RFC 3551 §6: payload types usable without an rtpmap.
constexpr std::array<StaticPayload, 11> kStaticPayloads = {{
    {0, "PCMU", 8000},
    {3, "GSM", 8000},
    {4, "G723", 8000},
    {5, "DVI4", 8000},
    {6, "DVI4", 16000},
    {7, "LPC", 8000},
    {8, "PCMA", 8000},
    {9, "G722", 8000},
    {13, "CN", 8000},
    {15, "G728", 8000},
    {18, "G729", 8000},
}};

struct OfferedFormat {
  std::uint8_t payload_type;
  std::string_view encoding;
  std::uint32_t clock_rate;  // 0 = unknown
};

// What a payload type in `m` means: its rtpmap, else the RFC 3551 static assignment.
OfferedFormat describe(const MediaDescription& m, std::uint8_t payload_type) {
  if (const RtpMap* map = m.rtpmap(payload_type)) {
    std::uint32_t clock = map->clock_rate;
    if (clock == 0) {
      for (const auto& entry : kStaticPayloads) {
        if (entry.payload_type == payload_type && iequals_ascii(entry.encoding, map->encoding)) {
          clock = entry.clock_rate;
        }
      }
    }
    return {payload_type, map->encoding, clock};
  }
  for (const auto& entry : kStaticPayloads) {
    if (entry.payload_type == payload_type) return {payload_type, entry.encoding, entry.clock_rate};
  }
  return {payload_type, {}, 0};
}

const Codec* find_local(const std::vector<Codec>& codecs, const OfferedFormat& format) {
  for (const auto& codec : codecs) {
    if (iequals_ascii(codec.encoding, format.encoding) && codec.clock_rate == format.clock_rate) {
      return &codec;
    }
  }
  return nullptr;
}

std::uint32_t choose_ptime(const MediaDescription& remote, std::uint32_t default_ms) {
  std::uint32_t ptime = default_ms;
  if (remote.ptime_ms && *remote.ptime_ms >= kMinPtimeMs && *remote.ptime_ms <= kMaxPtimeMs &&
      *remote.ptime_ms % 10 == 0) {
    ptime = *remote.ptime_ms;
  }
  if (remote.maxptime_ms && *remote.maxptime_ms >= kMinPtimeMs && ptime > *remote.maxptime_ms) {
    ptime = *remote.maxptime_ms / 10 * 10;
  }
  return ptime;
}

std::string address_type_for(std::string_view address) {
  return address.find(':') != std::string_view::npos ? "IP6" : "IP4";
}

struct RemoteEndpoint {
  const Connection* connection = nullptr;
  Direction direction = Direction::SendRecv;  // the remote side's, hold address applied
};

// The remote's address and direction for `m`, or the reason the stream is unusable.
Result<RemoteEndpoint, std::string> remote_endpoint(const SessionDescription& d,
                                                    const MediaDescription& m) {
  if (m.protocol != kRtpAvp) return unexpected("unsupported transport " + m.protocol);
  const Connection* connection = d.connection_for(m);
  if (connection == nullptr) return unexpected(std::string("no connection address"));
  if (connection->type() == AddressType::Other || connection->network_type != "IN") {
    return unexpected("unsupported address type " + connection->address_type);
  }
  RemoteEndpoint endpoint{connection, d.direction_for(m)};
  // RFC 3264 §8.4: c=0.0.0.0 says "do not send me media", whatever the attribute says.
  if (connection->is_hold_address()) {
    endpoint.direction = intersect(endpoint.direction, Direction::SendOnly);
  }
  return endpoint;
}

NegotiatedMedia make_result(std::size_t index, const RemoteEndpoint& remote,
                            const MediaDescription& m, const Codec& codec,
                            std::uint8_t payload_type, Direction ours) {
  NegotiatedMedia result;
  result.media_index = index;
  result.remote_address = std::string(remote.connection->host());
  result.remote_address_type = remote.connection->type();
  result.remote_port = m.port;
  result.payload_type = payload_type;
  result.codec = codec.encoding;
  result.clock_rate = codec.clock_rate;
  result.direction = ours;
  result.remote_hold = receives(remote.direction) ? RemoteHold::No : RemoteHold::Yes;
  return result;
}

std::optional<std::uint8_t> telephone_event_in(const MediaDescription& m,
                                               std::uint32_t clock_rate) {
  for (auto payload_type : m.payload_types()) {
    OfferedFormat format = describe(m, payload_type);
    if (iequals_ascii(format.encoding, kTelephoneEvent) && format.clock_rate == clock_rate) {
      return payload_type;
    }
  }
  return std::nullopt;
}

}  // namespace

OfferAnswer::OfferAnswer(LocalMedia local, std::uint64_t session_id)
    : local_(std::move(local)), session_id_(std::to_string(session_id)), version_(1) {}

void OfferAnswer::set_local_endpoint(std::string address, std::uint16_t port) {
  local_.address = std::move(address);
  local_.port = port;
}

SessionDescription OfferAnswer::skeleton() const {
  SessionDescription d;
  d.origin.username = local_.username;
  d.origin.session_id = session_id_;
  d.origin.address = Connection{"IN", address_type_for(local_.address), local_.address};
  d.session_name = local_.session_name;
  d.connection = d.origin.address;
  d.fields.push_back(Field{'t', "0 0"});
  return d;
}

MediaDescription OfferAnswer::audio_media(const std::vector<std::pair<Codec, std::uint8_t>>& voice,
                                          std::optional<std::uint8_t> telephone_event_pt,
                                          std::uint32_t ptime_ms, Direction direction) const {
  MediaDescription m;
  m.media = "audio";
  m.port = local_.port;
  m.protocol = kRtpAvp;
  for (const auto& [codec, payload_type] : voice) {
    m.formats.push_back(std::to_string(payload_type));
    m.rtpmaps.push_back(RtpMap{payload_type, codec.encoding, codec.clock_rate, {}});
  }
  if (telephone_event_pt) {
    std::uint32_t clock = voice.empty() ? 8000 : voice.front().first.clock_rate;
    m.formats.push_back(std::to_string(*telephone_event_pt));
    m.rtpmaps.push_back(RtpMap{*telephone_event_pt, std::string(kTelephoneEvent), clock, {}});
    if (!local_.telephone_event_fmtp.empty()) {
      m.fmtps.push_back(Fmtp{std::to_string(*telephone_event_pt), local_.telephone_event_fmtp});
    }
  }
  m.ptime_ms = ptime_ms;
  m.direction = direction;
  return m;
}

std::string OfferAnswer::finish(SessionDescription description) {
  description.origin.session_version = 0;
  std::string content = serialize(description);
  if (last_sent_ && *last_sent_ != content) ++version_;
  last_sent_ = std::move(content);
  description.origin.session_version = version_;
  return serialize(description);
}

Result<OfferAnswer::Answer, Rejection> OfferAnswer::answer(const SessionDescription& offer,
                                                           Direction wanted) {
  SessionDescription reply = skeleton();
  std::optional<NegotiatedMedia> chosen;
  std::string reason = "no audio stream offered";

  for (std::size_t index = 0; index < offer.media.size(); ++index) {
    const MediaDescription& m = offer.media[index];
    // Rejected streams keep their place, media type and formats, with port 0 (RFC 3264 §6).
    MediaDescription rejected;
    rejected.media = m.media;
    rejected.protocol = m.protocol;
    rejected.formats = m.formats;

    if (chosen || m.media != "audio" || m.port == 0) {
      reply.media.push_back(std::move(rejected));
      continue;
    }
    auto remote = remote_endpoint(offer, m);
    if (!remote) {
      reason = remote.error();
      reply.media.push_back(std::move(rejected));
      continue;
    }
    std::vector<OfferedFormat> offered;
    for (auto payload_type : m.payload_types()) offered.push_back(describe(m, payload_type));
    const Codec* codec = nullptr;
    std::uint8_t payload_type = 0;
    if (local_.preference == CodecPreference::OffererOrder) {
      for (const auto& format : offered) {
        if ((codec = find_local(local_.codecs, format)) != nullptr) {
          payload_type = format.payload_type;
          break;
        }
      }
    } else {
      for (const auto& local_codec : local_.codecs) {
        auto it = std::find_if(offered.begin(), offered.end(), [&](const OfferedFormat& f) {
          return iequals_ascii(f.encoding, local_codec.encoding) &&
                 f.clock_rate == local_codec.clock_rate;
        });
        if (it != offered.end()) {
          codec = &local_codec;
          payload_type = it->payload_type;
          break;
        }
      }
    }
    if (codec == nullptr) {
      reason = "no common audio codec";
      reply.media.push_back(std::move(rejected));
      continue;
    }
    Direction ours = intersect(mirror(remote->direction), wanted);
    NegotiatedMedia result = make_result(index, *remote, m, *codec, payload_type, ours);
    if (local_.telephone_event_payload_type) {
      result.telephone_event_payload_type = telephone_event_in(m, codec->clock_rate);
    }
    result.ptime_ms = choose_ptime(m, local_.ptime_ms);
    reply.media.push_back(audio_media({{*codec, payload_type}}, result.telephone_event_payload_type,
                                      result.ptime_ms, ours));
    chosen = std::move(result);
  }
  if (!chosen) return unexpected(Rejection{488, reason});
  negotiated_ = chosen;
  return Answer{finish(std::move(reply)), std::move(*chosen)};
}

std::string OfferAnswer::offer(Direction wanted) {
  SessionDescription description = skeleton();
  std::vector<std::pair<Codec, std::uint8_t>> voice;
  for (const auto& codec : local_.codecs) voice.emplace_back(codec, codec.payload_type);
  description.media.push_back(
      audio_media(voice, local_.telephone_event_payload_type, local_.ptime_ms, wanted));
  pending_offer_ = description;
  pending_direction_ = wanted;
  return finish(std::move(description));
}

Result<NegotiatedMedia, Rejection> OfferAnswer::accept_answer(const SessionDescription& answer) {
  if (!pending_offer_) return unexpected(Rejection{488, "no offer outstanding"});
  SessionDescription offer = std::move(*pending_offer_);
  pending_offer_.reset();
  if (answer.media.size() != offer.media.size()) {
    return unexpected(Rejection{488, "answer has a different number of m= lines"});
  }
  const MediaDescription& ours = offer.media.front();
  const MediaDescription& m = answer.media.front();
  if (m.media != "audio" || m.port == 0) return unexpected(Rejection{488, "audio stream rejected"});
  auto remote = remote_endpoint(answer, m);
  if (!remote) return unexpected(Rejection{488, remote.error()});

  // The answer's first format we offered; its rtpmap (or ours, or the static table) names it.
  const Codec* codec = nullptr;
  std::uint8_t payload_type = 0;
  for (auto candidate : m.payload_types()) {
    OfferedFormat format = describe(m, candidate);
    if (format.encoding.empty()) format = describe(ours, candidate);
    if ((codec = find_local(local_.codecs, format)) != nullptr) {
      payload_type = candidate;
      break;
    }
  }
  if (codec == nullptr) return unexpected(Rejection{488, "answer has no codec we offered"});

  Direction direction = intersect(mirror(remote->direction), pending_direction_);
  NegotiatedMedia result = make_result(0, *remote, m, *codec, payload_type, direction);
  if (local_.telephone_event_payload_type) {
    result.telephone_event_payload_type = telephone_event_in(m, codec->clock_rate);
    // An answer may omit the rtpmap for the number we offered; the number is still ours.
    if (!result.telephone_event_payload_type) {
      auto types = m.payload_types();
      if (!m.rtpmap(*local_.telephone_event_payload_type) &&
          std::find(types.begin(), types.end(), *local_.telephone_event_payload_type) !=
              types.end()) {
        result.telephone_event_payload_type = local_.telephone_event_payload_type;
      }
    }
  }
  result.ptime_ms = choose_ptime(m, local_.ptime_ms);
  negotiated_ = result;
  return result;
}

}  // namespace kefu::sdp
