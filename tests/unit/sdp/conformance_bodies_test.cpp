// The SDP bodies of the RFC 4475 and RFC 5118 torture messages, read byte-exact from the
// shared conformance set (KEFU_CONFORMANCE_DIR).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "sdp/offer_answer.hpp"
#include "sdp/session_description.hpp"

namespace kefu::sdp {
namespace {

std::string read_file(const std::string& relative) {
  std::string path = std::string(KEFU_CONFORMANCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing conformance file " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The body after the first empty line (CRLF or bare-LF messages), skipping `skip` messages.
std::string body_of(const std::string& message, int skip = 0) {
  std::size_t pos = 0;
  for (int i = 0; i <= skip; ++i) {
    std::size_t crlf = message.find("\r\n\r\n", pos);
    std::size_t lf = message.find("\n\n", pos);
    if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) {
      pos = crlf + 4;
    } else if (lf != std::string::npos) {
      pos = lf + 2;
    } else {
      ADD_FAILURE() << "no body";
      return {};
    }
  }
  return message.substr(pos);
}

LocalMedia kefu_media() {
  LocalMedia local;
  local.address = "203.0.113.5";
  local.port = 30000;
  return local;
}

// Every RFC 4475 message with the common "0 12 / 31 LPC" body; the SIP-level defects do not
// touch the SDP, which parses and is answered with PCMU while video is rejected.
TEST(SdpConformance, Rfc4475Bodies) {
  const char* files[] = {"baddate", "badinv01", "bcast",    "clerr",    "esc01",    "escruri",
                         "insuf",   "longreq",  "ltgtruri", "lwsruri",  "lwsstart", "multi01",
                         "ncl",     "quotbal",  "sdp01",    "unreason", "wsinv"};
  for (const char* name : files) {
    SCOPED_TRACE(name);
    std::string body = body_of(read_file(std::string("sip/rfc4475/") + name + ".dat"));
    auto parsed = parse(body);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason << " line " << parsed.error().line;
    EXPECT_EQ(parsed->origin.username, "mhandley");
    EXPECT_EQ(parsed->origin.session_version, 7272939u);
    ASSERT_EQ(parsed->media.size(), 2u);
    EXPECT_EQ(parsed->media[0].formats, (std::vector<std::string>{"0", "12"}));
    EXPECT_EQ(parsed->media[1].rtpmaps.front(), (RtpMap{31, "LPC", 0, ""}));
    EXPECT_EQ(parse(serialize(*parsed)).has_value(), true);

    OfferAnswer negotiator(kefu_media(), 1);
    auto answer = negotiator.answer(*parsed);
    ASSERT_TRUE(answer.has_value()) << answer.error().reason;
    EXPECT_EQ(answer->media.codec, "PCMU");
    EXPECT_EQ(answer->media.remote_port, 49217);
    EXPECT_EQ(answer->media.remote_address, parsed->connection->host());
    EXPECT_NE(answer->sdp.find("m=video 0 RTP/AVP 31\r\n"), std::string::npos);
  }
}

TEST(SdpConformance, Rfc4475WsinvUsesSessionConnection) {
  auto parsed = parse(body_of(read_file("sip/rfc4475/wsinv.dat")));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->origin.address.address, "192.0.2.3");
  EXPECT_EQ(parsed->connection->host(), "192.0.2.4");
}

TEST(SdpConformance, Rfc4475Inv2543SingleAudio) {
  auto parsed = parse(body_of(read_file("sip/rfc4475/inv2543.dat")));
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->media.size(), 1u);
  OfferAnswer negotiator(kefu_media(), 1);
  auto answer = negotiator.answer(*parsed);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->media.remote_address, "192.0.2.5");
}

TEST(SdpConformance, Rfc4475Mismatch02LacksSessionNameAndTiming) {
  auto parsed = parse(body_of(read_file("sip/rfc4475/mismatch02.dat")));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().reason;
  EXPECT_EQ(parsed->session_name, "-");
  std::string text = serialize(*parsed);
  EXPECT_NE(text.find("s=-\r\n"), std::string::npos);
  EXPECT_NE(text.find("t=0 0\r\n"), std::string::npos);
}

TEST(SdpConformance, Rfc4475DblreqSecondBodyHasAMalformedLine) {
  // The INVITE trailing the REGISTER in one datagram carries "m =video": not an SDP line.
  auto parsed = parse(body_of(read_file("sip/rfc4475/dblreq.dat"), 1));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().line, 7u);
}

TEST(SdpConformance, Rfc5118Ipv6InSdp) {
  for (const char* dir : {"wire", "archive"}) {
    SCOPED_TRACE(dir);
    auto parsed = parse(body_of(read_file(std::string("sip/rfc5118/") + dir + "/ipv6-in-sdp.dat")));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason;
    EXPECT_EQ(parsed->origin.session_id, "971731711378798081");
    EXPECT_EQ(parsed->origin.address.type(), AddressType::Ip6);
    EXPECT_EQ(parsed->connection->type(), AddressType::Ip6);
    EXPECT_EQ(parsed->connection->host(), "2001:db8::20");
    ASSERT_EQ(parsed->media.size(), 2u);
    EXPECT_EQ(parsed->media[0].rtpmaps.front(), (RtpMap{2, "G726-32", 8000, ""}));
    // G.726 only: kefu has no common codec, so the INVITE is answered 488.
    OfferAnswer negotiator(kefu_media(), 1);
    auto answer = negotiator.answer(*parsed);
    ASSERT_FALSE(answer.has_value());
    EXPECT_EQ(answer.error().sip_status, 488);
  }
}

TEST(SdpConformance, Rfc5118MultipleAddressFamilies) {
  for (const char* dir : {"wire", "archive"}) {
    SCOPED_TRACE(dir);
    auto parsed =
        parse(body_of(read_file(std::string("sip/rfc5118/") + dir + "/mult-ip-in-sdp.dat")));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason;
    EXPECT_FALSE(parsed->connection.has_value());
    ASSERT_EQ(parsed->media.size(), 2u);
    EXPECT_EQ(parsed->connection_for(parsed->media[0])->type(), AddressType::Ip4);
    EXPECT_EQ(parsed->connection_for(parsed->media[0])->host(), "192.0.2.1");
    EXPECT_EQ(parsed->connection_for(parsed->media[1])->type(), AddressType::Ip6);
    EXPECT_EQ(parsed->connection_for(parsed->media[1])->host(), "2001:db8::1");
    OfferAnswer negotiator(kefu_media(), 1);
    auto answer = negotiator.answer(*parsed);
    ASSERT_TRUE(answer.has_value()) << answer.error().reason;
    EXPECT_EQ(answer->media.remote_address, "192.0.2.1");
    EXPECT_EQ(answer->media.remote_address_type, AddressType::Ip4);
    EXPECT_EQ(answer->media.remote_port, 22334);
    EXPECT_NE(answer->sdp.find("m=video 0 RTP/AVP 107\r\n"), std::string::npos);
  }
}

TEST(SdpConformance, Rfc5118Ipv4MappedIpv6) {
  auto parsed = parse(body_of(read_file("sip/rfc5118/wire/ipv4-mapped-ipv6.dat")));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->connection->type(), AddressType::Ip6);
  EXPECT_EQ(parsed->connection->host(), "::ffff:192.0.2.2");
  EXPECT_FALSE(parsed->connection->is_hold_address());
}

}  // namespace
}  // namespace kefu::sdp
