#include "store/executor.hpp"

#include <spdlog/spdlog.h>

namespace kefu::store {

namespace {

// Reader connections refuse writes, so a job posted as a read cannot bypass the writer (and its
// ordering) unnoticed. PostgreSQL: a session setting, which a reconnect after a lost connection
// does not restore; the guard is for programming mistakes, not a security boundary.
void make_read_only(Connection& connection) {
  connection.execute_script(connection.dialect() == Dialect::sqlite
                                ? "PRAGMA query_only = ON"
                                : "SET default_transaction_read_only = on");
}

}  // namespace

StorageExecutor::StorageExecutor(Database& database, Poster poster, std::size_t threads,
                                 std::size_t readers)
    : poster_(std::move(poster)), reader_count_(readers) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads + readers; ++i) {
    connections_.push_back(database.connect());
    if (i >= threads) make_read_only(*connections_.back());
  }
  threads_.reserve(threads + readers);
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    Connection* c = connections_[i].get();
    if (i < threads) {
      threads_.emplace_back([this, c] { worker(*c); });
    } else {
      threads_.emplace_back([this, c] { reader(*c); });
    }
  }
}

StorageExecutor::~StorageExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  wake_readers_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void StorageExecutor::enqueue(Task task, Lane lane) {
  {
    std::lock_guard lock(mutex_);
    (lane == Lane::writer ? tasks_ : reads_).push_back(std::move(task));
  }
  (lane == Lane::writer ? wake_ : wake_readers_).notify_one();
}

bool StorageExecutor::idle() const {
  return tasks_.empty() && reads_.empty() && events_.empty() && busy_workers_ == 0;
}

void StorageExecutor::append(StoredEvent event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  wake_.notify_one();
}

void StorageExecutor::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return idle(); });
}

std::size_t StorageExecutor::failed_events() const {
  std::lock_guard lock(mutex_);
  return failed_events_;
}

void StorageExecutor::worker(Connection& connection) {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty() || !events_.empty(); });
    if (tasks_.empty() && events_.empty()) break;  // stopping, and nothing left to write
    // Events and the next job are taken under one lock, so events appended before a job was
    // posted are committed before it runs.
    std::vector<StoredEvent> events;
    events.swap(events_);
    Task task;
    if (!tasks_.empty()) {
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    ++busy_workers_;
    lock.unlock();
    if (!events.empty()) write_events(connection, events);
    if (task) task(connection);
    lock.lock();
    --busy_workers_;
    if (idle()) idle_.notify_all();
  }
}

void StorageExecutor::reader(Connection& connection) {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_readers_.wait(lock, [this] { return stopping_ || !reads_.empty(); });
    if (reads_.empty()) break;  // stopping, and nothing left to read
    Task task = std::move(reads_.front());
    reads_.pop_front();
    ++busy_workers_;
    lock.unlock();
    task(connection);
    lock.lock();
    --busy_workers_;
    if (idle()) idle_.notify_all();
  }
}

namespace {

void write_event(QueueEventLog& queue_log, AgentStateLog& agent_log, const StoredEvent& event) {
  std::visit(
      [&](const auto& e) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, QueueEvent>) {
          queue_log.append(e);
        } else {
          agent_log.append(e);
        }
      },
      event);
}

}  // namespace

void StorageExecutor::write_events(Connection& connection, std::vector<StoredEvent>& events) {
  QueueEventLog queue_log(connection);
  AgentStateLog agent_log(connection);
  try {
    Transaction tx(connection);
    for (const StoredEvent& event : events) write_event(queue_log, agent_log, event);
    tx.commit();
    return;
  } catch (const std::exception& e) {
    spdlog::warn("store: batch of {} events failed ({}), writing them one by one", events.size(),
                 e.what());
  }
  // One bad event (e.g. an unknown agent id) must not take the rest of the batch with it.
  std::size_t lost = 0;
  for (const StoredEvent& event : events) {
    try {
      write_event(queue_log, agent_log, event);
    } catch (const std::exception& e) {
      spdlog::error("store: event lost: {}", e.what());
      ++lost;
    }
  }
  if (lost > 0) {
    std::lock_guard lock(mutex_);
    failed_events_ += lost;
  }
}

}  // namespace kefu::store
