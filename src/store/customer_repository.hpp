#pragma once
// Customers with their phone numbers, looked up by caller number for VIP priority and screen pop.
// Numbers are stored in E.164 ("+8613912345678"); normalising what callers dial is the caller's
// job (libphonenumber in the CRM issue).
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace kefu::store {

struct Customer {
  CustomerId id{};  // assigned by create()
  std::string name;
  int vip_tier = 0;                 // 0 = not VIP; higher = more important
  std::vector<std::string> phones;  // E.164
};

class CustomerRepository {
 public:
  explicit CustomerRepository(Connection& connection) : connection_(connection) {}

  CustomerId create(const Customer& customer);
  void update(const Customer& customer);  // replaces the phone list; throws not_found
  void remove(CustomerId id);
  std::optional<Customer> find(CustomerId id);
  // Every customer having this number (one number can be shared, e.g. a company switchboard),
  // highest VIP tier first. Uses the customer_phones_by_number index.
  std::vector<Customer> find_by_phone(const std::string& e164);

 private:
  void load_phones(Customer& customer);
  void replace_phones(const Customer& customer);
  Connection& connection_;
};

}  // namespace kefu::store
