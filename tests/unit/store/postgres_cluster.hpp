#pragma once
// The PostgreSQL server the store tests run against.
//
// Run by hand or under a debugger, the test binary starts its own on first use by a PostgreSQL
// test — the SQLite tests never pay for it — shared by every test of the process; each test
// gets a fresh schema in it (ScratchDatabase: a schema costs a millisecond, a database 150).
// Under ctest, which runs each test in its own process, the tests share the one server of the
// `postgres` fixture instead (KEFU_TEST_PG_URL_FILE below): a cluster per test process cost
// about five seconds each, most of the unit tests' time.
//
// The cluster: `initdb` into a temporary directory (superuser `kefu`, trust authentication,
// UTF8, C locale), `pg_ctl start` on a free loopback port with fsync off, `pg_ctl stop -m
// immediate` and the directory removed at process exit. PostgreSQL refuses to run as root, so
// as root (CI, containers) initdb and pg_ctl run as the `postgres` system user via `runuser`.
// Clusters left by test processes that died without cleaning up are stopped and removed by the
// next start.
//
// Environment:
//   KEFU_TEST_PG_URL     use this server and database instead of starting one, e.g.
//                        postgresql://kefu@127.0.0.1:5432/kefu_test (the user needs CREATE on
//                        the database: each test creates and drops a schema named
//                        kefu_test_<pid>_<n> in it).
//   KEFU_TEST_PG_URL_FILE  a file whose first line is that URL: ctest sets it to the server
//                        its `postgres` fixture starts once for the whole run
//                        (tests/postgres_fixture.py), so a PostgreSQL test process under ctest
//                        does not start its own.
//   KEFU_TEST_PG_BINDIR  where initdb and pg_ctl are (default: the newest
//                        /usr/lib/postgresql/<version>/bin, else PATH).
// Missing binaries make every PostgreSQL test fail with a message saying so: never a skip, so
// that a CI machine without PostgreSQL cannot pass the suite without testing it.
#include <filesystem>
#include <string>
#include <string_view>

namespace kefu::store::test {

class PostgresCluster {
 public:
  virtual ~PostgresCluster() = default;
  // A libpq connection string (key=value) for the test database, with `search_path` set to
  // `schema` unless it is empty.
  std::string conninfo(std::string_view schema) const;
  // The same as a postgresql:// URL.
  std::string url(std::string_view schema) const;

 protected:
  std::string base_url_;  // postgresql://…/database, set by the constructor of a derived class
};

// The process's cluster, started (or found through KEFU_TEST_PG_URL) on the first call. Throws
// std::runtime_error saying why when there is none — the same reason on every later call,
// without retrying.
PostgresCluster& shared_postgres_cluster();

// A loopback TCP port nothing listens on right now.
int free_loopback_port();

}  // namespace kefu::store::test
