// MessageBuilder and default_reason (RFC 3261 §8.2.6, §21).
#include <gtest/gtest.h>

#include "conformance_files.hpp"
#include "sip/message.hpp"

namespace kefu::sip {
namespace {

Message parse_ok(const std::string& text) {
  auto result = Message::parse(text);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().reason) << "\n" << text;
  if (!result) std::abort();
  return std::move(result).value();
}

const char* const kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2;received=192.0.2.3, "
    "SIP/2.0/UDP alice.example.com;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/TCP origin.example.com;branch=z9hG4bK0\r\n"
    "Max-Forwards: 69\r\n"
    "Record-Route: <sip:proxy.example.com;lr>\r\n"
    "Record-Route: <sip:edge.example.com;lr>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Timestamp: 54\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(SipBuilder, RequestWithBody) {
  const std::string text = MessageBuilder::request(Method::Message, "sip:bob@example.com")
                               .header("Via", "SIP/2.0/TCP h.example;branch=z9hG4bKx")
                               .header("From", "<sip:a@example.com>;tag=9")
                               .header("To", "<sip:bob@example.com>")
                               .header("Call-ID", "m1")
                               .header("CSeq", "1 MESSAGE")
                               .header("Content-Length", "999")  // ignored: build() writes it
                               .body("text/plain", "hello")
                               .build();
  EXPECT_TRUE(text.starts_with("MESSAGE sip:bob@example.com SIP/2.0\r\nVia: "));
  EXPECT_TRUE(text.ends_with("Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"));
  EXPECT_EQ(text.find("999"), std::string::npos);
  const Message m = parse_ok(text);
  EXPECT_EQ(m.method(), Method::Message);
  EXPECT_EQ(m.body(), "hello");
  EXPECT_EQ(m.content_type(), "text/plain");
}

TEST(SipBuilder, ContentLengthIsAlwaysWritten) {
  const std::string text = MessageBuilder::request("OPTIONS", "sip:x@example.com").build();
  EXPECT_EQ(text, "OPTIONS sip:x@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(MessageBuilder::response(200).build(), "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST(SipBuilder, ResponseReasons) {
  EXPECT_TRUE(MessageBuilder::response(486).build().starts_with("SIP/2.0 486 Busy Here\r\n"));
  EXPECT_TRUE(MessageBuilder::response(200, "Fine").build().starts_with("SIP/2.0 200 Fine\r\n"));
  EXPECT_EQ(default_reason(100), "Trying");
  EXPECT_EQ(default_reason(180), "Ringing");
  EXPECT_EQ(default_reason(400), "Bad Request");
  EXPECT_EQ(default_reason(481), "Call/Transaction Does Not Exist");
  EXPECT_EQ(default_reason(505), "Version Not Supported");
  EXPECT_EQ(default_reason(603), "Decline");
  EXPECT_EQ(default_reason(299), "Success");
  EXPECT_EQ(default_reason(499), "Client Error");
  EXPECT_EQ(default_reason(599), "Server Error");
  EXPECT_EQ(default_reason(699), "Global Failure");
}

TEST(SipBuilder, ResponseToCopiesTheMatchingHeaders) {
  const Message invite = parse_ok(kInvite);
  const Message ok = parse_ok(MessageBuilder::response_to(invite, 200, {}, "as83kd9bs")
                                  .body("application/sdp", "v=0\r\n")
                                  .build());
  EXPECT_EQ(ok.status(), 200);
  EXPECT_EQ(ok.reason(), "OK");
  ASSERT_EQ(ok.vias().size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(ok.vias()[i].text, invite.vias()[i].text);
  EXPECT_EQ(ok.vias()[0].received(), "192.0.2.3");
  EXPECT_EQ(ok.from().text, invite.from().text);
  EXPECT_EQ(ok.to().tag(), "as83kd9bs");
  EXPECT_EQ(ok.to().uri.text, invite.to().uri.text);
  EXPECT_EQ(ok.call_id(), invite.call_id());
  EXPECT_EQ(ok.cseq().number, 314159u);
  EXPECT_EQ(ok.cseq().method, Method::Invite);
  ASSERT_EQ(ok.record_routes().size(), 2u);
  EXPECT_EQ(ok.record_routes()[0].uri.host, "proxy.example.com");
  EXPECT_EQ(ok.record_routes()[1].uri.host, "edge.example.com");
  EXPECT_TRUE(ok.contacts().empty());    // the UAS adds its own
  EXPECT_FALSE(ok.header("Timestamp"));  // only 100 echoes it
  EXPECT_EQ(ok.body(), "v=0\r\n");
}

TEST(SipBuilder, ResponseToProvisionalsAndFailures) {
  const Message invite = parse_ok(kInvite);
  const Message trying = parse_ok(MessageBuilder::response_to(invite, 100).build());
  EXPECT_EQ(trying.reason(), "Trying");
  EXPECT_FALSE(trying.to().tag());
  EXPECT_EQ(trying.header("Timestamp"), "54");
  const Message ringing = parse_ok(MessageBuilder::response_to(invite, 180, {}, "t1").build());
  EXPECT_EQ(ringing.record_routes().size(), 2u);
  EXPECT_EQ(ringing.to().tag(), "t1");
  const Message busy = parse_ok(MessageBuilder::response_to(invite, 486, "Busy", "t1").build());
  EXPECT_EQ(busy.reason(), "Busy");
  EXPECT_TRUE(busy.record_routes().empty());
  EXPECT_EQ(busy.to().tag(), "t1");
}

TEST(SipBuilder, ResponseToKeepsAnExistingToTag) {
  const std::string in_dialog =
      std::string(kInvite).replace(std::string(kInvite).find("<sip:bob@biloxi.example.com>\r\n"),
                                   30, "<sip:bob@biloxi.example.com>;tag=existing\r\n");
  const Message request = parse_ok(in_dialog);
  const Message response = parse_ok(MessageBuilder::response_to(request, 200, {}, "new").build());
  EXPECT_EQ(response.to().tag(), "existing");
  EXPECT_EQ(response.all_headers("To").size(), 1u);
}

TEST(SipBuilder, ResponseToTortureRequestsIsClean) {
  // wsinv: folded, odd-cased, compact headers come back as plain canonical lines.
  const Message wsinv = parse_ok(testing::conformance_message("rfc4475/wsinv.dat"));
  const std::string text = MessageBuilder::response_to(wsinv, 200, {}, "x").build();
  const Message response = parse_ok(text);
  EXPECT_NE(text.find("\r\nCSeq: 9 INVITE\r\n"), std::string::npos) << text;
  EXPECT_EQ(response.vias().size(), 3u);
  EXPECT_EQ(response.from().tag(), "98asjd8");
  EXPECT_EQ(response.to().tag(), "1918181833n");  // already tagged
  EXPECT_EQ(response.call_id(), wsinv.call_id());
}

}  // namespace
}  // namespace kefu::sip
