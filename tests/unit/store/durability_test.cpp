// "A killed process keeps every finished call's record": a child process commits one call
// record, starts a second write it never commits, and is killed with SIGKILL in the middle.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/call_repository.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

using test::at_ms;
using test::TempDir;

CallRecord finished_call(const std::string& id) {
  CallRecord r;
  r.call_id = id;
  r.caller_number = "+8613912345678";
  r.dialed_number = "4000";
  r.arrival = at_ms(1'000);
  r.answered = at_ms(2'000);
  r.ended = at_ms(62'000);
  r.talk = Millis{60'000};
  r.disposition = Disposition::answered;
  return r;
}

// Runs in the child: never returns.
[[noreturn]] void child_writes_then_waits(const std::filesystem::path& file, int ready_fd) {
  try {
    SqliteDatabase database(file);
    auto c = database.connect();
    CallRecordRepository calls(*c);
    calls.insert(finished_call("committed"));  // autocommit: durable when this returns

    // A tiny page cache makes SQLite spill the uncommitted pages into the WAL, so the file
    // really holds frames of a transaction without its commit record when the kill lands.
    c->execute_script("PRAGMA cache_size=8");
    c->begin(TransactionMode::write);
    calls.insert(finished_call("uncommitted"));
    const std::string padding(512, 'x');
    for (int i = 0; i < 2000; ++i) {
      calls.add_leg({LegRowId{}, "uncommitted", LegRole::caller, padding, std::nullopt, at_ms(i),
                     std::nullopt, std::nullopt, padding});
    }
    const char ready = 'r';
    if (write(ready_fd, &ready, 1) != 1) _exit(3);
    while (true) pause();  // killed here, mid-transaction
  } catch (...) {
    _exit(2);
  }
}

TEST(Durability, CommittedRecordSurvivesSigkillUncommittedDoesNot) {
  TempDir dir;
  const auto file = dir.path() / "kefu.db";
  {
    SqliteDatabase database(file);
    auto c = database.connect();
    migrate(*c);
  }  // no connection open across fork()

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    child_writes_then_waits(file, pipe_fds[1]);
  }
  close(pipe_fds[1]);

  pollfd ready{pipe_fds[0], POLLIN, 0};
  const int polled = poll(&ready, 1, 30'000);  // deadline, not a sleep
  char byte = 0;
  const bool child_ready = polled == 1 && read(pipe_fds[0], &byte, 1) == 1 && byte == 'r';
  close(pipe_fds[0]);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(child_ready) << "child did not reach the uncommitted write; status " << status;
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  // The WAL has frames of the unfinished transaction in it.
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "kefu.db-wal"));
  EXPECT_GT(std::filesystem::file_size(dir.path() / "kefu.db-wal"), 64u * 1024u);

  SqliteDatabase reopened(file);
  auto c = reopened.connect();
  EXPECT_EQ(c->query_one("PRAGMA integrity_check")->text(0), "ok");
  CallRecordRepository calls(*c);
  auto committed = calls.find("committed");
  ASSERT_TRUE(committed);
  EXPECT_EQ(committed->disposition, Disposition::answered);
  EXPECT_EQ(committed->talk, Millis{60'000});
  EXPECT_EQ(committed->ended, at_ms(62'000));
  EXPECT_FALSE(calls.find("uncommitted"));
  EXPECT_TRUE(calls.legs("uncommitted").empty());
  // The dead writer left no lock behind: the database takes new writes.
  calls.insert(finished_call("after-restart"));
  EXPECT_TRUE(calls.find("after-restart"));
}

}  // namespace
}  // namespace kefu::store
