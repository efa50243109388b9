// SDP parse/serialize (RFC 8866 / RFC 4566).
#include "sdp/session_description.hpp"

#include <gtest/gtest.h>

namespace kefu::sdp {
namespace {

constexpr std::string_view kOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com\r\n"
    "s=Call\r\n"
    "i=A call\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "b=AS:64\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "a=tool:kefu-test\r\n"
    "m=audio 49170 RTP/AVP 0 8 97 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:97 opus/48000/2\r\n"
    "a=fmtp:97 useinbandfec=1; stereo=0\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:30\r\n"
    "a=maxptime:60\r\n"
    "a=sendonly\r\n"
    "a=rtcp:49171\r\n"
    "m=video 51372 RTP/AVP 31 32\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "b=AS:512\r\n"
    "a=rtpmap:31 H261/90000\r\n"
    "a=recvonly\r\n"
    "m=image 0 udptl t38\r\n";

SessionDescription parse_ok(std::string_view text) {
  auto result = parse(text);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().reason) << " at line "
                                  << (result ? 0 : result.error().line);
  return result ? std::move(result.value()) : SessionDescription{};
}

ParseError parse_error(std::string_view text) {
  auto result = parse(text);
  EXPECT_FALSE(result.has_value()) << "parsed although invalid:\n" << text;
  return result ? ParseError{} : result.error();
}

TEST(SdpParse, SessionLevelLines) {
  SessionDescription d = parse_ok(kOffer);
  EXPECT_EQ(d.origin.username, "alice");
  EXPECT_EQ(d.origin.session_id, "2890844526");
  EXPECT_EQ(d.origin.session_version, 2890844527u);
  EXPECT_EQ(d.origin.address.address, "host.atlanta.example.com");
  EXPECT_EQ(d.session_name, "Call");
  ASSERT_TRUE(d.connection.has_value());
  EXPECT_EQ(d.connection->type(), AddressType::Ip4);
  EXPECT_EQ(d.connection->host(), "192.0.2.10");
  ASSERT_EQ(d.fields.size(), 3u);
  EXPECT_EQ(d.fields[0], (Field{'i', "A call"}));
  EXPECT_EQ(d.fields[1], (Field{'b', "AS:64"}));
  EXPECT_EQ(d.fields[2], (Field{'t', "0 0"}));
  EXPECT_EQ(d.direction, Direction::SendRecv);
  ASSERT_EQ(d.attributes.size(), 1u);
  EXPECT_EQ(d.attributes[0], (Attribute{"tool", "kefu-test"}));
}

TEST(SdpParse, MediaSections) {
  SessionDescription d = parse_ok(kOffer);
  ASSERT_EQ(d.media.size(), 3u);
  const MediaDescription& audio = d.media[0];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.port, 49170);
  EXPECT_EQ(audio.protocol, "RTP/AVP");
  EXPECT_EQ(audio.formats, (std::vector<std::string>{"0", "8", "97", "101"}));
  EXPECT_EQ(audio.payload_types(), (std::vector<std::uint8_t>{0, 8, 97, 101}));
  ASSERT_EQ(audio.rtpmaps.size(), 4u);
  EXPECT_EQ(audio.rtpmaps[2], (RtpMap{97, "opus", 48000, "2"}));
  ASSERT_NE(audio.rtpmap(101), nullptr);
  EXPECT_EQ(audio.rtpmap(101)->encoding, "telephone-event");
  EXPECT_EQ(audio.rtpmap(9), nullptr);
  ASSERT_NE(audio.fmtp("97"), nullptr);
  EXPECT_EQ(audio.fmtp("97")->parameters, "useinbandfec=1; stereo=0");
  EXPECT_EQ(audio.fmtp("101")->parameters, "0-16");
  EXPECT_EQ(audio.ptime_ms, 30u);
  EXPECT_EQ(audio.maxptime_ms, 60u);
  EXPECT_EQ(audio.direction, Direction::SendOnly);
  ASSERT_EQ(audio.attributes.size(), 1u);
  EXPECT_EQ(audio.attributes[0], (Attribute{"rtcp", "49171"}));
  EXPECT_TRUE(audio.connections.empty());
  EXPECT_EQ(d.connection_for(audio)->host(), "192.0.2.10");
  EXPECT_EQ(d.direction_for(audio), Direction::SendOnly);

  const MediaDescription& video = d.media[1];
  ASSERT_EQ(video.connections.size(), 1u);
  EXPECT_EQ(video.connections[0].type(), AddressType::Ip6);
  EXPECT_EQ(d.connection_for(video)->host(), "2001:db8::2");
  EXPECT_EQ(video.fields, (std::vector<Field>{{'b', "AS:512"}}));
  EXPECT_EQ(d.direction_for(video), Direction::RecvOnly);

  const MediaDescription& image = d.media[2];
  EXPECT_TRUE(image.is_rejected());
  EXPECT_EQ(image.protocol, "udptl");
  EXPECT_EQ(image.formats, (std::vector<std::string>{"t38"}));
  EXPECT_TRUE(image.payload_types().empty());
  EXPECT_EQ(d.direction_for(image), Direction::SendRecv);  // session level applies
}

TEST(SdpParse, DirectionDefaultsToSendRecv) {
  SessionDescription d = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\n");
  EXPECT_FALSE(d.direction.has_value());
  EXPECT_EQ(d.direction_for(d.media[0]), Direction::SendRecv);
  EXPECT_EQ(d.connection_for(d.media[0]), nullptr);
}

TEST(SdpParse, SessionLevelDirectionAppliesToAllMedia) {
  SessionDescription d = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
      "a=inactive\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 8\r\n"
      "a=sendrecv\r\n");
  EXPECT_EQ(d.direction_for(d.media[0]), Direction::Inactive);
  EXPECT_EQ(d.direction_for(d.media[1]), Direction::SendRecv);
}

TEST(SdpParse, MulticastAndPortCount) {
  SessionDescription d = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
      "c=IN IP4 233.252.0.1/127/2\r\nt=0 0\r\n"
      "m=audio 49170/2 RTP/AVP 0\r\n");
  EXPECT_EQ(d.connection->address, "233.252.0.1/127/2");
  EXPECT_EQ(d.connection->host(), "233.252.0.1");
  EXPECT_EQ(d.media[0].port, 49170);
  EXPECT_EQ(d.media[0].port_count, 2);
}

TEST(SdpParse, HoldAddress) {
  Connection hold{"IN", "IP4", "0.0.0.0"};
  EXPECT_TRUE(hold.is_hold_address());
  Connection normal{"IN", "IP4", "192.0.2.1"};
  EXPECT_FALSE(normal.is_hold_address());
  Connection v6{"IN", "IP6", "::"};
  EXPECT_FALSE(v6.is_hold_address());
  EXPECT_EQ((Connection{"IN", "ip6", "::1"}).type(), AddressType::Ip6);
  EXPECT_EQ((Connection{"IN", "ATM", "x"}).type(), AddressType::Other);
}

TEST(SdpParse, AcceptsBareLfAndBlankLines) {
  SessionDescription d =
      parse_ok("v=0\no=- 1 1 IN IP4 192.0.2.1\n\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n\n\n");
  EXPECT_EQ(d.media.size(), 1u);
}

TEST(SdpParse, LiberalWhereInteropNeedsIt) {
  // No s= and no t= (RFC 4475 mismatch02 body); rtpmap without clock rate (all RFC 4475 bodies).
  SessionDescription d = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n"
      "m=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n");
  EXPECT_EQ(d.session_name, "-");
  ASSERT_EQ(d.media[0].rtpmaps.size(), 1u);
  EXPECT_EQ(d.media[0].rtpmaps[0], (RtpMap{31, "LPC", 0, ""}));
  // Runs of spaces between tokens.
  SessionDescription spaced =
      parse_ok("v=0\r\no=-  1 1 IN  IP4 192.0.2.1\r\nm=audio  4000 RTP/AVP  0 8\r\n");
  EXPECT_EQ(spaced.media[0].formats.size(), 2u);
  // Empty session name (RFC 5118 mult-ip-in-sdp) and m= without formats.
  SessionDescription empty =
      parse_ok("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\r\nm=video 0 RTP/AVP\r\n");
  EXPECT_EQ(empty.session_name, "");
  EXPECT_TRUE(empty.media[0].formats.empty());
}

TEST(SdpParse, MalformedInterpretedAttributesAreKeptAsWritten) {
  SessionDescription d = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"
      "a=rtpmap:200 X/8000\r\n"   // payload type out of range
      "a=rtpmap:96 opus/abc\r\n"  // clock not a number
      "a=ptime:twenty\r\n"
      "a=ptime:20\r\n"
      "a=ptime:30\r\n"  // repeated: first one counts
      "a=sendonly\r\n"
      "a=recvonly\r\n"      // repeated direction
      "a=sendrecv:odd\r\n"  // direction with a value
      "a=fmtp:\r\n");
  const MediaDescription& m = d.media[0];
  EXPECT_TRUE(m.rtpmaps.empty());
  EXPECT_EQ(m.ptime_ms, 20u);
  EXPECT_EQ(m.direction, Direction::SendOnly);
  std::vector<Attribute> kept = {
      {"rtpmap", "200 X/8000"},   {"rtpmap", "96 opus/abc"}, {"ptime", "twenty"}, {"ptime", "30"},
      {"recvonly", std::nullopt}, {"sendrecv", "odd"},       {"fmtp", ""}};
  EXPECT_EQ(m.attributes, kept);
}

TEST(SdpParse, Errors) {
  EXPECT_EQ(parse_error("").line, 0u);
  EXPECT_EQ(parse_error("\r\n\r\n").line, 0u);
  EXPECT_EQ(parse_error("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n").line, 1u);  // v= must be first
  EXPECT_EQ(parse_error("v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\n").line, 1u);
  EXPECT_EQ(parse_error("v=0\r\ns=-\r\n").line, 0u);  // no o=
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4\r\n").line, 2u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n").line, 2u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\no=- 1 1 IN IP4 a\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\nv=0\r\n").line, 2u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\ns=a\r\ns=b\r\n").line, 4u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4 a\r\nc=IN IP4 b\r\n").line, 4u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 70000 RTP/AVP 0\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio -1 RTP/AVP 0\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1/x RTP/AVP 0\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nx=unknown\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n").line, 4u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm =video 3227 RTP/AVP 31\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nA=x\r\n").line, 3u);
  EXPECT_EQ(parse_error("v=0\r\no=- 1 1 IN IP4 a\r\nm\r\n").line, 3u);
  std::string with_nul = "v=0\r\no=- 1 1 IN IP4 a\r\ns=a";
  with_nul += '\0';
  with_nul += "b\r\n";
  EXPECT_EQ(parse_error(with_nul).line, 3u);
  EXPECT_FALSE(parse_error("v=0\r\nx\r\n").reason.empty());
}

TEST(SdpSerialize, CanonicalOrderAndCrlf) {
  SessionDescription d = parse_ok(kOffer);
  const std::string expected =
      "v=0\r\n"
      "o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com\r\n"
      "s=Call\r\n"
      "i=A call\r\n"
      "c=IN IP4 192.0.2.10\r\n"
      "b=AS:64\r\n"
      "t=0 0\r\n"
      "a=sendrecv\r\n"
      "a=tool:kefu-test\r\n"
      "m=audio 49170 RTP/AVP 0 8 97 101\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:97 opus/48000/2\r\n"
      "a=fmtp:97 useinbandfec=1; stereo=0\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:30\r\n"
      "a=maxptime:60\r\n"
      "a=sendonly\r\n"
      "a=rtcp:49171\r\n"
      "m=video 51372 RTP/AVP 31 32\r\n"
      "c=IN IP6 2001:db8::2\r\n"
      "b=AS:512\r\n"
      "a=rtpmap:31 H261/90000\r\n"
      "a=recvonly\r\n"
      "m=image 0 udptl t38\r\n";
  EXPECT_EQ(serialize(d), expected);
}

TEST(SdpSerialize, FillsMandatoryLinesAndKeepsTimingGroups) {
  SessionDescription d = parse_ok(
      "v=0\no=- 1 1 IN IP4 a\nk=prompt\nr=7d 1h 0 25h\nz=2882844526 -1h\n"
      "t=1 2\nr=1 2 3\nu=http://x\nm=audio 1 RTP/AVP 0\ni=voice\nc=IN IP4 b\n");
  EXPECT_EQ(serialize(d),
            "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nu=http://x\r\nr=7d 1h 0 25h\r\n"
            "z=2882844526 -1h\r\nt=1 2\r\nr=1 2 3\r\nk=prompt\r\nm=audio 1 RTP/AVP 0\r\ni=voice\r\n"
            "c=IN IP4 b\r\n");
}

TEST(SdpSerialize, AddsTimingWhenMissing) {
  SessionDescription d = parse_ok("v=0\r\no=- 1 1 IN IP4 a\r\ns=x\r\nb=AS:1\r\nk=clear:y\r\n");
  EXPECT_EQ(serialize(d), "v=0\r\no=- 1 1 IN IP4 a\r\ns=x\r\nb=AS:1\r\nt=0 0\r\nk=clear:y\r\n");
}

TEST(SdpSerialize, RoundTripIsStable) {
  const std::string_view inputs[] = {
      kOffer,
      "v=0\no=- 1 1 IN IP4 a\nm=audio 1 RTP/AVP 0 8\na=fmtp:8 x\na=sendonly\na=sendonly\n"
      "a=ptime:0\na=ptime:20\na=rtpmap:8 PCMA/8000/\na=rtpmap:0 PCMU/08000\na=fmtp:0101 y\n"
      "a=fmtp:101  spaced\na=fmtp:7 \n",
      "v=0\r\no=x 1 1 IN IP6 ::1\r\nr=1 2 3\r\na=recvonly\r\na=inactive\r\n",
  };
  for (auto input : inputs) {
    SessionDescription first = parse_ok(input);
    std::string once = serialize(first);
    SessionDescription second = parse_ok(once);
    EXPECT_EQ(serialize(second), once) << input;
  }
}

TEST(SdpDirection, MirrorAndIntersect) {
  EXPECT_EQ(mirror(Direction::SendOnly), Direction::RecvOnly);
  EXPECT_EQ(mirror(Direction::RecvOnly), Direction::SendOnly);
  EXPECT_EQ(mirror(Direction::SendRecv), Direction::SendRecv);
  EXPECT_EQ(mirror(Direction::Inactive), Direction::Inactive);
  EXPECT_EQ(intersect(Direction::SendRecv, Direction::SendOnly), Direction::SendOnly);
  EXPECT_EQ(intersect(Direction::RecvOnly, Direction::SendOnly), Direction::Inactive);
  EXPECT_EQ(intersect(Direction::RecvOnly, Direction::SendRecv), Direction::RecvOnly);
  EXPECT_EQ(intersect(Direction::Inactive, Direction::SendRecv), Direction::Inactive);
  for (auto d :
       {Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive}) {
    EXPECT_EQ(direction_from_string(to_string(d)), d);
  }
  EXPECT_FALSE(direction_from_string("SENDRECV").has_value());
}

}  // namespace
}  // namespace kefu::sdp
