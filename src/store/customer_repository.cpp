#include "store/customer_repository.hpp"

namespace kefu::store {

CustomerId CustomerRepository::create(const Customer& customer) {
  Transaction tx(connection_);
  auto row =
      connection_.query_one("INSERT INTO customers (name, vip_tier) VALUES (?, ?) RETURNING id",
                            {customer.name, std::int64_t{customer.vip_tier}});
  Customer stored = customer;
  stored.id = row->id<CustomerId>(0);
  replace_phones(stored);
  tx.commit();
  return stored.id;
}

void CustomerRepository::update(const Customer& customer) {
  Transaction tx(connection_);
  auto changed =
      connection_.execute("UPDATE customers SET name = ?, vip_tier = ? WHERE id = ?",
                          {customer.name, std::int64_t{customer.vip_tier}, raw(customer.id)});
  if (changed == 0) throw StoreError(StoreErrorKind::not_found, "no customer " + customer.name);
  replace_phones(customer);
  tx.commit();
}

void CustomerRepository::remove(CustomerId id) {
  connection_.execute("DELETE FROM customers WHERE id = ?", {raw(id)});
}

std::optional<Customer> CustomerRepository::find(CustomerId id) {
  auto row =
      connection_.query_one("SELECT id, name, vip_tier FROM customers WHERE id = ?", {raw(id)});
  if (!row) return std::nullopt;
  Customer customer{row->id<CustomerId>(0), row->text(1), static_cast<int>(row->int64(2)), {}};
  load_phones(customer);
  return customer;
}

std::vector<Customer> CustomerRepository::find_by_phone(const std::string& e164) {
  std::vector<Customer> customers;
  for (const Row& row :
       connection_.query("SELECT c.id, c.name, c.vip_tier FROM customer_phones p "
                         "JOIN customers c ON c.id = p.customer_id WHERE p.e164 = ? "
                         "ORDER BY c.vip_tier DESC, c.id",
                         {e164})) {
    customers.push_back({row.id<CustomerId>(0), row.text(1), static_cast<int>(row.int64(2)), {}});
  }
  for (Customer& customer : customers) load_phones(customer);
  return customers;
}

void CustomerRepository::load_phones(Customer& customer) {
  customer.phones.clear();
  for (const Row& row :
       connection_.query("SELECT e164 FROM customer_phones WHERE customer_id = ? ORDER BY e164",
                         {raw(customer.id)})) {
    customer.phones.push_back(row.text(0));
  }
}

void CustomerRepository::replace_phones(const Customer& customer) {
  connection_.execute("DELETE FROM customer_phones WHERE customer_id = ?", {raw(customer.id)});
  for (const std::string& phone : customer.phones) {
    connection_.execute(
        "INSERT INTO customer_phones (customer_id, e164) VALUES (?, ?) ON CONFLICT DO NOTHING",
        {raw(customer.id), phone});
  }
}

}  // namespace kefu::store
