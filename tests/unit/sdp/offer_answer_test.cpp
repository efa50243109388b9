// RFC 3264 offer/answer for kefu's audio leg.
#include "sdp/offer_answer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kefu::sdp {
namespace {

LocalMedia local_media() {
  LocalMedia local;
  local.address = "203.0.113.5";
  local.port = 30000;
  return local;
}

SessionDescription sdp(std::string_view text) {
  auto parsed = parse(text);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().reason);
  return parsed ? std::move(parsed.value()) : SessionDescription{};
}

// An offer from a typical phone: audio with the given m= tail and attributes.
SessionDescription phone_offer(std::string_view formats, std::string_view attributes = {},
                               std::string_view address = "192.0.2.20",
                               std::string_view type = "IP4") {
  std::string text = "v=0\r\no=phone 1 1 IN " + std::string(type) + " " + std::string(address) +
                     "\r\ns=-\r\nc=IN " + std::string(type) + " " + std::string(address) +
                     "\r\nt=0 0\r\nm=audio 40000 RTP/AVP " + std::string(formats) + "\r\n" +
                     std::string(attributes);
  return sdp(text);
}

OfferAnswer::Answer answer_ok(OfferAnswer& negotiator, const SessionDescription& offer,
                              Direction wanted = Direction::SendRecv) {
  auto result = negotiator.answer(offer, wanted);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().reason);
  return result ? std::move(result.value()) : OfferAnswer::Answer{};
}

TEST(SdpAnswer, PicksFirstCommonCodecInOffererOrder) {
  OfferAnswer negotiator(local_media(), 42);
  auto answer =
      answer_ok(negotiator, phone_offer("18 8 0 101",
                                        "a=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                                        "a=rtpmap:0 PCMU/8000\r\n"
                                        "a=rtpmap:101 telephone-event/8000\r\n"
                                        "a=fmtp:101 0-15\r\n"));
  EXPECT_EQ(answer.media.codec, "PCMA");
  EXPECT_EQ(answer.media.payload_type, 8);
  EXPECT_EQ(answer.media.clock_rate, 8000u);
  EXPECT_EQ(answer.media.telephone_event_payload_type, 101);
  EXPECT_EQ(answer.media.remote_address, "192.0.2.20");
  EXPECT_EQ(answer.media.remote_address_type, AddressType::Ip4);
  EXPECT_EQ(answer.media.remote_port, 40000);
  EXPECT_EQ(answer.media.ptime_ms, 20u);
  EXPECT_EQ(answer.media.direction, Direction::SendRecv);
  EXPECT_EQ(answer.media.remote_hold, RemoteHold::No);
  EXPECT_EQ(answer.sdp,
            "v=0\r\n"
            "o=kefu 42 1 IN IP4 203.0.113.5\r\n"
            "s=kefu\r\n"
            "c=IN IP4 203.0.113.5\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 8 101\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n");
  ASSERT_TRUE(negotiator.negotiated().has_value());
  EXPECT_EQ(negotiator.negotiated()->codec, "PCMA");
}

TEST(SdpAnswer, LocalPreferenceOrderIsConfigurable) {
  LocalMedia local = local_media();
  local.preference = CodecPreference::LocalOrder;
  OfferAnswer negotiator(local, 1);
  auto answer = answer_ok(negotiator, phone_offer("8 0"));
  EXPECT_EQ(answer.media.codec, "PCMU");
  EXPECT_EQ(answer.media.payload_type, 0);

  local.codecs = {{"PCMA", 8000, 8}, {"PCMU", 8000, 0}};
  OfferAnswer prefers_alaw(local, 1);
  EXPECT_EQ(answer_ok(prefers_alaw, phone_offer("0 8")).media.codec, "PCMA");
}

TEST(SdpAnswer, StaticPayloadTypesWithoutRtpmap) {
  OfferAnswer negotiator(local_media(), 1);
  auto answer = answer_ok(negotiator, phone_offer("3 0"));  // GSM first, unsupported
  EXPECT_EQ(answer.media.codec, "PCMU");
  EXPECT_FALSE(answer.media.telephone_event_payload_type.has_value());
  EXPECT_EQ(answer.sdp.find("telephone-event"), std::string::npos);
}

TEST(SdpAnswer, DynamicPayloadTypeAndTelephoneEventEchoOfferersNumbers) {
  OfferAnswer negotiator(local_media(), 1);
  auto answer = answer_ok(negotiator, phone_offer("96 98 97",
                                                  "a=rtpmap:96 opus/48000/2\r\n"
                                                  "a=rtpmap:98 pcmu/8000\r\n"  // case-insensitive
                                                  "a=rtpmap:97 telephone-event/8000\r\n"));
  EXPECT_EQ(answer.media.codec, "PCMU");
  EXPECT_EQ(answer.media.payload_type, 98);
  EXPECT_EQ(answer.media.telephone_event_payload_type, 97);
  EXPECT_NE(answer.sdp.find("m=audio 30000 RTP/AVP 98 97\r\n"), std::string::npos);
  EXPECT_NE(answer.sdp.find("a=rtpmap:97 telephone-event/8000\r\na=fmtp:97 0-16\r\n"),
            std::string::npos);
}

TEST(SdpAnswer, TelephoneEventMustMatchTheCodecClock) {
  OfferAnswer negotiator(local_media(), 1);
  auto answer = answer_ok(negotiator, phone_offer("0 100 101",
                                                  "a=rtpmap:100 telephone-event/48000\r\n"
                                                  "a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_EQ(answer.media.telephone_event_payload_type, 101);

  LocalMedia no_events = local_media();
  no_events.telephone_event_payload_type.reset();
  OfferAnswer without(no_events, 1);
  auto plain = answer_ok(without, phone_offer("0 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_FALSE(plain.media.telephone_event_payload_type.has_value());
  EXPECT_NE(plain.sdp.find("m=audio 30000 RTP/AVP 0\r\n"), std::string::npos);
}

TEST(SdpAnswer, PacketTime) {
  OfferAnswer negotiator(local_media(), 1);
  EXPECT_EQ(answer_ok(negotiator, phone_offer("0", "a=ptime:30\r\n")).media.ptime_ms, 30u);
  EXPECT_NE(answer_ok(negotiator, phone_offer("0", "a=ptime:30\r\n")).sdp.find("a=ptime:30\r\n"),
            std::string::npos);
  EXPECT_EQ(answer_ok(negotiator, phone_offer("0", "a=ptime:25\r\n")).media.ptime_ms, 20u);
  EXPECT_EQ(answer_ok(negotiator, phone_offer("0", "a=ptime:1000\r\n")).media.ptime_ms, 20u);
  EXPECT_EQ(answer_ok(negotiator, phone_offer("0", "a=maxptime:10\r\n")).media.ptime_ms, 10u);
  EXPECT_EQ(
      answer_ok(negotiator, phone_offer("0", "a=ptime:40\r\na=maxptime:30\r\n")).media.ptime_ms,
      30u);
  LocalMedia local = local_media();
  local.ptime_ms = 40;
  OfferAnswer longer(local, 1);
  EXPECT_EQ(answer_ok(longer, phone_offer("0")).media.ptime_ms, 40u);
}

struct DirectionCase {
  std::string_view attributes;
  std::string_view address;
  Direction wanted;
  Direction expected;
  RemoteHold hold;
};

TEST(SdpAnswer, DirectionIsMirroredAndHoldDetected) {
  const DirectionCase cases[] = {
      {"a=sendrecv\r\n", "192.0.2.20", Direction::SendRecv, Direction::SendRecv, RemoteHold::No},
      {"", "192.0.2.20", Direction::SendRecv, Direction::SendRecv, RemoteHold::No},
      {"a=sendonly\r\n", "192.0.2.20", Direction::SendRecv, Direction::RecvOnly, RemoteHold::Yes},
      {"a=recvonly\r\n", "192.0.2.20", Direction::SendRecv, Direction::SendOnly, RemoteHold::No},
      {"a=inactive\r\n", "192.0.2.20", Direction::SendRecv, Direction::Inactive, RemoteHold::Yes},
      // RFC 2543 hold: c=0.0.0.0 with or without an attribute.
      {"", "0.0.0.0", Direction::SendRecv, Direction::RecvOnly, RemoteHold::Yes},
      {"a=recvonly\r\n", "0.0.0.0", Direction::SendRecv, Direction::Inactive, RemoteHold::Yes},
      // We hold: our wish limits the answer.
      {"a=sendrecv\r\n", "192.0.2.20", Direction::SendOnly, Direction::SendOnly, RemoteHold::No},
      {"a=sendonly\r\n", "192.0.2.20", Direction::SendOnly, Direction::Inactive, RemoteHold::Yes},
  };
  for (const auto& c : cases) {
    OfferAnswer negotiator(local_media(), 1);
    auto answer = answer_ok(negotiator, phone_offer("0", c.attributes, c.address), c.wanted);
    EXPECT_EQ(answer.media.direction, c.expected) << c.attributes << " " << c.address;
    EXPECT_EQ(answer.media.remote_hold, c.hold) << c.attributes << " " << c.address;
    EXPECT_NE(answer.sdp.find("a=" + std::string(to_string(c.expected)) + "\r\n"),
              std::string::npos);
  }
}

TEST(SdpAnswer, SessionLevelDirection) {
  OfferAnswer negotiator(local_media(), 1);
  auto offer =
      sdp("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
          "a=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n");
  EXPECT_EQ(answer_ok(negotiator, offer).media.direction, Direction::RecvOnly);
}

TEST(SdpAnswer, RejectsOtherStreamsWithPortZeroInOfferOrder) {
  OfferAnswer negotiator(local_media(), 7);
  auto offer =
      sdp("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
          "m=video 5000 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n"
          "m=audio 4000 RTP/SAVP 0\r\n"
          "m=audio 4002 RTP/AVP 9\r\n"
          "m=audio 4004 RTP/AVP 0\r\n"
          "m=audio 4006 RTP/AVP 8\r\n"
          "m=image 6000 udptl t38\r\n");
  auto answer = answer_ok(negotiator, offer);
  EXPECT_EQ(answer.media.media_index, 3u);
  EXPECT_EQ(answer.media.remote_port, 4004);
  auto parsed = sdp(answer.sdp);
  ASSERT_EQ(parsed.media.size(), offer.media.size());
  const char* expected_media[] = {"video", "audio", "audio", "audio", "audio", "image"};
  const std::uint16_t expected_ports[] = {0, 0, 0, 30000, 0, 0};
  for (std::size_t i = 0; i < parsed.media.size(); ++i) {
    EXPECT_EQ(parsed.media[i].media, expected_media[i]);
    EXPECT_EQ(parsed.media[i].port, expected_ports[i]) << i;
    EXPECT_EQ(parsed.media[i].protocol, offer.media[i].protocol);
    EXPECT_FALSE(parsed.media[i].formats.empty());
  }
}

TEST(SdpAnswer, NoCommonCodecMeans488) {
  OfferAnswer negotiator(local_media(), 1);
  auto result = negotiator.answer(phone_offer("18 101",
                                              "a=rtpmap:18 G729/8000\r\n"
                                              "a=rtpmap:101 telephone-event/8000\r\n"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().sip_status, 488);
  EXPECT_EQ(result.error().reason, "no common audio codec");
  EXPECT_FALSE(negotiator.negotiated().has_value());

  auto video_only =
      negotiator.answer(sdp("v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4 192.0.2.1\r\n"
                            "m=video 5000 RTP/AVP 31\r\n"));
  ASSERT_FALSE(video_only.has_value());
  EXPECT_EQ(video_only.error().sip_status, 488);

  auto srtp =
      negotiator.answer(sdp("v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4 192.0.2.1\r\n"
                            "m=audio 5000 RTP/SAVP 0\r\n"));
  ASSERT_FALSE(srtp.has_value());
  EXPECT_NE(srtp.error().reason.find("RTP/SAVP"), std::string::npos);

  auto no_address = negotiator.answer(sdp("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 5000 RTP/AVP 0\r\n"));
  ASSERT_FALSE(no_address.has_value());
  EXPECT_EQ(no_address.error().reason, "no connection address");

  auto clockless = negotiator.answer(phone_offer("96", "a=rtpmap:96 PCMU\r\n"));
  EXPECT_FALSE(clockless.has_value());  // dynamic type without a clock rate names nothing
}

TEST(SdpAnswer, Ipv6) {
  LocalMedia local = local_media();
  local.address = "2001:db8::5";
  OfferAnswer negotiator(local, 9);
  auto answer = answer_ok(negotiator, phone_offer("0", "", "2001:db8::20", "IP6"));
  EXPECT_EQ(answer.media.remote_address, "2001:db8::20");
  EXPECT_EQ(answer.media.remote_address_type, AddressType::Ip6);
  EXPECT_NE(answer.sdp.find("o=kefu 9 1 IN IP6 2001:db8::5\r\n"), std::string::npos);
  EXPECT_NE(answer.sdp.find("c=IN IP6 2001:db8::5\r\n"), std::string::npos);
}

TEST(SdpAnswer, MediaLevelConnectionWins) {
  OfferAnswer negotiator(local_media(), 1);
  auto offer =
      sdp("v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
          "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n");
  auto answer = answer_ok(negotiator, offer);
  EXPECT_EQ(answer.media.remote_address, "192.0.2.1");
  EXPECT_EQ(answer.media.remote_address_type, AddressType::Ip4);
}

TEST(SdpSessionVersion, ChangesOnlyWhenContentChanges) {
  OfferAnswer negotiator(local_media(), 5);
  auto first = answer_ok(negotiator, phone_offer("0 8"));
  EXPECT_NE(first.sdp.find("o=kefu 5 1 "), std::string::npos);
  // The same re-offer (session refresh) gets the same answer and version (RFC 3264 §8).
  auto same = answer_ok(negotiator, phone_offer("0 8"));
  EXPECT_EQ(same.sdp, first.sdp);
  EXPECT_EQ(negotiator.session_version(), 1u);
  // Remote puts us on hold: the answer changes, so the version increments.
  auto hold = answer_ok(negotiator, phone_offer("0 8", "a=sendonly\r\n"));
  EXPECT_NE(hold.sdp.find("o=kefu 5 2 "), std::string::npos);
  // Our own re-offer (resume) changes content again.
  std::string offer = negotiator.offer();
  EXPECT_NE(offer.find("o=kefu 5 3 "), std::string::npos);
  // A new local endpoint changes content.
  negotiator.set_local_endpoint("203.0.113.6", 30002);
  std::string moved = negotiator.offer();
  EXPECT_NE(moved.find("o=kefu 5 4 IN IP4 203.0.113.6\r\n"), std::string::npos);
  EXPECT_NE(moved.find("m=audio 30002 "), std::string::npos);
  EXPECT_EQ(negotiator.offer(), moved);  // identical re-offer keeps the version
  std::string held = negotiator.offer(Direction::SendOnly);
  EXPECT_NE(held.find("o=kefu 5 5 "), std::string::npos);
  EXPECT_NE(held.find("a=sendonly\r\n"), std::string::npos);
}

TEST(SdpOffer, OffersOurCodecsAndTelephoneEvent) {
  OfferAnswer negotiator(local_media(), 77);
  std::string offer = negotiator.offer();
  EXPECT_TRUE(negotiator.has_pending_offer());
  EXPECT_EQ(offer,
            "v=0\r\n"
            "o=kefu 77 1 IN IP4 203.0.113.5\r\n"
            "s=kefu\r\n"
            "c=IN IP4 203.0.113.5\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n");
}

SessionDescription answer_sdp(std::string_view formats, std::string_view attributes = {},
                              std::uint16_t port = 41000) {
  return sdp(
      "v=0\r\no=phone 9 9 IN IP4 192.0.2.30\r\ns=-\r\nc=IN IP4 192.0.2.30\r\nt=0 0\r\n"
      "m=audio " +
      std::to_string(port) + " RTP/AVP " + std::string(formats) + "\r\n" + std::string(attributes));
}

TEST(SdpAcceptAnswer, TakesTheAnswersCodecAndAddress) {
  OfferAnswer negotiator(local_media(), 1);
  negotiator.offer();
  auto media = negotiator.accept_answer(answer_sdp("8 101",
                                                   "a=rtpmap:8 PCMA/8000\r\n"
                                                   "a=rtpmap:101 telephone-event/8000\r\n"
                                                   "a=ptime:30\r\n"));
  ASSERT_TRUE(media.has_value()) << media.error().reason;
  EXPECT_EQ(media->codec, "PCMA");
  EXPECT_EQ(media->payload_type, 8);
  EXPECT_EQ(media->telephone_event_payload_type, 101);
  EXPECT_EQ(media->remote_address, "192.0.2.30");
  EXPECT_EQ(media->remote_port, 41000);
  EXPECT_EQ(media->ptime_ms, 30u);
  EXPECT_EQ(media->direction, Direction::SendRecv);
  EXPECT_FALSE(negotiator.has_pending_offer());
  EXPECT_EQ(negotiator.negotiated()->codec, "PCMA");
}

TEST(SdpAcceptAnswer, AnswerWithoutRtpmapsUsesOurNumbers) {
  OfferAnswer negotiator(local_media(), 1);
  negotiator.offer();
  auto media = negotiator.accept_answer(answer_sdp("0 101"));
  ASSERT_TRUE(media.has_value());
  EXPECT_EQ(media->codec, "PCMU");
  EXPECT_EQ(media->telephone_event_payload_type, 101);
  EXPECT_EQ(media->ptime_ms, 20u);
}

TEST(SdpAcceptAnswer, Directions) {
  OfferAnswer negotiator(local_media(), 1);
  negotiator.offer();
  auto recvonly = negotiator.accept_answer(answer_sdp("0", "a=recvonly\r\n"));
  ASSERT_TRUE(recvonly.has_value());
  EXPECT_EQ(recvonly->direction, Direction::SendOnly);
  EXPECT_EQ(recvonly->remote_hold, RemoteHold::No);

  negotiator.offer(Direction::SendOnly);  // we hold
  auto held = negotiator.accept_answer(answer_sdp("0", "a=recvonly\r\n"));
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->direction, Direction::SendOnly);

  negotiator.offer();
  auto inactive = negotiator.accept_answer(answer_sdp("0", "a=inactive\r\n"));
  ASSERT_TRUE(inactive.has_value());
  EXPECT_EQ(inactive->direction, Direction::Inactive);
  EXPECT_EQ(inactive->remote_hold, RemoteHold::Yes);
}

TEST(SdpAcceptAnswer, Failures) {
  OfferAnswer negotiator(local_media(), 1);
  EXPECT_FALSE(negotiator.accept_answer(answer_sdp("0")).has_value());  // no offer outstanding

  negotiator.offer();
  auto rejected = negotiator.accept_answer(answer_sdp("0", "", 0));
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().reason, "audio stream rejected");
  EXPECT_FALSE(negotiator.has_pending_offer());

  negotiator.offer();
  auto extra =
      negotiator.accept_answer(sdp("v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4 192.0.2.1\r\nm=audio 1 "
                                   "RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"));
  EXPECT_FALSE(extra.has_value());

  negotiator.offer();
  auto foreign = negotiator.accept_answer(answer_sdp("18", "a=rtpmap:18 G729/8000\r\n"));
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().sip_status, 488);
}

TEST(SdpOfferAnswer, TwoKefuLegsAgree) {
  LocalMedia a_local = local_media();
  LocalMedia b_local = local_media();
  b_local.address = "198.51.100.7";
  b_local.port = 32000;
  b_local.codecs = {{"PCMA", 8000, 8}};
  b_local.telephone_event_payload_type = 96;
  OfferAnswer a(a_local, 1);
  OfferAnswer b(b_local, 2);

  auto answer = b.answer(sdp(a.offer()));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->media.codec, "PCMA");
  EXPECT_EQ(answer->media.telephone_event_payload_type, 101);  // offerer's number
  EXPECT_EQ(answer->media.remote_address, "203.0.113.5");
  auto accepted = a.accept_answer(sdp(answer->sdp));
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->codec, "PCMA");
  EXPECT_EQ(accepted->payload_type, 8);
  EXPECT_EQ(accepted->telephone_event_payload_type, 101);
  EXPECT_EQ(accepted->remote_address, "198.51.100.7");
  EXPECT_EQ(accepted->remote_port, 32000);
}

}  // namespace
}  // namespace kefu::sdp
