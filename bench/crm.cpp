// CRM look-ups at 1,000,000 customers, on SQLite (a file in a temporary directory) and
// PostgreSQL (the store tests' throwaway cluster: fsync off, default memory settings).
//
// The data: 1,000,000 customers (Chinese and pinyin names, 1 in 4 with a company), each with a
// mobile number, one in three also with a Guangzhou fixed line, one account number each, a tag
// on one in ten; loaded in ONE transaction with multi-row INSERTs (500 customers a statement),
// then ANALYZE (bench/crm_data.cpp, shared with crm_seed, which fills the database of the HTTP
// load run bench/load/crm_load.py). Look-ups go through the CRM's own code (CustomerService,
// ScreenPopBuilder) on one connection, one at a time (single-threaded: the latency of one look-up,
// not throughput under concurrency), each timed alone; the counters report p50/p99/max in
// microseconds.
//   phone:   a random customer's number as people type it ("139 0012 3456", "020-8012 3456"),
//            normalised by libphonenumber, then the full profile loaded.
//   name:    a random customer's name prefix (surname + first given character, or "zhang w"),
//            the first 20 matches in name order.
//   account: a random account number, the full profile.
//   screen pop: a random caller number → the payload JSON (profile, last interactions, notes).
// Budget: the load takes most of the run (~1 minute per backend on 2 cores); look-ups are a
// fixed number of iterations each, so --benchmark_min_time does not change the run time.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "auth/auth_schema.hpp"
#include "crm/crm_schema.hpp"
#include "crm/customer_service.hpp"
#include "crm/phone_numbers.hpp"
#include "crm/screen_pop.hpp"
#include "crm_data.hpp"
#include "postgres_cluster.hpp"
#include "store/migrations.hpp"
#include "store/postgres_database.hpp"
#include "store/sqlite_database.hpp"

namespace {

using kefu::bench::account_number;
using kefu::crm::CustomerService;
using kefu::crm::PhoneNumbers;
using kefu::store::Connection;

constexpr std::int64_t customer_count = 1'000'000;

enum class Backend { sqlite, postgresql };

std::int64_t store_id(kefu::store::CustomerId id) {
  return kefu::store::raw(id);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kefu-bench-crm-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One loaded database per backend, built on first use and kept for every benchmark of that
// backend.
struct Dataset {
  explicit Dataset(Backend backend) {
    if (backend == Backend::sqlite) {
      dir = std::make_unique<TempDir>();
      database = std::make_unique<kefu::store::SqliteDatabase>(dir->path() / "crm.db");
    } else {
      auto& cluster = kefu::store::test::shared_postgres_cluster();
      schema = "kefu_bench_crm_" + std::to_string(getpid());
      kefu::store::PostgresDatabase(cluster.conninfo(""))
          .connect()
          ->execute_script("CREATE SCHEMA " + schema);
      database = std::make_unique<kefu::store::PostgresDatabase>(cluster.conninfo(schema));
    }
    connection = database->connect();
    // The server's migration list (src/app/server.cpp), as crm_seed applies it.
    const auto extra_migrations = kefu::crm::crm_and_auth_migrations();
    kefu::store::migrate(*connection, extra_migrations);
    const auto start = std::chrono::steady_clock::now();
    kefu::bench::load_customers(*connection, numbers, customer_count);
    load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    service = std::make_unique<CustomerService>(*connection, numbers);
    std::cerr << "bench_crm: " << customer_count << " customers loaded into "
              << (backend == Backend::sqlite ? "SQLite" : "PostgreSQL") << " in " << load_seconds
              << " s\n";
  }
  ~Dataset() {
    service.reset();
    connection.reset();
    database.reset();
    if (schema.empty()) return;
    try {
      kefu::store::PostgresDatabase(kefu::store::test::shared_postgres_cluster().conninfo(""))
          .connect()
          ->execute_script("DROP SCHEMA " + schema + " CASCADE");
    } catch (const std::exception& e) {
      std::cerr << "bench_crm: cannot drop schema " << schema << ": " << e.what() << "\n";
    }
  }

  PhoneNumbers numbers;
  std::unique_ptr<TempDir> dir;
  std::string schema;
  std::unique_ptr<kefu::store::Database> database;
  std::unique_ptr<Connection> connection;
  std::unique_ptr<CustomerService> service;
  double load_seconds = 0;
};

std::array<std::unique_ptr<Dataset>, 2> datasets;
std::array<std::string, 2> dataset_failures;

Dataset* dataset(benchmark::State& state, Backend backend) {
  const auto index = static_cast<std::size_t>(backend);
  if (!datasets[index] && dataset_failures[index].empty()) {
    try {
      datasets[index] = std::make_unique<Dataset>(backend);
    } catch (const std::exception& e) {
      dataset_failures[index] = e.what();
    }
  }
  if (!datasets[index]) {
    state.SkipWithError(dataset_failures[index].c_str());
    return nullptr;
  }
  return datasets[index].get();
}

// Times each call of `lookup(i)` for a random customer i; reports percentiles as counters.
template <typename Lookup>
void run_lookups(benchmark::State& state, Dataset& data, Lookup lookup) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<std::int64_t> pick(0, customer_count - 1);
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(state.max_iterations));
  std::int64_t misses = 0;
  for (auto _ : state) {
    const std::int64_t i = pick(random);
    const auto start = std::chrono::steady_clock::now();
    const bool found = lookup(i);
    const auto end = std::chrono::steady_clock::now();
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    if (!found) ++misses;
  }
  std::sort(micros.begin(), micros.end());
  auto percentile = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<std::size_t>(p * micros.size()))];
  };
  state.counters["p50_us"] = percentile(0.50);
  state.counters["p99_us"] = percentile(0.99);
  state.counters["max_us"] = micros.back();
  state.counters["customers"] = static_cast<double>(customer_count);
  state.counters["load_s"] = data.load_seconds;
  if (misses > 0) state.SkipWithError("a look-up did not find its customer");
}

void BM_LookupByPhone(benchmark::State& state, Backend backend) {
  Dataset* data = dataset(state, backend);
  if (data == nullptr) return;
  run_lookups(state, *data, [&](std::int64_t i) {
    auto found = data->service->find_by_phone(kefu::bench::phone_as_typed(i));
    return found && found->size() == 1 && store_id(found->front().id) == i + 1;
  });
}

void BM_LookupByNamePrefix(benchmark::State& state, Backend backend) {
  Dataset* data = dataset(state, backend);
  if (data == nullptr) return;
  run_lookups(state, *data, [&](std::int64_t i) {
    auto found = data->service->search_by_name(kefu::bench::name_prefix(i), 20);
    benchmark::DoNotOptimize(found);
    return !found.empty();
  });
}

void BM_LookupByAccount(benchmark::State& state, Backend backend) {
  Dataset* data = dataset(state, backend);
  if (data == nullptr) return;
  run_lookups(state, *data, [&](std::int64_t i) {
    auto found = data->service->find_by_account(account_number(i));
    return found && store_id(found->id) == i + 1;
  });
}

void BM_ScreenPop(benchmark::State& state, Backend backend) {
  Dataset* data = dataset(state, backend);
  if (data == nullptr) return;
  const kefu::crm::ScreenPopBuilder builder(data->numbers);
  run_lookups(state, *data, [&](std::int64_t i) {
    // Every tenth caller is not a customer (a number beyond the loaded range).
    const bool known = i % 10 != 0;
    const std::string caller = kefu::bench::mobile_as_typed(known ? i : customer_count + i);
    const auto pop = builder.build(*data->connection, caller);
    const std::string payload = builder.to_json(pop);
    benchmark::DoNotOptimize(payload);
    return pop.known() == known;
  });
}

}  // namespace

int main(int argc, char** argv) {
  // Fixed iteration counts: enough samples for a p99, and a run time that does not depend on
  // --benchmark_min_time. PostgreSQL look-ups are slower (a round trip per statement).
  struct Registration {
    Backend backend;
    const char* name;
    benchmark::IterationCount iterations;
  };
  for (const Registration& r : {Registration{Backend::sqlite, "sqlite", 20'000},
                                Registration{Backend::postgresql, "postgresql", 5'000}}) {
    const std::string suffix = std::string("/") + r.name;
    for (auto [name, function] : {std::pair{"BM_LookupByPhone", &BM_LookupByPhone},
                                  std::pair{"BM_LookupByNamePrefix", &BM_LookupByNamePrefix},
                                  std::pair{"BM_LookupByAccount", &BM_LookupByAccount},
                                  std::pair{"BM_ScreenPop", &BM_ScreenPop}}) {
      benchmark::RegisterBenchmark((name + suffix).c_str(), function, r.backend)
          ->Iterations(r.iterations)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Closed before the PostgreSQL cluster (a static in postgres_cluster.cpp) is stopped.
  datasets = {};
  return 0;
}
