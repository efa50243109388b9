// Named races (STYLE.md #12) on the loopback network with fault injection and the virtual
// clock: CANCEL crossing 200, BYE during re-INVITE, re-INVITE glare, lost ACK, retransmitted
// INVITE, reordered ACK and re-INVITE.
#include "test_support.hpp"

namespace kefu::sip::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kBob = "sip:bob@10.0.0.2:5060";

bool is_request(const LoopbackPacket& packet, std::string_view method) {
  return packet.bytes.starts_with(std::string(method) + " ");
}
bool is_response(const LoopbackPacket& packet, int status, std::string_view cseq_method) {
  auto parsed = Message::parse(packet.bytes);
  return parsed && !parsed->is_request() && parsed->status() == status &&
         parsed->cseq().method_text == cseq_method;
}

class RaceTest : public ::testing::Test {
 protected:
  void run(Duration duration) { clock.advance(duration); }

  std::pair<InviteSession, InviteSession> establish() {
    bob.on_incoming = [](InviteSession call) {
      EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
    };
    InviteSession outgoing = alice.call(kBob);
    run(20ms);
    bob.on_incoming = nullptr;
    EXPECT_EQ(bob.incoming.size(), 1u);
    EXPECT_EQ(outgoing.state(), SessionState::Confirmed);
    return {outgoing, bob.incoming.empty() ? InviteSession{} : bob.incoming.back()};
  }
  std::size_t count_sent(const std::function<bool(const LoopbackPacket&)>& match) const {
    std::size_t n = 0;
    for (const LoopbackPacket& packet : network.sent()) n += match(packet) ? 1 : 0;
    return n;
  }

  VirtualClock clock;
  LoopbackNetwork network{clock};
  Node alice{clock, network, "10.0.0.1:5060", 1};
  Node bob{clock, network, "10.0.0.2:5060", 2};
};

TEST_F(RaceTest, CancelCrossing200BetweenTwoUserAgents) {
  bob.on_incoming = [](InviteSession call) { EXPECT_EQ(call.ring(180), SessionStatus::Ok); };
  InviteSession outgoing = alice.call(kBob);
  run(20ms);
  InviteSession incoming = bob.incoming.front();
  // Same instant: alice's CANCEL and bob's 200 cross on the wire.
  ASSERT_EQ(outgoing.hangup(), SessionStatus::Ok);
  ASSERT_EQ(incoming.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  run(50ms);
  // Bob: the CANCEL came too late (200 to it, no 487); the call was confirmed, then BYE.
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 200, "CANCEL"); }), 1u);
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 487, "INVITE"); }), 0u);
  EXPECT_EQ(bob.count<session_event::Confirmed>(incoming), 1u);
  ASSERT_NE(bob.last<session_event::Terminated>(incoming), nullptr);
  EXPECT_EQ(bob.last<session_event::Terminated>(incoming)->reason, EndReason::RemoteBye);
  // Alice: told once that her hangup ended it; the ACK + BYE were the stack's business.
  EXPECT_EQ(alice.count<session_event::Answered>(outgoing), 0u);
  EXPECT_EQ(alice.count<session_event::Terminated>(outgoing), 1u);
  EXPECT_EQ(alice.last<session_event::Terminated>(outgoing)->reason, EndReason::LocalHangup);
  EXPECT_EQ(count_sent([](auto& p) { return is_request(p, "ACK"); }), 1u);
  EXPECT_EQ(count_sent([](auto& p) { return is_request(p, "BYE"); }), 1u);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
}

TEST_F(RaceTest, CancelCrossing200AsUas) {
  RawPeer caller(network, "10.0.0.9:5060");
  bob.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  RequestText invite;
  invite.uri = std::string(kBob);
  invite.body = std::string(kOfferSdp);
  caller.send("10.0.0.2:5060", invite.build());
  run(5ms);
  const Message* ok = caller.last_response_with(200, Method::Invite);
  ASSERT_NE(ok, nullptr);
  const std::string to(ok->header(HeaderId::To).value());
  RequestText cancel = invite;  // sent before the 200 arrived: same branch, no To tag
  cancel.method = "CANCEL";
  cancel.body.clear();
  cancel.contact.clear();
  caller.send("10.0.0.2:5060", cancel.build());
  run(5ms);
  EXPECT_EQ(caller.count_responses(200, Method::Cancel), 1u);
  EXPECT_EQ(caller.count_responses(487, Method::Invite), 0u);
  RequestText ack = invite;
  ack.method = "ACK";
  ack.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKack";
  ack.to = to;
  ack.body.clear();
  caller.send("10.0.0.2:5060", ack.build());
  run(5ms);
  InviteSession incoming = bob.incoming.front();
  EXPECT_EQ(incoming.state(), SessionState::Confirmed);
  EXPECT_EQ(bob.count<session_event::Terminated>(incoming), 0u);
}

TEST_F(RaceTest, CancelCrossing200AsUac) {
  RawPeer callee(network, "10.0.0.9:5060");
  InviteSession outgoing = alice.call("sip:agent@10.0.0.9:5060");
  run(5ms);
  const Message* invite = callee.last_request(Method::Invite);
  ASSERT_NE(invite, nullptr);
  callee.send("10.0.0.1:5060", response_text(*invite, 180, "agent-tag"));
  run(5ms);
  ASSERT_EQ(outgoing.hangup(), SessionStatus::Ok);
  run(5ms);
  const Message* cancel = callee.last_request(Method::Cancel);
  ASSERT_NE(cancel, nullptr);
  // The agent answered before the CANCEL arrived.
  callee.send("10.0.0.1:5060", response_text(*invite, 200, "agent-tag", kAnswerSdp));
  callee.send("10.0.0.1:5060", response_text(*cancel, 200, "agent-tag"));
  run(5ms);
  EXPECT_EQ(callee.count_requests(Method::Ack), 1u);
  const Message* bye = callee.last_request(Method::Bye);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->to().tag(), std::optional<std::string_view>("agent-tag"));
  EXPECT_EQ(outgoing.state(), SessionState::Terminating);
  callee.send("10.0.0.1:5060", response_text(*bye, 200, {}));
  run(5ms);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(alice.count<session_event::Answered>(outgoing), 0u);
  ASSERT_EQ(alice.count<session_event::Terminated>(outgoing), 1u);
  EXPECT_EQ(alice.last<session_event::Terminated>(outgoing)->reason, EndReason::LocalHangup);
}

TEST_F(RaceTest, ByeWhileOurReinviteIsUnanswered) {
  auto [outgoing, incoming] = establish();
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  run(5ms);
  ASSERT_EQ(bob.count<session_event::OfferReceived>(incoming), 1u);  // bob's TU is thinking
  ASSERT_EQ(outgoing.hangup(), SessionStatus::Ok);                   // alice gives up
  run(20ms);
  // §15.1.2: bob answers the pending re-INVITE with 487 and the BYE with 200.
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 487, "INVITE"); }), 1u);
  EXPECT_EQ(bob.last<session_event::Terminated>(incoming)->reason, EndReason::RemoteBye);
  EXPECT_EQ(incoming.answer_offer(std::string(kAnswerSdp)), SessionStatus::Gone);
  EXPECT_EQ(alice.count<session_event::ReinviteResult>(outgoing), 0u);
  EXPECT_EQ(alice.last<session_event::Terminated>(outgoing)->reason, EndReason::LocalHangup);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
}

TEST_F(RaceTest, ByeCrossingAReinvite) {
  auto [outgoing, incoming] = establish();
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  ASSERT_EQ(incoming.hangup(), SessionStatus::Ok);  // same instant
  run(20ms);
  // Bob had already ended: the re-INVITE finds no dialog to change (481).
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 481, "INVITE"); }), 1u);
  EXPECT_EQ(bob.count<session_event::OfferReceived>(incoming), 0u);
  EXPECT_EQ(alice.last<session_event::Terminated>(outgoing)->reason, EndReason::RemoteBye);
  EXPECT_EQ(alice.count<session_event::ReinviteResult>(outgoing), 0u);
  run(1s);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
}

TEST_F(RaceTest, ReinviteGlareGets491AndBothRetryAfterTheirIntervals) {
  auto [outgoing, incoming] = establish();
  alice.auto_answer_offer = std::string(kOfferSdp);
  bob.auto_answer_offer = std::string(kAnswerSdp);
  std::map<std::string, TimePoint> finished;
  alice.on_event = [&](InviteSession, const SessionEvent& event) {
    if (std::holds_alternative<session_event::ReinviteResult>(event)) {
      finished["alice"] = clock.now();
    }
  };
  bob.on_event = [&](InviteSession, const SessionEvent& event) {
    if (std::holds_alternative<session_event::ReinviteResult>(event)) {
      finished["bob"] = clock.now();
    }
  };
  const TimePoint start = clock.now();
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  ASSERT_EQ(incoming.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  run(10ms);
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 491, "INVITE"); }), 2u);
  EXPECT_TRUE(finished.empty());
  run(5s);
  ASSERT_EQ(finished.size(), 2u);
  // §14.1: the Call-ID owner (alice, the dialog's UAC) waits 2.1-4 s, bob 0-2 s.
  EXPECT_LE(finished["bob"] - start, 2s + 20ms);
  EXPECT_GE(finished["alice"] - start, 2100ms);
  EXPECT_LE(finished["alice"] - start, 4s + 20ms);
  EXPECT_EQ(alice.last<session_event::ReinviteResult>(outgoing)->status, 200);
  EXPECT_EQ(bob.last<session_event::ReinviteResult>(incoming)->status, 200);
  EXPECT_EQ(bob.count<session_event::OfferReceived>(incoming), 1u);
  EXPECT_EQ(alice.count<session_event::OfferReceived>(outgoing), 1u);
}

TEST_F(RaceTest, LostAckIsRecoveredBy2xxRetransmission) {
  bool dropped_one = false;
  network.set_fault_filter([&](const LoopbackPacket& packet) {
    if (!dropped_one && is_request(packet, "ACK")) {
      dropped_one = true;
      return FaultDecision{FaultAction::Drop};
    }
    return FaultDecision{};
  });
  auto [outgoing, incoming] = establish();
  EXPECT_TRUE(dropped_one);
  EXPECT_EQ(incoming.state(), SessionState::Answering);
  run(600ms);  // bob re-sends the 200 at T1; alice ACKs it again
  EXPECT_EQ(incoming.state(), SessionState::Confirmed);
  EXPECT_EQ(bob.count<session_event::Confirmed>(incoming), 1u);
  EXPECT_EQ(alice.count<session_event::Answered>(outgoing), 1u);
  run(40s);
  EXPECT_EQ(incoming.state(), SessionState::Confirmed);
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 200, "INVITE"); }), 2u);
}

TEST_F(RaceTest, AckNeverArrivesSoTheUasSendsBye) {
  network.set_fault_filter([](const LoopbackPacket& packet) {
    return FaultDecision{is_request(packet, "ACK") ? FaultAction::Drop : FaultAction::Deliver};
  });
  bob.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  InviteSession outgoing = alice.call(kBob);
  run(20ms);
  InviteSession incoming = bob.incoming.front();
  EXPECT_EQ(outgoing.state(), SessionState::Confirmed);
  run(31900ms);
  EXPECT_EQ(incoming.state(), SessionState::Answering);
  // 2xx re-sent at 0.5, 1.5, 3.5, 7.5, then every T2 (4 s) up to 31.5 s: 10 + 1.
  EXPECT_EQ(count_sent([](auto& p) { return is_response(p, 200, "INVITE"); }), 11u);
  run(200ms);  // 64*T1
  ASSERT_NE(bob.last<session_event::Terminated>(incoming), nullptr);
  EXPECT_EQ(bob.last<session_event::Terminated>(incoming)->reason, EndReason::AckTimeout);
  run(20ms);
  EXPECT_EQ(alice.last<session_event::Terminated>(outgoing)->reason, EndReason::RemoteBye);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
}

TEST_F(RaceTest, RetransmittedAndDuplicatedInvitesReachTheTuOnce) {
  network.set_fault_filter([](const LoopbackPacket& packet) {
    if (is_request(packet, "INVITE")) return FaultDecision{FaultAction::Duplicate};
    // Without a 100 Trying, alice's Timer A keeps re-sending the INVITE.
    if (packet.bytes.starts_with("SIP/2.0 100")) return FaultDecision{FaultAction::Drop};
    return FaultDecision{};
  });
  InviteSession outgoing = alice.call(kBob);
  run(2s);
  EXPECT_GE(count_sent([](auto& p) { return is_request(p, "INVITE"); }), 3u);
  ASSERT_EQ(bob.incoming.size(), 1u);
  ASSERT_EQ(bob.incoming.front().answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  run(20ms);
  EXPECT_EQ(bob.incoming.size(), 1u);
  EXPECT_EQ(alice.count<session_event::Answered>(outgoing), 1u);
  EXPECT_EQ(bob.incoming.front().state(), SessionState::Confirmed);
}

TEST_F(RaceTest, ReinviteOvertakingTheAckGets500RetryAfter) {
  // The ACK is delayed past alice's next request: bob still waits for it.
  network.set_fault_filter([](const LoopbackPacket& packet) {
    return FaultDecision{FaultAction::Deliver,
                         is_request(packet, "ACK") ? Duration(50ms) : Duration::zero()};
  });
  bob.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  bob.auto_answer_offer = std::string(kAnswerSdp);
  InviteSession outgoing = alice.call(kBob);
  run(5ms);
  ASSERT_EQ(outgoing.state(), SessionState::Confirmed);
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  run(10ms);
  const auto* result = alice.last<session_event::ReinviteResult>(outgoing);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->status, 500);
  run(100ms);  // the late ACK still confirms the call
  EXPECT_EQ(bob.incoming.front().state(), SessionState::Confirmed);
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  run(100ms);
  EXPECT_EQ(alice.last<session_event::ReinviteResult>(outgoing)->status, 200);
}

TEST_F(RaceTest, SecondForkAnswering2xxIsAckedAndHungUp) {
  RawPeer callee(network, "10.0.0.9:5060");
  InviteSession outgoing = alice.call("sip:queue@10.0.0.9:5060");
  run(5ms);
  const Message* invite = callee.last_request(Method::Invite);
  ASSERT_NE(invite, nullptr);
  // A forking proxy: two phones answer.
  callee.send("10.0.0.1:5060", response_text(*invite, 200, "phone-a", kAnswerSdp));
  callee.send("10.0.0.1:5060", response_text(*invite, 200, "phone-b", kAnswerSdp));
  run(5ms);
  EXPECT_EQ(alice.count<session_event::Answered>(outgoing), 1u);
  EXPECT_EQ(callee.count_requests(Method::Ack), 2u);
  const Message* bye = callee.last_request(Method::Bye);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->to().tag(), std::optional<std::string_view>("phone-b"));
  EXPECT_EQ(outgoing.state(), SessionState::Confirmed);
}

TEST(DialogRoutingTest, SourceFlowSendsInDialogRequestsWhereTheInviteCameFrom) {
  VirtualClock clock;
  LoopbackNetwork network(clock);
  UserAgentConfig config;
  config.uas_dialog_routing = DialogRouting::SourceFlow;
  Node node(clock, network, "10.0.0.1:5060", 1, TransportKind::Udp, config);
  RawPeer nat(network, "10.0.0.9:40000");  // the caller's NAT binding
  node.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  RequestText invite;
  invite.via = "SIP/2.0/UDP 192.168.1.20:5060;rport;branch=z9hG4bKnat";
  invite.contact = "<sip:caller@192.168.1.20:5060>";  // private: unreachable
  invite.body = std::string(kOfferSdp);
  nat.send("10.0.0.1:5060", invite.build());
  clock.advance(5ms);
  const Message* ok = nat.last_response_with(200, Method::Invite);
  ASSERT_NE(ok, nullptr);
  RequestText ack = invite;
  ack.method = "ACK";
  ack.via = "SIP/2.0/UDP 192.168.1.20:5060;rport;branch=z9hG4bKnatack";
  ack.to = std::string(ok->header(HeaderId::To).value());
  ack.body.clear();
  nat.send("10.0.0.1:5060", ack.build());
  clock.advance(5ms);
  ASSERT_EQ(node.incoming.size(), 1u);
  ASSERT_EQ(node.incoming.front().hangup(), SessionStatus::Ok);
  clock.advance(5ms);
  EXPECT_EQ(nat.count_requests(Method::Bye), 1u);
}

}  // namespace
}  // namespace kefu::sip::testing
