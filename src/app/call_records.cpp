#include "app/call_records.hpp"

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
                         std::shared_ptr<spdlog::logger> log, std::chrono::milliseconds flush_interval)
    : io_(io), storage_(storage), log_(std::move(log)), flush_interval_(flush_interval), flush_timer_(io) {}

void CallRecords::call_arrived(const call::LegInfo& info) {
  store::CallRecord record;
  record.call_id = info.call_id;
  record.direction = store::CallDirection::inbound;
  record.caller_number = info.caller;
  record.dialed_number = info.dialed;
  record.arrival = now_ms();
  open_[info.call_id] = record;
  pending_.push_back({Write::Kind::insert, std::move(record)});
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
  const auto ended = now_ms();
  record.ended = ended;
  record.disposition = disposition_for(why, answered);
  if (record.answered) {
    record.wait = *record.answered - record.arrival;
    record.talk = ended - *record.answered;
  } else {
    record.wait = ended - record.arrival;
  }
  pending_.push_back({Write::Kind::update, std::move(record)});
  schedule_flush();
}

void CallRecords::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  flush_timer_.expires_after(flush_interval_);
  flush_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    flush();
  });
}

void CallRecords::flush() {
  flush_scheduled_ = false;
  if (pending_.empty()) return;
  auto batch = std::make_shared<std::vector<Write>>(std::move(pending_));
  pending_.clear();
  storage_.post(
      [batch](store::Connection& connection) {
        store::Transaction transaction(connection);
        store::CallRecordRepository calls(connection);
        for (const auto& write : *batch) {
          if (write.kind == Write::Kind::insert) {
            calls.insert(write.record);
          } else {
            calls.update(write.record);
          }
        }
        transaction.commit();
        return batch->size();
      },
      [log = log_](store::StoreResult<std::size_t> result) {
        if (!result) log->error("call records not stored: {}", result.error().message);
      });
}

}  // namespace kefu::app
