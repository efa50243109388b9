// crm_seed: fills a kefu database with the CRM benchmarks' customers (bench/crm_data.hpp), for
// the HTTP load run (bench/load/crm_load.py), and writes sample look-ups that find them.
//
//   crm_seed DB [--customers N] [--samples FILE] [--sample-count N]
//
// DB is what `kefu serve --db` takes: a SQLite file or a postgresql:// URL. The schema comes from
// kefu's own migrations (the same list the server applies), so the server starts on it without
// migrating again. The database must hold no customers yet.
//
// FILE gets one sample a line, "kind<TAB>text" with kind phone (as typed), name (a prefix),
// account or pop (a caller number for the screen pop), each for a random existing customer.
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "auth/auth_schema.hpp"
#include "crm/crm_schema.hpp"
#include "crm/phone_numbers.hpp"
#include "crm_data.hpp"
#include "store/migrations.hpp"
#include "store/open_database.hpp"

namespace {

struct Arguments {
  std::string db;
  std::int64_t customers = 1'000'000;
  std::string samples;
  std::int64_t sample_count = 20'000;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "crm_seed: " << problem
            << "\nusage: crm_seed DB [--customers N] [--samples FILE] [--sample-count N]\n";
  std::exit(2);
}

Arguments parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(std::string(arg) + " needs a value");
      return argv[++i];
    };
    auto count = [&]() -> std::int64_t {
      const std::string text = value();
      char* end = nullptr;
      const long long n = std::strtoll(text.c_str(), &end, 10);
      if (*end != 0 || n <= 0) usage(std::string(arg) + " needs a positive number");
      return n;
    };
    if (arg == "--customers") {
      args.customers = count();
    } else if (arg == "--samples") {
      args.samples = value();
    } else if (arg == "--sample-count") {
      args.sample_count = count();
    } else if (arg.starts_with("--") || !args.db.empty()) {
      usage("unknown argument " + std::string(arg));
    } else {
      args.db = arg;
    }
  }
  if (args.db.empty()) usage("no database given");
  return args;
}

void write_samples(const Arguments& args) {
  std::ofstream out(args.samples);
  if (!out) usage("cannot write " + args.samples);
  std::mt19937_64 random(4);
  std::uniform_int_distribution<std::int64_t> pick(0, args.customers - 1);
  for (std::int64_t n = 0; n < args.sample_count; ++n) {
    out << "phone\t" << kefu::bench::phone_as_typed(pick(random)) << "\n";
    out << "name\t" << kefu::bench::name_prefix(pick(random)) << "\n";
    out << "account\t" << kefu::bench::account_number(pick(random)) << "\n";
    out << "pop\t" << kefu::bench::mobile_as_typed(pick(random)) << "\n";
  }
  if (!out.flush()) usage("cannot write " + args.samples);
}

}  // namespace

int main(int argc, char** argv) {
  const Arguments args = parse(argc, argv);
  try {
    auto database = kefu::store::open_database(args.db);
    auto connection = database->connect();
    // The server's list (src/app/server.cpp): the server then finds nothing left to apply.
    const auto extra_migrations = kefu::crm::crm_and_auth_migrations();
    kefu::store::migrate(*connection, extra_migrations);
    if (connection->query_one("SELECT COUNT(*) FROM customers")->int64(0) != 0) {
      std::cerr << "crm_seed: " << database->description() << " already has customers\n";
      return 1;
    }
    const kefu::crm::PhoneNumbers numbers;
    const auto start = std::chrono::steady_clock::now();
    kefu::bench::load_customers(*connection, numbers, args.customers);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "{\"customers\": " << args.customers << ", \"load_s\": " << seconds << "}\n";
  } catch (const std::exception& e) {
    std::cerr << "crm_seed: " << e.what() << "\n";
    return 1;
  }
  if (!args.samples.empty()) write_samples(args);
  return 0;
}
