#include "crm/customer_repository.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "crm/text_keys.hpp"

namespace kefu::crm {
namespace {

using nlohmann::json;
using store::Row;
using store::StoreError;
using store::StoreErrorKind;
using store::Value;

// The lists' JSON last (lists_column): one row is the whole customer (schema v5, ADR 0017).
constexpr std::string_view customer_columns =
    "c.id, c.name, c.company, c.gender, c.birthday, c.vip_tier, c.created_at, c.updated_at, "
    "c.department_id, c.owner_user_id, c.lists_json";
constexpr std::size_t lists_column = 10;

// The rows of `customers c` that `scope` shows, as a condition whose parameters are appended.
// A shared customer (no department, no owner: rows from before schema v4, the configuration's,
// the demo's) is visible to every reader, as it was before customers had owners; one with an
// owner but no department (made by a user without one) only to that user and to `all`.
std::string visible(const auth::DataScope& scope, std::vector<Value>& params) {
  if (scope.kind == auth::ScopeKind::all) return "1=1";
  return "((c.department_id IS NULL AND c.owner_user_id IS NULL) OR " +
         scope.sql_condition("c.owner_user_id", "c.department_id", params) + ")";
}

Customer read_customer(const Row& row) {
  Customer customer;
  customer.id = row.id<CustomerId>(0);
  customer.name = row.text(1);
  customer.company = row.text(2);
  customer.gender = row.enumeration<Gender>(3);
  if (!row.is_null(4)) {
    customer.birthday = parse_iso_date(row.text(4));
    if (!customer.birthday)
      throw StoreError(StoreErrorKind::bad_data, "bad birthday: " + row.text(4));
  }
  customer.vip_tier = static_cast<int>(row.int64(5));
  customer.created = row.time(6);
  customer.updated = row.time(7);
  customer.department = row.optional_id<auth::DepartmentId>(8);
  customer.owner = row.optional_id<auth::UserId>(9);
  return customer;
}

Value birthday_value(const std::optional<std::chrono::year_month_day>& birthday) {
  if (!birthday) return nullptr;
  return iso_date(*birthday);
}

Contact read_contact(const Row& row) {
  return Contact{row.id<ContactId>(0), row.id<CustomerId>(1), row.text(2),
                 row.text(3),          row.text(4),           row.text(5)};
}

constexpr std::string_view contact_columns = "id, customer_id, name, title, e164, email";

}  // namespace

CustomerId CustomerRepository::create(const Customer& customer, Timestamp now) {
  store::Transaction tx(connection_);
  auto row = connection_.query_one(
      "INSERT INTO customers (name, name_key, company, gender, birthday, vip_tier, created_at, "
      "updated_at, department_id, owner_user_id, lists_json) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {customer.name, name_search_key(customer.name), customer.company,
       std::string(store::to_string(customer.gender)), birthday_value(customer.birthday),
       std::int64_t{customer.vip_tier}, store::to_epoch_ms(now), store::to_epoch_ms(now),
       store::nullable(customer.department), store::nullable(customer.owner),
       lists_json(customer)});
  Customer stored = customer;
  stored.id = row->id<CustomerId>(0);
  write_details(stored);
  tx.commit();
  return stored.id;
}

void CustomerRepository::update(const Customer& customer, Timestamp now) {
  store::Transaction tx(connection_);
  const auto changed = connection_.execute(
      "UPDATE customers SET name = ?, name_key = ?, company = ?, gender = ?, birthday = ?, "
      "vip_tier = ?, updated_at = ?, lists_json = ? WHERE id = ?",
      {customer.name, name_search_key(customer.name), customer.company,
       std::string(store::to_string(customer.gender)), birthday_value(customer.birthday),
       std::int64_t{customer.vip_tier}, store::to_epoch_ms(now), lists_json(customer),
       store::raw(customer.id)});
  if (changed == 0) {
    throw StoreError(StoreErrorKind::not_found,
                     "no customer " + std::to_string(store::raw(customer.id)));
  }
  // The lists are replaced whole: they are small, and this keeps their order as given.
  for (std::string_view table :
       {"customer_phones", "customer_addresses", "customer_tags", "customer_accounts"}) {
    connection_.execute("DELETE FROM " + std::string(table) + " WHERE customer_id = ?",
                        {store::raw(customer.id)});
  }
  write_details(customer);
  tx.commit();
}

bool CustomerRepository::remove(CustomerId id) {
  return connection_.execute("DELETE FROM customers WHERE id = ?", {store::raw(id)}) > 0;
}

std::optional<Customer> CustomerRepository::find(CustomerId id, const auth::DataScope& scope) {
  CustomerMatch match{"FROM customers c WHERE c.id = ? AND ", {store::raw(id)}};
  match.from += visible(scope, match.params);
  auto customers = load(match);
  if (customers.empty()) return std::nullopt;
  return std::move(customers.front());
}

CustomerMatch CustomerRepository::phone_match(std::string_view e164, int limit,
                                              const auth::DataScope& scope) {
  // Both branches use an index on the number (customer_phones_by_number,
  // customer_contacts_by_number); the scope then filters the few customers found.
  CustomerMatch match{
      "FROM customers c WHERE c.id IN (SELECT customer_id FROM customer_phones WHERE e164 = ? "
      "UNION SELECT customer_id FROM customer_contacts WHERE e164 = ?) AND ",
      {std::string(e164), std::string(e164)}};
  match.from += visible(scope, match.params);
  match.from += " ORDER BY c.vip_tier DESC, c.id LIMIT ?";
  match.params.emplace_back(std::int64_t{limit});
  return match;
}

std::vector<Customer> CustomerRepository::find_by_phone(std::string_view e164, int limit,
                                                        const auth::DataScope& scope) {
  if (connection_.dialect() == store::Dialect::postgresql) {
    return load(phone_match(e164, limit, scope));
  }
  // SQLite built three temporary b-trees for phone_match (the UNION's, the IN list's, the ORDER
  // BY's), each a pager opened and freed: 8 % of kefu's CPU under load. The ids by number first
  // (UNION ALL, two index searches), then the customers by id: one id, the usual case, is a
  // rowid search with nothing to sort.
  store::Transaction tx(connection_, store::TransactionMode::read);
  std::vector<std::int64_t> ids;
  for (const Row& row :
       connection_.query("SELECT customer_id FROM customer_phones WHERE e164 = ?1 "
                         "UNION ALL SELECT customer_id FROM customer_contacts WHERE e164 = ?1",
                         {std::string(e164)})) {
    ids.push_back(row.int64(0));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  // A switchboard number shared by many contacts: one statement with the subquery, rather than
  // a statement text (and a cached statement) for every count.
  constexpr std::size_t max_listed_ids = 32;
  if (ids.empty()) return {};
  if (ids.size() > max_listed_ids) return load(phone_match(e164, limit, scope));
  CustomerMatch match{"FROM customers c WHERE c.id IN (", {}};
  for (std::int64_t id : ids) {
    match.from += match.params.empty() ? "?" : ", ?";
    match.params.emplace_back(id);
  }
  match.from += ") AND ";
  match.from += visible(scope, match.params);
  match.from += " ORDER BY c.vip_tier DESC, c.id LIMIT ?";
  match.params.emplace_back(std::int64_t{limit});
  auto customers = load(match);
  tx.commit();
  return customers;
}

std::optional<Customer> CustomerRepository::find_by_account(std::string_view account_number,
                                                            const auth::DataScope& scope) {
  CustomerMatch match{
      "FROM customer_accounts a JOIN customers c ON c.id = a.customer_id "
      "WHERE a.account_number = ? AND ",
      {std::string(account_number)}};
  match.from += visible(scope, match.params);
  auto customers = load(match);
  if (customers.empty()) return std::nullopt;
  return std::move(customers.front());
}

std::vector<CustomerSummary> CustomerRepository::search_by_name(std::string_view prefix, int limit,
                                                                const auth::DataScope& scope) {
  std::vector<CustomerSummary> found;
  const std::string low = name_search_key(prefix);
  const auto high = prefix_upper_bound(low);
  if (low.empty() || !high || limit <= 0) return found;
  // A range on customers_by_name_key (name_key, id): the index gives the order, so the scan
  // stops after `limit` visible rows however common the prefix (rows out of scope are read
  // and skipped on the way).
  std::vector<Value> params{low, *high};
  const std::string condition = visible(scope, params);
  params.emplace_back(std::int64_t{limit});
  for (const Row& row :
       connection_.query("SELECT c.id, c.name, c.company, c.vip_tier FROM customers c "
                         "WHERE c.name_key >= ? AND c.name_key < ? AND " +
                             condition + " ORDER BY c.name_key, c.id LIMIT ?",
                         params)) {
    found.push_back(
        {row.id<CustomerId>(0), row.text(1), row.text(2), static_cast<int>(row.int64(3))});
  }
  return found;
}

ContactId CustomerRepository::add_contact(const Contact& contact) {
  auto row = connection_.query_one(
      "INSERT INTO customer_contacts (customer_id, name, title, e164, email) "
      "VALUES (?, ?, ?, ?, ?) RETURNING id",
      {store::raw(contact.customer), contact.name, contact.title, contact.e164, contact.email});
  return row->id<ContactId>(0);
}

void CustomerRepository::update_contact(const Contact& contact) {
  const auto changed = connection_.execute(
      "UPDATE customer_contacts SET name = ?, title = ?, e164 = ?, email = ? WHERE id = ?",
      {contact.name, contact.title, contact.e164, contact.email, store::raw(contact.id)});
  if (changed == 0) {
    throw StoreError(StoreErrorKind::not_found,
                     "no contact " + std::to_string(store::raw(contact.id)));
  }
}

bool CustomerRepository::remove_contact(ContactId id) {
  return connection_.execute("DELETE FROM customer_contacts WHERE id = ?", {store::raw(id)}) > 0;
}

std::optional<Contact> CustomerRepository::find_contact(ContactId id) {
  auto row = connection_.query_one(
      "SELECT " + std::string(contact_columns) + " FROM customer_contacts WHERE id = ?",
      {store::raw(id)});
  if (!row) return std::nullopt;
  return read_contact(*row);
}

std::vector<Contact> CustomerRepository::contacts(CustomerId customer) {
  std::vector<Contact> found;
  for (const Row& row : connection_.query("SELECT " + std::string(contact_columns) +
                                              " FROM customer_contacts WHERE customer_id = ? "
                                              "ORDER BY id",
                                          {store::raw(customer)})) {
    found.push_back(read_contact(row));
  }
  return found;
}

store::Query CustomerRepository::contacts_by_phone_query(std::string_view e164) {
  return {"SELECT " + std::string(contact_columns) +
              " FROM customer_contacts WHERE e164 = ? ORDER BY customer_id, id",
          {std::string(e164)}};
}

std::vector<Contact> CustomerRepository::read_contacts(const std::vector<Row>& rows) {
  std::vector<Contact> found;
  found.reserve(rows.size());
  for (const Row& row : rows) found.push_back(read_contact(row));
  return found;
}

std::vector<Contact> CustomerRepository::contacts_by_phone(std::string_view e164) {
  const store::Query q = contacts_by_phone_query(e164);
  return read_contacts(connection_.query(q.sql, q.params));
}

namespace {

// The four lists of the customers with these ids, one statement; the ids are repeated for each
// branch as plain `?` (both dialects). Columns: which list, the customer, the list's order, then
// up to seven text fields. Unsorted: a sort here costs SQLite a temporary b-tree per branch;
// attach_details sorts.
store::Query details_query(const std::vector<CustomerId>& ids) {
  std::string placeholders;
  std::vector<Value> one_list;
  for (CustomerId id : ids) {
    placeholders += one_list.empty() ? "?" : ", ?";
    one_list.emplace_back(store::raw(id));
  }
  const std::string where = " WHERE customer_id IN (" + placeholders + ")";
  store::Query query;
  query.sql =
      "SELECT 0, customer_id, ordinal, e164, label, region, '', '', '', '' "
      "FROM customer_phones" +
      where;
  query.sql +=
      " UNION ALL SELECT 1, customer_id, ordinal, label, country, province, city, "
      "district, street, postcode FROM customer_addresses" +
      where;
  query.sql +=
      " UNION ALL SELECT 2, customer_id, 0, tag, '', '', '', '', '', '' "
      "FROM customer_tags" +
      where;
  query.sql +=
      " UNION ALL SELECT 3, customer_id, 0, account_number, '', '', '', '', '', '' "
      "FROM customer_accounts" +
      where;
  for (int branch = 0; branch < 4; ++branch) {
    query.params.insert(query.params.end(), one_list.begin(), one_list.end());
  }
  return query;
}

// Adds each list row (details_query's columns: list, customer, order, seven texts) to its
// customer, every list in its order: phones by ordinal then number, addresses by ordinal, tags
// and accounts by text.
void attach_details(std::vector<Customer>& customers, const std::vector<Row>& rows) {
  std::unordered_map<std::int64_t, Customer*> by_id;
  for (Customer& customer : customers) by_id.emplace(store::raw(customer.id), &customer);
  std::vector<const Row*> details;
  details.reserve(rows.size());
  for (const Row& row : rows) details.push_back(&row);
  std::sort(details.begin(), details.end(), [](const Row* a, const Row* b) {
    const auto key = [](const Row* r) {
      return std::make_tuple(r->int64(0), r->int64(1), r->int64(2), r->text(3));
    };
    return key(a) < key(b);
  });
  for (const Row* row : details) {
    auto found = by_id.find(row->int64(1));
    if (found == by_id.end()) continue;
    Customer& customer = *found->second;
    switch (row->int64(0)) {
      case 0:
        customer.phones.push_back({row->text(3), row->text(4), row->text(5)});
        break;
      case 1:
        customer.addresses.push_back({row->text(3), row->text(4), row->text(5), row->text(6),
                                      row->text(7), row->text(8), row->text(9)});
        break;
      case 2:
        customer.tags.push_back(row->text(3));
        break;
      default:
        customer.account_numbers.push_back(row->text(3));
        break;
    }
  }
}

const std::string& text_at(const json& array, std::size_t index) {
  return array.at(index).get_ref<const std::string&>();
}

// The lists as lists_json() wrote them; throws StoreError(bad_data) when the text is not that.
void read_lists(std::string_view text, Customer& customer) {
  try {
    const json lists = json::parse(text);
    for (const json& phone : lists.at("phones")) {
      customer.phones.push_back({text_at(phone, 0), text_at(phone, 1), text_at(phone, 2)});
    }
    for (const json& a : lists.at("addresses")) {
      customer.addresses.push_back({text_at(a, 0), text_at(a, 1), text_at(a, 2), text_at(a, 3),
                                    text_at(a, 4), text_at(a, 5), text_at(a, 6)});
    }
    for (const json& tag : lists.at("tags")) customer.tags.push_back(tag.get<std::string>());
    for (const json& account : lists.at("accounts")) {
      customer.account_numbers.push_back(account.get<std::string>());
    }
  } catch (const json::exception& e) {
    throw StoreError(
        StoreErrorKind::bad_data,
        "customer " + std::to_string(store::raw(customer.id)) + ": bad lists_json: " + e.what());
  }
}

}  // namespace

std::string CustomerRepository::lists_json(const Customer& customer) {
  // What write_details leaves in the tables, in the order the tables are read back: a number
  // given twice keeps its first place and label; tags and account numbers sorted, once each.
  json phones = json::array();
  std::vector<std::string_view> numbers;
  for (const Phone& phone : customer.phones) {
    if (std::find(numbers.begin(), numbers.end(), phone.e164) != numbers.end()) continue;
    numbers.push_back(phone.e164);
    phones.push_back({phone.e164, phone.label, phone.region});
  }
  json addresses = json::array();
  for (const Address& a : customer.addresses) {
    addresses.push_back({a.label, a.country, a.province, a.city, a.district, a.street, a.postcode});
  }
  const auto sorted_once = [](std::vector<std::string> texts) {
    std::sort(texts.begin(), texts.end());
    texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
    return json(texts);
  };
  const json lists = {{"phones", std::move(phones)},
                      {"addresses", std::move(addresses)},
                      {"tags", sorted_once(customer.tags)},
                      {"accounts", sorted_once(customer.account_numbers)}};
  return lists.dump(-1, ' ', false, json::error_handler_t::replace);
}

store::Query CustomerRepository::customer_query(const CustomerMatch& match) {
  return {"SELECT " + std::string(customer_columns) + " " + match.from, match.params};
}

std::vector<Customer> CustomerRepository::read_customers(const std::vector<Row>& rows,
                                                         std::vector<CustomerId>& without_lists) {
  std::vector<Customer> customers;
  customers.reserve(rows.size());
  for (const Row& row : rows) {
    Customer customer = read_customer(row);
    if (row.is_null(lists_column)) {
      without_lists.push_back(customer.id);
    } else {
      read_lists(row.text(lists_column), customer);
    }
    customers.push_back(std::move(customer));
  }
  return customers;
}

void CustomerRepository::load_lists(std::vector<Customer>& customers,
                                    const std::vector<CustomerId>& ids) {
  if (ids.empty()) return;
  const store::Query query = details_query(ids);
  attach_details(customers, connection_.query(query.sql, query.params));
}

std::vector<Customer> CustomerRepository::load(const CustomerMatch& match) {
  // One statement: the customers' rows carry their lists. A customer stored before schema v5
  // has them in the tables only, read by a second statement (in the caller's transaction when
  // it has one) until its next update writes the row's copy.
  const store::Query query = customer_query(match);
  std::vector<CustomerId> without_lists;
  auto customers = read_customers(connection_.query(query.sql, query.params), without_lists);
  load_lists(customers, without_lists);
  return customers;
}

void CustomerRepository::write_details(const Customer& customer) {
  const std::int64_t id = store::raw(customer.id);
  std::int64_t ordinal = 0;
  for (const Phone& phone : customer.phones) {
    // A number given twice keeps its first label.
    connection_.execute(
        "INSERT INTO customer_phones (customer_id, e164, label, region, ordinal) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        {id, phone.e164, phone.label, phone.region, ordinal++});
  }
  ordinal = 0;
  for (const Address& address : customer.addresses) {
    connection_.execute(
        "INSERT INTO customer_addresses (customer_id, ordinal, label, country, province, city, "
        "district, street, postcode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {id, ordinal++, address.label, address.country, address.province, address.city,
         address.district, address.street, address.postcode});
  }
  for (const std::string& tag : customer.tags) {
    connection_.execute(
        "INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
        {id, tag});
  }
  for (const std::string& account : customer.account_numbers) {
    connection_.execute("INSERT INTO customer_accounts (account_number, customer_id) VALUES (?, ?)",
                        {account, id});
  }
}

}  // namespace kefu::crm
