#pragma once
// The CRM's front door for customers and contacts: checks and normalises what people and API
// clients send (any spelling of a phone number → E.164 with its region; names trimmed; tags and
// account numbers trimmed, sorted and unique; text valid UTF-8) and then stores it through
// CustomerRepository. Bad input comes back as an error value naming the field and the value;
// database failures throw store::StoreError (not_found, constraint for a taken account number).
//
// Blocking database work: call it from the storage executor, not from an event loop.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "crm/customer.hpp"
#include "crm/customer_repository.hpp"
#include "crm/phone_numbers.hpp"
#include "store/database.hpp"

namespace kefu::crm {

class CustomerService {
 public:
  using Clock = std::function<Timestamp()>;
  // `default_region`: how numbers without a country code are read (ISO 3166, e.g. "CN").
  // `clock` stamps created/updated; the system clock when empty.
  CustomerService(store::Connection& connection, const PhoneNumbers& numbers,
                  std::string default_region = "CN", Clock clock = {});

  Result<CustomerId, std::string> create(Customer customer);
  Result<CustomerId, std::string> update(Customer customer);
  bool remove(CustomerId id) { return repository_.remove(id); }

  // Reads see what `scope` allows (CustomerRepository: the API passes the caller's scope; the
  // default, everything, is for the ACD and the screen pop).
  std::optional<Customer> find(CustomerId id,
                               const auth::DataScope& scope = auth::DataScope::everything()) {
    return repository_.find(id, scope);
  }
  // `number` in any spelling ("020-8333 1234", "+86 20 83331234" …); an error when it is not a
  // valid number, else the customers having it (see CustomerRepository::find_by_phone).
  Result<std::vector<Customer>, std::string> find_by_phone(
      std::string_view number, const auth::DataScope& scope = auth::DataScope::everything());
  std::optional<Customer> find_by_account(
      std::string_view account_number,
      const auth::DataScope& scope = auth::DataScope::everything());
  std::vector<CustomerSummary> search_by_name(
      std::string_view prefix, int limit = 20,
      const auth::DataScope& scope = auth::DataScope::everything()) {
    return repository_.search_by_name(prefix, limit, scope);
  }

  Result<ContactId, std::string> add_contact(Contact contact);
  Result<ContactId, std::string> update_contact(Contact contact);
  bool remove_contact(ContactId id) { return repository_.remove_contact(id); }
  std::vector<Contact> contacts(CustomerId customer) { return repository_.contacts(customer); }

  // The checks and normalisation create() and update() apply, without storing.
  Result<Customer, std::string> normalized(Customer customer) const;
  Result<Contact, std::string> normalized(Contact contact) const;

 private:
  Timestamp now() const;
  CustomerRepository repository_;
  const PhoneNumbers& numbers_;
  std::string default_region_;
  Clock clock_;
};

}  // namespace kefu::crm
