#pragma once
// StorageExecutor: blocking database work off the event loops. A few threads, each owning one
// Connection, run posted jobs in FIFO order; each job's completion is handed back through the
// caller's poster (e.g. a lambda doing boost::asio::post to the control io_context), so
// completions run on the caller's loop, never on a storage thread.
//
// Append-only events (queue events, agent state changes) go through `append()`: they are
// collected and written in one transaction before the next job runs — group commit, one fsync
// for a burst of events instead of one each. Events appended before a job is posted are written
// before that job runs.
//
// Read-only jobs (look-ups behind GET requests) may go through `post_read()` instead: with
// readers configured they run on their own read-only connections, several at once, so that 200
// concurrent look-ups do not queue behind each other or behind writes on the writer. Writes keep
// their single writer thread (by default), their FIFO order and their group commit.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "store/agent_repository.hpp"
#include "store/database.hpp"
#include "store/queue_repository.hpp"

namespace kefu::store {

// Called on storage threads (several at once when the pool has more than one): must be
// thread-safe, as boost::asio::post is.
using Poster = std::function<void(std::function<void()>)>;

struct StoreFailure {
  StoreErrorKind kind = StoreErrorKind::other;
  std::string message;
};

template <typename T>
using StoreResult = Result<std::conditional_t<std::is_void_v<T>, std::monostate, T>, StoreFailure>;

using StoredEvent = std::variant<QueueEvent, AgentStateChange>;

class StorageExecutor {
 public:
  // Opens `threads` writer connections and `readers` read-only ones now (a failure throws here,
  // at startup, not in a job later). For SQLite one writer is the right default: writes are
  // serialised by the file lock anyway. No readers: post_read() jobs join the writers' queue.
  StorageExecutor(Database& database, Poster poster, std::size_t threads = 1,
                  std::size_t readers = 0);
  // Runs every job and event already queued (records must reach the disk), then joins.
  ~StorageExecutor();
  StorageExecutor(const StorageExecutor&) = delete;
  StorageExecutor& operator=(const StorageExecutor&) = delete;

  // `job(Connection&)` runs on a storage thread and may return a value; `done(StoreResult<T>)`
  // runs through the poster. A StoreError (or other exception) thrown by the job becomes the
  // failure value. Thread-safe.
  template <typename Job, typename Done>
  void post(Job job, Done done) {
    enqueue(wrap(std::move(job), std::move(done)), Lane::writer);
  }

  // The same for a job that only reads. It runs on a reader connection, in parallel with other
  // reads and with the writer, and sees every write whose completion has run (a client that got
  // the answer to its POST finds the row with its next GET); it has no order relative to writes
  // still queued. A write in it fails (the connection is read-only) rather than bypassing the
  // writer. Thread-safe.
  template <typename Job, typename Done>
  void post_read(Job job, Done done) {
    enqueue(wrap(std::move(job), std::move(done)), reader_count_ > 0 ? Lane::reader : Lane::writer);
  }

  std::size_t reader_count() const { return reader_count_; }

  // Queues an append-only event for the next group commit. Thread-safe, never blocks on disk.
  void append(StoredEvent event);

  // Blocks until everything queued before the call has run (tests, orderly shutdown).
  void drain();

  // Events lost because their batch failed to commit (logged too).
  std::size_t failed_events() const;

 private:
  using Task = std::function<void(Connection&)>;
  enum class Lane { writer, reader };

  template <typename Job, typename Done>
  Task wrap(Job job, Done done) {
    using T = std::invoke_result_t<Job&, Connection&>;
    // shared_ptr so that move-only jobs and completions fit in std::function.
    auto job_ptr = std::make_shared<Job>(std::move(job));
    auto done_ptr = std::make_shared<Done>(std::move(done));
    return [this, job_ptr, done_ptr](Connection& connection) {
      auto outcome = std::make_shared<StoreResult<T>>(run<T>(*job_ptr, connection));
      poster_([done_ptr, outcome] { (*done_ptr)(std::move(*outcome)); });
    };
  }

  template <typename T, typename Job>
  static StoreResult<T> run(Job& job, Connection& connection) {
    try {
      if constexpr (std::is_void_v<T>) {
        job(connection);
        return std::monostate{};
      } else {
        return job(connection);
      }
    } catch (const StoreError& e) {
      return unexpected(StoreFailure{e.kind(), e.what()});
    } catch (const std::exception& e) {
      return unexpected(StoreFailure{StoreErrorKind::other, e.what()});
    }
  }

  void enqueue(Task task, Lane lane);
  void worker(Connection& connection);
  void reader(Connection& connection);
  bool idle() const;  // with mutex_ held
  void write_events(Connection& connection, std::vector<StoredEvent>& events);

  Poster poster_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t reader_count_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable wake_readers_;
  std::condition_variable idle_;
  std::deque<Task> tasks_;
  std::deque<Task> reads_;
  std::vector<StoredEvent> events_;
  std::size_t busy_workers_ = 0;
  std::size_t failed_events_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kefu::store
