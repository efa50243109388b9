// Router behaviour on virtual time: ordering, skills, last agent, ring timeouts, abandon,
// overflow, estimated wait, wrap-up, ring-all and statistics.
#include "acd_fixture.hpp"

namespace kefu::acd::test {
namespace {

TEST_F(AcdTest, FirstComeFirstServed) {
  add_queue(queue_config("sales"));
  add_agent("1001", {{"sales", 0}}, {}, AfterLogin::NotReady);
  enqueue("c1", "sales");
  advance(seconds(1));
  enqueue("c2", "sales");
  advance(seconds(1));
  enqueue("c3", "sales");
  EXPECT_EQ(last_offer(), "none");
  ASSERT_TRUE(router.set_ready("1001", now));
  EXPECT_EQ(last_offer(), "c1:1001");
  answer_last();
  ASSERT_TRUE(router.call_ended("c1", now));
  EXPECT_EQ(last_offer(), "c2:1001");
  answer_last();
  ASSERT_TRUE(router.call_ended("c2", now));
  EXPECT_EQ(last_offer(), "c3:1001");
}

TEST_F(AcdTest, VipPriorityJumpsAhead) {
  add_queue(queue_config("sales"));
  add_agent("1001", {{"sales", 0}}, {}, AfterLogin::NotReady);
  enqueue("c1", "sales");
  advance(seconds(1));
  enqueue("c2", "sales");
  advance(seconds(1));
  enqueue("vip", "sales", 5);
  ASSERT_TRUE(router.set_ready("1001", now));
  EXPECT_EQ(last_offer(), "vip:1001");
  answer_last();
  ASSERT_TRUE(router.call_ended("vip", now));
  EXPECT_EQ(last_offer(), "c1:1001");
}

TEST_F(AcdTest, SkillsRoutingRelaxesOverTime) {
  QueueConfig billing = queue_config("billing");
  billing.required_skills = {{"billing", 7}};
  billing.relaxation = {{seconds(0), 7}, {seconds(30), 3}, {seconds(60), 0}};
  add_queue(billing);
  add_agent("expert", {{"billing", 0}}, {{"billing", 8}}, AfterLogin::NotReady);
  add_agent("novice", {{"billing", 0}}, {{"billing", 4}});
  add_agent("outsider", {{"billing", 0}}, {{"english", 9}});

  enqueue("c1", "billing");
  EXPECT_EQ(last_offer(), "none");  // level 7 needed, nobody Ready has it
  EXPECT_EQ(router.next_deadline(), now + seconds(30));
  advance(seconds(29));
  EXPECT_EQ(last_offer(), "none");
  advance(seconds(1));
  EXPECT_EQ(last_offer(), "c1:novice");  // relaxed to level 3
  answer_last();

  enqueue("c2", "billing");  // novice is busy, outsider lacks the skill
  advance(seconds(59));
  EXPECT_EQ(last_offer(), "c1:novice");
  advance(seconds(1));
  EXPECT_EQ(last_offer(), "c2:outsider");  // any member after 60 s
  answer_last();

  enqueue("c3", "billing");
  ASSERT_TRUE(router.set_ready("expert", now));
  EXPECT_EQ(last_offer(), "c3:expert");
}

TEST_F(AcdTest, LastAgentGetsTheCallWhenFreeWithinTheWindow) {
  add_queue(queue_config("sales"));
  add_agent("other", {{"sales", 0}}, {}, AfterLogin::NotReady);
  add_agent("last", {{"sales", 0}});
  enqueue("busy", "sales");
  answer_last();  // "last" is now on a call
  ASSERT_TRUE(router.set_ready("other", now));

  ASSERT_TRUE(router.enqueue({"c1", "sales", 0, "last", seconds(20)}, now));
  EXPECT_EQ(last_offer(), "busy:last");  // held for "last" although "other" is Ready
  advance(seconds(10));
  ASSERT_TRUE(router.call_ended("busy", now));
  EXPECT_EQ(last_offer(), "c1:last");
}

TEST_F(AcdTest, LastAgentWindowExpiresThenAnyAgent) {
  add_queue(queue_config("sales"));
  add_agent("other", {{"sales", 0}}, {}, AfterLogin::NotReady);
  add_agent("last", {{"sales", 0}});
  enqueue("busy", "sales");
  answer_last();
  ASSERT_TRUE(router.set_ready("other", now));

  ASSERT_TRUE(router.enqueue({"c1", "sales", 0, "last", seconds(20)}, now));
  EXPECT_EQ(router.next_deadline(), now + seconds(20));
  advance(seconds(19));
  EXPECT_EQ(last_offer(), "busy:last");
  advance(seconds(1));
  EXPECT_EQ(last_offer(), "c1:other");
}

TEST_F(AcdTest, ReadyLastAgentIsRungFirst) {
  add_queue(queue_config("sales"));
  add_agent("longest_idle", {{"sales", 0}});
  advance(seconds(5));
  add_agent("last", {{"sales", 0}});
  ASSERT_TRUE(router.enqueue({"c1", "sales", 0, "last", seconds(20)}, now));
  EXPECT_EQ(last_offer(), "c1:last");
}

TEST_F(AcdTest, LastAgentLoggingOutReleasesTheHeldCall) {
  add_queue(queue_config("sales"));
  add_agent("other", {{"sales", 0}});
  add_agent("last", {{"sales", 0}}, {}, AfterLogin::NotReady);
  ASSERT_TRUE(router.enqueue({"c1", "sales", 0, "last", seconds(20)}, now));
  EXPECT_EQ(last_offer(), "none");
  ASSERT_TRUE(router.logout("last", now));
  EXPECT_EQ(last_offer(), "c1:other");
}

TEST_F(AcdTest, NotReadyWhileRingingReroutes) {
  add_queue(queue_config("sales"));
  add_agent("a", {{"sales", 0}});
  advance(seconds(1));
  add_agent("b", {{"sales", 0}});
  enqueue("c1", "sales");
  EXPECT_EQ(last_offer(), "c1:a");
  ASSERT_TRUE(router.set_not_ready("a", "break", now));
  EXPECT_EQ(last_offer(), "c1:b");
  EXPECT_EQ(state("a"), AgentState::NotReady);
  EXPECT_FALSE(router.logout("c1", now));
}

TEST_F(AcdTest, RingTimeoutReroutesAndMissesSetNotReady) {
  QueueConfig sales = queue_config("sales");
  sales.ring_timeout = seconds(15);
  sales.max_missed_offers = 2;
  add_queue(sales);
  add_agent("a", {{"sales", 0}});
  advance(seconds(1));
  add_agent("b", {{"sales", 0}});

  enqueue("c1", "sales");
  EXPECT_EQ(last_offer(), "c1:a");
  advance(seconds(15));
  ASSERT_EQ(events.cancels.size(), 1u);
  EXPECT_EQ(events.cancels[0].agent, "a");
  EXPECT_EQ(last_offer(), "c1:b");  // re-routed to someone else
  EXPECT_EQ(state("a"), AgentState::Ready);
  EXPECT_EQ(router.agent_stats("a", now)->consecutive_misses, 1);
  answer_last();

  enqueue("c2", "sales");
  EXPECT_EQ(last_offer(), "c2:a");
  advance(seconds(15));
  EXPECT_EQ(state("a"), AgentState::NotReady);
  EXPECT_EQ(events.states.back().reason, "missed");
  EXPECT_EQ(router.queue_stats("sales", now)->waiting, 1u);  // c2 waits for someone else
}

TEST_F(AcdTest, ExplicitTimeoutAndRejectReroute) {
  add_queue(queue_config("sales"));
  add_agent("a", {{"sales", 0}});
  advance(seconds(1));
  add_agent("b", {{"sales", 0}});
  enqueue("c1", "sales");
  ASSERT_TRUE(router.offer_rejected("c1", "a", now));
  EXPECT_EQ(last_offer(), "c1:b");
  EXPECT_EQ(state("a"), AgentState::Ready);
  ASSERT_TRUE(router.offer_timeout("c1", "b", now));
  EXPECT_EQ(last_offer(), "c1:a");
  EXPECT_EQ(router.agent_stats("b", now)->consecutive_misses, 1);
  EXPECT_FALSE(router.offer_answered("c1", "b", now));  // no longer ringing b
}

TEST_F(AcdTest, AbandonWhileWaitingRecordsTheWait) {
  add_queue(queue_config("sales"));
  add_agent("a", {{"sales", 0}}, {}, AfterLogin::NotReady);
  enqueue("c1", "sales");
  advance(seconds(42));
  auto waited = router.call_abandoned("c1", now);
  ASSERT_TRUE(waited);
  EXPECT_EQ(*waited, seconds(42));
  auto stats = router.queue_stats("sales", now);
  EXPECT_EQ(stats->abandoned_today, 1u);
  EXPECT_EQ(stats->abandoned_after_threshold, 1u);
  EXPECT_EQ(stats->waiting, 0u);
  ASSERT_TRUE(router.set_ready("a", now));
  EXPECT_EQ(last_offer(), "none");
}

TEST_F(AcdTest, AbandonWhileRingingCancelsTheOffer) {
  add_queue(queue_config("sales"));
  add_agent("a", {{"sales", 0}});
  enqueue("c1", "sales");
  ASSERT_TRUE(router.call_abandoned("c1", now));
  ASSERT_EQ(events.cancels.size(), 1u);
  EXPECT_EQ(state("a"), AgentState::Ready);
}

TEST_F(AcdTest, OverflowAtMaxWait) {
  QueueConfig sales = queue_config("sales");
  sales.max_wait = seconds(60);
  add_queue(sales);
  enqueue("c1", "sales");
  EXPECT_EQ(router.next_deadline(), now + seconds(60));
  advance(seconds(59));
  EXPECT_TRUE(events.overflows.empty());
  advance(seconds(1));
  ASSERT_EQ(events.overflows.size(), 1u);
  EXPECT_EQ(events.overflows[0].call, "c1");
  EXPECT_EQ(events.overflows[0].target, "voicemail");
  EXPECT_EQ(events.overflows[0].reason, OverflowReason::MaxWait);
  EXPECT_EQ(events.overflows[0].waited, seconds(60));
  EXPECT_EQ(router.queue_stats("sales", now)->overflowed_today, 1u);
  EXPECT_EQ(router.next_deadline(), std::nullopt);
}

TEST_F(AcdTest, OverflowAtMaxLength) {
  QueueConfig sales = queue_config("sales");
  sales.max_length = 2;
  add_queue(sales);
  enqueue("c1", "sales");
  enqueue("c2", "sales");
  auto refused = router.enqueue({"c3", "sales", 0, std::nullopt, {}}, now);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error, AcdError::QueueFull);
  EXPECT_EQ(refused.error().overflow_target, "voicemail");
}

TEST_F(AcdTest, EstimatedWaitOffersOverflowOnArrival) {
  QueueConfig sales = queue_config("sales");
  sales.max_wait = std::chrono::minutes(2);
  sales.default_handle_time = std::chrono::minutes(3);
  add_queue(sales);
  EXPECT_EQ(router.estimate_wait("sales"), std::nullopt);  // nobody staffed
  add_agent("a", {{"sales", 0}});
  EXPECT_EQ(router.estimate_wait("sales"), Duration::zero());
  enqueue("c1", "sales");
  answer_last();
  // One agent busy, nobody waiting: one handle time, more than the queue's max wait.
  auto ewt = router.estimate_wait("sales");
  ASSERT_TRUE(ewt);
  EXPECT_EQ(*ewt, std::chrono::minutes(3));
  EXPECT_GT(*ewt, sales.max_wait);  // the caller is offered the overflow target on arrival

  advance(seconds(40));
  ASSERT_TRUE(router.call_ended("c1", now));  // learned handle time: 40 s
  enqueue("c2", "sales");
  answer_last();
  enqueue("c3", "sales");
  EXPECT_EQ(*router.estimate_wait("sales"), seconds(80));  // (1 ahead + 1) * 40 s / 1 agent
}

TEST_F(AcdTest, WrapUpThenReadyAutomatically) {
  QueueConfig sales = queue_config("sales");
  sales.wrap_up = seconds(30);
  add_queue(sales);
  add_agent("a", {{"sales", 0}});
  enqueue("c1", "sales");
  answer_last();
  advance(seconds(100));
  ASSERT_TRUE(router.call_ended("c1", now));
  EXPECT_EQ(state("a"), AgentState::WrapUp);
  enqueue("c2", "sales");
  EXPECT_EQ(last_offer(), "c1:a");
  EXPECT_EQ(router.next_deadline(), now + seconds(30));
  advance(seconds(29));
  EXPECT_EQ(state("a"), AgentState::WrapUp);
  advance(seconds(1));
  EXPECT_EQ(last_offer(), "c2:a");  // Ready at the end of wrap-up and offered at once
  ASSERT_GE(events.states.size(), 2u);
  EXPECT_EQ(events.states[events.states.size() - 2].reason, "wrap_up_done");
  EXPECT_EQ(router.queue_stats("sales", now)->average_handle_time, seconds(130));
}

TEST_F(AcdTest, RingAllOffersEveryoneThenCancelsTheOthers) {
  add_queue(queue_config("help", Strategy::RingAll));
  add_agent("a", {{"help", 0}});
  add_agent("b", {{"help", 0}});
  add_agent("c", {{"help", 0}});
  enqueue("c1", "help");
  ASSERT_EQ(events.offers.size(), 1u);
  EXPECT_EQ(events.offers[0].agents.size(), 3u);
  EXPECT_EQ(router.queue_stats("help", now)->ringing, 1u);
  ASSERT_TRUE(router.offer_answered("c1", "b", now));
  ASSERT_EQ(events.cancels.size(), 2u);
  EXPECT_EQ(events.cancels[0].agent, "a");
  EXPECT_EQ(events.cancels[1].agent, "c");
  EXPECT_EQ(state("a"), AgentState::Ready);
  EXPECT_EQ(state("b"), AgentState::OnCall);
  EXPECT_EQ(state("c"), AgentState::Ready);
}

TEST_F(AcdTest, ServiceLevelCountsAnsweredWithinAndAbandonedAfterThreshold) {
  QueueConfig sales = queue_config("sales");
  sales.service_level_threshold = seconds(20);
  add_queue(sales);
  add_agent("a", {{"sales", 0}}, {}, AfterLogin::NotReady);
  add_agent("b", {{"sales", 0}}, {}, AfterLogin::NotReady);
  enqueue("fast", "sales");
  enqueue("slow", "sales");
  enqueue("gave_up_late", "sales");
  enqueue("gave_up_early", "sales");
  advance(seconds(5));
  ASSERT_TRUE(router.call_abandoned("gave_up_early", now));  // within threshold: not counted
  advance(seconds(5));
  ASSERT_TRUE(router.set_ready("a", now));
  answer_last();  // "fast" answered after 10 s
  auto stats = router.queue_stats("sales", now);
  EXPECT_EQ(stats->longest_wait, seconds(10));
  EXPECT_EQ(stats->waiting, 2u);
  advance(seconds(15));
  ASSERT_TRUE(router.call_abandoned("gave_up_late", now));  // 25 s: counted against
  advance(seconds(5));
  ASSERT_TRUE(router.set_ready("b", now));
  answer_last();  // "slow" answered after 30 s

  stats = router.queue_stats("sales", now);
  EXPECT_EQ(stats->answered_today, 2u);
  EXPECT_EQ(stats->abandoned_today, 2u);
  EXPECT_EQ(stats->answered_within_threshold, 1u);
  EXPECT_EQ(stats->abandoned_after_threshold, 1u);
  EXPECT_DOUBLE_EQ(stats->service_level, 1.0 / 3.0);
  EXPECT_EQ(stats->waiting, 0u);

  router.reset_daily();
  stats = router.queue_stats("sales", now);
  EXPECT_EQ(stats->answered_today, 0u);
  EXPECT_DOUBLE_EQ(stats->service_level, 1.0);
}

TEST_F(AcdTest, TransferMovesTheCallToAnotherQueue) {
  add_queue(queue_config("sales"));
  add_queue(queue_config("billing"));
  add_agent("a", {{"sales", 0}});
  add_agent("b", {{"billing", 0}});
  enqueue("c1", "sales");
  answer_last();
  advance(seconds(10));
  ASSERT_TRUE(router.transfer("c1", "billing", now));
  EXPECT_EQ(last_offer(), "c1:b");
  EXPECT_EQ(state("a"), AgentState::Ready);
  EXPECT_FALSE(router.transfer("c1", "nowhere", now));
}

TEST_F(AcdTest, AgentStatsAndStateEvents) {
  add_queue(queue_config("sales"));
  add_agent("a", {{"sales", 0}}, {}, AfterLogin::NotReady);
  advance(seconds(7));
  ASSERT_TRUE(router.set_not_ready("a", "lunch", now));
  advance(seconds(3));
  auto stats = router.agent_stats("a", now);
  EXPECT_EQ(stats->state, AgentState::NotReady);
  EXPECT_EQ(stats->reason, "lunch");
  EXPECT_EQ(stats->time_in_state, seconds(3));
  ASSERT_TRUE(router.logout("a", now));
  ASSERT_EQ(events.states.size(), 3u);
  EXPECT_EQ(events.states[0].from, AgentState::LoggedOut);
  EXPECT_EQ(events.states[1].reason, "lunch");
  EXPECT_EQ(events.states[2].to, AgentState::LoggedOut);
  EXPECT_EQ(events.states[2].time, now);
  EXPECT_FALSE(router.set_ready("a", now));
  EXPECT_FALSE(router.set_ready("nobody", now));
}

TEST_F(AcdTest, RejectsBadConfiguration) {
  QueueConfig bad = queue_config("q");
  bad.required_skills = {{"x", 11}};
  EXPECT_FALSE(router.add_queue(bad));
  add_queue(queue_config("q"));
  EXPECT_FALSE(router.add_queue(queue_config("q")));
  EXPECT_FALSE(router.add_agent({"a", "A", {}, {{"missing", 0}}}, now));
  EXPECT_FALSE(router.enqueue({"c", "missing", 0, std::nullopt, {}}, now));
  enqueue("c", "q");
  EXPECT_FALSE(router.enqueue({"c", "q", 0, std::nullopt, {}}, now));
}

}  // namespace
}  // namespace kefu::acd::test
