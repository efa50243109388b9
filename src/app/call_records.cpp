#include "app/call_records.hpp"

#include <boost/asio/post.hpp>

#include "store/database.hpp"
#include "store/executor.hpp"

namespace kefu::app {

namespace {

store::Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

store::Disposition disposition_for(call::LegEnd why, call::Answered answered) {
  if (why == call::LegEnd::shutdown) return store::Disposition::interrupted;
  if (answered == call::Answered::no) {
    // The caller gave up (or never got through) before kefu answered.
    return why == call::LegEnd::failed ? store::Disposition::failed : store::Disposition::abandoned;
  }
  if (why == call::LegEnd::rtp_timeout || why == call::LegEnd::failed) {
    return store::Disposition::failed;
  }
  // Answered and ended by either side: by kefu's IVR until the ACD connects agents.
  return store::Disposition::answered;
}

}  // namespace

CallRecords::CallRecords(boost::asio::io_context& io, store::StorageExecutor& storage,
                         std::shared_ptr<spdlog::logger> log)
    : io_(io), storage_(storage), log_(std::move(log)) {}

void CallRecords::call_arrived(const call::LegInfo& info) {
  store::CallRecord record;
  record.call_id = info.call_id;
  record.direction = store::CallDirection::inbound;
  record.caller_number = info.caller;
  record.dialed_number = info.dialed;
  record.arrival = now_ms();
  open_[info.call_id] = record;
  pending_.push_back({Write::Kind::insert, std::move(record), {}, {}});
  schedule_flush();
}

void CallRecords::call_answered(const call::LegInfo& info) {
  auto found = open_.find(info.call_id);
  if (found != open_.end()) found->second.answered = now_ms();
}

void CallRecords::call_ended(const call::LegInfo& info, call::LegEnd why, call::Answered answered) {
  auto found = open_.find(info.call_id);
  if (found == open_.end()) return;
  store::CallRecord record = std::move(found->second);
  open_.erase(found);
  Progress progress;
  if (auto p = progress_.find(info.call_id); p != progress_.end()) {
    progress = p->second;
    progress_.erase(p);
  }
  const auto ended = now_ms();
  record.ended = ended;
  if (progress.hold_since) record.hold += ended - *progress.hold_since;
  if (progress.queued) {
    // A queued call: answered = connected to an agent; wait counts from entering the queue.
    const auto queued = record.queued.value_or(record.arrival);
    if (progress.connected && record.answered) {
      record.disposition = why == call::LegEnd::shutdown ? store::Disposition::interrupted
                                                         : store::Disposition::answered;
      record.wait = *record.answered - queued;
      record.talk = ended - *record.answered - record.hold;
    } else {
      record.disposition = progress.overflowed ? store::Disposition::overflowed
                           : why == call::LegEnd::shutdown ? store::Disposition::interrupted
                                                           : store::Disposition::abandoned;
      record.wait = ended - queued;
    }
  } else {
    record.disposition = disposition_for(why, answered);
    if (record.answered) {
      record.wait = *record.answered - record.arrival;
      record.talk = ended - *record.answered - record.hold;
    } else {
      record.wait = ended - record.arrival;
    }
  }
  pending_.push_back({Write::Kind::update, std::move(record), {}, {}});
  schedule_flush();
}

void CallRecords::set_ids(std::map<std::string, store::QueueId> queues,
                          std::map<std::string, store::AgentId> agents) {
  queue_ids_ = std::move(queues);
  agent_ids_ = std::move(agents);
}

std::optional<std::string> CallRecords::agent_number(store::AgentId id) const {
  for (const auto& [number, agent] : agent_ids_) {
    if (agent == id) return number;
  }
  return std::nullopt;
}

namespace {

store::AgentState stored_state(acd::AgentState state) {
  switch (state) {
    case acd::AgentState::LoggedOut: return store::AgentState::logged_out;
    case acd::AgentState::Ready: return store::AgentState::ready;
    case acd::AgentState::NotReady: return store::AgentState::not_ready;
    case acd::AgentState::Reserved: return store::AgentState::ringing;
    case acd::AgentState::OnCall: return store::AgentState::on_call;
    case acd::AgentState::WrapUp: return store::AgentState::wrap_up;
  }
  return store::AgentState::logged_out;
}

store::QueueEventKind stored_kind(acd::QueueEventType type) {
  switch (type) {
    case acd::QueueEventType::enqueue: return store::QueueEventKind::enqueue;
    case acd::QueueEventType::offer: return store::QueueEventKind::offer;
    case acd::QueueEventType::connect: return store::QueueEventKind::connect;
    case acd::QueueEventType::abandon: return store::QueueEventKind::abandon;
    case acd::QueueEventType::overflow: return store::QueueEventKind::overflow;
    case acd::QueueEventType::transfer: return store::QueueEventKind::transfer;
    case acd::QueueEventType::complete: return store::QueueEventKind::complete;
  }
  return store::QueueEventKind::enqueue;
}

store::Timestamp to_timestamp(std::chrono::system_clock::time_point t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

}  // namespace

void CallRecords::agent_state(const acd::AgentStateChange& change) {
  auto agent = agent_ids_.find(change.agent);
  if (agent == agent_ids_.end()) return;
  storage_.append(store::AgentStateChange{agent->second, stored_state(change.to), change.reason, now_ms()});
}

void CallRecords::queue_event(const std::string& call_id, const std::string& queue,
                              const std::string& agent, acd::QueueEventType type,
                              const std::string& details) {
  store::QueueEvent event;
  event.call_id = call_id;
  if (auto q = queue_ids_.find(queue); q != queue_ids_.end()) event.queue = q->second;
  if (auto a = agent_ids_.find(agent); a != agent_ids_.end()) event.agent = a->second;
  event.kind = stored_kind(type);
  event.at = now_ms();
  event.details = details;
  storage_.append(std::move(event));
}

void CallRecords::call_queued(const std::string& call_id, const std::string& queue) {
  auto found = open_.find(call_id);
  if (found == open_.end()) return;
  Progress& progress = progress_[call_id];
  if (!progress.queued) {
    found->second.queued = now_ms();
    found->second.answered.reset();  // from now on: answered by an agent
  }
  progress.queued = true;
  progress.connected = false;
  if (auto q = queue_ids_.find(queue); q != queue_ids_.end()) found->second.queue = q->second;
  pending_.push_back({Write::Kind::update, found->second, {}, {}});  // a crash keeps the queue
  schedule_flush();
}

void CallRecords::call_offered(const std::string& call_id) {
  auto found = open_.find(call_id);
  if (found != open_.end() && !found->second.offered) found->second.offered = now_ms();
}

void CallRecords::call_connected(const std::string& call_id, const std::string& agent) {
  auto found = open_.find(call_id);
  if (found == open_.end()) return;
  Progress& progress = progress_[call_id];
  progress.connected = true;
  if (!found->second.answered) found->second.answered = now_ms();  // the first agent's answer
  if (auto a = agent_ids_.find(agent); a != agent_ids_.end()) found->second.agent = a->second;
  // Stored now, not only at the end: a call cut by a crash still shows who had it and when.
  pending_.push_back({Write::Kind::update, found->second, {}, {}});
  schedule_flush();
}

void CallRecords::call_hold(const std::string& call_id, call::Hold hold) {
  auto found = open_.find(call_id);
  if (found == open_.end()) return;
  Progress& progress = progress_[call_id];
  if (hold == call::Hold::yes) {
    if (!progress.hold_since) progress.hold_since = now_ms();
  } else if (progress.hold_since) {
    found->second.hold += now_ms() - *progress.hold_since;
    progress.hold_since.reset();
  }
}

void CallRecords::call_overflowed(const std::string& call_id, const std::string&) {
  progress_[call_id].overflowed = true;
}

void CallRecords::agent_leg(const std::string& call_id, const std::string& agent,
                            const call::LegInfo& leg, std::chrono::system_clock::time_point started,
                            std::optional<std::chrono::system_clock::time_point> answered,
                            std::string end_reason) {
  store::CallLeg row;
  row.call_id = call_id;
  // No agent: the number a call was transferred to.
  row.role = agent.empty() ? store::LegRole::outbound : store::LegRole::agent;
  row.number = leg.dialed;
  if (auto a = agent_ids_.find(agent); a != agent_ids_.end()) row.agent = a->second;
  row.started = to_timestamp(started);
  if (answered) row.answered = to_timestamp(*answered);
  row.ended = now_ms();
  row.end_reason = std::move(end_reason);
  pending_.push_back({Write::Kind::leg, {}, std::move(row), {}});
  schedule_flush();
}

void CallRecords::recording_started(const std::string& call_id, const std::string& agent,
                                    const std::string& caller, const std::filesystem::path& path) {
  store::Recording recording;
  recording.call_id = call_id;
  if (auto a = agent_ids_.find(agent); a != agent_ids_.end()) recording.agent = a->second;
  recording.caller_number = caller;
  recording.started = now_ms();
  recording.file_path = path.string();
  recording.state = store::RecordingState::writing;
  // Written at once, not with the next group: the row must exist before the file can be
  // orphaned by a crash.
  pending_.push_back({Write::Kind::recording_start, {}, {}, std::move(recording)});
  flush();
}

void CallRecords::recording_done(const media::RecordingDone& done) {
  store::Recording recording;
  recording.file_path = done.path.string();
  recording.duration = done.duration;
  recording.state = done.ok ? store::RecordingState::complete : store::RecordingState::failed;
  pending_.push_back({Write::Kind::recording_end, {}, {}, std::move(recording)});
  schedule_flush();
}

void CallRecords::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // At the end of this turn of the loop, so that the writes of one event go together.
  boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    flush_scheduled_ = false;
    if (!writing_) flush();
  });
}

void CallRecords::flush() {
  if (pending_.empty()) return;
  auto batch = std::make_shared<std::vector<Write>>(std::move(pending_));
  pending_.clear();
  writing_ = true;
  storage_.post(
      [batch](store::Connection& connection) {
        store::Transaction transaction(connection);
        store::CallRecordRepository calls(connection);
        store::RecordingRepository recordings(connection);
        for (const auto& write : *batch) {
          switch (write.kind) {
            case Write::Kind::insert: calls.insert(write.record); break;
            case Write::Kind::update: calls.update(write.record); break;
            case Write::Kind::leg: calls.add_leg(write.leg); break;
            case Write::Kind::recording_start: recordings.create(write.recording); break;
            case Write::Kind::recording_end: {
              auto rows = connection.query("SELECT id FROM recordings WHERE file_path = ?",
                                           {store::Value{write.recording.file_path}});
              if (!rows.empty()) {
                recordings.finish(rows.front().id<store::RecordingId>(0), write.recording.state,
                                  write.recording.duration);
              }
              break;
            }
          }
        }
        transaction.commit();
        return batch->size();
      },
      [this, alive = std::weak_ptr<int>(alive_), log = log_](store::StoreResult<std::size_t> result) {
        if (!result) log->error("call records not stored: {}", result.error().message);
        if (alive.expired()) return;  // completed after shutdown
        writing_ = false;
        flush();  // what came in meanwhile, as one transaction
      });
}

void CallRecords::outbound_opened(const std::string& call_id, const std::string& agent,
                                  const std::string& caller_number,
                                  const std::string& dialed_number) {
  store::CallRecord record;
  record.call_id = call_id;
  record.direction = store::CallDirection::outbound;
  record.caller_number = caller_number;
  record.dialed_number = dialed_number;
  if (auto a = agent_ids_.find(agent); a != agent_ids_.end()) record.agent = a->second;
  record.arrival = now_ms();
  open_[call_id] = record;
  pending_.push_back({Write::Kind::insert, std::move(record), {}, {}});
  schedule_flush();
}

void CallRecords::outbound_answered(const std::string& call_id) {
  auto found = open_.find(call_id);
  if (found == open_.end()) return;
  found->second.answered = now_ms();
  pending_.push_back({Write::Kind::update, found->second, {}, {}});  // a crash keeps the answer
  schedule_flush();
}

void CallRecords::outbound_closed(const std::string& call_id, store::Disposition disposition) {
  auto found = open_.find(call_id);
  if (found == open_.end()) return;
  store::CallRecord record = std::move(found->second);
  open_.erase(found);
  Progress progress;
  if (auto p = progress_.find(call_id); p != progress_.end()) {
    progress = p->second;
    progress_.erase(p);
  }
  const auto ended = now_ms();
  record.ended = ended;
  if (progress.hold_since) record.hold += ended - *progress.hold_since;
  record.disposition = disposition;
  // wait: from the click to the called party's answer (the agent's ring included).
  if (record.answered) {
    record.wait = *record.answered - record.arrival;
    record.talk = ended - *record.answered - record.hold;
  } else {
    record.wait = ended - record.arrival;
  }
  pending_.push_back({Write::Kind::update, std::move(record), {}, {}});
  schedule_flush();
}

void CallRecords::leg(const std::string& call_id, store::LegRole role, const std::string& agent,
                      const call::LegInfo& leg, std::chrono::system_clock::time_point started,
                      std::optional<std::chrono::system_clock::time_point> answered,
                      std::string end_reason) {
  store::CallLeg row;
  row.call_id = call_id;
  row.role = role;
  row.number = leg.dialed;
  if (auto a = agent_ids_.find(agent); a != agent_ids_.end()) row.agent = a->second;
  row.started = to_timestamp(started);
  if (answered) row.answered = to_timestamp(*answered);
  row.ended = now_ms();
  row.end_reason = std::move(end_reason);
  pending_.push_back({Write::Kind::leg, {}, std::move(row), {}});
  schedule_flush();
}

}  // namespace kefu::app
