#pragma once
// Virtual-time fixture for the ACD router: records every event the router emits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acd/router.hpp"

namespace kefu::acd::test {

using std::chrono::seconds;

struct RecordingListener : RouterListener {
  std::vector<AgentStateChange> states;
  std::vector<Offer> offers;
  std::vector<OfferCancelled> cancels;
  std::vector<Overflow> overflows;
  void on_agent_state(const AgentStateChange& change) override { states.push_back(change); }
  void on_offer(const Offer& offer) override { offers.push_back(offer); }
  void on_offer_cancelled(const OfferCancelled& cancelled) override {
    cancels.push_back(cancelled);
  }
  void on_overflow(const Overflow& overflow) override { overflows.push_back(overflow); }
};

class AcdTest : public ::testing::Test {
 protected:
  RecordingListener events;
  Router router{events};
  TimePoint start = TimePoint{} + std::chrono::hours(24);
  TimePoint now = start;

  // Moves virtual time forward, firing every deadline on the way at its exact time.
  void advance(Duration by) {
    const TimePoint target = now + by;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto next = router.next_deadline();
      if (!next || *next > target) break;
      now = std::max(now, *next);
      router.tick(now);
    }
    now = target;
    router.tick(now);
  }

  static QueueConfig queue_config(std::string id, Strategy strategy = Strategy::LongestIdle) {
    QueueConfig config;
    config.id = std::move(id);
    config.strategy = strategy;
    config.overflow_target = "voicemail";
    return config;
  }

  void add_queue(QueueConfig config) { ASSERT_TRUE(router.add_queue(std::move(config))); }

  void add_agent(const std::string& id, std::map<std::string, int> queues,
                 std::map<std::string, int> skills = {}, AfterLogin after = AfterLogin::Ready) {
    ASSERT_TRUE(router.add_agent(
        {id, std::string("Agent ").append(id), std::move(skills), std::move(queues)}, now));
    ASSERT_TRUE(router.login(id, after, now));
  }

  void enqueue(const std::string& id, const std::string& queue, int priority = 0) {
    ASSERT_TRUE(router.enqueue({id, queue, priority, std::nullopt, {}}, now));
  }

  // The last offer, as "call:agent1,agent2".
  std::string last_offer() const {
    if (events.offers.empty()) return "none";
    const Offer& offer = events.offers.back();
    std::string text = offer.call + ":";
    for (std::size_t i = 0; i < offer.agents.size(); ++i) text += (i ? "," : "") + offer.agents[i];
    return text;
  }

  // Answers the last offer with its first agent.
  void answer_last() {
    ASSERT_FALSE(events.offers.empty());
    const Offer offer = events.offers.back();
    ASSERT_TRUE(router.offer_answered(offer.call, offer.agents.front(), now));
  }

  AgentState state(const std::string& agent) const { return *router.agent_state(agent); }
};

}  // namespace kefu::acd::test
