#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

// Blocks the jobs that call arrive_and_wait() until `parties` of them are inside at once, or
// until a deadline: jobs that the executor runs one after another never all meet.
class Rendezvous {
 public:
  explicit Rendezvous(int parties) : parties_(parties) {}
  bool arrive_and_wait(std::chrono::seconds deadline = std::chrono::seconds{10}) {
    std::unique_lock lock(mutex_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, deadline, [this] { return arrived_ >= parties_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int parties_;
  int arrived_ = 0;
};

// A gate a test opens: jobs that wait on it hold their thread until then (or a deadline).
class Gate {
 public:
  bool wait(std::chrono::seconds deadline = std::chrono::seconds{10}) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, deadline, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST_P(ExecutorTest, ReadsRunInParallelOnTheReaders) {
  constexpr int readers = 3;
  StorageExecutor executor(database(), loop_.poster(), 1, readers);
  EXPECT_EQ(executor.reader_count(), 3u);
  Rendezvous all_inside(readers);
  std::mutex threads_mutex;
  std::set<std::thread::id> threads;
  int met = 0;
  int finished = 0;
  for (int i = 0; i < readers; ++i) {
    executor.post_read(
        [&](Connection& c) {
          {
            std::lock_guard lock(threads_mutex);
            threads.insert(std::this_thread::get_id());
          }
          c.query_one("SELECT COUNT(*) FROM schema_migrations");
          return all_inside.arrive_and_wait();
        },
        [&](StoreResult<bool> r) {
          ++finished;
          if (r && *r) ++met;
        });
  }
  ASSERT_TRUE(loop_.run_until([&] { return finished == readers; }, std::chrono::seconds{30}));
  EXPECT_EQ(met, readers);  // all three were running at the same time
  EXPECT_EQ(threads.size(), 3u);
}

TEST_P(ExecutorTest, ReadsDoNotWaitBehindABusyWriter) {
  StorageExecutor executor(database(), loop_.poster(), 1, 2);
  Gate write_may_finish;
  bool write_done = false;
  std::optional<std::int64_t> read;
  executor.post([&](Connection&) { return write_may_finish.wait(); },
                [&](StoreResult<bool> r) { write_done = r && *r; });
  executor.post_read(
      [](Connection& c) { return c.query_one("SELECT COUNT(*) FROM schema_migrations")->int64(0); },
      [&](StoreResult<std::int64_t> r) { read = r ? *r : -1; });
  // The read completes while the writer is still held.
  ASSERT_TRUE(loop_.run_until([&] { return read.has_value(); }));
  EXPECT_EQ(*read, latest_schema_version());
  EXPECT_FALSE(write_done);
  write_may_finish.open();
  ASSERT_TRUE(loop_.run_until([&] { return write_done; }));
}

TEST_P(ExecutorTest, WritesStayInOrderOnOneThreadWhileReadsRun) {
  StorageExecutor executor(database(), loop_.poster(), 1, 3);
  constexpr int count = 200;
  std::mutex jobs_mutex;
  std::set<std::thread::id> writer_threads;
  std::vector<int> job_order;
  std::vector<int> completion_order;
  int reads_done = 0;
  int read_failures = 0;
  for (int i = 0; i < count; ++i) {
    CallRecord r;
    r.call_id = "call-" + std::to_string(i);
    r.arrival = at_ms(i);
    executor.post(
        [&, r, i](Connection& c) {
          CallRecordRepository(c).insert(r);
          std::lock_guard lock(jobs_mutex);
          writer_threads.insert(std::this_thread::get_id());
          job_order.push_back(i);
        },
        [&completion_order, i](StoreResult<void> result) {
          if (result) completion_order.push_back(i);
        });
    executor.post_read(
        [](Connection& c) { return c.query_one("SELECT COUNT(*) FROM call_records")->int64(0); },
        [&](StoreResult<std::int64_t> result) {
          ++reads_done;
          if (!result) ++read_failures;
        });
  }
  ASSERT_TRUE(
      loop_.run_until([&] { return completion_order.size() == count && reads_done == count; }));
  EXPECT_EQ(read_failures, 0);
  std::lock_guard lock(jobs_mutex);
  EXPECT_EQ(writer_threads.size(), 1u);
  ASSERT_EQ(job_order.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(job_order[i], i);
    ASSERT_EQ(completion_order[i], i);
  }
  EXPECT_EQ(db().query_one("SELECT COUNT(*) FROM call_records")->int64(0), count);
}

TEST_P(ExecutorTest, AReadSeesAWriteWhoseCompletionRan) {
  StorageExecutor executor(database(), loop_.poster(), 1, 2);
  std::optional<std::int64_t> seen;
  CallRecord r;
  r.call_id = "c1";
  r.arrival = at_ms(1);
  executor.post([r](Connection& c) { CallRecordRepository(c).insert(r); },
                [&](StoreResult<void> result) {
                  ASSERT_TRUE(result);
                  executor.post_read(
                      [](Connection& c) {
                        return c.query_one("SELECT COUNT(*) FROM call_records")->int64(0);
                      },
                      [&](StoreResult<std::int64_t> count) { seen = count ? *count : -1; });
                });
  ASSERT_TRUE(loop_.run_until([&] { return seen.has_value(); }));
  EXPECT_EQ(*seen, 1);
}

TEST_P(ExecutorTest, AWritePostedAsAReadFails) {
  StorageExecutor executor(database(), loop_.poster(), 1, 1);
  std::optional<StoreResult<void>> outcome;
  CallRecord r;
  r.call_id = "c1";
  r.arrival = at_ms(1);
  executor.post_read([r](Connection& c) { CallRecordRepository(c).insert(r); },
                     [&](StoreResult<void> result) { outcome = std::move(result); });
  ASSERT_TRUE(loop_.run_until([&] { return outcome.has_value(); }));
  EXPECT_FALSE(outcome->has_value());
  EXPECT_EQ(db().query_one("SELECT COUNT(*) FROM call_records")->int64(0), 0);
}

TEST_P(ExecutorTest, WithoutReadersReadsQueueOnTheWriter) {
  StorageExecutor executor(database(), loop_.poster());
  EXPECT_EQ(executor.reader_count(), 0u);
  std::vector<std::string> order;
  executor.post([](Connection&) {}, [&](StoreResult<void>) { order.push_back("write 1"); });
  executor.post_read([](Connection&) {}, [&](StoreResult<void>) { order.push_back("read"); });
  executor.post([](Connection&) {}, [&](StoreResult<void>) { order.push_back("write 2"); });
  ASSERT_TRUE(loop_.run_until([&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<std::string>{"write 1", "read", "write 2"}));
}

TEST_P(ExecutorTest, DrainAndDestructorFinishQueuedReads) {
  std::atomic<int> reads{0};
  std::atomic<int> completions_posted{0};
  {
    StorageExecutor executor(
        database(), [&](std::function<void()>) { ++completions_posted; }, 1, 2);
    for (int i = 0; i < 20; ++i) {
      executor.post_read(
          [&](Connection& c) {
            c.query_one("SELECT COUNT(*) FROM schema_migrations");
            ++reads;
          },
          [](StoreResult<void>) {});
    }
    executor.drain();
    EXPECT_EQ(reads.load(), 20);
    for (int i = 0; i < 20; ++i) {
      executor.post_read([&](Connection&) { ++reads; }, [](StoreResult<void>) {});
    }
  }
  EXPECT_EQ(reads.load(), 40);
  EXPECT_EQ(completions_posted.load(), 40);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ExecutorTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ExecutorTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::store
