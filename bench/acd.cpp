// ACD routing core: decision latency with 5,000 agents, 100 queues and 2,000 waiting calls,
// and the cost of an agent state change at 500 vs 5,000 agents (should not grow linearly).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "acd/router.hpp"

namespace {

using namespace std::chrono_literals;
using kefu::acd::AfterLogin;
using kefu::acd::TimePoint;

struct LastOffer : kefu::acd::RouterListener {
  std::string call, agent;
  std::size_t offers = 0;
  void on_agent_state(const kefu::acd::AgentStateChange&) override {}
  void on_offer(const kefu::acd::Offer& offer) override {
    ++offers;
    call = offer.call;
    agent = offer.agents.front();
  }
  void on_offer_cancelled(const kefu::acd::OfferCancelled&) override {}
  void on_overflow(const kefu::acd::Overflow&) override {}
};

constexpr int kQueues = 100;

// Appends rather than "A" + std::to_string(i): g++ 12 -O2 warns falsely on the latter (-Wrestrict).
std::string prefixed(char prefix, std::uint64_t n) {
  std::string text(1, prefix);
  text += std::to_string(n);
  return text;
}
std::string agent_id(int i) {
  return prefixed('A', static_cast<std::uint64_t>(i));
}
std::string queue_id(int q) {
  return prefixed('Q', static_cast<std::uint64_t>(q));
}
std::string skill_id(int q) {
  return prefixed('s', static_cast<std::uint64_t>(q % 10));
}

// Each queue needs one of ten skills at level 5 (relaxing to 3 after 30 s); each agent is in three
// queues with random skill levels 3..10, so buckets by level are all in use.
void build(kefu::acd::Router& router, int agents, TimePoint now, AfterLogin after) {
  for (int q = 0; q < kQueues; ++q) {
    kefu::acd::QueueConfig config;
    config.id = queue_id(q);
    config.required_skills = {{skill_id(q), 5}};
    config.relaxation = {{0s, 5}, {30s, 3}};
    config.wrap_up = 10s;
    config.ring_timeout = 20s;
    (void)router.add_queue(config);
  }
  std::mt19937 random(42);
  std::uniform_int_distribution<int> level(3, 10);
  for (int i = 0; i < agents; ++i) {
    kefu::acd::AgentConfig config{agent_id(i), "agent", {}, {}};
    for (int q : {i % kQueues, (i * 7 + 3) % kQueues, (i * 13 + 5) % kQueues}) {
      config.queues[queue_id(q)] = q % 3;
      config.skills[skill_id(q)] = level(random);
    }
    (void)router.add_agent(config, now);
    (void)router.login(agent_id(i), after, now);
  }
}

void report(benchmark::State& state, std::vector<double>& samples_us) {
  if (samples_us.empty()) return;
  std::sort(samples_us.begin(), samples_us.end());
  auto at = [&](double p) {
    return samples_us[static_cast<std::size_t>(p * (samples_us.size() - 1))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["max_us"] = samples_us.back();
}

double micros(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - from).count();
}

// Every agent NotReady, 2,000 calls waiting; one agent turns Ready and the router picks its call.
// Untimed: answer, hang up, back to NotReady, and a new call replaces the one taken.
void BM_RouteOnAgentReady(benchmark::State& state) {
  LastOffer listener;
  kefu::acd::Router router(listener);
  TimePoint now{};
  const int agents = 5000;
  build(router, agents, now, AfterLogin::NotReady);
  std::mt19937 random(7);
  std::uniform_int_distribution<int> pick_queue(0, kQueues - 1), priority(0, 3);
  std::uint64_t next_call = 0;
  auto add_call = [&](int q) {
    (void)router.enqueue({prefixed('C', next_call++), queue_id(q), priority(random), {}, {}}, now);
  };
  for (int i = 0; i < 2000; ++i) add_call(pick_queue(random));
  std::vector<double> samples;
  samples.reserve(1 << 20);
  int next_agent = 0;
  for (auto _ : state) {
    now += 1ms;
    const std::string agent = agent_id(next_agent);
    next_agent = (next_agent + 1) % agents;
    const std::size_t offers = listener.offers;
    const auto start = std::chrono::steady_clock::now();
    (void)router.set_ready(agent, now);
    samples.push_back(micros(start));
    if (listener.offers != offers) {
      const std::string call = listener.call;
      (void)router.offer_answered(call, agent, now);
      (void)router.call_ended(call, now);
      add_call(pick_queue(random));
    }
    (void)router.set_not_ready(agent, "bench", now);
  }
  report(state, samples);
  std::size_t waiting = 0;
  for (int q = 0; q < kQueues; ++q) waiting += router.queue_stats(queue_id(q), now)->waiting;
  state.counters["waiting"] = static_cast<double>(waiting);
}
BENCHMARK(BM_RouteOnAgentReady)->Iterations(200'000)->Unit(benchmark::kMicrosecond);

// 2,500 of 5,000 agents Ready, nobody waiting; a call arrives and the router picks an agent.
// Untimed: the caller hangs up, which frees the agent again.
void BM_RouteOnCallArrival(benchmark::State& state) {
  LastOffer listener;
  kefu::acd::Router router(listener);
  TimePoint now{};
  build(router, 5000, now, AfterLogin::NotReady);
  for (int i = 0; i < 5000; i += 2) (void)router.set_ready(agent_id(i), now);
  std::mt19937 random(9);
  std::uniform_int_distribution<int> pick_queue(0, kQueues - 1);
  std::vector<double> samples;
  samples.reserve(1 << 20);
  std::uint64_t next_call = 0;
  for (auto _ : state) {
    now += 1ms;
    const std::string call = prefixed('C', next_call++);
    const std::string queue = queue_id(pick_queue(random));
    const auto start = std::chrono::steady_clock::now();
    (void)router.enqueue({call, queue, 0, {}, {}}, now);
    samples.push_back(micros(start));
    (void)router.call_abandoned(call, now);
  }
  report(state, samples);
}
BENCHMARK(BM_RouteOnCallArrival)->Iterations(200'000)->Unit(benchmark::kMicrosecond);

// Ready -> NotReady -> Ready for one agent at a time, every agent in three queues. Arguments:
// agents, and how many of them take turns (all of them: every change misses the cache; 64: the
// algorithmic cost alone, which should grow only with log(agents)).
void BM_AgentStateChange(benchmark::State& state) {
  LastOffer listener;
  kefu::acd::Router router(listener);
  TimePoint now{};
  const auto agents = static_cast<int>(state.range(0));
  const auto rotation = static_cast<int>(state.range(1));
  build(router, agents, now, AfterLogin::Ready);
  int next_agent = 0;
  std::vector<std::string> ids;
  for (int i = 0; i < agents; ++i) ids.push_back(agent_id(i));
  for (auto _ : state) {
    now += 1ms;
    const std::string& agent = ids[static_cast<std::size_t>(next_agent)];
    next_agent = (next_agent + 1) % rotation;
    (void)router.set_not_ready(agent, "break", now);
    (void)router.set_ready(agent, now);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_AgentStateChange)
    ->Args({500, 500})
    ->Args({5000, 5000})
    ->Args({50000, 50000})
    ->Args({500, 64})
    ->Args({5000, 64})
    ->Args({50000, 64})
    ->Unit(benchmark::kNanosecond);

}  // namespace
