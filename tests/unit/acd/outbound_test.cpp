// Agent-initiated calls (click-to-call) in the router: the agent is busy for the ACD meanwhile and
// afterwards wraps up as after a queue call, or returns to where they were when nobody talked.
#include "acd_fixture.hpp"

namespace kefu::acd::test {
namespace {

class OutboundTest : public AcdTest {
 protected:
  void SetUp() override {
    QueueConfig short_wrap = queue_config("sales");
    short_wrap.wrap_up = seconds(5);
    QueueConfig long_wrap = queue_config("support");
    long_wrap.wrap_up = seconds(10);
    add_queue(short_wrap);
    add_queue(long_wrap);
  }
};

TEST_F(OutboundTest, NoQueueCallIsOfferedDuringTheCallAndWrapUpFollows) {
  add_agent("1001", {{"sales", 0}, {"support", 0}});
  ASSERT_TRUE(router.begin_outbound("1001", now));
  EXPECT_EQ(state("1001"), AgentState::OnCall);
  enqueue("c1", "sales");
  EXPECT_EQ(last_offer(), "none");
  advance(seconds(30));
  EXPECT_EQ(last_offer(), "none");
  ASSERT_TRUE(router.end_outbound("1001", OutboundEnd::talked, now));
  EXPECT_EQ(state("1001"), AgentState::WrapUp);
  advance(seconds(9));
  EXPECT_EQ(last_offer(), "none") << "the longest wrap-up of the agent's queues";
  advance(seconds(1));
  EXPECT_EQ(last_offer(), "c1:1001");
}

TEST_F(OutboundTest, NotConnectedReturnsToTheStateBefore) {
  add_agent("1001", {{"sales", 0}}, {}, AfterLogin::NotReady);
  ASSERT_TRUE(router.set_not_ready("1001", "lunch", now));
  ASSERT_TRUE(router.begin_outbound("1001", now));
  ASSERT_TRUE(router.end_outbound("1001", OutboundEnd::not_connected, now));
  EXPECT_EQ(state("1001"), AgentState::NotReady);
  EXPECT_EQ(router.agent_stats("1001", now)->reason, "lunch");

  add_agent("1002", {{"sales", 0}});
  ASSERT_TRUE(router.begin_outbound("1002", now));
  enqueue("c2", "sales");
  ASSERT_TRUE(router.end_outbound("1002", OutboundEnd::not_connected, now));
  EXPECT_EQ(last_offer(), "c2:1002") << "Ready again at once, and the waiting call comes";
}

TEST_F(OutboundTest, RefusedWhenLoggedOutRingingOrOnACall) {
  ASSERT_TRUE(router.add_agent({"1001", "A", {}, {{"sales", 0}}}, now));
  EXPECT_FALSE(router.begin_outbound("1001", now)) << "logged out";
  ASSERT_TRUE(router.login("1001", AfterLogin::Ready, now));
  enqueue("c1", "sales");
  EXPECT_EQ(state("1001"), AgentState::Reserved);
  EXPECT_FALSE(router.begin_outbound("1001", now)) << "a queue call rings their phone";
  answer_last();
  EXPECT_FALSE(router.begin_outbound("1001", now)) << "on a queue call";
  EXPECT_FALSE(router.end_outbound("1001", OutboundEnd::talked, now)) << "not an outbound call";
  EXPECT_EQ(state("1001"), AgentState::OnCall);
  EXPECT_FALSE(router.begin_outbound("nobody", now));
}

TEST_F(OutboundTest, FromWrapUpEndsItAndCannotBeLoggedOutMeanwhile) {
  add_agent("1001", {{"sales", 0}});
  enqueue("c1", "sales");
  answer_last();
  ASSERT_TRUE(router.call_ended("c1", now));
  EXPECT_EQ(state("1001"), AgentState::WrapUp);
  ASSERT_TRUE(router.begin_outbound("1001", now));
  advance(seconds(6));  // the old wrap-up timer must not make them Ready
  EXPECT_EQ(state("1001"), AgentState::OnCall);
  EXPECT_FALSE(router.logout("1001", now));
  EXPECT_FALSE(router.begin_outbound("1001", now)) << "one at a time";
  ASSERT_TRUE(router.end_outbound("1001", OutboundEnd::not_connected, now));
  EXPECT_EQ(state("1001"), AgentState::Ready);
}

}  // namespace
}  // namespace kefu::acd::test
