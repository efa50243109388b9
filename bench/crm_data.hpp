#pragma once
// The CRM benchmarks' data set, shared by bench_crm (in-process look-ups) and crm_seed (the
// database the HTTP load run serves): customers generated from their index alone, so a
// benchmark can pick any customer i and know its number, name and account without reading them
// back.
//
// Customer i (0-based, id i + 1): a Chinese or (one in five) pinyin name, a company on one in
// four, a mobile number +86 139 0000 0000 + i, a Guangzhou fixed line on one in three, account
// number ACC + i in 10 digits, the tag "vip" on one in ten; three interactions on one in 100.
#include <cstdint>
#include <string>

#include "crm/phone_numbers.hpp"
#include "store/database.hpp"

namespace kefu::bench {

std::string customer_name(std::int64_t i);
// Surname and first given character, as an agent starts typing it: "王伟" or "Zhang W".
std::string name_prefix(std::int64_t i);
std::string mobile_e164(std::int64_t i);
std::string mobile_as_typed(std::int64_t i);  // "139 0000 1234"
bool has_fixed_line(std::int64_t i);
std::string fixed_line_e164(std::int64_t i);
std::string fixed_line_as_typed(std::int64_t i);  // "020-8000 1234"
// A number as a caller or agent would type it: the mobile, or for every other customer who has
// one, the fixed line.
std::string phone_as_typed(std::int64_t i);
std::string account_number(std::int64_t i);  // "ACC0000001234"

// Inserts `count` customers into a migrated, empty database (schema v2 at least): one
// transaction, multi-row INSERTs of 500 customers, explicit ids; then ANALYZE.
void load_customers(store::Connection& connection, const crm::PhoneNumbers& numbers,
                    std::int64_t count);

}  // namespace kefu::bench
