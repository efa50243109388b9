// Message::parse beyond the torture corpus: names, compact forms, framing rules, errors,
// ownership of the buffer.
#include <gtest/gtest.h>

#include <limits>

#include "sip/message.hpp"

namespace kefu::sip {
namespace {

// A minimal valid request; `extra` is inserted after the mandatory headers.
std::string request(std::string_view extra = {}, std::string_view body = {},
                    std::string_view start_line = "OPTIONS sip:bob@example.com SIP/2.0") {
  std::string text(start_line);
  text +=
      "\r\nVia: SIP/2.0/UDP host.example.com;branch=z9hG4bK1\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: c1@example.com\r\n"
      "CSeq: 1 OPTIONS\r\n";
  text += extra;
  text += "\r\n";
  text += body;
  return text;
}

ParseError parse_error(const std::string& text) {
  auto result = Message::parse(text);
  EXPECT_FALSE(result.has_value()) << text;
  return result ? ParseError{} : result.error();
}

TEST(SipNames, IequalsComparesFullLengths) {
  EXPECT_TRUE(iequals("Call-ID", "call-id"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("To", "Tox"));  // a shorter prefix is not equal
  EXPECT_FALSE(iequals("Tox", "To"));
  EXPECT_FALSE(iequals("", "a"));
  EXPECT_FALSE(iequals("a[", "A{"));  // only letters fold
}

TEST(SipNames, Methods) {
  EXPECT_EQ(method_from_string("INVITE"), Method::Invite);
  EXPECT_EQ(method_from_string("PUBLISH"), Method::Publish);
  EXPECT_EQ(method_from_string("invite"), Method::Unknown);  // methods are case-sensitive
  EXPECT_EQ(method_from_string("RE%47IST%45R"), Method::Unknown);
  EXPECT_EQ(method_from_string(""), Method::Unknown);
  EXPECT_EQ(to_string(Method::Prack), "PRACK");
  EXPECT_EQ(to_string(Method::Unknown), "");
  for (Method m : {Method::Invite, Method::Ack, Method::Bye, Method::Cancel, Method::Options,
                   Method::Register, Method::Info, Method::Update, Method::Prack, Method::Subscribe,
                   Method::Notify, Method::Refer, Method::Message, Method::Publish}) {
    EXPECT_EQ(method_from_string(to_string(m)), m);
  }
}

TEST(SipNames, HeaderNamesAndCompactForms) {
  const std::pair<const char*, HeaderId> names[] = {
      {"v", HeaderId::Via},
      {"f", HeaderId::From},
      {"t", HeaderId::To},
      {"i", HeaderId::CallId},
      {"m", HeaderId::Contact},
      {"l", HeaderId::ContentLength},
      {"c", HeaderId::ContentType},
      {"k", HeaderId::Supported},
      {"s", HeaderId::Subject},
      {"o", HeaderId::Event},
      {"r", HeaderId::ReferTo},
      {"V", HeaderId::Via},
      {"CALL-id", HeaderId::CallId},
      {"cseq", HeaderId::CSeq},
      {"www-authenticate", HeaderId::WwwAuthenticate},
      {"e", HeaderId::Other},
      {"x", HeaderId::Other},
      {"C%6Fntact", HeaderId::Other},
      {"Contacts", HeaderId::Other},
      {"", HeaderId::Other},
  };
  for (const auto& [name, id] : names) EXPECT_EQ(header_id_from_name(name), id) << name;
  EXPECT_EQ(canonical_name(HeaderId::CallId), "Call-ID");
  EXPECT_EQ(canonical_name(HeaderId::WwwAuthenticate), "WWW-Authenticate");
  EXPECT_EQ(canonical_name(HeaderId::Other), "");
  EXPECT_TRUE(same_header_name("Session-Expires", "x"));
  EXPECT_TRUE(same_header_name("e", "content-encoding"));
  EXPECT_TRUE(same_header_name("Via", "v"));
  EXPECT_FALSE(same_header_name("Via", "t"));
  EXPECT_FALSE(same_header_name("X-Foo", "X-Fo"));
}

TEST(SipMessage, CompactFormsAreInterpreted) {
  const std::string text =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
      "f: Alice <sip:alice@example.com>;tag=1\r\n"
      "t: sip:bob@example.com\r\n"
      "i: abc@a.example.com\r\n"
      "CSeq: 1 INVITE\r\n"
      "m: <sip:alice@192.0.2.1>\r\n"
      "k: timer, 100rel\r\n"
      "o: presence\r\n"
      "x: 1800;refresher=uac\r\n"
      "e: gzip\r\n"
      "s: lunch\r\n"
      "c: text/plain\r\n"
      "l: 5\r\n"
      "\r\n"
      "hello";
  auto result = Message::parse(text);
  ASSERT_TRUE(result) << result.error().reason;
  const Message& m = *result;
  EXPECT_EQ(m.vias().size(), 1u);
  EXPECT_EQ(m.from().display_name, "Alice");
  EXPECT_EQ(m.to().uri.user, "bob");
  EXPECT_EQ(m.call_id(), "abc@a.example.com");
  EXPECT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.header_values(HeaderId::Supported),
            (std::vector<std::string_view>{"timer", "100rel"}));
  EXPECT_EQ(m.header(HeaderId::Event), "presence");
  EXPECT_EQ(m.header("Session-Expires"), "1800;refresher=uac");
  EXPECT_EQ(m.header("content-encoding"), "gzip");
  EXPECT_EQ(m.header("Subject"), "lunch");
  EXPECT_EQ(m.header("l"), "5");
  EXPECT_EQ(m.content_type(), "text/plain");
  EXPECT_EQ(m.body(), "hello");
  EXPECT_EQ(m.headers()[0].name, "v");  // names as written
}

TEST(SipMessage, ViasFromCommaListsAndSeveralLinesKeepTheirOrder) {
  auto result = Message::parse(
      "SIP/2.0 180 Ringing\r\n"
      "Via: SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/TCP b.example:5070;branch=z9hG4bK2\r\n"
      "v: SIP/2.0/TLS c.example;branch=z9hG4bK3\r\n"
      "From: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>;tag=b\r\n"
      "Call-ID: x\r\nCSeq: 7 INVITE\r\n"
      "Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\n"
      "Record-Route: <sip:p3.example;lr>\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(result) << result.error().reason;
  const Message& m = *result;
  EXPECT_FALSE(m.is_request());
  EXPECT_EQ(m.status(), 180);
  EXPECT_EQ(m.reason(), "Ringing");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].host, "a.example");
  EXPECT_EQ(m.vias()[1].port, 5070);
  EXPECT_EQ(m.vias()[2].transport, "TLS");
  EXPECT_EQ(m.header_values(HeaderId::Via).size(), 3u);
  ASSERT_EQ(m.record_routes().size(), 3u);
  EXPECT_EQ(m.record_routes()[2].uri.host, "p3.example");
  EXPECT_EQ(m.cseq().method, Method::Invite);
}

TEST(SipMessage, ListAndSingleValueHeaders) {
  auto result = Message::parse(
      request("Allow: INVITE, ACK ,BYE\r\nAllow: CANCEL\r\n"
              "Authorization: Digest username=\"a\", realm=\"b\", nonce=\"c, d\"\r\n"
              "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nX-Custom: a, b\r\nX-Custom: c\r\n"));
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_EQ(result->header_values(HeaderId::Allow),
            (std::vector<std::string_view>{"INVITE", "ACK", "BYE", "CANCEL"}));
  EXPECT_EQ(result->header_values(HeaderId::Authorization).size(), 1u);
  EXPECT_EQ(result->header_values(HeaderId::Date).size(), 1u);
  EXPECT_EQ(result->all_headers("x-custom"), (std::vector<std::string_view>{"a, b", "c"}));
  EXPECT_EQ(result->header("X-CUSTOM"), "a, b");
  EXPECT_FALSE(result->header("X-Missing"));
  EXPECT_TRUE(result->header_values(HeaderId::Require).empty());
}

TEST(SipMessage, ContactWildcardAndExpires) {
  const std::string text =
      "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: r1\r\n"
      "CSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n";
  auto reg = Message::parse(text);
  ASSERT_TRUE(reg) << reg.error().reason;
  ASSERT_EQ(reg->contacts().size(), 1u);
  EXPECT_TRUE(reg->contacts()[0].wildcard);
  EXPECT_EQ(reg->expires(), 0u);
}

TEST(SipMessage, ExpiresSaturatesOrIsIgnored) {
  auto huge = Message::parse(request("Expires: 100000000000000000000000\r\n"));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->expires(), std::numeric_limits<std::uint32_t>::max());
  auto date = Message::parse(request("Expires: Thu, 01 Dec 1994 16:00:00 GMT\r\n"));
  ASSERT_TRUE(date);
  EXPECT_FALSE(date->expires().has_value());
  auto normal = Message::parse(request("Expires: 3600\r\n"));
  ASSERT_TRUE(normal);
  EXPECT_EQ(normal->expires(), 3600u);
}

TEST(SipMessage, BodyFollowsContentLengthOrTheDatagram) {
  auto exact = Message::parse(request("Content-Length: 4\r\n", "abcdEXTRA"));
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->body(), "abcd");
  EXPECT_FALSE(exact->raw().ends_with("EXTRA"));
  auto rest = Message::parse(request({}, std::string("ab\0cd", 5)));
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->body(), std::string_view("ab\0cd", 5));
  auto same_twice = Message::parse(request("Content-Length: 2\r\nl: 2\r\n", "ok"));
  ASSERT_TRUE(same_twice);
  EXPECT_EQ(same_twice->body(), "ok");
  EXPECT_EQ(parse_error(request("Content-Length: 2\r\nl: 3\r\n", "okk")).reason,
            "Bad Request (Conflicting Content-Length)");
  EXPECT_EQ(parse_error(request("Content-Length: 5\r\n", "abcd")).status, 400);
  EXPECT_EQ(parse_error(request("Content-Length: -1\r\n", "abcd")).status, 400);
  EXPECT_EQ(parse_error(request("Content-Length: 1x\r\n", "abcd")).status, 400);
  EXPECT_EQ(parse_error(request("Content-Length: 99999999999999999999999\r\n")).status, 400);
}

TEST(SipMessage, LeadingCrlfsAndBareLineFeeds) {
  auto result = Message::parse(
      "\r\n\r\nOPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h.example;branch=z9hG4bK1\n"
      "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: lf\n"
      "CSeq: 1 OPTIONS\nSubject: folded\n  line\nContent-Length: 2\n\nhi");
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_TRUE(result->raw().starts_with("OPTIONS"));
  EXPECT_EQ(result->header(HeaderId::Subject), "folded   line");
  EXPECT_EQ(result->body(), "hi");
}

TEST(SipMessage, ViewsSurviveMoves) {
  std::vector<Message> messages;
  for (int i = 0; i < 50; ++i) {
    auto result = Message::parse(request("X-Index: " + std::to_string(i) + "\r\n"));
    ASSERT_TRUE(result);
    messages.push_back(std::move(result).value());  // the vector reallocates as it grows
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(messages[static_cast<std::size_t>(i)].header("X-Index"), std::to_string(i));
    EXPECT_EQ(messages[static_cast<std::size_t>(i)].from().tag(), "a1");
    EXPECT_EQ(messages[static_cast<std::size_t>(i)].request_uri().host, "example.com");
  }
  Message moved = std::move(messages.front());
  EXPECT_EQ(moved.call_id(), "c1@example.com");
}

TEST(SipMessage, MandatoryHeadersAndDuplicates) {
  const std::string base = "OPTIONS sip:b@example.com SIP/2.0\r\n";
  const std::string via = "Via: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n";
  const std::string from = "From: <sip:a@example.com>;tag=1\r\n";
  const std::string to = "To: <sip:b@example.com>\r\n";
  const std::string call_id = "Call-ID: x\r\n";
  const std::string cseq = "CSeq: 1 OPTIONS\r\n";
  EXPECT_EQ(parse_error(base + from + to + call_id + cseq + "\r\n").reason,
            "Bad Request (Missing Via)");
  EXPECT_EQ(parse_error(base + via + to + call_id + cseq + "\r\n").reason,
            "Bad Request (Missing From)");
  EXPECT_EQ(parse_error(base + via + from + call_id + cseq + "\r\n").reason,
            "Bad Request (Missing To)");
  EXPECT_EQ(parse_error(base + via + from + to + cseq + "\r\n").reason,
            "Bad Request (Missing Call-ID)");
  EXPECT_EQ(parse_error(base + via + from + to + call_id + "\r\n").reason,
            "Bad Request (Missing CSeq)");
  EXPECT_EQ(parse_error(request("Max-Forwards: 70\r\nMax-Forwards: 69\r\n")).reason,
            "Bad Request (Multiple Max-Forwards)");
  EXPECT_EQ(parse_error(request("i: again\r\n")).reason, "Bad Request (Multiple Call-ID)");
  EXPECT_EQ(parse_error(request("t: <sip:c@example.com>\r\n")).reason, "Bad Request (Multiple To)");
  EXPECT_EQ(parse_error(request("c: a/b\r\nContent-Type: a/b\r\n")).reason,
            "Bad Request (Multiple Content-Type)");
  // Max-Forwards may be absent (RFC 2543 peers).
  EXPECT_TRUE(Message::parse(request()));
}

TEST(SipMessage, ScalarLimits) {
  auto at_limit =
      Message::parse(request().replace(request().find("CSeq: 1 "), 8, "CSeq: 2147483647 "));
  ASSERT_TRUE(at_limit) << at_limit.error().reason;
  EXPECT_EQ(at_limit->cseq().number, 2147483647u);
  const std::string over = request().replace(request().find("CSeq: 1 "), 8, "CSeq: 2147483648 ");
  EXPECT_EQ(parse_error(over).reason, "Bad Request (Invalid CSeq)");
  for (const char* bad_cseq : {"CSeq: OPTIONS", "CSeq: 1", "CSeq: 1OPTIONS", "CSeq: -1 OPTIONS",
                               "CSeq: 1 OPTIONS extra", "CSeq: 1.5 OPTIONS"}) {
    std::string text = request();
    text.replace(text.find("CSeq: 1 OPTIONS"), 15, bad_cseq);
    EXPECT_EQ(parse_error(text).status, 400) << bad_cseq;
  }
  EXPECT_EQ(parse_error(request("Max-Forwards: ten\r\n")).reason,
            "Bad Request (Invalid Max-Forwards)");
  EXPECT_EQ(parse_error(request("Max-Forwards: 99999999999\r\n")).status, 400);
  auto zero_padded = Message::parse(request("Max-Forwards: 0000000000070\r\n"));
  ASSERT_TRUE(zero_padded);
  EXPECT_EQ(zero_padded->max_forwards(), 70u);
}

TEST(SipMessage, StartLineFaults) {
  EXPECT_EQ(parse_error(request({}, {}, "OPTIONS sip:b@example.com SIP/3.0")).status, 505);
  EXPECT_EQ(parse_error(request({}, {}, "OPTIONS sip:b@example.com HTTP/1.1")).status, 400);
  EXPECT_EQ(parse_error(request({}, {}, "OPTIONS sip:b@example.com")).status, 400);
  EXPECT_EQ(parse_error(request({}, {}, "OPTIONS")).status, 400);
  EXPECT_EQ(parse_error(request({}, {}, "OPT<IONS sip:b@example.com SIP/2.0")).reason,
            "Bad Request (Invalid Method)");
  EXPECT_EQ(parse_error(request({}, {}, "OPTIONS sip:b@exa\tmple.com SIP/2.0")).reason,
            "Bad Request (Invalid Request-URI)");
  EXPECT_EQ(parse_error(request({}, {}, "OPTIONS <sip:b@example.com> SIP/2.0")).reason,
            "Bad Request (Invalid Request-URI)");
  // Liberal: extra spaces between elements and at the end (RFC 4475 lwsstart, trws).
  EXPECT_TRUE(Message::parse(request({}, {}, "OPTIONS   sip:b@example.com   SIP/2.0  ")));
  EXPECT_TRUE(Message::parse(request({}, {}, "OPTIONS sip:b@example.com sip/2.0")));
}

TEST(SipMessage, StatusLineFaultsAreResponses) {
  const std::string headers =
      "\r\nVia: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\n"
      "To: <sip:b@example.com>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n";
  for (const char* line :
       {"SIP/2.0 99 Low", "SIP/2.0 700 High", "SIP/2.0 2x0 Bad", "SIP/2.0 2000 Long", "SIP/2.0",
        "SIP/2.0 ", "SIP/2.0 200OK", "SIP/2.0 4294967301 better not break the receiver"}) {
    const ParseError error = parse_error(line + headers);
    EXPECT_FALSE(error.is_request) << line;
    EXPECT_EQ(error.status, 400) << line;
  }
  const ParseError version = parse_error("SIP/1.0 200 OK" + headers);
  EXPECT_EQ(version.status, 505);
  EXPECT_FALSE(version.is_request);
  auto ok = Message::parse("SIP/2.0 200" + headers);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  EXPECT_EQ(ok->reason(), "");
}

TEST(SipMessage, HeaderLineFaults) {
  EXPECT_EQ(parse_error(request("NoColonHere\r\n")).reason, "Bad Request (Invalid header line)");
  EXPECT_EQ(parse_error(request("Bad Name: x\r\n")).reason, "Bad Request (Invalid header name)");
  EXPECT_EQ(parse_error(request(": x\r\n")).reason, "Bad Request (Invalid header name)");
  EXPECT_EQ(parse_error("OPTIONS sip:b@example.com SIP/2.0\r\n folded start\r\n\r\n").reason,
            "Bad Request (Invalid header line)");
  EXPECT_EQ(parse_error(request("Call-ID: two words\r\n")).status, 400);
  EXPECT_EQ(parse_error(request("Contact: <sip:x@y.example>;;\r\n")).reason,
            "Bad Request (Invalid Contact)");
  EXPECT_EQ(parse_error(request("Route: <sip:x@y.example\r\n")).reason,
            "Bad Request (Invalid Route)");
  EXPECT_EQ(parse_error(request("Via: SIP/2.0/UDP x.example;;\r\n")).reason,
            "Bad Request (Invalid Via)");
  EXPECT_EQ(parse_error(request("Via:\r\n")).reason, "Bad Request (Invalid Via)");
  EXPECT_EQ(parse_error(request("Content-Type:\r\n")).reason, "Bad Request (Invalid Content-Type)");
  // The echo keeps what can be matched even when a line is broken.
  const ParseError error = parse_error(request("NoColonHere\r\n"));
  EXPECT_NE(error.echo_headers.find("Call-ID: c1@example.com\r\n"), std::string::npos);
  EXPECT_NE(error.echo_headers.find("Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK1\r\n"),
            std::string::npos);
}

TEST(SipMessage, GarbageFailsCleanly) {
  for (const std::string& text :
       {std::string(), std::string("\r\n\r\n"), std::string("x"), std::string("INVITE"),
        std::string("\0\0\0\n\n", 5), std::string("SIP/2.0 200 OK\r\n"), std::string("\n:\n\n")}) {
    auto result = Message::parse(text);
    EXPECT_FALSE(result.has_value());
    if (!result) {
      EXPECT_FALSE(result.error().reason.empty());
    }
  }
}

TEST(SipMessage, UnterminatedHeaderSectionIsTolerated) {
  // A datagram that ends after its last header line (RFC 5118 archive, RFC 4475 baddn).
  std::string text = request("Content-Length: 0\r\n");
  text.resize(text.size() - 2);
  auto result = Message::parse(text);
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_TRUE(result->body().empty());
  std::string short_body = request();
  short_body.resize(short_body.size() - 2);
  EXPECT_EQ(parse_error(short_body + "Content-Length: 3\r\n").reason,
            "Bad Request (Content-Length exceeds the message)");
}

}  // namespace
}  // namespace kefu::sip
