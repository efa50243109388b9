// UA core: checks on new requests (RFC 3261 §8.2, RFC 4475 §3.3 using the torture messages),
// 481/482, OPTIONS, REGISTER hook, malformed input, received/rport and counters.
#include "test_support.hpp"

namespace kefu::sip::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kNode = "10.0.0.1:5060";

class UaCoreTest : public ::testing::Test {
 protected:
  // Sends `bytes` from the peer and returns the status of the last response it got.
  // Read from the status line: answers to broken requests may not parse themselves
  // (they echo the broken headers).
  int answer_to(std::string bytes) {
    peer.messages.clear();
    peer.raw.clear();
    peer.send(kNode, std::move(bytes));
    clock.advance(5ms);
    for (auto it = peer.raw.rbegin(); it != peer.raw.rend(); ++it) {
      if (it->starts_with("SIP/2.0 ") && it->size() > 11) return std::stoi(it->substr(8, 3));
    }
    return 0;
  }
  const Message* last_response() const {
    for (auto it = peer.messages.rbegin(); it != peer.messages.rend(); ++it) {
      if (!it->is_request()) return &*it;
    }
    return nullptr;
  }

  VirtualClock clock;
  LoopbackNetwork network{clock};
  Node node{clock, network, kNode, 1};
  RawPeer peer{network, "10.0.0.9:5060"};
};

struct TortureCase {
  const char* file;
  std::vector<int> accepted;  // any of these
};

class Rfc4475Test : public UaCoreTest, public ::testing::WithParamInterface<TortureCase> {};

TEST_P(Rfc4475Test, AnswersWithTheExpectedCode) {
  const TortureCase& test = GetParam();
  const int status = answer_to(conformance_file(std::string("rfc4475/") + test.file));
  EXPECT_TRUE(std::find(test.accepted.begin(), test.accepted.end(), status) != test.accepted.end())
      << test.file << " got " << status;
  EXPECT_TRUE(node.incoming.empty()) << "no call must reach the application";
  // The element keeps serving.
  RequestText options;
  options.method = "OPTIONS";
  options.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKafter";
  EXPECT_EQ(answer_to(options.build()), 200);
}

INSTANTIATE_TEST_SUITE_P(
    UaCore, Rfc4475Test,
    ::testing::Values(TortureCase{"unkscm.dat", {416}}, TortureCase{"novelsc.dat", {416}},
                      TortureCase{"bext01.dat", {420}}, TortureCase{"invut.dat", {415}},
                      TortureCase{"sdp01.dat", {406}}, TortureCase{"mismatch02.dat", {501, 400}},
                      TortureCase{"intmeth.dat", {501}}, TortureCase{"esc02.dat", {501}},
                      TortureCase{"zeromf.dat", {200}}, TortureCase{"badbranch.dat", {200, 400}},
                      TortureCase{"badvers.dat", {505}}, TortureCase{"insuf.dat", {400}},
                      TortureCase{"unksm2.dat", {405, 400}}, TortureCase{"regaut01.dat", {405}}),
    [](const ::testing::TestParamInfo<TortureCase>& param_info) {
      std::string name = param_info.param.file;
      return name.substr(0, name.find('.'));
    });

TEST_F(UaCoreTest, ExtensionAndTypeErrorsCarryTheRequiredHeaders) {
  ASSERT_EQ(answer_to(conformance_file("rfc4475/bext01.dat")), 420);
  EXPECT_EQ(last_response()->header(HeaderId::Unsupported),
            std::optional<std::string_view>("nothingSupportsThis, nothingSupportsThisEither"));
  ASSERT_EQ(answer_to(conformance_file("rfc4475/invut.dat")), 415);
  EXPECT_EQ(last_response()->header(HeaderId::Accept),
            std::optional<std::string_view>("application/sdp"));
  ASSERT_EQ(answer_to(conformance_file("rfc4475/intmeth.dat")), 501);
  EXPECT_TRUE(last_response()->header(HeaderId::Allow).has_value());
}

TEST_F(UaCoreTest, BadBranchFallsBackToRfc2543MatchingForRetransmissions) {
  const std::string bytes = conformance_file("rfc4475/badbranch.dat");
  ASSERT_EQ(answer_to(bytes), 200);
  EXPECT_EQ(node.ua.transactions().server_count(), 1u);
  ASSERT_EQ(answer_to(bytes), 200);  // matched: re-sent, no second transaction
  EXPECT_EQ(node.ua.transactions().server_count(), 1u);
}

TEST_F(UaCoreTest, Rfc2543InviteIsAcceptedMatchedAndAcked) {
  node.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  const std::string invite = conformance_file("rfc4475/inv2543.dat");
  ASSERT_EQ(answer_to(invite), 200);
  ASSERT_EQ(node.incoming.size(), 1u);
  const Message* ok = last_response();
  const std::string to = std::string(ok->header(HeaderId::To).value());
  EXPECT_NE(to.find(";tag="), std::string::npos);
  EXPECT_EQ(answer_to(invite), 0);  // the retransmitted INVITE is absorbed (Accepted)
  EXPECT_EQ(node.incoming.size(), 1u);
  // An RFC 2543 ACK: same Via (no branch), To with our tag.
  std::string ack =
      "ACK sip:UserB@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP iftgw.example.com\r\n"
      "From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n"
      "To: " +
      to +
      "\r\n"
      "Call-ID: inv2543.1717@ift.client.example.com\r\n"
      "CSeq: 56 ACK\r\nContent-Length: 0\r\n\r\n";
  peer.send(kNode, ack);
  clock.advance(5ms);
  EXPECT_EQ(node.incoming.front().state(), SessionState::Confirmed);
  EXPECT_EQ(node.count<session_event::Confirmed>(node.incoming.front()), 1u);
}

TEST_F(UaCoreTest, MalformedRequestIsAnsweredFromItsEchoedHeadersAndResponsesDropped) {
  std::string broken =
      "INVITE sip:ivr@10.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKbroken\r\n"
      "From: <sip:a@10.0.0.9>;tag=1\r\nTo: <sip:ivr@10.0.0.1>\r\nCall-ID: broken-1\r\n"
      "CSeq: notanumber INVITE\r\nContent-Length: 0\r\n\r\n";
  peer.send(kNode, broken);
  clock.advance(5ms);
  // The echoed CSeq is as broken as the request's, so the answer is checked as text.
  ASSERT_EQ(peer.raw.size(), 1u);
  EXPECT_TRUE(peer.raw.back().starts_with("SIP/2.0 400 ")) << peer.raw.back();
  EXPECT_NE(peer.raw.back().find("Call-ID: broken-1\r\n"), std::string::npos);
  EXPECT_NE(peer.raw.back().find("branch=z9hG4bKbroken"), std::string::npos);
  EXPECT_EQ(node.ua.counters().malformed(TransportKind::Udp), 1u);

  EXPECT_EQ(answer_to(conformance_file("rfc4475/bigcode.dat")), 0);
  EXPECT_EQ(answer_to(conformance_file("rfc4475/scalarlg.dat")), 0);
  EXPECT_TRUE(peer.messages.empty());
  EXPECT_EQ(node.ua.counters().malformed(TransportKind::Udp), 3u);
}

TEST_F(UaCoreTest, UnknownDialogAndUnmatchedCancelGet481) {
  RequestText bye;
  bye.method = "BYE";
  bye.to = "<sip:ivr@10.0.0.1>;tag=nosuchdialog";
  bye.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKbye1";
  EXPECT_EQ(answer_to(bye.build()), 481);

  RequestText info;  // a dialog-only method without a To tag
  info.method = "INFO";
  info.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKinfo1";
  EXPECT_EQ(answer_to(info.build()), 481);

  RequestText cancel;
  cancel.method = "CANCEL";
  cancel.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKnoinvite";
  cancel.contact.clear();
  EXPECT_EQ(answer_to(cancel.build()), 481);
}

TEST_F(UaCoreTest, MergedRequestGets482) {
  RequestText first;
  first.body = std::string(kOfferSdp);
  peer.send(kNode, first.build());
  clock.advance(5ms);
  RequestText merged = first;  // same From tag, Call-ID, CSeq; another branch (path)
  merged.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKotherpath";
  EXPECT_EQ(answer_to(merged.build()), 482);
  EXPECT_EQ(node.incoming.size(), 1u);
  EXPECT_EQ(node.incoming.front().state(), SessionState::Incoming);
}

TEST_F(UaCoreTest, OptionsListsCapabilities) {
  RequestText options;
  options.method = "OPTIONS";
  ASSERT_EQ(answer_to(options.build()), 200);
  const Message* ok = last_response();
  const std::string allow(ok->header(HeaderId::Allow).value_or(""));
  for (const char* method : {"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "UPDATE"}) {
    EXPECT_NE(allow.find(method), std::string::npos) << method;
  }
  EXPECT_EQ(allow.find("REGISTER"), std::string::npos);
  EXPECT_EQ(ok->header(HeaderId::Accept), std::optional<std::string_view>("application/sdp"));
  EXPECT_TRUE(ok->header(HeaderId::Supported).has_value());
  EXPECT_TRUE(ok->to().tag().has_value());
}

TEST_F(UaCoreTest, OtherMethodsGet405AndInvitesWithoutHandler480) {
  RequestText subscribe;
  subscribe.method = "SUBSCRIBE";
  EXPECT_EQ(answer_to(subscribe.build()), 405);
  EXPECT_TRUE(last_response()->header(HeaderId::Allow).has_value());

  node.ua.set_incoming_call_handler(nullptr);
  RequestText invite;
  invite.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKnohandler";
  invite.body = std::string(kOfferSdp);
  EXPECT_EQ(answer_to(invite.build()), 480);
}

class RecordingRegistrar final : public RegistrationHandler {
 public:
  void on_register(IncomingRequest request) override { pending.push_back(request); }
  std::vector<IncomingRequest> pending;
};

TEST_F(UaCoreTest, RegisterGoesToTheRegistrarHookOr405) {
  RequestText request;
  request.method = "REGISTER";
  request.uri = "sip:10.0.0.1";
  EXPECT_EQ(answer_to(request.build()), 405);

  RecordingRegistrar registrar;
  node.ua.set_registrar(&registrar);
  request.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKreg2";
  request.cseq = 2;
  EXPECT_EQ(answer_to(request.build()), 0);  // the registrar answers later (database)
  ASSERT_EQ(registrar.pending.size(), 1u);
  IncomingRequest pending = registrar.pending.front();
  ASSERT_NE(pending.request(), nullptr);
  EXPECT_EQ(pending.request()->method(), Method::Register);
  EXPECT_EQ(pending.source()->source, endpoint("10.0.0.9:5060"));
  clock.advance(1s);
  ResponseSpec ok;
  ok.headers = {{"Contact", "<sip:caller@10.0.0.9:5060>;expires=300"}};
  EXPECT_TRUE(pending.respond(ok));
  clock.advance(5ms);
  ASSERT_NE(last_response(), nullptr);
  EXPECT_EQ(last_response()->status(), 200);
  EXPECT_FALSE(pending.respond(ok));  // already answered
  clock.advance(40s);
  EXPECT_FALSE(pending.alive());
  EXPECT_EQ(pending.request(), nullptr);
}

TEST_F(UaCoreTest, ResponsesFollowRportAndReceived) {
  RawPeer behind_nat(network, "10.0.0.9:5070");
  RequestText request;
  request.method = "OPTIONS";
  // sent-by is a private address; rport asks for the source port.
  request.via = "SIP/2.0/UDP 192.168.1.20:5099;rport;branch=z9hG4bKnat1";
  behind_nat.send(kNode, request.build());
  clock.advance(5ms);
  ASSERT_EQ(behind_nat.count_responses(200, Method::Options), 1u);
  const Via& via = behind_nat.messages.back().vias().front();
  EXPECT_EQ(find_param(via.params, "rport"), std::optional<std::string_view>("5070"));
  EXPECT_EQ(via.received(), std::optional<std::string_view>("10.0.0.9"));

  // No rport: received= and the sent-by port (RFC 3261 §18.2.2).
  request.via = "SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKnat2";
  request.cseq = 2;
  behind_nat.send(kNode, request.build());
  clock.advance(5ms);
  ASSERT_EQ(peer.count_responses(200, Method::Options), 1u);  // 10.0.0.9:5060
  const Via& second = peer.messages.back().vias().front();
  EXPECT_EQ(second.received(), std::optional<std::string_view>("10.0.0.9"));
  EXPECT_FALSE(second.has_rport());
}

TEST_F(UaCoreTest, CountsMessagesPerMethodAndTransport) {
  RequestText options;
  options.method = "OPTIONS";
  ASSERT_EQ(answer_to(options.build()), 200);
  const TrafficCounters& counters = node.ua.counters();
  EXPECT_EQ(counters.messages(Direction::Received, TransportKind::Udp, MessageClass::Request,
                              Method::Options),
            1u);
  EXPECT_EQ(counters.messages(Direction::Sent, TransportKind::Udp, MessageClass::Response,
                              Method::Options),
            1u);
  std::uint64_t total = 0;
  counters.for_each(
      [&](Direction, TransportKind, MessageClass, Method, std::uint64_t value) { total += value; });
  EXPECT_EQ(total, 2u);
}

}  // namespace
}  // namespace kefu::sip::testing
