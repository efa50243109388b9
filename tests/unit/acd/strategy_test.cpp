// Each strategy picks the agent it promises; penalties come before the strategy.
#include "acd_fixture.hpp"

namespace kefu::acd::test {
namespace {

TEST_F(AcdTest, LongestIdlePicksTheAgentReadyTheLongest) {
  add_queue(queue_config("q", Strategy::LongestIdle));
  add_agent("b", {{"q", 0}}, {}, AfterLogin::NotReady);
  add_agent("a", {{"q", 0}});
  advance(seconds(5));
  ASSERT_TRUE(router.set_ready("b", now));
  enqueue("c1", "q");
  EXPECT_EQ(last_offer(), "c1:a");
}

TEST_F(AcdTest, RoundRobinFollowsLastOfferNotIdleTime) {
  add_queue(queue_config("q", Strategy::RoundRobin));
  add_agent("a", {{"q", 0}});
  advance(seconds(1));
  add_agent("b", {{"q", 0}});
  enqueue("c1", "q");
  EXPECT_EQ(last_offer(), "c1:a");
  answer_last();
  enqueue("c2", "q");
  EXPECT_EQ(last_offer(), "c2:b");
  answer_last();
  advance(seconds(10));
  ASSERT_TRUE(router.call_ended("c2", now));
  advance(seconds(10));
  ASSERT_TRUE(router.call_ended("c1", now));
  enqueue("c3", "q");
  EXPECT_EQ(last_offer(), "c3:a");
}

TEST_F(AcdTest, LongestIdleWithTheSameHistoryPicksTheOtherAgent) {
  add_queue(queue_config("q", Strategy::LongestIdle));
  add_agent("a", {{"q", 0}});
  advance(seconds(1));
  add_agent("b", {{"q", 0}});
  enqueue("c1", "q");
  answer_last();
  enqueue("c2", "q");
  answer_last();
  advance(seconds(10));
  ASSERT_TRUE(router.call_ended("c2", now));
  advance(seconds(10));
  ASSERT_TRUE(router.call_ended("c1", now));
  enqueue("c3", "q");
  EXPECT_EQ(last_offer(), "c3:b");
}

TEST_F(AcdTest, FewestCallsPicksTheLeastBusyAgent) {
  add_queue(queue_config("q", Strategy::FewestCalls));
  add_agent("a", {{"q", 0}});
  advance(seconds(1));
  add_agent("b", {{"q", 0}}, {}, AfterLogin::NotReady);
  for (const char* id : {"c1", "c2"}) {
    enqueue(id, "q");
    EXPECT_EQ(last_offer(), std::string(id) + ":a");
    answer_last();
    ASSERT_TRUE(router.call_ended(id, now));
  }
  advance(seconds(1));
  ASSERT_TRUE(router.set_ready("b", now));  // a has been idle longer but took 2 calls
  enqueue("c3", "q");
  EXPECT_EQ(last_offer(), "c3:b");
}

TEST_F(AcdTest, SkillsWeightedPicksTheMostSkilledAgent) {
  QueueConfig q = queue_config("q", Strategy::SkillsWeighted);
  q.required_skills = {{"billing", 1}};
  add_queue(q);
  add_agent("a", {{"q", 0}}, {{"billing", 3}});
  advance(seconds(1));
  add_agent("b", {{"q", 0}}, {{"billing", 9}});
  enqueue("c1", "q");
  EXPECT_EQ(last_offer(), "c1:b");
}

TEST_F(AcdTest, LowerPenaltyComesFirst) {
  add_queue(queue_config("q"));
  add_agent("backup", {{"q", 5}});
  advance(seconds(1));
  add_agent("primary", {{"q", 0}});
  enqueue("c1", "q");
  EXPECT_EQ(last_offer(), "c1:primary");
}

TEST_F(AcdTest, AgentInSeveralQueuesTakesTheBestCallAcrossThem) {
  add_queue(queue_config("sales"));
  add_queue(queue_config("billing"));
  add_agent("a", {{"sales", 0}, {"billing", 0}}, {}, AfterLogin::NotReady);
  enqueue("sales1", "sales");
  advance(seconds(1));
  enqueue("billing_vip", "billing", 3);
  advance(seconds(1));
  enqueue("billing1", "billing");
  ASSERT_TRUE(router.set_ready("a", now));
  EXPECT_EQ(last_offer(), "billing_vip:a");
  answer_last();
  ASSERT_TRUE(router.call_ended("billing_vip", now));
  EXPECT_EQ(last_offer(), "sales1:a");
}

}  // namespace
}  // namespace kefu::acd::test
