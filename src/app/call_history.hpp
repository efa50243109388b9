#pragma once
// Call records as the calls API shows them: newest first, filtered, a page at a time, and one
// call with its legs and recordings — each limited to what the reader may see.
//
// Scope (auth::Resource::calls): a call belongs to the user whose agent number answered it
// (call_records.agent_id → agents.agent_number → users.agent_number) and to that user's
// department. An agent sees the calls they took; a supervisor those of their department's
// agents; `all` every call, including those no agent took (abandoned in a queue, served by the
// IVR alone, click-to-call that failed before the agent answered). Queues belong to no
// department yet, so only `all` shows the calls nobody took.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/permissions.hpp"
#include "store/call_repository.hpp"
#include "store/recording_repository.hpp"

namespace kefu::app {

struct CallListFilter {
  std::optional<store::Timestamp> from;  // arrival at or after
  std::optional<store::Timestamp> to;    // arrival before
  std::optional<std::string> agent_number;
  std::optional<std::string> queue;   // the queue's name
  std::optional<std::string> number;  // caller's or dialed number, as stored
  std::optional<store::Disposition> disposition;
  std::optional<store::CallDirection> direction;
  // Keyset cursor: calls strictly older than this (arrival, call id) pair, the last of a page.
  std::optional<std::pair<store::Timestamp, std::string>> before;
  int limit = 50;
};

struct CallSummary {
  store::CallRecord record;
  std::string agent_number;  // "" when no agent took the call
  std::string agent_name;
  std::string queue;  // the queue's name, "" when none
};

struct CallDetail {
  CallSummary call;
  std::vector<store::CallLeg> legs;
  std::vector<store::Recording> recordings;
};

class CallHistory {
 public:
  explicit CallHistory(store::Connection& connection) : connection_(connection) {}

  // Newest first (arrival, then call id, both descending); at most filter.limit.
  std::vector<CallSummary> list(const CallListFilter& filter, const auth::DataScope& scope);
  // nullopt when the call does not exist or is outside `scope` (not told apart).
  std::optional<CallDetail> find(const std::string& call_id, const auth::DataScope& scope);

 private:
  store::Connection& connection_;
};

// The cursor of the page after the one that ended with `last`: "<arrival ms>.<call id>".
std::string call_cursor(const CallSummary& last);
// Parses a cursor; nullopt when it is not one.
std::optional<std::pair<store::Timestamp, std::string>> parse_call_cursor(std::string_view text);

}  // namespace kefu::app
