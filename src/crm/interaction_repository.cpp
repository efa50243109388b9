#include "crm/interaction_repository.hpp"

#include <string>

namespace kefu::crm {
namespace {

using store::Row;

constexpr std::string_view interaction_columns =
    "id, customer_id, kind, direction, at, call_id, agent_id, summary";

Interaction read_interaction(const Row& row) {
  Interaction interaction;
  interaction.id = row.id<InteractionId>(0);
  interaction.customer = row.id<CustomerId>(1);
  interaction.kind = row.enumeration<InteractionKind>(2);
  interaction.direction = row.enumeration<InteractionDirection>(3);
  interaction.at = row.time(4);
  interaction.call_id = row.text(5);
  interaction.agent = row.optional_id<AgentId>(6);
  interaction.summary = row.text(7);
  return interaction;
}

}  // namespace

InteractionId InteractionRepository::add(const Interaction& interaction) {
  auto row = connection_.query_one(
      "INSERT INTO interactions (customer_id, kind, direction, at, call_id, agent_id, summary) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {store::raw(interaction.customer), std::string(store::to_string(interaction.kind)),
       std::string(store::to_string(interaction.direction)), store::to_epoch_ms(interaction.at),
       interaction.call_id, store::nullable(interaction.agent), interaction.summary});
  return row->id<InteractionId>(0);
}

std::optional<Interaction> InteractionRepository::find(InteractionId id) {
  auto row = connection_.query_one(
      "SELECT " + std::string(interaction_columns) + " FROM interactions WHERE id = ?",
      {store::raw(id)});
  if (!row) return std::nullopt;
  return read_interaction(*row);
}

namespace {

// `sql` with its `{customer}` replaced by `customer_id`'s statement, and its parameters.
store::Query with_customer(std::string_view sql, const store::Query& customer_id, int limit) {
  const auto at = sql.find("{customer}");
  store::Query q{std::string(sql.substr(0, at)) + customer_id.sql +
                     std::string(sql.substr(at + std::string_view("{customer}").size())),
                 customer_id.params};
  q.params.emplace_back(std::int64_t{limit});
  return q;
}

}  // namespace

store::Query InteractionRepository::recent_query(const store::Query& customer_id, int limit) {
  return with_customer(
      "SELECT id, customer_id, kind, direction, at, call_id, agent_id, summary "
      "FROM interactions WHERE customer_id = ({customer}) "
      "ORDER BY at DESC, id DESC LIMIT ?",
      customer_id, limit);
}

std::vector<Interaction> InteractionRepository::read_all(const std::vector<Row>& rows) {
  std::vector<Interaction> found;
  found.reserve(rows.size());
  for (const Row& row : rows) found.push_back(read_interaction(row));
  return found;
}

std::vector<Interaction> InteractionRepository::recent(CustomerId customer, int limit) {
  const store::Query q = recent_query({"?", {store::raw(customer)}}, limit);
  return read_all(connection_.query(q.sql, q.params));
}

std::vector<Interaction> InteractionRepository::for_call(std::string_view call_id) {
  std::vector<Interaction> found;
  for (const Row& row : connection_.query("SELECT " + std::string(interaction_columns) +
                                              " FROM interactions WHERE call_id = ? ORDER BY id",
                                          {std::string(call_id)})) {
    found.push_back(read_interaction(row));
  }
  return found;
}

NoteId NoteRepository::add(const Note& note) {
  auto row = connection_.query_one(
      "INSERT INTO customer_notes (customer_id, agent_id, created_at, body) VALUES (?, ?, ?, ?) "
      "RETURNING id",
      {store::raw(note.customer), store::nullable(note.author), store::to_epoch_ms(note.created),
       note.body});
  return row->id<NoteId>(0);
}

bool NoteRepository::remove(NoteId id) {
  return connection_.execute("DELETE FROM customer_notes WHERE id = ?", {store::raw(id)}) > 0;
}

store::Query NoteRepository::recent_query(const store::Query& customer_id, int limit) {
  return with_customer(
      "SELECT id, customer_id, agent_id, created_at, body FROM customer_notes "
      "WHERE customer_id = ({customer}) ORDER BY created_at DESC, id DESC LIMIT ?",
      customer_id, limit);
}

std::vector<Note> NoteRepository::read_all(const std::vector<Row>& rows) {
  std::vector<Note> found;
  found.reserve(rows.size());
  for (const Row& row : rows) {
    found.push_back({row.id<NoteId>(0), row.id<CustomerId>(1), row.optional_id<AgentId>(2),
                     row.time(3), row.text(4)});
  }
  return found;
}

std::vector<Note> NoteRepository::recent(CustomerId customer, int limit) {
  const store::Query q = recent_query({"?", {store::raw(customer)}}, limit);
  return read_all(connection_.query(q.sql, q.params));
}

}  // namespace kefu::crm
