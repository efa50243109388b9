// What only the PostgreSQL backend has: connection errors, SQLSTATE mapping, type mapping,
// statement caching on the server, reconnection. The behaviour both backends share is tested
// on both by the parameterised suites of the other files.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "postgres_cluster.hpp"
#include "store/agent_repository.hpp"
#include "store/open_database.hpp"
#include "store/postgres_database.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

using test::Backend;

constexpr std::string_view password = "S3cret-Passw0rd";

TEST(PostgresDatabase, ConnectionRefusedNamesHostAndPortButNotThePassword) {
  const int port = test::free_loopback_port();
  PostgresDatabase database("postgresql://kefu:" + std::string(password) +
                            "@127.0.0.1:" + std::to_string(port) + "/kefu?connect_timeout=5");
  EXPECT_EQ(database.description(), "kefu@127.0.0.1:" + std::to_string(port) + "/kefu");
  try {
    database.connect();
    FAIL() << "connected to a port nothing listens on";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), StoreErrorKind::other);
    EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(port)), std::string::npos) << message;
    EXPECT_NE(message.find("refused"), std::string::npos) << message;
    EXPECT_EQ(message.find(password), std::string::npos) << message;
  }
  // Only checked when connecting: a port that is not a number.
  PostgresDatabase bad_port("postgresql://kefu:" + std::string(password) + "@127.0.0.1:x/kefu");
  try {
    bad_port.connect();
    FAIL() << "connected with port x";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("port"), std::string::npos) << e.what();
  }
}

TEST(PostgresDatabase, MalformedUrlFailsAtConstructionWithoutThePassword) {
  // libpq quotes the bad percent-encoded token, password and all, in its message.
  for (const std::string& url :
       {"postgresql://kefu:" + std::string(password) + "@127.0.0.1/kefu?nosuchoption=1",
        "postgresql://kefu:" + std::string(password) + "%zz@127.0.0.1/kefu"}) {
    try {
      PostgresDatabase database(url);
      ADD_FAILURE() << "accepted " << url;
    } catch (const StoreError& e) {
      EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("connection string"), std::string::npos) << e.what();
    }
  }
}

TEST(PostgresDatabase, SqlstateToErrorKind) {
  EXPECT_EQ(store_error_kind_for_sqlstate("23505"), StoreErrorKind::constraint);  // unique
  EXPECT_EQ(store_error_kind_for_sqlstate("23503"), StoreErrorKind::constraint);  // foreign key
  EXPECT_EQ(store_error_kind_for_sqlstate("23514"), StoreErrorKind::constraint);  // check
  EXPECT_EQ(store_error_kind_for_sqlstate("40001"), StoreErrorKind::busy);        // serialization
  EXPECT_EQ(store_error_kind_for_sqlstate("40P01"), StoreErrorKind::busy);        // deadlock
  EXPECT_EQ(store_error_kind_for_sqlstate("55P03"), StoreErrorKind::busy);        // lock timeout
  EXPECT_EQ(store_error_kind_for_sqlstate("42P01"), StoreErrorKind::other);       // no such table
  EXPECT_EQ(store_error_kind_for_sqlstate(""), StoreErrorKind::other);  // client-side failure
}

TEST(OpenDatabase, UrlSchemesChooseTheBackend) {
  test::TempDir dir;
  const auto file = (dir.path() / "kefu.db").string();
  auto sqlite = open_database(file);
  ASSERT_NE(dynamic_cast<SqliteDatabase*>(sqlite.get()), nullptr);
  EXPECT_EQ(dynamic_cast<SqliteDatabase&>(*sqlite).file(), file);
  EXPECT_EQ(sqlite->connect()->dialect(), Dialect::sqlite);

  for (const char* url : {"postgresql://kefu@127.0.0.1:5432/kefu", "postgres://127.0.0.1/kefu"}) {
    auto postgres = open_database(url);
    EXPECT_NE(dynamic_cast<PostgresDatabase*>(postgres.get()), nullptr) << url;
  }
  EXPECT_FALSE(is_postgres_url("postgresql.db"));
  EXPECT_FALSE(is_postgres_url("/var/lib/kefu/postgres://x"));
  EXPECT_THROW(open_database("postgresql://kefu@127.0.0.1/kefu?nosuchoption=1"), StoreError);
}

// A migrated PostgreSQL database, as in the parameterised suites, for PostgreSQL-only tests.
class PostgresTest : public test::StoreTest {
 protected:
  std::string sqlstate_of(const std::function<void()>& statement) {
    try {
      statement();
    } catch (const StoreError& e) {
      const std::string message = e.what();
      const auto at = message.find("[SQLSTATE ");
      return at == std::string::npos ? message : message.substr(at + 10, 5);
    }
    return "no error";
  }
};

TEST_P(PostgresTest, OpenDatabaseConnectsByUrl) {
  auto database = open_database(test::postgres_url(scratch().postgres_schema()));
  auto c = database->connect();
  EXPECT_EQ(c->dialect(), Dialect::postgresql);
  EXPECT_EQ(c->query_one("SELECT current_schema()")->text(0), scratch().postgres_schema());
  EXPECT_EQ(schema_version(*c), latest_schema_version());
}

TEST_P(PostgresTest, ConstraintViolationsKeepTheServersMessage) {
  AgentRepository agents(db());
  Agent agent;
  agent.agent_number = "1001";
  agent.name = "a";
  const AgentId id = agents.create(agent);
  try {
    agents.create(agent);
    FAIL() << "duplicate agent number accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::constraint);
    const std::string message = e.what();
    EXPECT_NE(message.find("duplicate key value violates unique constraint"), std::string::npos)
        << message;
    EXPECT_NE(message.find("agents_agent_number_key"), std::string::npos) << message;
    EXPECT_NE(message.find("23505"), std::string::npos) << message;
  }
  EXPECT_EQ(sqlstate_of([&] { agents.set_skill(id, SkillId{999}, 5); }), "23503");
  const SkillId skill = SkillRepository(db()).create("billing");
  EXPECT_EQ(sqlstate_of([&] { agents.set_skill(id, skill, 11); }), "23514");
  EXPECT_EQ(sqlstate_of([&] { db().execute("INSERT INTO skills (name) VALUES (?)", {nullptr}); }),
            "23502");
  EXPECT_FALSE(db().in_transaction());
}

TEST_P(PostgresTest, LockTimeoutIsBusy) {
  PostgresDatabase quick(scratch().conninfo(), {std::chrono::seconds{10}, Millis{100}});
  auto holder = quick.connect();
  auto waiter = quick.connect();
  const SkillId skill = SkillRepository(*holder).create("billing");
  holder->begin(TransactionMode::write);
  holder->execute("UPDATE skills SET name = ? WHERE id = ?", {std::string("x"), raw(skill)});
  try {
    waiter->execute("UPDATE skills SET name = ? WHERE id = ?", {std::string("y"), raw(skill)});
    FAIL() << "the row lock did not make the second writer wait";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::busy) << e.what();
  }
  holder->rollback();
  EXPECT_EQ(
      waiter->execute("UPDATE skills SET name = ? WHERE id = ?", {std::string("y"), raw(skill)}),
      1);
}

TEST_P(PostgresTest, ColumnTypesMapToValues) {
  auto row = db().query_one(
      "SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8, true, false, 'x'::text, "
      "NULL, 12::numeric, 12.5::numeric, DATE '2024-01-31', CAST(? AS BIGINT), "
      "CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT), (SELECT SUM(v) FROM (VALUES (1), (2)) t(v))",
      {std::int64_t{-7}, 0.5, std::string("é")});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->int64(0), 1);
  EXPECT_EQ(row->int64(1), 2);
  EXPECT_EQ(row->int64(2), 3);
  EXPECT_EQ(row->real(3), 1.5);
  EXPECT_EQ(row->real(4), 2.25);
  EXPECT_EQ(row->int64(5), 1);
  EXPECT_EQ(row->int64(6), 0);
  EXPECT_EQ(row->text(7), "x");
  EXPECT_TRUE(row->is_null(8));
  EXPECT_EQ(row->int64(9), 12);  // NUMERIC, as SUM() returns: whole numbers read as integers
  EXPECT_EQ(row->real(10), 12.5);
  EXPECT_EQ(row->text(11), "2024-01-31");
  EXPECT_THROW(row->int64(11), StoreError);  // other types are text
  EXPECT_EQ(row->int64(12), -7);
  EXPECT_EQ(row->real(13), 0.5);
  EXPECT_EQ(row->text(14), "é");
  EXPECT_EQ(row->int64(15), 3);
}

TEST_P(PostgresTest, FloatSpecialsAndHugeNumericsRoundTrip) {
  const double infinity = std::numeric_limits<double>::infinity();
  auto row = db().query_one(
      "SELECT CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), "
      "CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), "
      "123456789012345678901234567890::numeric",
      {infinity, -infinity, std::numeric_limits<double>::quiet_NaN(), 5e-324});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->real(0), infinity);
  EXPECT_EQ(row->real(1), -infinity);
  EXPECT_TRUE(std::isnan(row->real(2)));
  EXPECT_EQ(row->real(3), 5e-324);  // the smallest subnormal, every digit kept
  EXPECT_DOUBLE_EQ(row->real(4), 1.2345678901234568e29);
}

TEST_P(PostgresTest, QuestionMarksInLiteralsAndCommentsAreNotParameters) {
  auto row = db().query_one(
      "SELECT CAST(? AS TEXT) || '?', /* ? */ CAST(? AS BIGINT), 'it''s ?' -- ?\n, \"?\" "
      "FROM (SELECT 1 AS \"?\") AS t",
      {std::string("what"), std::int64_t{2}});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), "what?");
  EXPECT_EQ(row->int64(1), 2);
  EXPECT_EQ(row->text(2), "it's ?");
  EXPECT_EQ(row->int64(3), 1);
}

TEST_P(PostgresTest, EachStatementIsPreparedOncePerConnection) {
  constexpr std::string_view sql = "SELECT CAST(? AS BIGINT) + 1 AS kefu_cache_probe";
  for (std::int64_t i = 0; i < 5; ++i) EXPECT_EQ(db().query_one(sql, {i})->int64(0), i + 1);
  EXPECT_EQ(db().query_one("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = ?",
                           {to_postgres_placeholders(sql)})
                ->int64(0),
            1);
}

TEST_P(PostgresTest, CommitOfAFailedTransactionThrows) {
  SkillRepository skills(db());
  db().begin(TransactionMode::write);
  skills.create("billing");
  EXPECT_THROW(skills.create("billing"), StoreError);  // aborts the whole transaction
  EXPECT_TRUE(db().in_transaction());
  EXPECT_THROW(db().commit(), StoreError);  // the server answered ROLLBACK
  EXPECT_FALSE(db().in_transaction());
  EXPECT_TRUE(skills.list().empty());
}

TEST_P(PostgresTest, ReadTransactionRefusesWrites) {
  db().begin(TransactionMode::read);
  EXPECT_THROW(SkillRepository(db()).create("billing"), StoreError);
  db().rollback();
  EXPECT_FALSE(db().in_transaction());
}

TEST_P(PostgresTest, NulInTextIsRefusedNotTruncated) {
  try {
    SkillRepository(db()).create(std::string("bill\0ing", 8));
    FAIL() << "stored a string with a NUL";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::bad_data);
  }
  EXPECT_TRUE(SkillRepository(db()).list().empty());
}

std::int64_t backend_pid(Connection& c) {
  return c.query_one("SELECT pg_backend_pid()")->int64(0);
}

void terminate_backend(Connection& admin, std::int64_t pid) {
  // The timeout makes pg_terminate_backend wait until the session is really gone.
  ASSERT_EQ(
      admin.query_one("SELECT pg_terminate_backend(CAST(? AS INTEGER), 5000)", {pid})->int64(0), 1);
}

TEST_P(PostgresTest, ReconnectsAfterLosingTheSession) {
  auto admin = database().connect();
  const auto first_pid = backend_pid(db());
  terminate_backend(*admin, first_pid);
  EXPECT_THROW(backend_pid(db()), StoreError);         // the statement that finds the session gone
  EXPECT_NE(backend_pid(db()), first_pid);             // the next one reconnects
  EXPECT_EQ(SkillRepository(db()).list().size(), 0u);  // statements prepared afresh
}

TEST_P(PostgresTest, ALostSessionFailsTheRestOfItsTransaction) {
  auto admin = database().connect();
  SkillRepository skills(db());
  {
    Transaction tx(db());
    skills.create("billing");
    terminate_backend(*admin, backend_pid(db()));
    EXPECT_THROW(skills.create("english"), StoreError);
    // Not run on a new session outside the transaction:
    EXPECT_THROW(skills.create("german"), StoreError);
    EXPECT_TRUE(db().in_transaction());
  }  // rolled back
  EXPECT_FALSE(db().in_transaction());
  EXPECT_TRUE(skills.list().empty());  // reconnected, nothing of the lost transaction kept
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresTest, ::testing::Values(Backend::postgresql));

}  // namespace
}  // namespace kefu::store
