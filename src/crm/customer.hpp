#pragma once
// The CRM's data: customers (with their phone numbers, addresses, tags and account numbers),
// the contacts of company customers, interactions (every call, voicemail, fax, e-mail, chat or
// visit) and notes. Phone numbers are stored in E.164; `CustomerService` turns whatever was
// typed into that form. Enums are stored by name (store::EnumNames below).
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/types.hpp"
#include "store/types.hpp"

namespace kefu::crm {

using store::AgentId;
using store::CustomerId;
using store::Timestamp;
enum class ContactId : std::int64_t {};
enum class InteractionId : std::int64_t {};
enum class NoteId : std::int64_t {};

enum class Gender { unspecified, female, male, other };
enum class InteractionKind { call, voicemail, fax, email, chat, visit };
enum class InteractionDirection { inbound, outbound };

struct Phone {
  std::string e164;    // "+862083331234"; CustomerService accepts any spelling and normalises
  std::string label;   // "mobile", "office", "家" … free text
  std::string region;  // from the number (offline geocoder), e.g. "广东省广州市"; set on save
  bool operator==(const Phone&) const = default;
};

struct Address {
  std::string label;  // "home", "billing" …
  std::string country;
  std::string province;
  std::string city;
  std::string district;
  std::string street;
  std::string postcode;
  bool operator==(const Address&) const = default;
};

struct Customer {
  CustomerId id{};  // assigned by create()
  std::string name;
  std::string company;
  Gender gender = Gender::unspecified;
  std::optional<std::chrono::year_month_day> birthday;
  int vip_tier = 0;                          // 0 = not VIP; higher = more important
  std::vector<Phone> phones;                 // in the order given; the first is the main number
  std::vector<Address> addresses;            // in the order given
  std::vector<std::string> tags;             // sorted, unique
  std::vector<std::string> account_numbers;  // sorted; each belongs to one customer only
  Timestamp created{};                       // set by the repository
  Timestamp updated{};
  // Whose customer this is, for data scope (auth::scope_for(…, Resource::customers)). Set at
  // create, kept by update(). Neither set: a shared customer every reader sees (rows from
  // before schema v4, the configuration's and the demo's); see CustomerRepository.
  std::optional<auth::DepartmentId> department;
  std::optional<auth::UserId> owner;
  bool operator==(const Customer&) const = default;
};

// What a name search returns: enough to show a pick list without loading every profile.
struct CustomerSummary {
  CustomerId id{};
  std::string name;
  std::string company;
  int vip_tier = 0;
  bool operator==(const CustomerSummary&) const = default;
};

// A person at a company customer. One number and one e-mail address each.
struct Contact {
  ContactId id{};  // assigned by add_contact()
  CustomerId customer{};
  std::string name;
  std::string title;
  std::string e164;  // may be empty
  std::string email;
  bool operator==(const Contact&) const = default;
};

struct Interaction {
  InteractionId id{};  // assigned by add()
  CustomerId customer{};
  InteractionKind kind = InteractionKind::call;
  InteractionDirection direction = InteractionDirection::inbound;
  Timestamp at{};
  std::string call_id;  // the call record's id for calls and voicemails, else empty
  std::optional<AgentId> agent;
  std::string summary;
  bool operator==(const Interaction&) const = default;
};

struct Note {
  NoteId id{};  // assigned by add()
  CustomerId customer{};
  std::optional<AgentId> author;
  Timestamp created{};
  std::string body;
  bool operator==(const Note&) const = default;
};

// Dates as stored and sent: "1990-05-17". parse_iso_date accepts exactly that form.
std::string iso_date(const std::chrono::year_month_day& date);
std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view text);

}  // namespace kefu::crm

namespace kefu::store {

template <>
struct EnumNames<crm::Gender> {
  static constexpr std::array<std::pair<crm::Gender, std::string_view>, 4> values{{
      {crm::Gender::unspecified, "unspecified"},
      {crm::Gender::female, "female"},
      {crm::Gender::male, "male"},
      {crm::Gender::other, "other"},
  }};
};
template <>
struct EnumNames<crm::InteractionKind> {
  static constexpr std::array<std::pair<crm::InteractionKind, std::string_view>, 6> values{{
      {crm::InteractionKind::call, "call"},
      {crm::InteractionKind::voicemail, "voicemail"},
      {crm::InteractionKind::fax, "fax"},
      {crm::InteractionKind::email, "email"},
      {crm::InteractionKind::chat, "chat"},
      {crm::InteractionKind::visit, "visit"},
  }};
};
template <>
struct EnumNames<crm::InteractionDirection> {
  static constexpr std::array<std::pair<crm::InteractionDirection, std::string_view>, 2> values{{
      {crm::InteractionDirection::inbound, "inbound"},
      {crm::InteractionDirection::outbound, "outbound"},
  }};
};

}  // namespace kefu::store
