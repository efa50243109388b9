#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>

#include "store/database.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

using test::StoreTest;
using test::TempDir;

TEST(SqliteDatabase, OpensInWalWithForeignKeysAndChosenSynchronous) {
  TempDir dir;
  SqliteDatabase full(dir.path() / "a.db");
  auto c = full.connect();
  EXPECT_EQ(c->query_one("PRAGMA journal_mode")->text(0), "wal");
  EXPECT_EQ(c->query_one("PRAGMA foreign_keys")->int64(0), 1);
  EXPECT_EQ(c->query_one("PRAGMA synchronous")->int64(0), 2);  // FULL
  EXPECT_EQ(c->query_one("PRAGMA busy_timeout")->int64(0), 5000);
  EXPECT_EQ(c->query_one("PRAGMA mmap_size")->int64(0), std::int64_t{1} << 30);

  SqliteDatabase normal(dir.path() / "b.db", {Durability::process_crash, Millis{250}});
  auto n = normal.connect();
  EXPECT_EQ(n->query_one("PRAGMA synchronous")->int64(0), 1);  // NORMAL
  EXPECT_EQ(n->query_one("PRAGMA busy_timeout")->int64(0), 250);
}

TEST(SqliteDatabase, UnopenableFileThrows) {
  SqliteDatabase missing("/nonexistent-dir-for-kefu-tests/x.db");
  EXPECT_THROW(missing.connect(), StoreError);
}

// The behaviour every backend must share.
class DatabaseTest : public test::EmptyDatabaseTest {};

TEST_P(DatabaseTest, ParametersAreBoundNotSpliced) {
  auto c = database().connect();
  c->execute_script("CREATE TABLE t (v TEXT)");
  const std::string hostile = "x'); DROP TABLE t; --";
  c->execute("INSERT INTO t (v) VALUES (?)", {hostile});
  EXPECT_EQ(c->query_one("SELECT v FROM t")->text(0), hostile);
  EXPECT_THROW(c->execute("INSERT INTO t (v) VALUES (?)", {}), StoreError);  // count checked
}

TEST_P(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  auto c = database().connect();
  c->execute_script("CREATE TABLE t (v INTEGER)");
  {
    Transaction tx(*c);
    c->execute("INSERT INTO t (v) VALUES (?)", {std::int64_t{1}});
  }
  EXPECT_EQ(c->query_one("SELECT COUNT(*) FROM t")->int64(0), 0);
  {
    Transaction outer(*c);
    {
      Transaction inner(*c);  // joins the outer one
      c->execute("INSERT INTO t (v) VALUES (?)", {std::int64_t{2}});
      inner.commit();
    }
    EXPECT_TRUE(c->in_transaction());
    outer.commit();
  }
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(c->query_one("SELECT COUNT(*) FROM t")->int64(0), 1);
}

TEST_P(DatabaseTest, ValuesRoundTrip) {
  auto c = database().connect();
  c->execute_script("CREATE TABLE t (i BIGINT, d DOUBLE PRECISION, s TEXT)");
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  c->execute("INSERT INTO t (i, d, s) VALUES (?, ?, ?)", {big, 0.1, std::string("广州 ' \\ \"")});
  c->execute("INSERT INTO t (i, d, s) VALUES (?, ?, ?)", {small, -1.5e300, std::string()});
  c->execute("INSERT INTO t (i, d, s) VALUES (?, ?, ?)", {nullptr, nullptr, nullptr});
  auto rows = c->query("SELECT i, d, s FROM t ORDER BY i NULLS LAST");  // PG: last, SQLite: first
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].int64(0), small);
  EXPECT_EQ(rows[1].int64(0), big);
  EXPECT_TRUE(rows[2].is_null(0));
  EXPECT_TRUE(rows[2].is_null(1));
  EXPECT_TRUE(rows[2].is_null(2));
  EXPECT_EQ(rows[2].text(2), "");
  EXPECT_EQ(rows[0].real(1), -1.5e300);
  EXPECT_EQ(rows[1].real(1), 0.1);  // exact: no digits lost on the way
  EXPECT_EQ(c->query_one("SELECT s FROM t WHERE i = ?", {big})->text(0), "广州 ' \\ \"");
  EXPECT_EQ(c->query_one("SELECT s FROM t WHERE i = ?", {small})->text(0), "");
  EXPECT_FALSE(c->query_one("SELECT s FROM t WHERE i = ?", {std::int64_t{42}}));
}

TEST_P(DatabaseTest, StatementsStayCachedAcrossTransactionsAndErrors) {
  auto c = database().connect();
  c->execute_script("CREATE TABLE t (v INTEGER PRIMARY KEY)");
  constexpr std::string_view insert = "INSERT INTO t (v) VALUES (?)";
  {
    Transaction tx(*c);  // first prepared inside a transaction that is rolled back
    c->execute(insert, {std::int64_t{1}});
  }
  c->execute(insert, {std::int64_t{1}});
  EXPECT_THROW(c->execute(insert, {std::int64_t{1}}), StoreError);
  EXPECT_THROW(c->execute("SELEC nonsense", {}), StoreError);
  EXPECT_EQ(c->execute(insert, {std::int64_t{2}}), 1);
  EXPECT_EQ(c->execute("UPDATE t SET v = v + 10", {}), 2);
  EXPECT_EQ(c->query_one("SELECT COUNT(*) FROM t")->int64(0), 2);
}

TEST_P(DatabaseTest, QueryAllAnswersEveryStatementInOrder) {
  auto c = database().connect();
  c->execute_script("CREATE TABLE t (k BIGINT, v TEXT)");
  for (std::int64_t k = 1; k <= 3; ++k)
    c->execute("INSERT INTO t VALUES (?, ?)", {k, "v" + std::to_string(k)});
  const std::vector<Query> queries{
      {"SELECT v FROM t WHERE k >= ? ORDER BY k", {std::int64_t{2}}},
      {"SELECT COUNT(*) FROM t WHERE v = ?", {std::string("nothing")}},
      // A later statement names what an earlier one finds through a subquery.
      {"SELECT v FROM t WHERE k = (SELECT MAX(k) FROM t WHERE k < ?)", {std::int64_t{3}}}};
  auto results = c->query_all(queries);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_EQ(results[0].size(), 2u);
  EXPECT_EQ(results[0][0].text(0), "v2");
  EXPECT_EQ(results[0][1].text(0), "v3");
  EXPECT_EQ(results[1].at(0).int64(0), 0);
  EXPECT_EQ(results[2].at(0).text(0), "v2");
  EXPECT_FALSE(c->in_transaction());

  // Inside a caller's transaction the batch joins it: it sees the uncommitted row, and the
  // transaction is still the caller's to end.
  Transaction tx(*c);
  c->execute("INSERT INTO t VALUES (?, ?)", {std::int64_t{4}, std::string("v4")});
  results = c->query_all(queries);
  EXPECT_EQ(results[0].size(), 3u);
  EXPECT_TRUE(c->in_transaction());
  tx.commit();
  EXPECT_FALSE(c->in_transaction());
  // The same statements again, now cached.
  EXPECT_EQ(c->query_all(queries)[0].size(), 3u);
}

TEST_P(DatabaseTest, QueryAllFailureThrowsAndTheConnectionGoesOn) {
  auto c = database().connect();
  c->execute_script("CREATE TABLE t (k BIGINT)");
  c->execute("INSERT INTO t VALUES (?)", {std::int64_t{1}});
  const std::vector<Query> bad_table{{"SELECT k FROM t", {}}, {"SELECT k FROM missing", {}}};
  EXPECT_THROW(c->query_all(bad_table), StoreError);
  EXPECT_FALSE(c->in_transaction());
  if (backend() == test::Backend::postgresql) {
    // Fails while the batch runs (SQLite answers NULL): the statements after it are skipped,
    // the read transaction is ended and the next batch runs.
    const std::vector<Query> divide{{"SELECT k FROM t", {}},
                                    {"SELECT 1 / (k - ?) FROM t", {std::int64_t{1}}},
                                    {"SELECT k FROM t", {}}};
    try {
      c->query_all(divide);
      ADD_FAILURE() << "division by zero not reported";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(c->in_transaction());
  }
  const std::vector<Query> good{{"SELECT k FROM t", {}},
                                {"SELECT k + ? FROM t", {std::int64_t{1}}}};
  auto results = c->query_all(good);
  EXPECT_EQ(results.at(1).at(0).int64(0), 2);
  EXPECT_EQ(c->execute("INSERT INTO t VALUES (?)", {std::int64_t{5}}), 1);  // not read-only now
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DatabaseTest, ::testing::Values(test::Backend::postgresql));

TEST(Dialect, DdlAndPlaceholders) {
  EXPECT_EQ(render_ddl("CREATE TABLE a (id {id_pk}, b TEXT)", Dialect::sqlite),
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT)");
  EXPECT_EQ(render_ddl("CREATE TABLE a (id {id_pk})", Dialect::postgresql),
            "CREATE TABLE a (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)");
  EXPECT_EQ(to_postgres_placeholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2");
  EXPECT_EQ(to_postgres_placeholders("SELECT \"a?\", 'it''s ?' FROM t WHERE b = ?"),
            "SELECT \"a?\", 'it''s ?' FROM t WHERE b = $1");
  EXPECT_EQ(to_postgres_placeholders("SELECT ? -- why?\n, ? /* what? */ , ?"),
            "SELECT $1 -- why?\n, $2 /* what? */ , $3");
  EXPECT_EQ(to_postgres_placeholders("SELECT 5-?, 6/?, '-- ?' /* '? */"),
            "SELECT 5-$1, 6/$2, '-- ?' /* '? */");
  EXPECT_EQ(to_postgres_placeholders("SELECT ?"), "SELECT $1");
  EXPECT_EQ(to_postgres_placeholders(""), "");
}

class ConcurrencyTest : public StoreTest {};

// A reader keeps its snapshot while a writer commits, and neither waits for the other (SQLite:
// WAL; in the rollback-journal mode the COMMIT below would fail with busy while the reader is
// open. PostgreSQL: MVCC and a REPEATABLE READ read transaction).
TEST_P(ConcurrencyTest, ReaderSnapshotDoesNotBlockWriter) {
  std::unique_ptr<Database> fast;  // SQLite: a short busy timeout, so a regression fails fast
  if (backend() == test::Backend::sqlite) {
    fast = std::make_unique<SqliteDatabase>(scratch().sqlite_file(),
                                            SqliteOptions{Durability::power_loss, Millis{50}});
  }
  Database& shared = fast ? *fast : database();
  auto reader = shared.connect();
  auto writer = shared.connect();
  reader->begin(TransactionMode::read);
  EXPECT_EQ(reader->query_one("SELECT COUNT(*) FROM skills")->int64(0), 0);
  {
    Transaction tx(*writer);
    writer->execute("INSERT INTO skills (name) VALUES (?)", {std::string("billing")});
    tx.commit();  // must not be blocked by the open reader
  }
  EXPECT_EQ(reader->query_one("SELECT COUNT(*) FROM skills")->int64(0), 0);  // its snapshot
  reader->commit();
  EXPECT_EQ(reader->query_one("SELECT COUNT(*) FROM skills")->int64(0), 1);
}

TEST_P(ConcurrencyTest, ReadersOnThreadsWhileWriting) {
  constexpr int writes = 200;
  std::atomic<bool> writer_done{false};
  std::atomic<int> reader_errors{0};
  std::atomic<int> non_monotonic{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      try {
        auto c = database().connect();
        std::int64_t last = 0;
        // Bounded: at most a generous number of reads, and stop soon after the writer finishes.
        for (int i = 0; i < 100000 && !writer_done.load(); ++i) {
          const auto n = c->query_one("SELECT COUNT(*) FROM skills")->int64(0);
          if (n < last) ++non_monotonic;
          last = n;
          ++reads;
        }
      } catch (const std::exception&) {
        ++reader_errors;
      }
    });
  }
  {
    auto w = database().connect();
    for (int i = 0; i < writes; ++i) {
      Transaction tx(*w);
      w->execute("INSERT INTO skills (name) VALUES (?)", {"skill-" + std::to_string(i)});
      tx.commit();
    }
  }
  writer_done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(non_monotonic.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(db().query_one("SELECT COUNT(*) FROM skills")->int64(0), writes);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ConcurrencyTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ConcurrencyTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::store
