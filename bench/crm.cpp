// CRM look-ups at 1,000,000 customers, on SQLite (a file in a temporary directory) and
// PostgreSQL (the store tests' throwaway cluster: fsync off, default memory settings).
//
// The data: 1,000,000 customers (Chinese and pinyin names, 1 in 4 with a company), each with a
// mobile number, one in three also with a Guangzhou fixed line, one account number each, a tag
// on one in ten; loaded in ONE transaction with multi-row INSERTs (500 customers a statement),
// then ANALYZE. Look-ups go through the CRM's own code (CustomerService, ScreenPopBuilder) on
// one connection, one at a time (single-threaded: the latency of one look-up, not throughput
// under concurrency), each timed alone; the counters report p50/p99/max in microseconds.
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

#include "crm/crm_schema.hpp"
#include "crm/customer_service.hpp"
#include "crm/phone_numbers.hpp"
#include "crm/screen_pop.hpp"
#include "crm/text_keys.hpp"
#include "postgres_cluster.hpp"
#include "store/migrations.hpp"
#include "store/postgres_database.hpp"
#include "store/sqlite_database.hpp"

namespace {

using kefu::crm::CustomerService;
using kefu::crm::PhoneNumbers;
using kefu::store::Connection;
using kefu::store::Value;

constexpr std::int64_t customer_count = 1'000'000;
constexpr std::int64_t batch_size = 500;
constexpr std::int64_t epoch_ms = 1'700'000'000'000;

enum class Backend { sqlite, postgresql };

std::int64_t store_id(kefu::store::CustomerId id) {
  return kefu::store::raw(id);
}

constexpr std::array<const char*, 24> surnames{"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                               "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
                                               "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
constexpr std::array<const char*, 24> pinyin_surnames{
    "Wang", "Li",   "Zhang", "Liu", "Chen",  "Yang",  "Huang", "Zhao",
    "Wu",   "Zhou", "Xu",    "Sun", "Ma",    "Zhu",   "Hu",    "Guo",
    "He",   "Gao",  "Lin",   "Luo", "Zheng", "Liang", "Xie",   "Song"};
constexpr std::array<const char*, 32> given_characters{
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "文", "辉", "建", "国", "红", "云"};
constexpr std::array<const char*, 16> pinyin_given{"Wei",   "Fang", "Na",  "Min",  "Jing", "Li",
                                                   "Qiang", "Lei",  "Jun", "Yang", "Yong", "Yan",
                                                   "Jie",   "Juan", "Tao", "Ming"};

// Deterministic per-customer choices (a cheap integer hash, so any i can be regenerated).
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb93fe53e94ceULL;
  x ^= x >> 33;
  return x;
}

std::string customer_name(std::int64_t i) {
  const auto h = mix(static_cast<std::uint64_t>(i));
  if (i % 5 == 0) {  // one in five written in pinyin
    std::string name = pinyin_surnames[h % pinyin_surnames.size()];
    name += ' ';
    name += pinyin_given[(h >> 8) % pinyin_given.size()];
    return name;
  }
  std::string name = surnames[h % surnames.size()];
  name += given_characters[(h >> 8) % given_characters.size()];
  if ((h >> 16) % 2 == 0) name += given_characters[(h >> 24) % given_characters.size()];
  return name;
}

// 139 0000 0000 + i: a million distinct valid mobile numbers.
std::string mobile_e164(std::int64_t i) {
  return "+86" + std::to_string(13'900'000'000 + i);
}
std::string mobile_as_typed(std::int64_t i) {
  const std::string digits = std::to_string(13'900'000'000 + i);
  return digits.substr(0, 3) + " " + digits.substr(3, 4) + " " + digits.substr(7);
}
bool has_fixed_line(std::int64_t i) {
  return i % 3 == 0;
}
// Guangzhou 020 8xxx xxxx.
std::string fixed_line_e164(std::int64_t i) {
  return "+8620" + std::to_string(80'000'000 + i);
}
std::string fixed_line_as_typed(std::int64_t i) {
  const std::string digits = std::to_string(80'000'000 + i);
  return "020-" + digits.substr(0, 4) + " " + digits.substr(4);
}
std::string account_number(std::int64_t i) {
  std::string digits = std::to_string(i);
  return "ACC" + std::string(10 - digits.size(), '0') + digits;
}

// "INSERT INTO t (cols) VALUES (?, ?), (?, ?) …" for `rows` rows of `columns` parameters.
std::string multi_row_insert(std::string_view head, std::size_t columns, std::size_t rows) {
  std::string tuple = "(";
  for (std::size_t c = 0; c < columns; ++c) tuple += c == 0 ? "?" : ", ?";
  tuple += ")";
  std::string sql(head);
  sql += " VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0) sql += ", ";
    sql += tuple;
  }
  return sql;
}

void flush(Connection& connection, std::string_view head, std::size_t columns,
           std::vector<Value>& params) {
  if (params.empty()) return;
  connection.execute(multi_row_insert(head, columns, params.size() / columns), params);
  params.clear();
}

// Everything in one transaction; explicit ids so that child rows need no RETURNING round trip.
void load_customers(Connection& connection, const PhoneNumbers& numbers) {
  const std::string guangzhou = numbers.region(fixed_line_e164(0));
  kefu::store::Transaction tx(connection);
  std::vector<Value> customers, phones, accounts, tags;
  constexpr std::string_view customers_head =
      "INSERT INTO customers (id, name, name_key, company, gender, vip_tier, created_at, "
      "updated_at)";
  constexpr std::string_view phones_head =
      "INSERT INTO customer_phones (customer_id, e164, label, region, ordinal)";
  constexpr std::string_view accounts_head =
      "INSERT INTO customer_accounts (account_number, customer_id)";
  constexpr std::string_view tags_head = "INSERT INTO customer_tags (customer_id, tag)";
  std::string mobile_region;
  for (std::int64_t i = 0; i < customer_count; ++i) {
    const std::int64_t id = i + 1;
    const std::string name = customer_name(i);
    // The geocoder's answer only changes with the number's first 7 digits.
    if (i % 10'000 == 0) mobile_region = numbers.region(mobile_e164(i));
    customers.insert(customers.end(),
                     {id, name, kefu::crm::name_search_key(name),
                      i % 4 == 0 ? "公司" + std::to_string(i % 5000) : std::string(),
                      std::string(i % 2 == 0 ? "female" : "male"),
                      std::int64_t{i % 50 == 0 ? 1 + (i / 50) % 3 : 0}, epoch_ms, epoch_ms});
    phones.insert(phones.end(),
                  {id, mobile_e164(i), std::string("mobile"), mobile_region, std::int64_t{0}});
    if (has_fixed_line(i)) {
      phones.insert(phones.end(),
                    {id, fixed_line_e164(i), std::string("office"), guangzhou, std::int64_t{1}});
    }
    accounts.insert(accounts.end(), {account_number(i), id});
    if (i % 10 == 0) tags.insert(tags.end(), {id, std::string("vip")});
    if ((i + 1) % batch_size == 0) {
      flush(connection, customers_head, 8, customers);
      flush(connection, phones_head, 5, phones);
      flush(connection, accounts_head, 2, accounts);
      flush(connection, tags_head, 2, tags);
    }
  }
  flush(connection, customers_head, 8, customers);
  flush(connection, phones_head, 5, phones);
  flush(connection, accounts_head, 2, accounts);
  flush(connection, tags_head, 2, tags);
  // A few interactions and notes for the screen pop's queries to find (one customer in 100).
  std::vector<Value> interactions;
  constexpr std::string_view interactions_head =
      "INSERT INTO interactions (customer_id, kind, direction, at, call_id, summary)";
  for (std::int64_t i = 0; i < customer_count; i += 100) {
    for (int k = 0; k < 3; ++k) {
      interactions.insert(
          interactions.end(),
          {i + 1, std::string("call"), std::string("inbound"), epoch_ms + k * 60'000,
           "call-" + std::to_string(i) + "-" + std::to_string(k), std::string("询问订单")});
    }
    if (interactions.size() >= 6 * 1500) flush(connection, interactions_head, 6, interactions);
  }
  flush(connection, interactions_head, 6, interactions);
  if (connection.dialect() == kefu::store::Dialect::postgresql) {
    // Explicit ids bypass the identity sequence; later creates must start above them.
    connection.query(
        "SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT MAX(id) FROM "
        "customers))");
  }
  tx.commit();
  connection.execute_script("ANALYZE");
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
    kefu::store::migrate(*connection);
    {
      kefu::store::Transaction tx(*connection);
      connection->execute_script(
          kefu::store::render_ddl(kefu::crm::crm_schema_ddl(), connection->dialect()));
      tx.commit();
    }
    const auto start = std::chrono::steady_clock::now();
    load_customers(*connection, numbers);
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
    const std::string typed =
        i % 2 == 0 || !has_fixed_line(i) ? mobile_as_typed(i) : fixed_line_as_typed(i);
    auto found = data->service->find_by_phone(typed);
    return found && found->size() == 1 && store_id(found->front().id) == i + 1;
  });
}

void BM_LookupByNamePrefix(benchmark::State& state, Backend backend) {
  Dataset* data = dataset(state, backend);
  if (data == nullptr) return;
  run_lookups(state, *data, [&](std::int64_t i) {
    // Surname and the first given character (two Chinese characters, or "zhang w").
    const std::string name = customer_name(i);
    const std::string prefix =
        i % 5 == 0 ? name.substr(0, name.find(' ') + 2) : name.substr(0, 6);  // 2 × 3 bytes
    auto found = data->service->search_by_name(prefix, 20);
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
    const std::string caller = known ? mobile_as_typed(i) : mobile_as_typed(customer_count + i);
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
