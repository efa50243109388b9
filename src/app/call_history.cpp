#include "app/call_history.hpp"

#include <charconv>

namespace kefu::app {
namespace {

// The record's columns, then the agent's number and name, the queue's name; the owner (the
// user who is that agent) is joined for the scope's condition only.
std::string select_summaries() {
  return "SELECT " + store::call_record_columns("c") +
         ", a.agent_number, a.name, q.name FROM call_records c "
         "LEFT JOIN agents a ON a.id = c.agent_id "
         "LEFT JOIN queues q ON q.id = c.queue_id "
         "LEFT JOIN users u ON u.agent_number = a.agent_number ";
}

constexpr std::size_t kRecordColumns = 15;

CallSummary summary_from(const store::Row& row) {
  return {store::call_record_from(row), row.text(kRecordColumns), row.text(kRecordColumns + 1),
          row.text(kRecordColumns + 2)};
}

}  // namespace

std::vector<CallSummary> CallHistory::list(const CallListFilter& filter,
                                           const auth::DataScope& scope) {
  std::vector<store::Value> params;
  std::string sql =
      select_summaries() + "WHERE " + scope.sql_condition("u.id", "u.department_id", params);
  if (filter.from) {
    sql += " AND c.arrival_at >= ?";
    params.emplace_back(store::to_epoch_ms(*filter.from));
  }
  if (filter.to) {
    sql += " AND c.arrival_at < ?";
    params.emplace_back(store::to_epoch_ms(*filter.to));
  }
  if (filter.agent_number) {
    sql += " AND a.agent_number = ?";
    params.emplace_back(*filter.agent_number);
  }
  if (filter.queue) {
    sql += " AND q.name = ?";
    params.emplace_back(*filter.queue);
  }
  if (filter.number) {
    sql += " AND (c.caller_number = ? OR c.dialed_number = ?)";
    params.emplace_back(*filter.number);
    params.emplace_back(*filter.number);
  }
  if (filter.disposition) {
    sql += " AND c.disposition = ?";
    params.emplace_back(std::string(store::to_string(*filter.disposition)));
  }
  if (filter.direction) {
    sql += " AND c.direction = ?";
    params.emplace_back(std::string(store::to_string(*filter.direction)));
  }
  if (filter.before) {
    const std::int64_t at = store::to_epoch_ms(filter.before->first);
    sql += " AND (c.arrival_at < ? OR (c.arrival_at = ? AND c.call_id < ?))";
    params.emplace_back(at);
    params.emplace_back(at);
    params.emplace_back(filter.before->second);
  }
  sql += " ORDER BY c.arrival_at DESC, c.call_id DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(filter.limit));

  std::vector<CallSummary> calls;
  for (const store::Row& row : connection_.query(sql, params)) calls.push_back(summary_from(row));
  return calls;
}

std::optional<CallDetail> CallHistory::find(const std::string& call_id,
                                            const auth::DataScope& scope) {
  std::vector<store::Value> params{call_id};
  const std::string sql = select_summaries() + "WHERE c.call_id = ? AND " +
                          scope.sql_condition("u.id", "u.department_id", params);
  store::Transaction read(connection_, store::TransactionMode::read);
  const auto rows = connection_.query(sql, params);
  if (rows.empty()) return std::nullopt;
  CallDetail detail{summary_from(rows.front()),
                    store::CallRecordRepository(connection_).legs(call_id),
                    store::RecordingRepository(connection_).for_call(call_id)};
  read.commit();
  return detail;
}

std::string call_cursor(const CallSummary& last) {
  return std::to_string(store::to_epoch_ms(last.record.arrival)) + "." + last.record.call_id;
}

std::optional<std::pair<store::Timestamp, std::string>> parse_call_cursor(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  std::int64_t at = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + dot, at);
  if (error != std::errc() || end != text.data() + dot || at < 0) return std::nullopt;
  return std::pair{store::from_epoch_ms(at), std::string(text.substr(dot + 1))};
}

}  // namespace kefu::app
