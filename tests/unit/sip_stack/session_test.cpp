// INVITE sessions between two UserAgents (and a hand-driven peer where only raw messages
// can reach a state): answer, reject, CANCEL, BYE, INFO/DTMF, re-INVITE, UPDATE, REFER,
// shutdown.
#include <set>

#include "test_support.hpp"

namespace kefu::sip::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kBob = "sip:bob@10.0.0.2:5060";

class SessionTest : public ::testing::Test {
 protected:
  void run(Duration duration) { clock.advance(duration); }

  // alice calls bob, bob rings and answers.
  std::pair<InviteSession, InviteSession> establish() {
    bob.on_incoming = [](InviteSession call) {
      EXPECT_EQ(call.ring(180), SessionStatus::Ok);
      EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
    };
    const std::size_t before = bob.incoming.size();
    InviteSession outgoing = alice.call(kBob);
    run(20ms);
    EXPECT_EQ(bob.incoming.size(), before + 1);
    if (bob.incoming.size() == before) return {outgoing, InviteSession{}};
    EXPECT_EQ(outgoing.state(), SessionState::Confirmed);
    EXPECT_EQ(bob.incoming.back().state(), SessionState::Confirmed);
    bob.on_incoming = nullptr;
    return {outgoing, bob.incoming.back()};
  }

  VirtualClock clock;
  LoopbackNetwork network{clock};
  Node alice{clock, network, "10.0.0.1:5060", 1};
  Node bob{clock, network, "10.0.0.2:5060", 2};
};

TEST_F(SessionTest, CallIsAnsweredAndEndedByBye) {
  bob.on_incoming = [](InviteSession call) {
    const Message* invite = call.initial_invite();
    ASSERT_NE(invite, nullptr);
    EXPECT_EQ(invite->request_uri().user, "bob");
    EXPECT_EQ(invite->body(), kOfferSdp);
    EXPECT_EQ(call.role(), SessionRole::Uas);
    EXPECT_EQ(call.source()->source, endpoint("10.0.0.1:5060"));
    EXPECT_EQ(call.ring(183, std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  InviteSession outgoing = alice.call(kBob);
  run(20ms);
  ASSERT_EQ(bob.incoming.size(), 1u);
  InviteSession incoming = bob.incoming.front();
  const auto* progress = alice.last<session_event::Progress>(outgoing);
  ASSERT_NE(progress, nullptr);
  EXPECT_EQ(progress->status, 183);
  EXPECT_EQ(progress->sdp, kAnswerSdp);
  EXPECT_EQ(outgoing.state(), SessionState::Early);
  EXPECT_EQ(incoming.call_id(), outgoing.call_id());

  ASSERT_EQ(incoming.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  EXPECT_EQ(incoming.state(), SessionState::Answering);
  run(20ms);
  ASSERT_NE(alice.last<session_event::Answered>(outgoing), nullptr);
  EXPECT_EQ(bob.count<session_event::Confirmed>(incoming), 1u);
  EXPECT_EQ(incoming.state(), SessionState::Confirmed);

  ASSERT_EQ(incoming.hangup(), SessionStatus::Ok);
  run(20ms);
  const auto* ended_remote = alice.last<session_event::Terminated>(outgoing);
  ASSERT_NE(ended_remote, nullptr);
  EXPECT_EQ(ended_remote->reason, EndReason::RemoteBye);
  const auto* ended_local = bob.last<session_event::Terminated>(incoming);
  ASSERT_NE(ended_local, nullptr);
  EXPECT_EQ(ended_local->reason, EndReason::LocalHangup);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
  // Late calls on handles find the session gone.
  EXPECT_EQ(incoming.hangup(), SessionStatus::Gone);
  EXPECT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Gone);
  EXPECT_FALSE(outgoing.alive());
  EXPECT_EQ(outgoing.initial_invite(), nullptr);
}

TEST_F(SessionTest, RejectedCallEndsBothSides) {
  bob.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.reject(486, "Busy Here"), SessionStatus::Ok);
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::WrongState);
  };
  InviteSession outgoing = alice.call(kBob);
  run(20ms);
  const auto* end = alice.last<session_event::Terminated>(outgoing);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, EndReason::Rejected);
  EXPECT_EQ(end->status, 486);
  ASSERT_EQ(bob.incoming.size(), 1u);
  EXPECT_EQ(bob.count<session_event::Terminated>(bob.incoming.front()), 1u);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
}

TEST_F(SessionTest, CancelBeforeAnswerGives487) {
  bob.on_incoming = [](InviteSession call) { EXPECT_EQ(call.ring(180), SessionStatus::Ok); };
  InviteSession outgoing = alice.call(kBob);
  run(20ms);
  ASSERT_EQ(outgoing.hangup(), SessionStatus::Ok);
  EXPECT_EQ(outgoing.state(), SessionState::Terminating);
  EXPECT_EQ(alice.count<session_event::Terminated>(outgoing), 0u);  // deferred, not re-entrant
  run(20ms);
  const auto* local = alice.last<session_event::Terminated>(outgoing);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->reason, EndReason::LocalHangup);
  const auto* remote = bob.last<session_event::Terminated>(bob.incoming.front());
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(remote->reason, EndReason::RemoteCancel);
  EXPECT_EQ(remote->status, 487);
  EXPECT_EQ(alice.ua.session_count(), 0u);
  EXPECT_EQ(bob.ua.session_count(), 0u);
}

TEST_F(SessionTest, CancelWaitsForAProvisionalResponse) {
  InviteSession outgoing = alice.call(kBob);  // bob does nothing: 100 Trying after 200 ms
  run(5ms);
  ASSERT_EQ(outgoing.hangup(), SessionStatus::Ok);
  run(100ms);
  auto cancels = [&] {
    std::size_t n = 0;
    for (const auto& packet : network.sent()) n += packet.bytes.starts_with("CANCEL ") ? 1 : 0;
    return n;
  };
  EXPECT_EQ(cancels(), 0u);  // §9.1
  run(150ms);
  EXPECT_EQ(cancels(), 1u);
  run(20ms);
  EXPECT_EQ(bob.last<session_event::Terminated>(bob.incoming.front())->reason,
            EndReason::RemoteCancel);
  EXPECT_EQ(alice.ua.session_count(), 0u);
}

TEST_F(SessionTest, DtmfAndOtherInfo) {
  auto [outgoing, incoming] = establish();
  ASSERT_EQ(outgoing.send_dtmf('5', 160ms), SessionStatus::Ok);
  ASSERT_EQ(incoming.send_dtmf('#', 100ms), SessionStatus::Ok);
  ASSERT_EQ(outgoing.send_info("application/x-note", "hello"), SessionStatus::Ok);
  EXPECT_EQ(outgoing.send_dtmf('x', 100ms), SessionStatus::InvalidArgument);
  run(20ms);
  const auto* digit = bob.last<session_event::Dtmf>(incoming);
  ASSERT_NE(digit, nullptr);
  EXPECT_EQ(digit->digit, '5');
  EXPECT_EQ(digit->duration, 160ms);
  ASSERT_NE(alice.last<session_event::Dtmf>(outgoing), nullptr);
  EXPECT_EQ(alice.last<session_event::Dtmf>(outgoing)->digit, '#');
  const auto* info = bob.last<session_event::InfoReceived>(incoming);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->content_type, "application/x-note");
  EXPECT_EQ(info->body, "hello");
}

TEST_F(SessionTest, ReinviteHoldIsAnsweredByTheTuAndAcked) {
  auto [outgoing, incoming] = establish();
  bob.auto_answer_offer = std::string(kAnswerSdp);
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  EXPECT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::OfferPending);
  run(20ms);
  const auto* offer = bob.last<session_event::OfferReceived>(incoming);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->method, Method::Invite);
  EXPECT_EQ(offer->sdp, kHoldSdp);
  const auto* result = alice.last<session_event::ReinviteResult>(outgoing);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->sdp, kAnswerSdp);
  // The ACK stopped bob's 2xx retransmission: nothing ends the call.
  run(40s);
  EXPECT_EQ(incoming.state(), SessionState::Confirmed);
  EXPECT_EQ(outgoing.state(), SessionState::Confirmed);
  // And the other direction (unhold from bob).
  alice.auto_answer_offer = std::string(kOfferSdp);
  ASSERT_EQ(incoming.reinvite(std::string(kAnswerSdp)), SessionStatus::Ok);
  run(20ms);
  ASSERT_NE(bob.last<session_event::ReinviteResult>(incoming), nullptr);
  EXPECT_EQ(bob.last<session_event::ReinviteResult>(incoming)->status, 200);
}

TEST_F(SessionTest, RejectedReinviteKeepsTheCall) {
  auto [outgoing, incoming] = establish();
  bob.on_event = [](InviteSession session, const SessionEvent& event) {
    if (std::holds_alternative<session_event::OfferReceived>(event)) {
      EXPECT_EQ(session.reject_offer(488), SessionStatus::Ok);
    }
  };
  ASSERT_EQ(outgoing.reinvite(std::string(kHoldSdp)), SessionStatus::Ok);
  run(20ms);
  ASSERT_NE(alice.last<session_event::ReinviteResult>(outgoing), nullptr);
  EXPECT_EQ(alice.last<session_event::ReinviteResult>(outgoing)->status, 488);
  EXPECT_EQ(outgoing.state(), SessionState::Confirmed);
}

TEST_F(SessionTest, ExplicitDestinationOverridesTheTarget) {
  bob.on_incoming = [](InviteSession call) {
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  };
  Destination registered_flow;
  registered_flow.address = endpoint("10.0.0.2:5060");
  // The registered Contact is a private address no one could route to.
  InviteSession outgoing = alice.call("sip:1001@192.168.1.50:5062", kOfferSdp, registered_flow);
  run(20ms);
  ASSERT_EQ(outgoing.state(), SessionState::Confirmed);
  ASSERT_EQ(outgoing.hangup(), SessionStatus::Ok);
  run(20ms);
  EXPECT_EQ(bob.last<session_event::Terminated>(bob.incoming.front())->reason,
            EndReason::RemoteBye);
}

TEST_F(SessionTest, ShutdownEndsEverySessionAndRefusesNewCalls) {
  auto first = establish();
  auto second = establish();
  InviteSession ringing = alice.call(kBob);  // bob leaves this one unanswered
  run(20ms);
  ASSERT_EQ(bob.ua.session_count(), 3u);
  bool done = false;
  bob.ua.shutdown(5s, [&] { done = true; });
  EXPECT_FALSE(done);  // never from inside shutdown()
  InviteSession refused = alice.call(kBob);
  run(50ms);
  EXPECT_TRUE(done);
  EXPECT_EQ(bob.ua.session_count(), 0u);
  EXPECT_EQ(alice.last<session_event::Terminated>(first.first)->reason, EndReason::RemoteBye);
  EXPECT_EQ(alice.last<session_event::Terminated>(second.first)->reason, EndReason::RemoteBye);
  EXPECT_EQ(alice.last<session_event::Terminated>(ringing)->status, 480);
  EXPECT_EQ(alice.last<session_event::Terminated>(refused)->status, 503);
  EXPECT_EQ(alice.ua.session_count(), 0u);
}

TEST_F(SessionTest, ShutdownGivesUpAfterItsLimit) {
  auto call = establish();
  network.set_fault_filter([](const LoopbackPacket& packet) {
    return FaultDecision{packet.bytes.starts_with("SIP/2.0 200") ? FaultAction::Drop
                                                                 : FaultAction::Deliver};
  });
  bool done = false;
  bob.ua.shutdown(2s, [&] { done = true; });  // the 200 to the BYE never comes back
  run(1900ms);
  EXPECT_FALSE(done);
  run(200ms);
  EXPECT_TRUE(done);
  (void)call;
}

// A hand-driven caller for what two UserAgents never send each other: UPDATE, OPTIONS in
// the dialog, a re-INVITE without SDP.
class RawCallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node.on_incoming = [](InviteSession call) {
      EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
    };
    RequestText invite;
    invite.body = std::string(kOfferSdp);
    peer.send("10.0.0.1:5060", invite.build());
    clock.advance(5ms);
    const Message* ok = peer.last_response_with(200, Method::Invite);
    ASSERT_NE(ok, nullptr);
    to_ = std::string(ok->header(HeaderId::To).value());
    peer.send("10.0.0.1:5060", in_dialog("ACK", 1, "z9hG4bKack1").build());
    clock.advance(5ms);
    ASSERT_EQ(node.incoming.size(), 1u);
    ASSERT_EQ(node.incoming.front().state(), SessionState::Confirmed);
  }
  RequestText in_dialog(std::string method, std::uint32_t cseq, std::string branch) const {
    RequestText request;
    request.method = std::move(method);
    request.uri = "sip:kefu@10.0.0.1:5060";
    request.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=" + branch;
    request.to = to_;
    request.cseq = cseq;
    return request;
  }

  VirtualClock clock;
  LoopbackNetwork network{clock};
  Node node{clock, network, "10.0.0.1:5060", 1};
  RawPeer peer{network, "10.0.0.9:5060"};
  std::string to_;
};

TEST_F(RawCallerTest, UpdateWithSdpIsAnOfferAndOptionsInDialogIs200) {
  RequestText update = in_dialog("UPDATE", 2, "z9hG4bKupd1");
  update.body = std::string(kHoldSdp);
  peer.send("10.0.0.1:5060", update.build());
  clock.advance(5ms);
  InviteSession call = node.incoming.front();
  const auto* offer = node.last<session_event::OfferReceived>(call);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->method, Method::Update);
  ASSERT_EQ(call.answer_offer(std::string(kAnswerSdp)), SessionStatus::Ok);
  clock.advance(5ms);
  const Message* ok = peer.last_response_with(200, Method::Update);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->body(), kAnswerSdp);

  RequestText empty_update = in_dialog("UPDATE", 3, "z9hG4bKupd2");
  peer.send("10.0.0.1:5060", empty_update.build());
  peer.send("10.0.0.1:5060", in_dialog("OPTIONS", 4, "z9hG4bKopt1").build());
  RequestText unknown = in_dialog("MESSAGE", 5, "z9hG4bKmsg1");
  peer.send("10.0.0.1:5060", unknown.build());
  clock.advance(5ms);
  EXPECT_EQ(peer.count_responses(200, Method::Update), 2u);
  EXPECT_EQ(peer.count_responses(200, Method::Options), 1u);
  EXPECT_EQ(peer.count_responses(405, Method::Message), 1u);
  RequestText old = in_dialog("INFO", 3, "z9hG4bKold1");  // CSeq went backwards
  peer.send("10.0.0.1:5060", old.build());
  clock.advance(5ms);
  EXPECT_EQ(peer.count_responses(500, Method::Info), 1u);
}

TEST_F(RawCallerTest, ReinviteWithoutSdpTakesOurOfferAndTheAnswerFromTheAck) {
  peer.send("10.0.0.1:5060", in_dialog("INVITE", 2, "z9hG4bKreinv1").build());
  clock.advance(5ms);
  InviteSession call = node.incoming.front();
  const auto* offer = node.last<session_event::OfferReceived>(call);
  ASSERT_NE(offer, nullptr);
  EXPECT_TRUE(offer->sdp.empty());
  ASSERT_EQ(call.answer_offer(std::string(kAnswerSdp)), SessionStatus::Ok);  // our offer
  clock.advance(5ms);
  ASSERT_EQ(peer.count_responses(200, Method::Invite), 2u);
  RequestText ack = in_dialog("ACK", 2, "z9hG4bKack2");
  ack.body = std::string(kOfferSdp);
  peer.send("10.0.0.1:5060", ack.build());
  clock.advance(5ms);
  const auto* answer = node.last<session_event::AnswerReceived>(call);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->sdp, kOfferSdp);
  clock.advance(40s);  // no 2xx retransmission timeout: the ACK was taken
  EXPECT_EQ(call.state(), SessionState::Confirmed);
}

// REFER (RFC 3515) from the peer: the TU sees the target, answers, and NOTIFYs the outcome.
class ReferTest : public RawCallerTest {
 protected:
  RequestText refer(std::uint32_t cseq, std::string branch,
                    std::vector<std::string> refer_to = {"Refer-To: <sip:1002@10.0.0.1>"}) const {
    RequestText request = in_dialog("REFER", cseq, std::move(branch));
    request.extra = std::move(refer_to);
    return request;
  }
  // Every NOTIFY the peer got, oldest first.
  std::vector<const Message*> notifies() const {
    std::vector<const Message*> found;
    for (const Message& message : peer.messages) {
      if (message.is_request() && message.method() == Method::Notify) found.push_back(&message);
    }
    return found;
  }
  void answer_notifies(int status) {
    for (const Message* notify : notifies()) {
      if (answered_.insert(notify->cseq().number).second) {
        peer.send("10.0.0.1:5060", response_text(*notify, status, ""));
      }
    }
    clock.advance(5ms);
  }
  std::set<std::uint32_t> answered_;
};

TEST_F(ReferTest, ReferIsSurfacedAcceptedAndNotified) {
  InviteSession call = node.incoming.front();
  node.on_event = [](InviteSession session, const SessionEvent& event) {
    if (std::holds_alternative<session_event::ReferReceived>(event)) {
      EXPECT_EQ(session.accept_refer(), SessionStatus::Ok);
    }
  };
  RequestText request = refer(
      2, "z9hG4bKref1",
      {"Refer-To: \"Desk\" <sip:1002@10.0.0.1;user=phone>", "Referred-By: <sip:1001@10.0.0.9>"});
  peer.send("10.0.0.1:5060", request.build());
  clock.advance(5ms);
  const auto* received = node.last<session_event::ReferReceived>(call);
  ASSERT_NE(received, nullptr);
  EXPECT_EQ(received->target, "sip:1002@10.0.0.1;user=phone");
  EXPECT_EQ(received->target_user, "1002");
  EXPECT_EQ(received->referred_by, "<sip:1001@10.0.0.9>");
  EXPECT_EQ(peer.count_responses(202, Method::Refer), 1u);
  EXPECT_EQ(call.accept_refer(), SessionStatus::WrongState);  // answered once

  ASSERT_EQ(call.notify_refer(100, "Trying"), SessionStatus::Ok);
  clock.advance(5ms);
  answer_notifies(200);
  ASSERT_EQ(call.notify_refer(200, "OK"), SessionStatus::Ok);
  clock.advance(5ms);
  answer_notifies(200);
  EXPECT_EQ(call.notify_refer(200, "OK"), SessionStatus::WrongState);  // subscription over

  const auto sent = notifies();
  ASSERT_EQ(sent.size(), 2u);
  const Message& trying = *sent[0];
  const Message& done = *sent[1];
  EXPECT_EQ(trying.header(HeaderId::Event), std::optional<std::string_view>("refer"));
  EXPECT_EQ(trying.header("Subscription-State"),
            std::optional<std::string_view>("active;expires=60"));
  EXPECT_EQ(trying.content_type(), "message/sipfrag;version=2.0");
  EXPECT_EQ(trying.body(), "SIP/2.0 100 Trying\r\n");
  EXPECT_EQ(trying.request_uri().user, "caller");  // the remote target
  EXPECT_FALSE(trying.contacts().empty());
  EXPECT_EQ(done.header("Subscription-State"),
            std::optional<std::string_view>("terminated;reason=noresource"));
  EXPECT_EQ(done.body(), "SIP/2.0 200 OK\r\n");
  EXPECT_GT(done.cseq().number, trying.cseq().number);
  EXPECT_EQ(done.call_id(), "raw-call-1");
  EXPECT_EQ(done.to().tag(), std::optional<std::string_view>("from1"));
  EXPECT_EQ(call.state(), SessionState::Confirmed);

  // A second REFER in the dialog: its NOTIFYs name it (RFC 3515 §2.4.6).
  peer.send("10.0.0.1:5060", refer(3, "z9hG4bKref2").build());
  clock.advance(5ms);
  ASSERT_EQ(peer.count_responses(202, Method::Refer), 2u);
  ASSERT_EQ(call.notify_refer(503, "Service Unavailable"), SessionStatus::Ok);
  clock.advance(5ms);
  ASSERT_EQ(notifies().size(), 3u);
  EXPECT_EQ(notifies().back()->header(HeaderId::Event),
            std::optional<std::string_view>("refer;id=3"));
  EXPECT_EQ(notifies().back()->body(), "SIP/2.0 503 Service Unavailable\r\n");
}

TEST_F(ReferTest, ReferWithoutExactlyOneReferToIs400) {
  InviteSession call = node.incoming.front();
  peer.send(
      "10.0.0.1:5060",
      refer(2, "z9hG4bKref1", {"Refer-To: <sip:1002@10.0.0.1>", "Refer-To: <sip:1003@10.0.0.1>"})
          .build());
  peer.send("10.0.0.1:5060", refer(3, "z9hG4bKref2", {}).build());
  peer.send("10.0.0.1:5060", refer(4, "z9hG4bKref3", {"Refer-To: <not a uri"}).build());
  clock.advance(5ms);
  EXPECT_EQ(peer.count_responses(400, Method::Refer), 3u);
  const Message* multiple = nullptr;
  for (const Message& message : peer.messages) {
    if (!message.is_request() && message.cseq().number == 2 &&
        message.cseq().method == Method::Refer) {
      multiple = &message;
    }
  }
  ASSERT_NE(multiple, nullptr);
  EXPECT_EQ(multiple->reason(), "Multiple Refer-To");
  EXPECT_EQ(node.count<session_event::ReferReceived>(call), 0u);
  EXPECT_EQ(call.state(), SessionState::Confirmed);
}

TEST_F(ReferTest, AttendedTransferIsRefusedAndTheCallStays) {
  InviteSession call = node.incoming.front();
  peer.send("10.0.0.1:5060",
            refer(2, "z9hG4bKref1",
                  {"Refer-To: <sip:1002@10.0.0.1?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>"})
                .build());
  clock.advance(5ms);
  const Message* refused = peer.last_response(Method::Refer);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->status(), 501);
  EXPECT_EQ(refused->reason(), "Attended Transfer Not Supported");
  EXPECT_EQ(node.count<session_event::ReferReceived>(call), 0u);
  EXPECT_TRUE(notifies().empty());
  EXPECT_EQ(call.state(), SessionState::Confirmed);
}

TEST_F(ReferTest, TuRefusesAndAFailedNotifyKeepsTheCall) {
  InviteSession call = node.incoming.front();
  int answer_with = 603;
  node.on_event = [&answer_with](InviteSession session, const SessionEvent& event) {
    if (!std::holds_alternative<session_event::ReferReceived>(event)) return;
    if (answer_with == 202) {
      EXPECT_EQ(session.accept_refer(), SessionStatus::Ok);
    } else {
      EXPECT_EQ(session.reject_refer(answer_with, "Forbidden"), SessionStatus::Ok);
    }
  };
  answer_with = 403;
  peer.send("10.0.0.1:5060", refer(2, "z9hG4bKref1").build());
  clock.advance(5ms);
  EXPECT_EQ(peer.count_responses(403, Method::Refer), 1u);
  EXPECT_EQ(call.notify_refer(100, "Trying"), SessionStatus::WrongState);  // not accepted

  answer_with = 202;
  peer.send("10.0.0.1:5060", refer(3, "z9hG4bKref2").build());
  clock.advance(5ms);
  ASSERT_EQ(peer.count_responses(202, Method::Refer), 1u);
  ASSERT_EQ(call.notify_refer(100, "Trying"), SessionStatus::Ok);
  clock.advance(5ms);
  answer_notifies(481);  // the peer forgot the subscription
  EXPECT_EQ(call.state(), SessionState::Confirmed);
  EXPECT_EQ(call.notify_refer(200, "OK"), SessionStatus::WrongState);

  // A NOTIFY nobody answers times out (Timer F): still no harm to the call.
  peer.send("10.0.0.1:5060", refer(4, "z9hG4bKref3").build());
  clock.advance(5ms);
  ASSERT_EQ(peer.count_responses(202, Method::Refer), 2u);
  ASSERT_EQ(call.notify_refer(100, "Trying"), SessionStatus::Ok);
  clock.advance(40s);
  EXPECT_EQ(call.state(), SessionState::Confirmed);
  EXPECT_EQ(node.count<session_event::Terminated>(call), 0u);
  EXPECT_EQ(call.hangup(), SessionStatus::Ok);
}

TEST_F(ReferTest, ReferOutsideADialogIs400) {
  RequestText request;
  request.method = "REFER";
  request.call_id = "raw-refer-2";
  request.via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKoutside1";
  request.extra = {"Refer-To: <sip:1002@10.0.0.1>"};
  peer.send("10.0.0.1:5060", request.build());
  clock.advance(5ms);
  const Message* refused = peer.last_response(Method::Refer);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->status(), 400);
  EXPECT_EQ(refused->reason(), "REFER Outside A Dialog Not Supported");
}

}  // namespace
}  // namespace kefu::sip::testing
