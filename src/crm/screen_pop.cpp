#include "crm/screen_pop.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "crm/customer_repository.hpp"
#include "crm/interaction_repository.hpp"

namespace kefu::crm {
namespace {

using nlohmann::json;

json date_json(const std::optional<std::chrono::year_month_day>& date) {
  if (!date) return nullptr;
  return iso_date(*date);
}

json agent_json(const std::optional<AgentId>& agent) {
  if (!agent) return nullptr;
  return store::raw(*agent);
}

json summary_json(const CustomerSummary& summary) {
  return {{"id", store::raw(summary.id)},
          {"name", summary.name},
          {"company", summary.company},
          {"vip_tier", summary.vip_tier}};
}

json address_json(const Address& address) {
  return {{"label", address.label},       {"country", address.country},
          {"province", address.province}, {"city", address.city},
          {"district", address.district}, {"street", address.street},
          {"postcode", address.postcode}};
}

json interaction_json(const Interaction& interaction) {
  return {{"id", store::raw(interaction.id)},
          {"kind", store::to_string(interaction.kind)},
          {"direction", store::to_string(interaction.direction)},
          {"at_ms", store::to_epoch_ms(interaction.at)},
          {"call_id", interaction.call_id},
          {"agent_id", agent_json(interaction.agent)},
          {"summary", interaction.summary}};
}

json note_json(const Note& note) {
  return {{"id", store::raw(note.id)},
          {"author_agent_id", agent_json(note.author)},
          {"created_at_ms", store::to_epoch_ms(note.created)},
          {"body", note.body}};
}

json string_array(const std::vector<std::string>& values) {
  json out = json::array();
  for (const std::string& value : values) out.push_back(value);
  return out;
}

// The create-customer form for an unknown caller: its fields (names as in the customer API)
// and the values known already.
json create_form(const CallerNumber& number) {
  json gender_choices = json::array();
  for (const auto& [value, name] : store::EnumNames<Gender>::values) gender_choices.push_back(name);
  json phones = json::array();
  if (!number.e164.empty()) {
    phones.push_back({{"e164", number.e164}, {"label", ""}, {"region", number.region}});
  }
  return {
      {"fields", json::array({
                     {{"name", "name"}, {"type", "text"}, {"required", true}},
                     {{"name", "company"}, {"type", "text"}, {"required", false}},
                     {{"name", "gender"},
                      {"type", "choice"},
                      {"required", false},
                      {"choices", gender_choices}},
                     {{"name", "phones"}, {"type", "phone_list"}, {"required", true}},
                     {{"name", "addresses"}, {"type", "address_list"}, {"required", false}},
                     {{"name", "vip_tier"}, {"type", "integer"}, {"required", false}, {"min", 0}},
                     {{"name", "tags"}, {"type", "text_list"}, {"required", false}},
                     {{"name", "account_numbers"}, {"type", "text_list"}, {"required", false}},
                     {{"name", "birthday"}, {"type", "date"}, {"required", false}},
                 })},
      {"values", {{"phones", phones}}},
  };
}

// The first match is the caller; the others are listed.
void take_matches(ScreenPop& pop, std::vector<Customer> matches) {
  pop.customer = std::move(matches.front());
  for (std::size_t i = 1; i < matches.size(); ++i) {
    const Customer& other = matches[i];
    pop.other_matches.push_back({other.id, other.name, other.company, other.vip_tier});
  }
}

bool called_own_number(const ScreenPop& pop) {
  return std::any_of(pop.customer->phones.begin(), pop.customer->phones.end(),
                     [&](const Phone& phone) { return phone.e164 == pop.number.e164; });
}

// The region stored with the caller's number when it is the customer's own, else "".
std::string stored_region(const ScreenPop& pop) {
  if (!pop.known()) return "";
  for (const Phone& phone : pop.customer->phones) {
    if (phone.e164 == pop.number.e164) return phone.region;
  }
  return "";
}

// A number that is not the customer's own is one of their contacts'.
void pick_contact(ScreenPop& pop, std::vector<Contact> contacts) {
  for (Contact& contact : contacts) {
    if (contact.customer == pop.customer->id) {
      pop.contact = std::move(contact);
      return;
    }
  }
}

}  // namespace

ScreenPop ScreenPopBuilder::build(store::Connection& connection, std::string_view caller) const {
  ScreenPop pop;
  pop.number.dialed = std::string(caller);
  pop.number.display = pop.number.dialed;
  const auto read = [&](std::string e164) {
    pop.number.e164 = std::move(e164);
    if (connection.dialect() == store::Dialect::postgresql) {
      read_batched(connection, pop);
    } else {
      read_in_turn(connection, pop);
    }
  };
  // As CustomerService::find_by_phone: stored numbers were checked when stored, so a caller
  // they match needs no validity check (libphonenumber's regular expressions); only an unknown
  // caller's number is checked, then looked up if it reads differently.
  const auto plain = numbers_.plain_e164(caller, home_region_);
  if (plain) read(*plain);
  if (!pop.known()) {
    auto e164 = numbers_.normalize(caller, home_region_);
    if (!e164) {  // not a number: nothing to look up
      pop.number.e164.clear();
      return pop;
    }
    if (*e164 != plain) read(std::move(*e164));
  }
  pop.number.display = numbers_.display(pop.number.e164, home_region_);
  // The region was found (by the geocoder, from its data files) when the caller's own number
  // was stored; asked again only for a contact's number or an unknown caller's.
  pop.number.region = stored_region(pop);
  if (pop.number.region.empty()) pop.number.region = numbers_.region(pop.number.e164);
  return pop;
}

void ScreenPopBuilder::read_batched(store::Connection& connection, ScreenPop& pop) const {
  // Every read in one batch: one snapshot and one round trip where a statement each (plus
  // BEGIN and COMMIT) were seven; the customers come with their lists (one row each). The
  // history is the first match's: the same match, cut to one, as a subquery.
  const auto& everything = auth::DataScope::everything();
  const CustomerMatch match = CustomerRepository::phone_match(pop.number.e164, 20, everything);
  const store::Query first = CustomerRepository::phone_match(pop.number.e164, 1, everything).ids();
  std::vector<store::Query> queries{CustomerRepository::customer_query(match)};
  queries.push_back(CustomerRepository::contacts_by_phone_query(pop.number.e164));
  queries.push_back(InteractionRepository::recent_query(first, interaction_count));
  queries.push_back(NoteRepository::recent_query(first, note_count));
  const auto results = connection.query_all(queries);
  std::vector<CustomerId> without_lists;
  auto matches = CustomerRepository::read_customers(results[0], without_lists);
  if (matches.empty()) return;
  // Customers stored before schema v5 only: their lists from the tables, one more round trip.
  CustomerRepository(connection).load_lists(matches, without_lists);
  take_matches(pop, std::move(matches));
  if (!called_own_number(pop)) pick_contact(pop, CustomerRepository::read_contacts(results[1]));
  pop.last_interactions = InteractionRepository::read_all(results[2]);
  pop.recent_notes = NoteRepository::read_all(results[3]);
}

void ScreenPopBuilder::read_in_turn(store::Connection& connection, ScreenPop& pop) const {
  // SQLite: statements are calls, not round trips; each read can use what the last found.
  store::Transaction tx(connection, store::TransactionMode::read);
  CustomerRepository customers(connection);
  auto matches = customers.find_by_phone(pop.number.e164);
  if (!matches.empty()) {
    take_matches(pop, std::move(matches));
    if (!called_own_number(pop)) pick_contact(pop, customers.contacts_by_phone(pop.number.e164));
    pop.last_interactions =
        InteractionRepository(connection).recent(pop.customer->id, interaction_count);
    pop.recent_notes = NoteRepository(connection).recent(pop.customer->id, note_count);
  }
  tx.commit();
}

std::string ScreenPopBuilder::to_json(const ScreenPop& pop) const {
  json out;
  out["known"] = pop.known();
  out["number"] = {
      {"dialed", pop.number.dialed}, {"e164", pop.number.e164}, {"display", pop.number.display}};
  out["region"] = pop.number.region;
  if (!pop.known()) {
    out["create_form"] = create_form(pop.number);
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  const Customer& customer = *pop.customer;
  json phones = json::array();
  for (const Phone& phone : customer.phones) {
    phones.push_back({{"e164", phone.e164},
                      {"display", numbers_.display(phone.e164, home_region_)},
                      {"label", phone.label},
                      {"region", phone.region}});
  }
  json addresses = json::array();
  for (const Address& address : customer.addresses) addresses.push_back(address_json(address));
  out["customer"] = {{"id", store::raw(customer.id)},
                     {"name", customer.name},
                     {"company", customer.company},
                     {"gender", store::to_string(customer.gender)},
                     {"birthday", date_json(customer.birthday)},
                     {"vip_tier", customer.vip_tier},
                     {"tags", string_array(customer.tags)},
                     {"account_numbers", string_array(customer.account_numbers)},
                     {"phones", phones},
                     {"addresses", addresses}};
  // Repeated at the top: what routing and the desktop's banner read without the profile.
  out["vip_tier"] = customer.vip_tier;
  out["tags"] = string_array(customer.tags);
  if (pop.contact) {
    out["contact"] = {{"id", store::raw(pop.contact->id)},
                      {"name", pop.contact->name},
                      {"title", pop.contact->title},
                      {"e164", pop.contact->e164},
                      {"email", pop.contact->email}};
  } else {
    out["contact"] = nullptr;
  }
  json others = json::array();
  for (const CustomerSummary& other : pop.other_matches) others.push_back(summary_json(other));
  out["other_matches"] = others;
  json interactions = json::array();
  for (const Interaction& interaction : pop.last_interactions) {
    interactions.push_back(interaction_json(interaction));
  }
  out["last_interactions"] = interactions;
  json notes = json::array();
  for (const Note& note : pop.recent_notes) notes.push_back(note_json(note));
  out["recent_notes"] = notes;
  // Filled by the ticket and order modules when they exist; the keys are part of the contract.
  out["open_tickets"] = json::array();
  out["open_orders"] = json::array();
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace kefu::crm
