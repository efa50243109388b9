#pragma once
// A customer's history: interactions (calls, voicemails, faxes, e-mails, chats, visits) and the
// notes agents write. Both are append-mostly and read newest first, a few at a time (screen
// pop, customer page), through the (customer_id, time, id) indexes.
#include <optional>
#include <string_view>
#include <vector>

#include "crm/customer.hpp"
#include "store/database.hpp"

namespace kefu::crm {

class InteractionRepository {
 public:
  explicit InteractionRepository(store::Connection& connection) : connection_(connection) {}

  // Throws constraint when the customer (or the agent) does not exist.
  InteractionId add(const Interaction& interaction);
  std::optional<Interaction> find(InteractionId id);
  // Newest first (by time, then by id for interactions at the same millisecond).
  std::vector<Interaction> recent(CustomerId customer, int limit);
  // The statement of `recent` for the customer a subquery names (one id, or none), so that it
  // can go in one batch with the look-up that finds the customer (the screen pop).
  static store::Query recent_query(const store::Query& customer_id, int limit);
  static std::vector<Interaction> read_all(const std::vector<store::Row>& rows);
  // Every interaction recorded for one call (a call can concern several customers).
  std::vector<Interaction> for_call(std::string_view call_id);

 private:
  store::Connection& connection_;
};

class NoteRepository {
 public:
  explicit NoteRepository(store::Connection& connection) : connection_(connection) {}

  NoteId add(const Note& note);
  bool remove(NoteId id);
  std::vector<Note> recent(CustomerId customer, int limit);                      // newest first
  static store::Query recent_query(const store::Query& customer_id, int limit);  // as above
  static std::vector<Note> read_all(const std::vector<store::Row>& rows);

 private:
  store::Connection& connection_;
};

}  // namespace kefu::crm
