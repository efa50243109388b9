#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "store/call_repository.hpp"
#include "store/executor.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

using test::at_ms;

// Stands in for the control loop: completions are queued here and run by the test thread.
class FakeLoop {
 public:
  Poster poster() {
    return [this](std::function<void()> f) {
      {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(f));
      }
      cv_.notify_one();
    };
  }
  // Runs completions until `done()` or the deadline; returns whether done() became true.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::seconds deadline = std::chrono::seconds{20}) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      std::unique_lock lock(mutex_);
      if (!cv_.wait_until(lock, until, [this] { return !queue_.empty(); })) return false;
      auto f = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      f();
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

class ExecutorTest : public test::StoreTest {
 protected:
  AgentId make_agent() {
    Agent a;
    a.agent_number = "1001";
    a.name = "a";
    return AgentRepository(db()).create(a);
  }
  FakeLoop loop_;
};

TEST_P(ExecutorTest, CompletionsArriveThroughThePosterOnTheCallersThread) {
  StorageExecutor executor(database(), loop_.poster());
  const auto caller = std::this_thread::get_id();
  std::thread::id job_thread;
  std::thread::id completion_thread;
  std::optional<std::int64_t> result;
  executor.post(
      [&](Connection& c) {
        job_thread = std::this_thread::get_id();
        return c.query_one("SELECT COUNT(*) FROM schema_migrations")->int64(0);
      },
      [&](StoreResult<std::int64_t> r) {
        completion_thread = std::this_thread::get_id();
        ASSERT_TRUE(r);
        result = *r;
      });
  ASSERT_TRUE(loop_.run_until([&] { return result.has_value(); }));
  EXPECT_EQ(*result, latest_schema_version());
  EXPECT_NE(job_thread, caller);
  EXPECT_EQ(completion_thread, caller);
}

TEST_P(ExecutorTest, FailuresAreValuesAndVoidJobsWork) {
  StorageExecutor executor(database(), loop_.poster());
  std::optional<StoreFailure> failure;
  bool void_done = false;
  CallRecord r;
  r.call_id = "c1";
  r.arrival = at_ms(1);
  executor.post([r](Connection& c) { CallRecordRepository(c).insert(r); },
                [&](StoreResult<void> result) { void_done = result.has_value(); });
  executor.post([r](Connection& c) { CallRecordRepository(c).insert(r); },  // duplicate
                [&](StoreResult<void> result) {
                  if (!result) failure = result.error();
                });
  ASSERT_TRUE(loop_.run_until([&] { return void_done && failure.has_value(); }));
  EXPECT_EQ(failure->kind, StoreErrorKind::constraint);
  EXPECT_FALSE(failure->message.empty());
}

TEST_P(ExecutorTest, MoveOnlyJobsAndCompletions) {
  StorageExecutor executor(database(), loop_.poster());
  auto name = std::make_unique<std::string>("billing");
  auto tag = std::make_unique<int>(7);
  std::optional<SkillId> id;
  int seen_tag = 0;
  executor.post([n = std::move(name)](Connection& c) { return SkillRepository(c).create(*n); },
                [&, t = std::move(tag)](StoreResult<SkillId> r) {
                  seen_tag = *t;
                  if (r) id = *r;
                });
  ASSERT_TRUE(loop_.run_until([&] { return id.has_value(); }));
  EXPECT_EQ(seen_tag, 7);
}

TEST_P(ExecutorTest, EventsAreGroupCommittedBeforeLaterJobs) {
  const AgentId agent = make_agent();
  StorageExecutor executor(database(), loop_.poster());
  constexpr int count = 500;
  for (int i = 0; i < count; ++i) {
    executor.append(QueueEvent{"call-" + std::to_string(i % 10), std::nullopt, agent,
                               QueueEventKind::offer, at_ms(i), ""});
    executor.append(AgentStateChange{agent, AgentState::ringing, "", at_ms(i)});
  }
  std::optional<std::int64_t> seen;
  executor.post(
      [](Connection& c) {
        return c
            .query_one(
                "SELECT (SELECT COUNT(*) FROM queue_events) + "
                "(SELECT COUNT(*) FROM agent_state_changes)")
            ->int64(0);
      },
      [&](StoreResult<std::int64_t> r) { seen = r ? *r : -1; });
  ASSERT_TRUE(loop_.run_until([&] { return seen.has_value(); }));
  EXPECT_EQ(*seen, 2 * count);
  EXPECT_EQ(executor.failed_events(), 0u);
}

TEST_P(ExecutorTest, ABadEventDoesNotLoseTheRestOfItsBatch) {
  const AgentId agent = make_agent();
  StorageExecutor executor(database(), loop_.poster());
  executor.append(AgentStateChange{agent, AgentState::ready, "", at_ms(1)});
  executor.append(AgentStateChange{AgentId{999}, AgentState::ready, "", at_ms(2)});  // no agent
  executor.append(AgentStateChange{agent, AgentState::on_call, "", at_ms(3)});
  executor.drain();
  EXPECT_EQ(executor.failed_events(), 1u);
  EXPECT_EQ(AgentStateLog(db()).for_agent(agent, at_ms(0)).size(), 2u);
}

TEST_P(ExecutorTest, DestructorWritesEverythingQueued) {
  const AgentId agent = make_agent();
  std::atomic<int> completions_posted{0};  // the poster is called from every storage thread
  {
    StorageExecutor executor(
        database(), [&](std::function<void()>) { ++completions_posted; }, 2);
    for (int i = 0; i < 50; ++i) {
      CallRecord r;
      r.call_id = "call-" + std::to_string(i);
      r.arrival = at_ms(i);
      executor.post([r](Connection& c) { CallRecordRepository(c).insert(r); },
                    [](StoreResult<void>) {});
      executor.append(AgentStateChange{agent, AgentState::ready, "", at_ms(i)});
    }
  }
  EXPECT_EQ(completions_posted.load(), 50);
  EXPECT_EQ(db().query_one("SELECT COUNT(*) FROM call_records")->int64(0), 50);
  EXPECT_EQ(AgentStateLog(db()).for_agent(agent, at_ms(0)).size(), 50u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ExecutorTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ExecutorTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::store
