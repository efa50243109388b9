#pragma once
// Call records (one row per call), their legs, and crash recovery for calls left open.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace kefu::store {

struct CallRecord {
  std::string call_id;  // the call layer's id; primary key
  CallDirection direction = CallDirection::inbound;
  std::string caller_number;
  std::string dialed_number;
  std::optional<QueueId> queue;
  std::optional<AgentId> agent;
  Timestamp arrival{};
  std::optional<Timestamp> queued;
  std::optional<Timestamp> offered;
  std::optional<Timestamp> answered;
  std::optional<Timestamp> ended;  // no end = the call is in progress
  Millis wait{0};
  Millis talk{0};
  Millis hold{0};
  std::optional<Disposition> disposition;  // set when the call ends
};

struct CallLeg {
  LegRowId id{};  // assigned by add_leg()
  std::string call_id;
  LegRole role = LegRole::caller;
  std::string number;  // the party's number or SIP user
  std::optional<AgentId> agent;
  Timestamp started{};
  std::optional<Timestamp> answered;
  std::optional<Timestamp> ended;
  std::string end_reason;  // e.g. "BYE from caller", "487"
};

struct CallEnd {
  Timestamp ended{};
  Disposition disposition = Disposition::answered;
  Millis wait{0};
  Millis talk{0};
  Millis hold{0};
};

// For reads built elsewhere (the calls API joins agents, queues and users for the caller's data
// scope): the columns call_record_from() reads, in its order, each prefixed by `table`.
std::string call_record_columns(std::string_view table);
// A record from a row whose first columns are call_record_columns().
CallRecord call_record_from(const Row& row);

class CallRecordRepository {
 public:
  explicit CallRecordRepository(Connection& connection) : connection_(connection) {}

  void insert(const CallRecord& record);  // at arrival; throws constraint on a duplicate id
  void update(const CallRecord& record);  // whole row; throws not_found
  // Closes the record; an already-closed record is left as it is (returns false).
  bool finish(const std::string& call_id, const CallEnd& end);
  std::optional<CallRecord> find(const std::string& call_id);
  std::vector<CallRecord> open_calls();

  LegRowId add_leg(const CallLeg& leg);
  void update_leg(const CallLeg& leg);
  std::vector<CallLeg> legs(const std::string& call_id);

  // Crash recovery, run at startup before new calls are taken: every record without an end gets
  // ended = now and disposition 'interrupted', and so do its open legs. Returns how many calls.
  int close_interrupted_calls(Timestamp now);

  // For last-agent routing: the agent who most recently answered this caller since `since`.
  std::optional<AgentId> last_agent_for(const std::string& caller_number, Timestamp since);

 private:
  Connection& connection_;
};

}  // namespace kefu::store
