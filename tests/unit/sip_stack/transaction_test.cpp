// RFC 3261 §17 transaction timers, one by one, against a hand-driven peer on the loopback
// network with the virtual clock (T1 = 500 ms, T2 = 4 s, T4 = 5 s). Timer C is a proxy
// timer and does not apply to a UA; L and M are RFC 6026's.
#include "test_support.hpp"

namespace kefu::sip::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kNode = "10.0.0.1:5060";

class TransactionTest : public ::testing::Test {
 protected:
  void run(Duration duration) { clock.advance(duration); }

  RequestText options() const {
    RequestText request;
    request.method = "OPTIONS";
    request.contact.clear();
    return request;
  }
  RequestText invite() const {
    RequestText request;
    request.body = std::string(kOfferSdp);
    return request;
  }
  // The ACK a UAC sends for a non-2xx final (§17.1.1.3).
  std::string ack_for(const RequestText& invite_request, const Message& response) const {
    RequestText ack = invite_request;
    ack.method = "ACK";
    ack.to = std::string(response.header(HeaderId::To).value());
    ack.body.clear();
    ack.contact.clear();
    return ack.build();
  }
  OutgoingRequest options_to_peer() const {
    OutgoingRequest request;
    request.method = Method::Options;
    request.target = "sip:peer@10.0.0.9:5060";
    request.from = "sip:kefu@10.0.0.1";
    return request;
  }

  VirtualClock clock;
  LoopbackNetwork network{clock};
  Node node{clock, network, kNode, 1};
  RawPeer peer{network, "10.0.0.9:5060"};
};

TEST_F(TransactionTest, NonInviteServerResendsItsResponseAndEndsWithTimerJ) {
  peer.send(kNode, options().build());
  run(5ms);
  EXPECT_EQ(peer.count_responses(200, Method::Options), 1u);
  EXPECT_EQ(node.ua.transactions().server_count(), 1u);

  peer.send(kNode, options().build());  // retransmission: absorbed, same answer again
  run(5ms);
  EXPECT_EQ(peer.count_responses(200, Method::Options), 2u);

  run(64 * 500ms - 20ms);  // Timer J = 64*T1 after the response (sent at 1 ms)
  EXPECT_EQ(node.ua.transactions().server_count(), 1u);
  run(20ms);
  EXPECT_EQ(node.ua.transactions().server_count(), 0u);
}

TEST_F(TransactionTest, InviteServerRetransmitsFinalWithTimerGAndGivesUpWithTimerH) {
  node.on_incoming = [](InviteSession call) { EXPECT_EQ(call.reject(486), SessionStatus::Ok); };
  peer.send(kNode, invite().build());
  run(5ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 1u);
  // Timer G: T1, 2*T1, 4*T1, then capped at T2.
  run(500ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 2u);
  run(1000ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 3u);
  run(2000ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 4u);
  run(4000ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 5u);
  run(4000ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 6u);
  // Timer H at 64*T1: five more retransmissions (15.5 s ... 31.5 s), then nothing.
  run(32s - 11505ms + 10ms);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 11u);
  EXPECT_EQ(node.ua.transactions().server_count(), 0u);
  run(10s);
  EXPECT_EQ(peer.count_responses(486, Method::Invite), 11u);
}

TEST_F(TransactionTest, AckStopsTimerGAndTimerIEndsTheTransaction) {
  node.on_incoming = [](InviteSession call) { EXPECT_EQ(call.reject(603), SessionStatus::Ok); };
  const RequestText request = invite();
  peer.send(kNode, request.build());
  run(5ms);
  const Message* rejected = peer.last_response_with(603, Method::Invite);
  ASSERT_NE(rejected, nullptr);
  peer.send(kNode, ack_for(request, *rejected));
  run(5ms);
  peer.send(kNode, ack_for(request, *rejected));  // a retransmitted ACK is absorbed too
  run(2s);
  EXPECT_EQ(peer.count_responses(603, Method::Invite), 1u);
  EXPECT_EQ(node.ua.transactions().server_count(), 1u);  // Confirmed, Timer I = T4
  run(3s + 10ms);
  EXPECT_EQ(node.ua.transactions().server_count(), 0u);
}

TEST_F(TransactionTest, InviteServerSends100TryingAfter200msAndOnRetransmission) {
  peer.send(kNode, invite().build());
  run(150ms);
  EXPECT_EQ(peer.count_responses(100, Method::Invite), 0u);
  run(100ms);
  EXPECT_EQ(peer.count_responses(100, Method::Invite), 1u);
  peer.send(kNode, invite().build());
  run(5ms);
  EXPECT_EQ(peer.count_responses(100, Method::Invite), 2u);
  EXPECT_EQ(node.incoming.size(), 1u);
}

TEST_F(TransactionTest, ZeroTryingDelaySends100AtOnce) {
  UserAgentConfig config;
  config.timers.trying_delay = Duration::zero();
  Node immediate(clock, network, "10.0.0.3:5060", 3, TransportKind::Udp, config);
  peer.send("10.0.0.3:5060", invite().build());
  run(5ms);
  EXPECT_EQ(peer.count_responses(100, Method::Invite), 1u);
}

TEST_F(TransactionTest, AcceptedStateAbsorbsInviteRetransmissionsUntilTimerL) {
  node.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  const RequestText request = invite();
  peer.send(kNode, request.build());
  run(5ms);
  const Message* ok = peer.last_response_with(200, Method::Invite);
  ASSERT_NE(ok, nullptr);
  peer.send(kNode, request.build());  // the INVITE again, after the 2xx
  run(5ms);
  EXPECT_EQ(node.incoming.size(), 1u);
  RequestText ack = request;
  ack.method = "ACK";
  ack.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKack2xx";  // ACK for 2xx: new branch
  ack.to = std::string(ok->header(HeaderId::To).value());
  ack.body.clear();
  peer.send(kNode, ack.build());
  run(5ms);
  EXPECT_EQ(node.incoming.front().state(), SessionState::Confirmed);
  EXPECT_EQ(node.ua.transactions().server_count(), 1u);
  run(32s);  // Timer L = 64*T1
  EXPECT_EQ(node.ua.transactions().server_count(), 0u);
  EXPECT_EQ(node.incoming.front().state(), SessionState::Confirmed);
}

TEST_F(TransactionTest, NonInviteClientRetransmitsWithTimerEAndTimesOutWithTimerF) {
  std::vector<int> statuses;
  ASSERT_FALSE(node.ua.send_request(options_to_peer(), [&](const ClientResponse& response) {
    statuses.push_back(response.status);
  }));
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Options), 1u);
  run(500ms);
  EXPECT_EQ(peer.count_requests(Method::Options), 2u);
  run(1000ms);
  EXPECT_EQ(peer.count_requests(Method::Options), 3u);
  run(2000ms);
  EXPECT_EQ(peer.count_requests(Method::Options), 4u);
  run(4000ms);
  EXPECT_EQ(peer.count_requests(Method::Options), 5u);
  run(4000ms);  // capped at T2
  EXPECT_EQ(peer.count_requests(Method::Options), 6u);
  EXPECT_TRUE(statuses.empty());
  run(32s - 11505ms + 10ms);  // Timer F = 64*T1
  EXPECT_EQ(peer.count_requests(Method::Options), 11u);
  EXPECT_EQ(statuses, (std::vector<int>{408}));
  EXPECT_EQ(node.ua.transactions().client_count(), 0u);
}

TEST_F(TransactionTest, NonInviteClientRetransmitsAtT2WhenProceedingAndEndsWithTimerK) {
  std::vector<int> statuses;
  ASSERT_FALSE(node.ua.send_request(options_to_peer(), [&](const ClientResponse& response) {
    statuses.push_back(response.status);
  }));
  run(5ms);
  const Message* request = peer.last_request(Method::Options);
  ASSERT_NE(request, nullptr);
  peer.send(kNode, response_text(*request, 100, {}));
  run(5ms);
  EXPECT_EQ(statuses, (std::vector<int>{100}));
  run(600ms - 10ms);  // the retransmission armed before the 100 (at T1)
  EXPECT_EQ(peer.count_requests(Method::Options), 2u);
  run(3800ms);  // then every T2
  EXPECT_EQ(peer.count_requests(Method::Options), 2u);
  run(200ms);
  EXPECT_EQ(peer.count_requests(Method::Options), 3u);

  peer.send(kNode, response_text(*request, 200, "peer-tag"));
  run(5ms);
  peer.send(kNode, response_text(*request, 200, "peer-tag"));  // absorbed in Completed
  run(5ms);
  EXPECT_EQ(statuses, (std::vector<int>{100, 200}));
  EXPECT_EQ(node.ua.transactions().client_count(), 1u);  // Timer K = T4
  run(5s);
  EXPECT_EQ(node.ua.transactions().client_count(), 0u);
  EXPECT_EQ(peer.count_requests(Method::Options), 3u);
}

TEST_F(TransactionTest, InviteClientRetransmitsWithTimerAAndTimesOutWithTimerB) {
  InviteSession call = node.call("sip:peer@10.0.0.9:5060");
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Invite), 1u);
  // Timer A doubles without a cap: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
  run(7600ms);
  EXPECT_EQ(peer.count_requests(Method::Invite), 5u);
  run(32s - 7605ms - 10ms);
  EXPECT_EQ(peer.count_requests(Method::Invite), 7u);
  EXPECT_EQ(node.count<session_event::Terminated>(call), 0u);
  run(20ms);  // Timer B = 64*T1
  const auto* end = node.last<session_event::Terminated>(call);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, EndReason::Timeout);
  EXPECT_EQ(end->status, 408);
  EXPECT_EQ(node.ua.session_count(), 0u);
}

TEST_F(TransactionTest, InviteClientAcksNonSuccessAndRepeatsTheAckDuringTimerD) {
  InviteSession call = node.call("sip:peer@10.0.0.9:5060");
  run(5ms);
  const Message* request = peer.last_request(Method::Invite);
  ASSERT_NE(request, nullptr);
  const std::string busy = response_text(*request, 486, "callee-tag");
  peer.send(kNode, busy);
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Ack), 1u);
  const Message* ack = peer.last_request(Method::Ack);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->vias().front().branch(), request->vias().front().branch());
  EXPECT_EQ(ack->to().tag(), std::optional<std::string_view>("callee-tag"));
  const auto* end = node.last<session_event::Terminated>(call);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, EndReason::Rejected);
  EXPECT_EQ(end->status, 486);

  peer.send(kNode, busy);  // our ACK was "lost": the response comes again
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Ack), 2u);
  EXPECT_EQ(node.count<session_event::Terminated>(call), 1u);
  EXPECT_EQ(node.ua.transactions().client_count(), 1u);
  run(32s);  // Timer D
  EXPECT_EQ(node.ua.transactions().client_count(), 0u);
  EXPECT_EQ(peer.count_requests(Method::Invite), 1u);
}

TEST_F(TransactionTest, InviteClientPassesRetransmitted2xxInAcceptedAndAfterTimerM) {
  InviteSession call = node.call("sip:peer@10.0.0.9:5060");
  run(5ms);
  const Message* request = peer.last_request(Method::Invite);
  ASSERT_NE(request, nullptr);
  const std::string ok = response_text(*request, 200, "callee-tag", kAnswerSdp);
  peer.send(kNode, ok);
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Ack), 1u);
  const auto* answered = node.last<session_event::Answered>(call);
  ASSERT_NE(answered, nullptr);
  EXPECT_EQ(answered->sdp, kAnswerSdp);

  peer.send(kNode, ok);  // Accepted: the session re-sends its ACK
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Ack), 2u);
  run(32s);  // Timer M
  EXPECT_EQ(node.ua.transactions().client_count(), 0u);
  peer.send(kNode, ok);  // no transaction any more: the dialog still answers with the ACK
  run(5ms);
  EXPECT_EQ(peer.count_requests(Method::Ack), 3u);
  EXPECT_EQ(node.count<session_event::Answered>(call), 1u);
  EXPECT_EQ(call.state(), SessionState::Confirmed);
}

TEST(ReliableTransaction, NoRetransmissionsAndNoWaitingStatesOverTcp) {
  VirtualClock clock;
  LoopbackNetwork network(clock);
  Node node(clock, network, kNode, 1, TransportKind::Tcp);
  RawPeer peer(network, "10.0.0.9:5060", TransportKind::Tcp);

  RequestText request;
  request.method = "OPTIONS";
  request.via = "SIP/2.0/TCP 10.0.0.9:5060;branch=z9hG4bKtcp1";
  peer.send(kNode, request.build());
  clock.advance(5ms);
  EXPECT_EQ(peer.count_responses(200, Method::Options), 1u);
  EXPECT_EQ(node.ua.transactions().server_count(), 0u);  // Timer J = 0

  std::vector<int> statuses;
  OutgoingRequest ping;
  ping.method = Method::Options;
  ping.target = "sip:peer@10.0.0.9:5060;transport=tcp";
  ping.from = "sip:kefu@10.0.0.1";
  ASSERT_FALSE(node.ua.send_request(
      ping, [&](const ClientResponse& response) { statuses.push_back(response.status); }));
  clock.advance(31s);
  EXPECT_EQ(peer.count_requests(Method::Options), 1u);  // no Timer E
  const Message* received = peer.last_request(Method::Options);
  ASSERT_NE(received, nullptr);
  EXPECT_EQ(received->vias().front().transport, "TCP");
  peer.send(kNode, response_text(*received, 200, "t"));
  clock.advance(5ms);
  EXPECT_EQ(statuses, (std::vector<int>{200}));
  EXPECT_EQ(node.ua.transactions().client_count(), 0u);  // Timer K = 0
}

}  // namespace
}  // namespace kefu::sip::testing
