#pragma once
// The screen pop: what an agent's screen shows when a call rings. A known caller gets the
// customer's profile, VIP tier, tags, last interactions and notes (and open tickets and orders,
// empty until those modules exist); an unknown caller gets the number, where it is from, and
// the fields of the form that creates the customer, prefilled with the number.
//
// Built as a typed value (what the call and ACD code read) and rendered as JSON for the agent
// desktop (to_json; the keys are the API contract, see screen_pop.cpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crm/customer.hpp"
#include "crm/phone_numbers.hpp"
#include "store/database.hpp"

namespace kefu::crm {

struct CallerNumber {
  std::string dialed;   // as the caller ID had it
  std::string e164;     // "" when it is not a valid number (anonymous, an extension …)
  std::string display;  // as dialled from the home region ("020 8333 1234"); else `dialed`
  std::string region;   // "广东省广州市"; "" when unknown
};

struct ScreenPop {
  CallerNumber number;
  std::optional<Customer> customer;            // the best match (highest VIP tier); none: unknown
  std::optional<Contact> contact;              // when the number is one of `customer`'s contacts
  std::vector<CustomerSummary> other_matches;  // further customers sharing the number
  std::vector<Interaction> last_interactions;  // newest first
  std::vector<Note> recent_notes;              // newest first
  bool known() const { return customer.has_value(); }
};

class ScreenPopBuilder {
 public:
  static constexpr int interaction_count = 5;
  static constexpr int note_count = 3;

  // `home_region`: how caller IDs without a country code are read, and where numbers are
  // displayed for.
  explicit ScreenPopBuilder(const PhoneNumbers& numbers, std::string home_region = "CN")
      : numbers_(numbers), home_region_(std::move(home_region)) {}

  // Blocking database reads, in one read transaction (a consistent picture); on PostgreSQL in
  // one round trip.
  ScreenPop build(store::Connection& connection, std::string_view caller) const;
  // Never throws on odd text: invalid UTF-8 from a caller ID is replaced, not rejected.
  std::string to_json(const ScreenPop& pop) const;

 private:
  void read_batched(store::Connection& connection, ScreenPop& pop) const;
  void read_in_turn(store::Connection& connection, ScreenPop& pop) const;

  const PhoneNumbers& numbers_;
  std::string home_region_;
};

}  // namespace kefu::crm
