#include "crm/customer_service.hpp"

#include <algorithm>
#include <set>

#include "crm/text_keys.hpp"

namespace kefu::crm {
namespace {

// Generous bounds that keep one row and its index entries small; a name this long is a mistake.
constexpr std::size_t max_name_bytes = 400;
constexpr std::size_t max_text_bytes = 4000;

// Trims `value` in place; an error naming `field` when it is not UTF-8 or too long.
std::optional<std::string> clean_text(std::string_view field, std::string& value,
                                      std::size_t max_bytes = max_text_bytes) {
  value = std::string(trim(value));
  if (!is_valid_utf8(value)) return std::string(field) + " is not valid UTF-8";
  if (value.size() > max_bytes) {
    return std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes";
  }
  return std::nullopt;
}

std::optional<std::string> clean_name(std::string_view field, std::string& value) {
  if (auto error = clean_text(field, value, max_name_bytes)) return error;
  if (value.empty()) return std::string(field) + " is empty";
  return std::nullopt;
}

// Trimmed, without empty entries, sorted and unique.
std::optional<std::string> clean_list(std::string_view field, std::vector<std::string>& values) {
  std::set<std::string> unique;
  for (std::string& value : values) {
    if (auto error = clean_text(field, value, max_name_bytes)) return error;
    if (!value.empty()) unique.insert(std::move(value));
  }
  values.assign(unique.begin(), unique.end());
  return std::nullopt;
}

}  // namespace

CustomerService::CustomerService(store::Connection& connection, const PhoneNumbers& numbers,
                                 std::string default_region, Clock clock)
    : repository_(connection),
      numbers_(numbers),
      default_region_(std::move(default_region)),
      clock_(std::move(clock)) {}

Timestamp CustomerService::now() const {
  if (clock_) return clock_();
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

Result<Customer, std::string> CustomerService::normalized(Customer customer) const {
  if (auto error = clean_name("name", customer.name)) return unexpected(*error);
  if (auto error = clean_text("company", customer.company, max_name_bytes)) {
    return unexpected(*error);
  }
  if (customer.birthday && !customer.birthday->ok()) {
    return unexpected(std::string("birthday is not a date"));
  }
  if (customer.vip_tier < 0) return unexpected(std::string("vip_tier is negative"));

  std::vector<Phone> phones;
  for (std::size_t i = 0; i < customer.phones.size(); ++i) {
    Phone& phone = customer.phones[i];
    const std::string field = "phones[" + std::to_string(i) + "]";
    auto e164 = numbers_.normalize(phone.e164, default_region_);
    if (!e164) return unexpected(field + ": " + e164.error());
    if (auto error = clean_text(field + ".label", phone.label, max_name_bytes)) {
      return unexpected(*error);
    }
    // The same number spelt twice is one number; the first label wins.
    const bool seen = std::any_of(phones.begin(), phones.end(),
                                  [&](const Phone& kept) { return kept.e164 == *e164; });
    if (seen) continue;
    phone.e164 = std::move(*e164);
    phone.region = numbers_.region(phone.e164);
    phones.push_back(std::move(phone));
  }
  customer.phones = std::move(phones);

  for (std::size_t i = 0; i < customer.addresses.size(); ++i) {
    Address& address = customer.addresses[i];
    const std::string field = "addresses[" + std::to_string(i) + "].";
    using FieldRef = std::pair<const char*, std::string*>;
    for (auto [name, value] : std::initializer_list<FieldRef>{{"label", &address.label},
                                                              {"country", &address.country},
                                                              {"province", &address.province},
                                                              {"city", &address.city},
                                                              {"district", &address.district},
                                                              {"street", &address.street},
                                                              {"postcode", &address.postcode}}) {
      if (auto error = clean_text(field + name, *value)) return unexpected(*error);
    }
  }
  if (auto error = clean_list("tags", customer.tags)) return unexpected(*error);
  if (auto error = clean_list("account_numbers", customer.account_numbers)) {
    return unexpected(*error);
  }
  return customer;
}

Result<Contact, std::string> CustomerService::normalized(Contact contact) const {
  if (auto error = clean_name("name", contact.name)) return unexpected(*error);
  if (auto error = clean_text("title", contact.title, max_name_bytes)) return unexpected(*error);
  if (auto error = clean_text("email", contact.email, max_name_bytes)) return unexpected(*error);
  if (!contact.email.empty() && contact.email.find('@') == std::string::npos) {
    return unexpected("email '" + contact.email + "' has no @");
  }
  if (auto error = clean_text("phone", contact.e164, max_name_bytes)) return unexpected(*error);
  if (!contact.e164.empty()) {
    auto e164 = numbers_.normalize(contact.e164, default_region_);
    if (!e164) return unexpected("phone: " + e164.error());
    contact.e164 = std::move(*e164);
  }
  return contact;
}

Result<CustomerId, std::string> CustomerService::create(Customer customer) {
  auto checked = normalized(std::move(customer));
  if (!checked) return unexpected(std::move(checked.error()));
  return repository_.create(*checked, now());
}

Result<CustomerId, std::string> CustomerService::update(Customer customer) {
  auto checked = normalized(std::move(customer));
  if (!checked) return unexpected(std::move(checked.error()));
  repository_.update(*checked, now());
  return checked->id;
}

Result<std::vector<Customer>, std::string> CustomerService::find_by_phone(
    std::string_view number, const auth::DataScope& scope) {
  // Stored numbers were valid when stored: a plainly spelled number that finds its customers
  // needs no validity check. Only a miss asks normalize() whether the number is wrong.
  const auto plain = numbers_.plain_e164(number, default_region_);
  if (plain) {
    auto found = repository_.find_by_phone(*plain, 20, scope);
    if (!found.empty()) return found;
  }
  auto e164 = numbers_.normalize(number, default_region_);
  if (!e164) return unexpected(std::move(e164.error()));
  if (*e164 == plain) return std::vector<Customer>{};  // looked for already
  return repository_.find_by_phone(*e164, 20, scope);
}

std::optional<Customer> CustomerService::find_by_account(std::string_view account_number,
                                                         const auth::DataScope& scope) {
  return repository_.find_by_account(trim(account_number), scope);
}

Result<ContactId, std::string> CustomerService::add_contact(Contact contact) {
  auto checked = normalized(std::move(contact));
  if (!checked) return unexpected(std::move(checked.error()));
  return repository_.add_contact(*checked);
}

Result<ContactId, std::string> CustomerService::update_contact(Contact contact) {
  auto checked = normalized(std::move(contact));
  if (!checked) return unexpected(std::move(checked.error()));
  repository_.update_contact(*checked);
  return checked->id;
}

}  // namespace kefu::crm
