#include "crm_data.hpp"

#include <array>
#include <string_view>
#include <vector>

#include "crm/customer_repository.hpp"
#include "crm/text_keys.hpp"

namespace kefu::bench {
namespace {

constexpr std::int64_t batch_size = 500;
constexpr std::int64_t epoch_ms = 1'700'000'000'000;

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

void flush(store::Connection& connection, std::string_view head, std::size_t columns,
           std::vector<store::Value>& params) {
  if (params.empty()) return;
  connection.execute(multi_row_insert(head, columns, params.size() / columns), params);
  params.clear();
}

}  // namespace

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

std::string name_prefix(std::int64_t i) {
  const std::string name = customer_name(i);
  // Pinyin: up to the given name's first letter; Chinese: two characters of 3 bytes each.
  return i % 5 == 0 ? name.substr(0, name.find(' ') + 2) : name.substr(0, 6);
}

std::string phone_as_typed(std::int64_t i) {
  return i % 2 == 0 || !has_fixed_line(i) ? mobile_as_typed(i) : fixed_line_as_typed(i);
}

// Everything in one transaction; explicit ids so that child rows need no RETURNING round trip.
void load_customers(store::Connection& connection, const crm::PhoneNumbers& numbers,
                    std::int64_t count) {
  const std::string guangzhou = numbers.region(fixed_line_e164(0));
  store::Transaction tx(connection);
  std::vector<store::Value> customers, phones, accounts, tags;
  constexpr std::string_view customers_head =
      "INSERT INTO customers (id, name, name_key, company, gender, vip_tier, created_at, "
      "updated_at, lists_json)";
  constexpr std::string_view phones_head =
      "INSERT INTO customer_phones (customer_id, e164, label, region, ordinal)";
  constexpr std::string_view accounts_head =
      "INSERT INTO customer_accounts (account_number, customer_id)";
  constexpr std::string_view tags_head = "INSERT INTO customer_tags (customer_id, tag)";
  std::string mobile_region;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t id = i + 1;
    const std::string name = customer_name(i);
    // The geocoder's answer only changes with the number's first 7 digits.
    if (i % 10'000 == 0) mobile_region = numbers.region(mobile_e164(i));
    // The lists go to their tables and, as the CRM writes them, into the customer's row.
    crm::Customer lists;
    lists.phones.push_back({mobile_e164(i), "mobile", mobile_region});
    if (has_fixed_line(i)) lists.phones.push_back({fixed_line_e164(i), "office", guangzhou});
    lists.account_numbers.push_back(account_number(i));
    if (i % 10 == 0) lists.tags.emplace_back("vip");
    customers.insert(customers.end(),
                     {id, name, crm::name_search_key(name),
                      i % 4 == 0 ? "公司" + std::to_string(i % 5000) : std::string(),
                      std::string(i % 2 == 0 ? "female" : "male"),
                      std::int64_t{i % 50 == 0 ? 1 + (i / 50) % 3 : 0}, epoch_ms, epoch_ms,
                      crm::CustomerRepository::lists_json(lists)});
    std::int64_t ordinal = 0;
    for (const crm::Phone& phone : lists.phones) {
      phones.insert(phones.end(), {id, phone.e164, phone.label, phone.region, ordinal++});
    }
    for (const std::string& account : lists.account_numbers) {
      accounts.insert(accounts.end(), {account, id});
    }
    for (const std::string& tag : lists.tags) tags.insert(tags.end(), {id, tag});
    if ((i + 1) % batch_size == 0) {
      flush(connection, customers_head, 9, customers);
      flush(connection, phones_head, 5, phones);
      flush(connection, accounts_head, 2, accounts);
      flush(connection, tags_head, 2, tags);
    }
  }
  flush(connection, customers_head, 9, customers);
  flush(connection, phones_head, 5, phones);
  flush(connection, accounts_head, 2, accounts);
  flush(connection, tags_head, 2, tags);
  // A few interactions and notes for the screen pop's queries to find (one customer in 100).
  std::vector<store::Value> interactions;
  constexpr std::string_view interactions_head =
      "INSERT INTO interactions (customer_id, kind, direction, at, call_id, summary)";
  for (std::int64_t i = 0; i < count; i += 100) {
    for (int k = 0; k < 3; ++k) {
      interactions.insert(
          interactions.end(),
          {i + 1, std::string("call"), std::string("inbound"), epoch_ms + k * 60'000,
           "call-" + std::to_string(i) + "-" + std::to_string(k), std::string("询问订单")});
    }
    if (interactions.size() >= 6 * 1500) flush(connection, interactions_head, 6, interactions);
  }
  flush(connection, interactions_head, 6, interactions);
  if (connection.dialect() == store::Dialect::postgresql) {
    // Explicit ids bypass the identity sequence; later creates must start above them.
    connection.query(
        "SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT MAX(id) FROM "
        "customers))");
  }
  tx.commit();
  if (connection.dialect() == store::Dialect::postgresql) {
    // Vacuumed now, not by autovacuum in the middle of a measurement: after a million inserts
    // it rewrites every page (hint bits, visibility map) and shows as tail latency.
    connection.execute_script("VACUUM (ANALYZE)");
    connection.execute_script("CHECKPOINT");
  } else {
    connection.execute_script("ANALYZE");
  }
}

}  // namespace kefu::bench
