// parse_name_addr, parse_name_addr_list, parse_via (RFC 3261 §20.10, §20.42, §25.1).
#include <gtest/gtest.h>

#include "sip/message.hpp"

namespace kefu::sip {
namespace {

TEST(SipNameAddr, QuotedDisplayNameStaysEscaped) {
  const auto na = parse_name_addr(R"( "Alice \"A\" Smith" <sip:alice@example.com>;tag=1928 )");
  ASSERT_TRUE(na);
  EXPECT_EQ(na->display_name, R"(Alice \"A\" Smith)");
  EXPECT_EQ(na->uri.user, "alice");
  EXPECT_EQ(na->tag(), "1928");
  EXPECT_EQ(na->text, R"("Alice \"A\" Smith" <sip:alice@example.com>;tag=1928)");
  EXPECT_FALSE(na->wildcard);
}

TEST(SipNameAddr, TokenDisplayNameAndBareAngle) {
  const auto token = parse_name_addr("Bob  Jones <sip:bob@biloxi.example.com>");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->display_name, "Bob  Jones");
  const auto bare = parse_name_addr("<sip:bob@biloxi.example.com;transport=tcp>;expires=60");
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->display_name.empty());
  EXPECT_EQ(bare->uri.param("transport"), "tcp");
  EXPECT_EQ(find_param(bare->params, "expires"), "60");
  const auto no_space = parse_name_addr("caller<sip:caller@example.com>");
  ASSERT_TRUE(no_space);
  EXPECT_EQ(no_space->display_name, "caller");
}

TEST(SipNameAddr, UnquotedUtf8DisplayNameIsTolerated) {
  const auto na = parse_name_addr("J\xC3\xBCrgen M\xC3\xBCller <sip:jm@example.com>;tag=1");
  ASSERT_TRUE(na);
  EXPECT_EQ(na->display_name, "J\xC3\xBCrgen M\xC3\xBCller");
  EXPECT_FALSE(parse_name_addr("Smith, J <sip:js@example.com>"));
}

TEST(SipNameAddr, AddrSpecParamsBelongToTheHeader) {
  // §20.10: without <>, ';' ends the URI.
  const auto na = parse_name_addr("sip:+19725552222@gw1.example.net;unknownparam;tag=x");
  ASSERT_TRUE(na);
  EXPECT_EQ(na->uri.text, "sip:+19725552222@gw1.example.net");
  EXPECT_TRUE(na->uri.params.empty());
  ASSERT_EQ(na->params.size(), 2u);
  EXPECT_FALSE(na->params[0].has_value);
  EXPECT_EQ(na->tag(), "x");
}

TEST(SipNameAddr, ParamsWithLwsAndQuotedValues) {
  const auto na = parse_name_addr(
      R"(<sip:a@b.example> ; +sip.instance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>" ;reg-id=1;q=0.7;methods="INVITE, BYE")");
  ASSERT_TRUE(na);
  ASSERT_EQ(na->params.size(), 4u);
  EXPECT_EQ(find_param(na->params, "+sip.instance"),
            R"("<urn:uuid:00000000-0000-1000-8000-000A95A0E128>")");  // quotes kept
  EXPECT_EQ(find_param(na->params, "reg-id"), "1");
  EXPECT_EQ(find_param(na->params, "Q"), "0.7");
  EXPECT_EQ(find_param(na->params, "methods"), R"("INVITE, BYE")");
}

TEST(SipNameAddr, Wildcard) {
  const auto na = parse_name_addr(" * ");
  ASSERT_TRUE(na);
  EXPECT_TRUE(na->wildcard);
}

TEST(SipNameAddr, RejectsMalformedValues) {
  for (const char* text : {
           "",
           "   ",
           R"("unterminated <sip:a@b.example>)",
           "<sip:a@b.example",
           "< sip:a@b.example>",
           "<sip:a@b.example >",
           "<>",
           "Bell, Alexander <sip:a@b.example>",
           "sip:a@b.example?Route=x",
           "<sip:a@b.example> junk",
           "<sip:a@b.example>;",
           "<sip:a@b.example>;;tag=1",
           "<sip:a@b.example>;tag=",
           "<sip:a@b.example>;tag=\"x",
           "<sip:a@b.example>,",
           R"("x" sip:a@b.example)",
           "sip:a b@c.example",
           "<not a uri>",
           "a@b.example",
           "<sip:a@b.example>;tag=1 2",
       }) {
    EXPECT_FALSE(parse_name_addr(text)) << text;
  }
}

TEST(SipNameAddr, ListsSplitOutsideQuotesAndAngles) {
  const auto list = parse_name_addr_list(
      R"(<sip:a,b@x.example;p=1>, "Smith, J" <sip:b@y.example>;q=0.5 ,sip:c@z.example;expires=3)");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].uri.user, "a,b");
  EXPECT_EQ((*list)[1].display_name, "Smith, J");
  EXPECT_EQ(find_param((*list)[1].params, "q"), "0.5");
  EXPECT_EQ((*list)[2].uri.host, "z.example");
  EXPECT_EQ(find_param((*list)[2].params, "expires"), "3");

  EXPECT_FALSE(parse_name_addr_list("<sip:a@x.example>,,<sip:b@y.example>"));
  EXPECT_FALSE(parse_name_addr_list("<sip:a@x.example>,"));
  EXPECT_FALSE(parse_name_addr_list(""));
  EXPECT_FALSE(parse_name_addr_list(R"("open, <sip:a@x.example>)"));
}

TEST(SipVia, AllParts) {
  const auto via = parse_via(
      "SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport;"
      "received=192.0.2.4;ttl=16");
  ASSERT_TRUE(via);
  EXPECT_EQ(via->protocol, "SIP/2.0");
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->host, "pc33.atlanta.example.com");
  EXPECT_EQ(via->port, 5066);
  EXPECT_EQ(via->branch(), "z9hG4bK776asdhds");
  EXPECT_TRUE(via->has_rport());
  EXPECT_EQ(via->received(), "192.0.2.4");
  EXPECT_EQ(via->params.size(), 4u);
}

TEST(SipVia, LwsEverywhereTheGrammarAllows) {
  const auto via =
      parse_via("SIP  /   2.0   /UDP    192.0.2.2 : 5070 ;  branch = z9hG4bK1  ;rport");
  ASSERT_TRUE(via);
  EXPECT_EQ(via->protocol, "SIP/2.0");
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->host, "192.0.2.2");
  EXPECT_EQ(via->port, 5070);
  EXPECT_EQ(via->branch(), "z9hG4bK1");
  EXPECT_TRUE(via->has_rport());
}

TEST(SipVia, Ipv6SentByAndReceived) {
  const auto via = parse_via("SIP/2.0/TCP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=x");
  ASSERT_TRUE(via);
  EXPECT_EQ(via->host, "[2001:db8::9:1]");
  EXPECT_EQ(via->port, 6050);
  EXPECT_EQ(via->received(), "2001:db8::9:255");
  const auto bracketed = parse_via("SIP/2.0/TLS [::1];received=[2001:db8::9:255]");
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->received(), "[2001:db8::9:255]");
  EXPECT_EQ(bracketed->port, 0);
}

TEST(SipVia, OtherProtocolsAreKeptAsWritten) {
  const auto via = parse_via("sip/2.0/ws df7jal23ls0d.invalid;branch=z9hG4bKa");
  ASSERT_TRUE(via);
  EXPECT_EQ(via->protocol, "sip/2.0");
  EXPECT_EQ(via->transport, "ws");
}

TEST(SipVia, RejectsMalformedValues) {
  for (const char* text : {
           "",
           "SIP/2.0",
           "SIP/2.0/UDP",
           "SIP/2.0/UDP ",
           "SIP/2.0/UDPhost",
           "SIP/2.0 UDP host",
           "SIP//UDP host",
           "SIP/2.0/UDP host:",
           "SIP/2.0/UDP host:99999",
           "SIP/2.0/UDP host:x",
           "SIP/2.0/UDP host;;",
           "SIP/2.0/UDP host;",
           "SIP/2.0/UDP host;branch=",
           "SIP/2.0/UDP 192.0.2.15;;",
           "SIP/2.0/UDP host extra",
           "SIP/2.0/UDP [::1",
           "SIP/2.0/UDP 2001:db8::1",
           "SIP/2.0/UDP host;branch=\"open",
           "SIP/2.0/UDP ho st",
       }) {
    EXPECT_FALSE(parse_via(text)) << text;
  }
}

}  // namespace
}  // namespace kefu::sip
