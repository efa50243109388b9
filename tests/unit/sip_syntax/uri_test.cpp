// Uri::parse and unescape (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118).
#include <gtest/gtest.h>

#include "sip/message.hpp"

namespace kefu::sip {
namespace {

TEST(SipUri, PlainSipUri) {
  const auto uri = Uri::parse("sip:alice@example.com");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->scheme, Scheme::Sip);
  EXPECT_EQ(uri->scheme_text, "sip");
  EXPECT_EQ(uri->user, "alice");
  EXPECT_TRUE(uri->password.empty());
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_EQ(uri->port, 0);
  EXPECT_TRUE(uri->params.empty());
  EXPECT_TRUE(uri->headers.empty());
  EXPECT_EQ(uri->text, "sip:alice@example.com");
}

TEST(SipUri, EveryPart) {
  const auto uri = Uri::parse(
      "SIPS:bob:s3cr%65t@[2001:db8::1]:5061;transport=tls;lr;maddr=10.0.0.1?subject=hi&x=y");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->scheme, Scheme::Sips);
  EXPECT_EQ(uri->user, "bob");
  EXPECT_EQ(uri->password, "s3cr%65t");
  EXPECT_EQ(uri->host, "[2001:db8::1]");
  EXPECT_EQ(uri->port, 5061);
  ASSERT_EQ(uri->params.size(), 3u);
  EXPECT_EQ(uri->param("TRANSPORT"), "tls");  // parameter names are case-insensitive
  EXPECT_TRUE(uri->param("lr").has_value());
  EXPECT_FALSE(uri->params[1].has_value);
  EXPECT_TRUE(uri->params[2].has_value);
  EXPECT_EQ(uri->param("maddr"), "10.0.0.1");
  EXPECT_FALSE(uri->param("ttl").has_value());
  EXPECT_EQ(uri->headers, "subject=hi&x=y");
}

TEST(SipUri, HostForms) {
  EXPECT_EQ(Uri::parse("sip:192.0.2.1:5060")->host, "192.0.2.1");
  EXPECT_EQ(Uri::parse("sip:192.0.2.1:5060")->port, 5060);
  EXPECT_EQ(Uri::parse("sip:example.com.")->host, "example.com.");
  EXPECT_EQ(Uri::parse("sip:a-b.example")->host, "a-b.example");
  EXPECT_EQ(Uri::parse("sip:_sip._udp.example.com")->host, "_sip._udp.example.com");
  EXPECT_EQ(Uri::parse("sip:host:65535")->port, 65535);
  EXPECT_EQ(Uri::parse("sip:host:0")->port, 0);
  for (const char* host : {"[::1]", "[::]", "[2001:db8::192.0.2.1]", "[::ffff:192.0.2.10]",
                           "[1:2:3:4:5:6:7:8]", "[2001:db8::10:5070]", "[fe80::1]"}) {
    const std::string text = std::string("sip:") + host;  // the Uri views into it
    const auto uri = Uri::parse(text);
    ASSERT_TRUE(uri) << host;
    EXPECT_EQ(uri->host, host);
    EXPECT_EQ(uri->port, 0) << host;
  }
  // RFC 5118 §4.10: the 3-colon form the RFC 3261 ABNF allows is tolerated.
  EXPECT_TRUE(Uri::parse("sip:user@[2001:db8:::192.0.2.1]"));
}

TEST(SipUri, RejectsMalformedUris) {
  for (const char* text : {
           "",
           ":",
           "sip",
           ":alice@example.com",
           "1sip:host",
           "s p:host",
           "sip:",
           "sip:@host",
           "sip:user@",
           "sip:host:",
           "sip:host:99999",
           "sip:host:5x",
           "sip:host:-1",
           "sip:2001:db8::10",  // RFC 5118 §4.2: IPv6 without brackets
           "sip:[2001:db8::1",
           "sip:[2001:db8::1]x",
           "sip:[]",
           "sip:[1::2::3]",
           "sip:[g::1]",
           "sip:[1:2:3:4:5:6:7:8:9]",
           "sip:[1:2:3:4:5:6:7]",
           "sip:[:1]",
           "sip:[1:]",
           "sip:[::1.2.3]",
           "sip:a b@host",
           "sip:user@host name",
           "sip:host;",
           "sip:host;=x",
           "sip:host;a=",
           "sip:host;a b",
           "sip:%zz@host",
           "sip:%4@host",
           "sip:host?",
           "sip:host?a=<b>",
           "sip:host..com",
           "sip:-host.com",
           "sip:host-.com",
           "sip:1.2.3.256",
           "sip:1.2.3",
           "sip:1.2.3.4.5",
           "sip:<host>",
           "sip:user:pa@ss@host@",
           "tel:",
           "tel:+1 555",
           "http:",
           "urn:a b",
           "mailto:<x>",
           "x:\"q\"",
       }) {
    EXPECT_FALSE(Uri::parse(text)) << text;
  }
}

TEST(SipUri, UserPartTakesEveryUserCharacter) {
  // ';' '?' '/' ',' belong to the user part when an '@' follows (RFC 4475 semiuri).
  const auto uri = Uri::parse("sip:user;par=u%40example.net@example.com;lr");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->user, "user;par=u%40example.net");
  EXPECT_EQ(uri->host, "example.com");
  ASSERT_EQ(uri->params.size(), 1u);
  EXPECT_EQ(uri->params[0].name, "lr");
}

TEST(SipUri, UnescapedHashInUserIsTolerated) {
  // Not RFC 3261 (wants %23), but what phones send for feature codes.
  const auto uri = Uri::parse("sip:*67#1234@pbx.example.com");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->user, "*67#1234");
  EXPECT_FALSE(Uri::parse("sip:pbx.example.com#frag"));  // still not in a host
}

TEST(SipUri, EscapedSchemeInUserIsNotSips) {
  const auto uri = Uri::parse("sip:sips%3Auser%40example.com@example.net");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->scheme, Scheme::Sip);
  EXPECT_EQ(unescape(uri->user), "sips:user@example.com");
}

TEST(SipUri, TelUri) {
  const auto uri = Uri::parse("tel:+1-201-555-0123;phone-context=example.com;ext=12");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->scheme, Scheme::Tel);
  EXPECT_EQ(uri->user, "+1-201-555-0123");
  EXPECT_TRUE(uri->host.empty());
  EXPECT_EQ(uri->param("phone-context"), "example.com");
  EXPECT_EQ(uri->param("ext"), "12");
  EXPECT_EQ(Uri::parse("TEL:7042*#")->user, "7042*#");
}

TEST(SipUri, OtherSchemesAreAbsoluteUris) {
  for (const char* text : {"http://www.example.com", "isbn:2983792873", "name:John_Smith",
                           "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                           "soap.beep://192.0.2.103:3002", "mailto:a@b.example?subject=x"}) {
    const auto uri = Uri::parse(text);
    ASSERT_TRUE(uri) << text;
    EXPECT_EQ(uri->scheme, Scheme::Other);
    EXPECT_EQ(uri->text, text);
    EXPECT_TRUE(uri->host.empty());
  }
  EXPECT_EQ(Uri::parse("soap.beep://x")->scheme_text, "soap.beep");
}

TEST(SipUri, ViewsPointIntoTheText) {
  const std::string text = "sip:carol@chicago.example.com;transport=tcp";
  const auto uri = Uri::parse(text);
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->host.data(), text.data() + 10);
  EXPECT_EQ(uri->params[0].value.data(), text.data() + text.size() - 3);
}

TEST(SipUri, Unescape) {
  EXPECT_EQ(unescape("%41%62c"), "Abc");
  EXPECT_EQ(unescape("I%20have%20spaces"), "I have spaces");
  EXPECT_EQ(unescape("null-%00-null"), std::string("null-\0-null", 11));
  EXPECT_EQ(unescape("%4"), "%4");                      // too short: kept
  EXPECT_EQ(unescape("%zz%"), "%zz%");                  // not hex: kept
  EXPECT_EQ(unescape("v%61lue%25%34%31"), "value%41");  // one level only
  EXPECT_EQ(unescape(""), "");
}

}  // namespace
}  // namespace kefu::sip
