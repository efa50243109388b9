// RFC 4475 and RFC 5118 torture messages at the parser level, against
// ../shared/conformance/sip/*/EXPECTED.md. Application-level outcomes (416, 420, 415, 406,
// 405, 483, 501) belong to the UA core; here those messages must parse and expose the facts
// the core needs.
#include <gtest/gtest.h>

#include <map>

#include "conformance_files.hpp"
#include "sip/message.hpp"

namespace kefu::sip {
namespace {

using testing::conformance_message;
using testing::dat_files;

struct Expected {
  int status = 0;  // 0 = must parse; otherwise the ParseError status
  bool is_request = true;
};
constexpr Expected kValid{0, true};
constexpr Expected kValidResponse{0, false};
constexpr Expected kBadRequest{400, true};
constexpr Expected kDroppedResponse{400, false};

// Every file in the corpus has an entry: a new file without one fails AllFilesHaveAnOutcome.
// Where the RFC allows either outcome ("reject OK / liberal accept OK") the entry pins
// kefu's choice and says so.
const std::map<std::string, Expected>& expected_outcomes() {
  static const std::map<std::string, Expected> outcomes{
      // 3.1.1 valid
      {"rfc4475/wsinv.dat", kValid},
      {"rfc4475/intmeth.dat", kValid},
      {"rfc4475/esc01.dat", kValid},
      {"rfc4475/escnull.dat", kValid},
      {"rfc4475/esc02.dat", kValid},
      {"rfc4475/lwsdisp.dat", kValid},
      {"rfc4475/longreq.dat", kValid},
      {"rfc4475/dblreq.dat", kValid},
      {"rfc4475/semiuri.dat", kValid},
      {"rfc4475/transports.dat", kValid},
      {"rfc4475/mpart01.dat", kValid},
      {"rfc4475/unreason.dat", kValidResponse},
      {"rfc4475/noreason.dat", kValidResponse},
      // 3.1.2 invalid
      {"rfc4475/badinv01.dat", kBadRequest},
      {"rfc4475/clerr.dat", kBadRequest},
      {"rfc4475/ncl.dat", kBadRequest},
      {"rfc4475/scalar02.dat", kBadRequest},
      {"rfc4475/scalarlg.dat", kDroppedResponse},
      {"rfc4475/quotbal.dat", kBadRequest},
      {"rfc4475/ltgtruri.dat", kBadRequest},
      {"rfc4475/lwsruri.dat", kBadRequest},
      {"rfc4475/lwsstart.dat", kValid},       // liberal accept (reject also allowed)
      {"rfc4475/trws.dat", kValid},           // liberal accept (reject also allowed)
      {"rfc4475/escruri.dat", kValid},        // headers kept escaped in Uri::headers, never applied
      {"rfc4475/baddate.dat", kValid},        // Date is not interpreted
      {"rfc4475/regbadct.dat", kBadRequest},  // '?' in an addr-spec Contact: 400 (reasonable)
      {"rfc4475/badaspec.dat", kBadRequest},  // spaces inside <>: 400 (reasonable)
      {"rfc4475/baddn.dat", kBadRequest},     // unquoted "Bell, Alexander": 400 (reasonable)
      {"rfc4475/variants/baddn.php-sip-with-final-crlf.dat", kBadRequest},
      {"rfc4475/badvers.dat", {505, true}},
      {"rfc4475/mismatch01.dat", kBadRequest},
      {"rfc4475/mismatch02.dat", kBadRequest},  // 501 preferred by the RFC, 400 acceptable
      {"rfc4475/bigcode.dat", kDroppedResponse},
      // 3.2 transaction layer
      {"rfc4475/badbranch.dat", kValid},  // syntactically fine; matching is the stack's job
      // 3.3 application layer: parse; the UA core answers
      {"rfc4475/insuf.dat", kBadRequest},  // no Call-ID/From/To: "ideally 400"
      {"rfc4475/unkscm.dat", kValid},
      {"rfc4475/novelsc.dat", kValid},
      {"rfc4475/unksm2.dat", kValid},
      {"rfc4475/bext01.dat", kValid},
      {"rfc4475/invut.dat", kValid},
      {"rfc4475/regaut01.dat", kValid},
      {"rfc4475/multi01.dat", kBadRequest},
      {"rfc4475/mcl01.dat", kBadRequest},
      {"rfc4475/bcast.dat", kValidResponse},
      {"rfc4475/zeromf.dat", kValid},
      {"rfc4475/cparam01.dat", kValid},
      {"rfc4475/cparam02.dat", kValid},
      {"rfc4475/regescrt.dat", kValid},
      {"rfc4475/sdp01.dat", kValid},
      // 3.4
      {"rfc4475/inv2543.dat", kValid},
      // Not a test case (no SIP-Version on the request line): must fail cleanly.
      {"rfc4475/extra/test.dat", kBadRequest},
      // RFC 5118, CRLF wire form
      {"rfc5118/wire/ipv6-good.dat", kValid},
      {"rfc5118/wire/ipv6-bad.dat", kBadRequest},
      {"rfc5118/wire/port-ambiguous.dat", kValid},
      {"rfc5118/wire/port-unambiguous.dat", kValid},
      {"rfc5118/wire/via-received-param-with-delim.dat", kValid},
      {"rfc5118/wire/via-received-param-no-delim.dat", kValid},
      {"rfc5118/wire/ipv6-in-sdp.dat", kValid},
      {"rfc5118/wire/mult-ip-in-header.dat", kValid},
      {"rfc5118/wire/mult-ip-in-sdp.dat", kValid},
      {"rfc5118/wire/ipv4-mapped-ipv6.dat", kValid},
      {"rfc5118/wire/ipv6-bug-abnf-3-colons.dat", kValid},  // tolerated, as RFC 5118 asks
      {"rfc5118/wire/ipv6-correct-abnf-2-colons.dat", kValid},
      // RFC 5118 archive bytes: bare LF line ends are tolerated, as is a datagram whose
      // header section is never closed (the two abnf files).
      {"rfc5118/archive/ipv6-good.dat", kValid},
      {"rfc5118/archive/ipv6-bad.dat", kBadRequest},
      {"rfc5118/archive/port-ambiguous.dat", kValid},
      {"rfc5118/archive/port-unambiguous.dat", kValid},
      {"rfc5118/archive/via-received-param-with-delim.dat", kValid},
      {"rfc5118/archive/via-received-param-no-delim.dat", kValid},
      // Content-Length 268 but 242 octets of body in the archive: too long for the datagram.
      {"rfc5118/archive/ipv6-in-sdp.dat", kBadRequest},
      {"rfc5118/archive/mult-ip-in-header.dat", kValid},
      // Content-Length 181 but 180 octets of body in the archive bytes: same rule.
      {"rfc5118/archive/mult-ip-in-sdp.dat", kBadRequest},
      {"rfc5118/archive/ipv4-mapped-ipv6.dat", kValid},
      {"rfc5118/archive/ipv6-bug-abnf-3-colons.dat", kValid},
      {"rfc5118/archive/ipv6-correct-abnf-2-colons.dat", kValid},
  };
  return outcomes;
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> names;
  for (const char* dir :
       {"rfc4475", "rfc4475/variants", "rfc4475/extra", "rfc5118/wire", "rfc5118/archive"}) {
    for (const auto& path : dat_files(dir)) {
      names.push_back(std::string(dir) + "/" + path.filename().string());
    }
  }
  return names;
}

Message parse_valid(const std::string& name) {
  auto result = Message::parse(conformance_message(name));
  EXPECT_TRUE(result.has_value()) << name << ": " << (result ? "" : result.error().reason);
  if (!result) std::abort();  // the caller's checks would read a message that isn't there
  return std::move(result).value();
}

ParseError parse_invalid(const std::string& name) {
  auto result = Message::parse(conformance_message(name));
  EXPECT_FALSE(result.has_value()) << name;
  if (result) return ParseError{};
  return result.error();
}

TEST(SipConformance, CorpusIsPresent) {
  // 49 RFC 4475 messages + variant + extra, 12 x 2 RFC 5118 messages.
  EXPECT_EQ(corpus_files().size(), 49u + 1u + 1u + 24u) << "corpus at " << KEFU_CONFORMANCE_DIR;
}

TEST(SipConformance, AllFilesHaveAnOutcome) {
  for (const std::string& name : corpus_files()) {
    EXPECT_TRUE(expected_outcomes().count(name)) << "no expectation listed for " << name;
  }
}

TEST(SipConformance, EveryFileGivesTheExpectedOutcome) {
  for (const std::string& name : corpus_files()) {
    const auto found = expected_outcomes().find(name);
    if (found == expected_outcomes().end()) continue;
    const Expected& expected = found->second;
    auto result = Message::parse(conformance_message(name));
    if (expected.status == 0) {
      EXPECT_TRUE(result.has_value()) << name << ": " << (result ? "" : result.error().reason);
      if (result) {
        EXPECT_EQ(result->is_request(), expected.is_request) << name;
      }
    } else {
      ASSERT_FALSE(result.has_value()) << name << " parsed but should fail";
      EXPECT_EQ(result.error().status, expected.status) << name << ": " << result.error().reason;
      EXPECT_EQ(result.error().is_request, expected.is_request) << name;
      EXPECT_FALSE(result.error().reason.empty()) << name;
    }
  }
}

// ---- 3.1.1 valid messages: the specific facts -------------------------------------------

TEST(SipConformance, WsinvUnfoldsAndReadsLeadingZeros) {
  const Message m = parse_valid("rfc4475/wsinv.dat");
  EXPECT_EQ(m.method(), Method::Invite);
  EXPECT_EQ(m.max_forwards(), 68u);
  EXPECT_EQ(m.cseq().number, 9u);
  EXPECT_EQ(m.cseq().method, Method::Invite);
  EXPECT_EQ(m.body().size(), 150u);  // Content-Length is right only if CRLFs were kept
  EXPECT_EQ(m.to().tag(), "1918181833n");
  EXPECT_EQ(m.from().tag(), "98asjd8");
  EXPECT_EQ(m.from().display_name, R"(J Rosenberg \\\")");
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].protocol, "SIP/2.0");
  EXPECT_EQ(m.vias()[0].transport, "UDP");
  EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias()[0].branch(), "390skdjuw");
  EXPECT_EQ(m.vias()[1].transport, "TCP");
  EXPECT_EQ(m.vias()[1].host, "spindle.example.com");
  EXPECT_EQ(m.vias()[1].branch(), "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias()[2].host, "192.168.255.111");
  EXPECT_EQ(m.vias()[2].branch(), "z9hG4bK30239");
  ASSERT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.contacts()[0].display_name, R"(Quoted string \"\")");
  EXPECT_EQ(m.contacts()[0].params.size(), 3u);
  EXPECT_EQ(find_param(m.contacts()[0].params, "newparam"), "newvalue");
  EXPECT_EQ(find_param(m.contacts()[0].params, "secondparam"), "");
  EXPECT_EQ(find_param(m.contacts()[0].params, "q"), "0.33");
  ASSERT_EQ(m.routes().size(), 1u);
  EXPECT_TRUE(m.routes()[0].uri.param("unknown-no-value").has_value());
  EXPECT_EQ(m.header("Subject"), "");  // "s :" with an empty value
  EXPECT_EQ(m.header("NewFangledHeader"), "newfangled value   continued newfangled value");
  EXPECT_EQ(m.header("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
  EXPECT_EQ(m.content_type(), "application/sdp");
  EXPECT_TRUE(m.request_uri().param("unknownparam").has_value());
  // No value spans a line break any more.
  for (const HeaderField& field : m.headers()) {
    EXPECT_EQ(field.value.find_first_of("\r\n"), std::string_view::npos) << field.name;
  }
}

TEST(SipConformance, IntmethKeepsTheWildMethod) {
  const Message m = parse_valid("rfc4475/intmeth.dat");
  EXPECT_EQ(m.method(), Method::Unknown);
  EXPECT_EQ(m.method_text(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.cseq().method_text, m.method_text());
  EXPECT_EQ(m.request_uri().scheme, Scheme::Sip);
  EXPECT_EQ(m.request_uri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.request_uri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.from().display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from().tag(), "_token~1'+`*%!-.");
  EXPECT_EQ(m.call_id(), R"(intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{)");
  EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK-.!%66*_+`'~");
  EXPECT_TRUE(m.header("extensionHeader-!.%*+_`'~").has_value());
}

TEST(SipConformance, Esc01IsNotSips) {
  const Message m = parse_valid("rfc4475/esc01.dat");
  EXPECT_EQ(m.request_uri().scheme, Scheme::Sip);
  EXPECT_EQ(m.request_uri().user, "sips%3Auser%40example.com");
  EXPECT_EQ(unescape(m.request_uri().user), "sips:user@example.com");
  EXPECT_EQ(m.request_uri().host, "example.net");
  EXPECT_EQ(unescape(m.to().uri.user), "user");
  EXPECT_EQ(unescape(m.from().uri.user), "I have spaces");
  ASSERT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(unescape(m.contacts()[0].uri.user), "caller");
  EXPECT_EQ(m.body().size(), 150u);
}

TEST(SipConformance, EscnullKeepsNulBytes) {
  const Message m = parse_valid("rfc4475/escnull.dat");
  const std::string user = unescape(m.to().uri.user);
  EXPECT_EQ(user, std::string("null-\0-null", 11));
  ASSERT_EQ(m.contacts().size(), 2u);
  EXPECT_EQ(unescape(m.contacts()[0].uri.user), std::string("\0", 1));
  EXPECT_EQ(unescape(m.contacts()[1].uri.user), std::string("\0\0", 2));
}

TEST(SipConformance, Esc02PercentIsNotAnEscapeEverywhere) {
  const Message m = parse_valid("rfc4475/esc02.dat");
  EXPECT_EQ(m.method(), Method::Unknown);
  EXPECT_EQ(m.method_text(), "RE%47IST%45R");
  EXPECT_EQ(m.to().display_name, "%Z%45");
  ASSERT_EQ(m.contacts().size(), 2u);  // C%6Fntact is some other header
  EXPECT_EQ(m.contacts()[1].uri.host, "host3.example.com");
  EXPECT_EQ(m.header("C%6Fntact"), "<sip:alias2@host2.example.com>");
  EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK209%fzsnel234");
}

TEST(SipConformance, LwsdispNeedsNoSpaceBeforeAngle) {
  const Message m = parse_valid("rfc4475/lwsdisp.dat");
  EXPECT_EQ(m.from().display_name, "caller");
  EXPECT_EQ(m.from().uri.user, "caller");
}

TEST(SipConformance, LongreqKeepsEverything) {
  const Message m = parse_valid("rfc4475/longreq.dat");
  EXPECT_EQ(m.vias().size(), 34u);
  EXPECT_GT(m.call_id().size(), 100u);
  EXPECT_GT(m.to().display_name.size(), 70u);
  EXPECT_EQ(m.to().uri.port, 6000);
  EXPECT_EQ(m.from().uri.user.size(), 5 * std::string_view("amazinglylongcallername").size());
}

TEST(SipConformance, DblreqIsTheRegisterOnly) {
  const Message m = parse_valid("rfc4475/dblreq.dat");
  EXPECT_EQ(m.method(), Method::Register);
  EXPECT_TRUE(m.body().empty());
  EXPECT_EQ(m.raw().find("INVITE"), std::string_view::npos);  // trailing octets dropped
}

TEST(SipConformance, SemiuriUserHoldsTheSemicolon) {
  const Message m = parse_valid("rfc4475/semiuri.dat");
  EXPECT_EQ(m.request_uri().user, "user;par=u%40example.net");
  EXPECT_TRUE(m.request_uri().params.empty());
  EXPECT_EQ(m.request_uri().host, "example.com");
  const auto accept = m.header_values(HeaderId::Accept);
  ASSERT_EQ(accept.size(), 6u);
  EXPECT_EQ(accept[2], "multipart/mixed");
  EXPECT_EQ(accept[5], "message/sipfrag");
}

TEST(SipConformance, TransportsGivesFiveVias) {
  const Message m = parse_valid("rfc4475/transports.dat");
  ASSERT_EQ(m.vias().size(), 5u);
  const char* transports[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(m.vias()[i].transport, transports[i]);
  EXPECT_EQ(m.header_values(HeaderId::Via).size(), 5u);
}

TEST(SipConformance, Mpart01BodyCountsOctets) {
  const Message m = parse_valid("rfc4475/mpart01.dat");
  EXPECT_EQ(m.method(), Method::Message);
  EXPECT_EQ(m.body().size(), 553u);
  EXPECT_EQ(m.content_type(), "multipart/mixed;boundary=7a9cbec02ceef655");
  EXPECT_TRUE(m.vias()[0].has_rport());
  EXPECT_EQ(m.vias()[0].port, 5070);
}

TEST(SipConformance, UnreasonKeepsTheUtf8Reason) {
  const Message m = parse_valid("rfc4475/unreason.dat");
  EXPECT_FALSE(m.is_request());
  EXPECT_EQ(m.status(), 200);
  EXPECT_TRUE(m.reason().starts_with("= 2**3 * 5**2 "));
  EXPECT_GT(m.reason().size(), 40u);
  EXPECT_EQ(m.body().size(), 154u);
}

TEST(SipConformance, NoreasonHasAnEmptyReason) {
  const Message m = parse_valid("rfc4475/noreason.dat");
  EXPECT_EQ(m.status(), 100);
  EXPECT_TRUE(m.reason().empty());
}

// ---- 3.1.2 invalid messages: the reason names the fault -----------------------------------

TEST(SipConformance, InvalidMessagesNameTheFault) {
  const std::pair<const char*, const char*> cases[] = {
      {"rfc4475/badinv01.dat", "Via"},         {"rfc4475/clerr.dat", "Content-Length"},
      {"rfc4475/ncl.dat", "Content-Length"},   {"rfc4475/scalar02.dat", "CSeq"},
      {"rfc4475/scalarlg.dat", "CSeq"},        {"rfc4475/quotbal.dat", "To"},
      {"rfc4475/ltgtruri.dat", "Request-URI"}, {"rfc4475/lwsruri.dat", "Request-URI"},
      {"rfc4475/mismatch01.dat", "CSeq"},      {"rfc4475/mismatch02.dat", "CSeq"},
      {"rfc4475/bigcode.dat", "Status-Code"},  {"rfc4475/multi01.dat", "Multiple"},
      {"rfc4475/mcl01.dat", "Content-Length"}, {"rfc4475/insuf.dat", "Missing"},
      {"rfc4475/regbadct.dat", "Contact"},     {"rfc4475/badaspec.dat", "To"},
      {"rfc4475/baddn.dat", "From"},           {"rfc5118/wire/ipv6-bad.dat", "Request-URI"},
  };
  for (const auto& [name, fault] : cases) {
    const ParseError error = parse_invalid(name);
    EXPECT_NE(error.reason.find(fault), std::string::npos) << name << ": " << error.reason;
    if (error.status == 400) {
      EXPECT_TRUE(error.reason.starts_with("Bad Request (")) << name << ": " << error.reason;
    }
  }
}

TEST(SipConformance, InsufNamesEveryMissingHeader) {
  EXPECT_EQ(parse_invalid("rfc4475/insuf.dat").reason, "Bad Request (Missing From, To, Call-ID)");
}

TEST(SipConformance, BadversIs505) {
  const ParseError error = parse_invalid("rfc4475/badvers.dat");
  EXPECT_EQ(error.status, 505);
  EXPECT_TRUE(error.is_request);
}

TEST(SipConformance, FailedRequestsEchoTheMatchingHeaders) {
  const ParseError error = parse_invalid("rfc4475/mismatch01.dat");
  EXPECT_EQ(error.echo_headers,
            "To: sip:j.user@example.com\r\n"
            "From: sip:caller@example.net;tag=34525\r\n"
            "Call-ID: mismatch01.dj0234sxdfl3\r\n"
            "CSeq: 8 INVITE\r\n"
            "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\r\n");
  // multi01 echoes every copy it found.
  const ParseError multi = parse_invalid("rfc4475/multi01.dat");
  EXPECT_NE(multi.echo_headers.find("Call-ID: multi01.98asdh@192.0.2.1\r\n"), std::string::npos);
  EXPECT_NE(multi.echo_headers.find("Call-ID: multi01.98asdh@192.0.2.2\r\n"), std::string::npos);
  EXPECT_EQ(multi.echo_headers.find("Contact"), std::string::npos);
}

// ---- 3.3 application layer: the facts the UA core needs -----------------------------------

TEST(SipConformance, UnknownSchemesParseAsAbsoluteUris) {
  const Message unkscm = parse_valid("rfc4475/unkscm.dat");
  EXPECT_EQ(unkscm.request_uri().scheme, Scheme::Other);
  EXPECT_EQ(unkscm.request_uri().scheme_text, "nobodyKnowsThisScheme");
  const Message novelsc = parse_valid("rfc4475/novelsc.dat");
  EXPECT_EQ(novelsc.request_uri().scheme, Scheme::Other);
  EXPECT_EQ(novelsc.request_uri().scheme_text, "soap.beep");
  const Message unksm2 = parse_valid("rfc4475/unksm2.dat");
  EXPECT_EQ(unksm2.to().uri.scheme_text, "isbn");
  EXPECT_EQ(unksm2.from().uri.scheme_text, "http");
  EXPECT_EQ(unksm2.from().tag(), "3234233");
  ASSERT_EQ(unksm2.contacts().size(), 1u);
  EXPECT_EQ(unksm2.contacts()[0].uri.text, "name:John_Smith");
}

TEST(SipConformance, ApplicationLevelFactsAreExposed) {
  const Message bext01 = parse_valid("rfc4475/bext01.dat");
  EXPECT_EQ(bext01.header_values(HeaderId::Require),
            (std::vector<std::string_view>{"nothingSupportsThis", "nothingSupportsThisEither"}));
  EXPECT_EQ(bext01.header_values(HeaderId::ProxyRequire).size(), 2u);
  EXPECT_EQ(parse_valid("rfc4475/invut.dat").content_type(), "application/unknownformat");
  EXPECT_EQ(parse_valid("rfc4475/regaut01.dat").header(HeaderId::Authorization),
            "NoOneKnowsThisScheme opaque-data=here");
  EXPECT_EQ(parse_valid("rfc4475/zeromf.dat").max_forwards(), 0u);
  EXPECT_EQ(parse_valid("rfc4475/sdp01.dat").header(HeaderId::Accept), "text/nobodyKnowsThis");
  const Message bcast = parse_valid("rfc4475/bcast.dat");
  ASSERT_EQ(bcast.vias().size(), 2u);
  EXPECT_EQ(bcast.vias()[1].host, "255.255.255.255");
  const Message badbranch = parse_valid("rfc4475/badbranch.dat");
  EXPECT_EQ(badbranch.vias()[0].branch(), "z9hG4bK");
  const Message escruri = parse_valid("rfc4475/escruri.dat");
  EXPECT_EQ(escruri.request_uri().headers, "Route=%3Csip:example.com%3E");
  EXPECT_TRUE(escruri.routes().empty());
}

TEST(SipConformance, ContactParamsDependOnAngleBrackets) {
  const Message cparam01 = parse_valid("rfc4475/cparam01.dat");
  ASSERT_EQ(cparam01.contacts().size(), 1u);
  EXPECT_TRUE(find_param(cparam01.contacts()[0].params, "unknownparam").has_value());
  EXPECT_FALSE(cparam01.contacts()[0].uri.param("unknownparam").has_value());
  EXPECT_EQ(cparam01.contacts()[0].uri.user, "+19725552222");
  const Message cparam02 = parse_valid("rfc4475/cparam02.dat");
  ASSERT_EQ(cparam02.contacts().size(), 1u);
  EXPECT_TRUE(cparam02.contacts()[0].uri.param("unknownparam").has_value());
  EXPECT_TRUE(cparam02.contacts()[0].params.empty());
}

TEST(SipConformance, RegescrtKeepsTheEscapedHeader) {
  const Message m = parse_valid("rfc4475/regescrt.dat");
  ASSERT_EQ(m.contacts().size(), 1u);  // "M:" compact form
  EXPECT_EQ(m.contacts()[0].uri.headers, "Route=%3Csip:sip.example.com%3E");
  EXPECT_EQ(m.contacts()[0].uri.text, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  EXPECT_TRUE(m.routes().empty());
}

TEST(SipConformance, Inv2543IsAccepted) {
  const Message m = parse_valid("rfc4475/inv2543.dat");
  EXPECT_FALSE(m.max_forwards().has_value());
  EXPECT_FALSE(m.vias()[0].branch().has_value());
  EXPECT_FALSE(m.from().tag().has_value());
  EXPECT_TRUE(m.contacts().empty());
  EXPECT_TRUE(m.body().starts_with("v=0"));  // no Content-Length: rest of the datagram
  ASSERT_EQ(m.record_routes().size(), 1u);
  EXPECT_EQ(m.record_routes()[0].uri.param("maddr"), "ss1.example.com");
}

// ---- RFC 5118 -------------------------------------------------------------------------

TEST(SipConformance, Ipv6References) {
  for (const char* dir : {"rfc5118/wire/", "rfc5118/archive/"}) {
    const std::string base = dir;
    const Message good = parse_valid(base + "ipv6-good.dat");
    EXPECT_EQ(good.request_uri().host, "[2001:db8::10]");
    EXPECT_EQ(good.request_uri().port, 0);
    EXPECT_EQ(good.vias()[0].host, "[2001:db8::9:1]");
    EXPECT_EQ(good.contacts()[0].uri.host, "[2001:db8::1]");

    const Message ambiguous = parse_valid(base + "port-ambiguous.dat");
    EXPECT_EQ(ambiguous.request_uri().host, "[2001:db8::10:5070]");
    EXPECT_EQ(ambiguous.request_uri().port, 0);

    const Message unambiguous = parse_valid(base + "port-unambiguous.dat");
    EXPECT_EQ(unambiguous.request_uri().host, "[2001:db8::10]");
    EXPECT_EQ(unambiguous.request_uri().port, 5070);

    EXPECT_EQ(parse_valid(base + "via-received-param-with-delim.dat").vias()[0].received(),
              "[2001:db8::9:255]");
    EXPECT_EQ(parse_valid(base + "via-received-param-no-delim.dat").vias()[0].received(),
              "2001:db8::9:255");

    const Message mixed = parse_valid(base + "mult-ip-in-header.dat");
    ASSERT_EQ(mixed.vias().size(), 3u);
    EXPECT_EQ(mixed.vias()[0].port, 6050);
    EXPECT_EQ(mixed.vias()[1].host, "192.0.2.1");
    EXPECT_EQ(mixed.vias()[2].received(), "192.0.2.200");

    const Message mapped = parse_valid(base + "ipv4-mapped-ipv6.dat");
    EXPECT_EQ(mapped.vias()[0].host, "[::ffff:192.0.2.10]");
    EXPECT_EQ(mapped.vias()[0].port, 19823);
    EXPECT_EQ(mapped.contacts()[0].uri.host, "[::ffff:192.0.2.2]");

    EXPECT_EQ(parse_valid(base + "ipv6-bug-abnf-3-colons.dat").request_uri().host,
              "[2001:db8:::192.0.2.1]");
    EXPECT_EQ(parse_valid(base + "ipv6-correct-abnf-2-colons.dat").request_uri().host,
              "[2001:db8::192.0.2.1]");
  }
  const Message sdp = parse_valid("rfc5118/wire/ipv6-in-sdp.dat");
  EXPECT_NE(sdp.body().find("IN IP6 2001:db8::20"), std::string_view::npos);
  EXPECT_EQ(parse_valid("rfc5118/wire/mult-ip-in-sdp.dat").body().size(), 189u);
}

// ---- Round trip: parse -> rebuild -> parse keeps the meaning ------------------------------

std::string rebuild(const Message& m) {
  MessageBuilder builder = m.is_request()
                               ? MessageBuilder::request(m.method_text(), m.request_uri().text)
                               : MessageBuilder::response(m.status(), m.reason());
  for (const HeaderField& field : m.headers()) {
    if (field.id == HeaderId::ContentType) continue;
    builder.header(field.name, field.value);
  }
  if (!m.content_type().empty() || !m.body().empty()) builder.body(m.content_type(), m.body());
  return builder.build();
}

TEST(SipConformance, ValidMessagesRoundTrip) {
  for (const auto& [name, expected] : expected_outcomes()) {
    if (expected.status != 0) continue;
    auto first = Message::parse(conformance_message(name));
    ASSERT_TRUE(first.has_value()) << name;
    const std::string text = rebuild(*first);
    auto second = Message::parse(text);
    ASSERT_TRUE(second.has_value()) << name << ": " << second.error().reason << "\n" << text;
    const Message& a = *first;
    const Message& b = *second;
    EXPECT_EQ(a.method_text(), b.method_text()) << name;
    EXPECT_EQ(a.request_uri().text, b.request_uri().text) << name;
    EXPECT_EQ(a.status(), b.status()) << name;
    if (!a.reason().empty()) {  // an empty reason rebuilds as the default ("Trying")
      EXPECT_EQ(a.reason(), b.reason()) << name;
    }
    EXPECT_EQ(a.call_id(), b.call_id()) << name;
    EXPECT_EQ(a.cseq().number, b.cseq().number) << name;
    EXPECT_EQ(a.cseq().method_text, b.cseq().method_text) << name;
    EXPECT_EQ(a.from().uri.text, b.from().uri.text) << name;
    EXPECT_EQ(a.from().tag(), b.from().tag()) << name;
    EXPECT_EQ(a.to().uri.text, b.to().uri.text) << name;
    EXPECT_EQ(a.to().tag(), b.to().tag()) << name;
    ASSERT_EQ(a.vias().size(), b.vias().size()) << name;
    for (std::size_t i = 0; i < a.vias().size(); ++i) {
      EXPECT_EQ(a.vias()[i].host, b.vias()[i].host) << name;
      EXPECT_EQ(a.vias()[i].branch(), b.vias()[i].branch()) << name;
    }
    EXPECT_EQ(a.contacts().size(), b.contacts().size()) << name;
    EXPECT_EQ(a.max_forwards(), b.max_forwards()) << name;
    EXPECT_EQ(a.content_type(), b.content_type()) << name;
    EXPECT_EQ(a.body(), b.body()) << name;
    // The rebuilt message always has a Content-Length (inv2543 had none).
    const auto without_length = [](const Message& m) {
      return m.headers().size() - m.all_headers("Content-Length").size();
    };
    EXPECT_EQ(without_length(a), without_length(b)) << name;
  }
}

}  // namespace
}  // namespace kefu::sip
