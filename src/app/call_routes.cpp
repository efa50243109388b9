#include "app/call_routes.hpp"

#include <nlohmann/json.hpp>

#include "api/http_server.hpp"
#include "app/call_history.hpp"
#include "store/executor.hpp"

namespace kefu::app {

using nlohmann::json;

namespace {

json time_json(const std::optional<store::Timestamp>& at) {
  if (!at) return nullptr;
  return store::to_epoch_ms(*at);
}

json text_or_null(const std::string& text) {
  return text.empty() ? json() : json(text);
}

json summary_json(const CallSummary& call) {
  const store::CallRecord& r = call.record;
  return {{"id", r.call_id},
          {"direction", store::to_string(r.direction)},
          {"caller_number", r.caller_number},
          {"dialed_number", r.dialed_number},
          {"queue", text_or_null(call.queue)},
          {"agent_number", text_or_null(call.agent_number)},
          {"agent_name", text_or_null(call.agent_name)},
          {"arrival_at", store::to_epoch_ms(r.arrival)},
          {"queued_at", time_json(r.queued)},
          {"offered_at", time_json(r.offered)},
          {"answered_at", time_json(r.answered)},
          {"ended_at", time_json(r.ended)},
          {"wait_ms", r.wait.count()},
          {"talk_ms", r.talk.count()},
          {"hold_ms", r.hold.count()},
          {"disposition", r.disposition ? json(store::to_string(*r.disposition)) : json()}};
}

json leg_json(const store::CallLeg& leg) {
  return {{"role", store::to_string(leg.role)},
          {"number", leg.number},
          {"started_at", store::to_epoch_ms(leg.started)},
          {"answered_at", time_json(leg.answered)},
          {"ended_at", time_json(leg.ended)},
          {"end_reason", leg.end_reason}};
}

json recording_json(const store::Recording& recording) {
  return {{"id", store::raw(recording.id)},
          {"state", store::to_string(recording.state)},
          {"started_at", store::to_epoch_ms(recording.started)},
          {"duration_ms", recording.duration.count()}};
}

api::HttpResponse json_response(unsigned status, const json& body) {
  api::HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

CallListFilter list_filter(const api::HttpRequest& request) {
  auto query = api::parse_query(request.query(), {"from", "to", "agent", "queue", "number",
                                                  "disposition", "direction", "before", "limit"});
  auto value = [&query](const char* name) -> const std::string* {
    auto found = query.find(name);
    return found == query.end() ? nullptr : &found->second;
  };
  constexpr std::int64_t max_epoch_ms = 253402300799999;  // 9999-12-31T23:59:59.999Z
  CallListFilter filter;
  if (auto* from = value("from")) {
    filter.from = store::from_epoch_ms(api::parse_int_in("from", *from, 0, max_epoch_ms));
  }
  if (auto* to = value("to")) {
    filter.to = store::from_epoch_ms(api::parse_int_in("to", *to, 0, max_epoch_ms));
  }
  if (filter.from && filter.to && *filter.to <= *filter.from) {
    throw api::InvalidInput("to", "must be after from");
  }
  if (auto* agent = value("agent")) filter.agent_number = api::checked_text("agent", *agent, 1, 32);
  if (auto* queue = value("queue")) filter.queue = api::checked_text("queue", *queue, 1, 64);
  if (auto* number = value("number")) {
    filter.number = api::checked_text("number", *number, 1, 64);
  }
  if (auto* disposition = value("disposition")) {
    filter.disposition = api::parse_enum<store::Disposition>("disposition", *disposition);
  }
  if (auto* direction = value("direction")) {
    filter.direction = api::parse_enum<store::CallDirection>("direction", *direction);
  }
  if (auto* before = value("before")) {
    filter.before = parse_call_cursor(*before);
    if (!filter.before) {
      throw api::InvalidInput("before", "is not a cursor: pass the next_before of a page");
    }
  }
  if (auto* limit = value("limit")) {
    filter.limit = static_cast<int>(api::parse_int_in("limit", *limit, 1, 200));
  }
  return filter;
}

// Runs a read on the executor's readers and answers with what it returns; a failure is a 500.
void read_and_answer(store::StorageExecutor& storage, api::Responder respond,
                     std::function<api::HttpResponse(store::Connection&)> job,
                     std::shared_ptr<spdlog::logger> log) {
  storage.post_read(std::move(job), [respond, log](store::StoreResult<api::HttpResponse> result) {
    if (!result) {
      log->error("call history read failed: {}", result.error().message);
      respond(api::error_response(500, "internal", "the request could not be completed"));
      return;
    }
    respond(std::move(*result));
  });
}

}  // namespace

void add_call_history_routes(api::HttpServer& http, store::StorageExecutor& storage,
                             std::shared_ptr<spdlog::logger> log) {
  using api::Access;
  using auth::Permission;
  http.route_async("GET", "/api/v1/calls", Access::needs(Permission::calls_control),
                   [&storage, log](api::HttpRequest request, api::Responder respond) {
                     CallListFilter filter;
                     try {
                       filter = list_filter(request);
                     } catch (const api::InvalidInput& e) {
                       respond(e.response());
                       return;
                     }
                     const auth::DataScope scope =
                         auth::scope_for(*request.caller, auth::Resource::calls);
                     read_and_answer(
                         storage, respond,
                         [filter, scope](store::Connection& connection) {
                           const auto calls = CallHistory(connection).list(filter, scope);
                           json items = json::array();
                           for (const auto& call : calls) items.push_back(summary_json(call));
                           // A full page may have a next one; a short page is the last.
                           json next = static_cast<int>(calls.size()) == filter.limit
                                           ? json(call_cursor(calls.back()))
                                           : json();
                           return json_response(200, {{"items", items}, {"next_before", next}});
                         },
                         log);
                   });
  http.route_async(
      "GET", "/api/v1/calls/{}", Access::needs(Permission::calls_control),
      [&storage, log](api::HttpRequest request, api::Responder respond) {
        std::string call_id;
        try {
          call_id = api::checked_text("id", request.params.at(0), 1, 128);
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        const auth::DataScope scope = auth::scope_for(*request.caller, auth::Resource::calls);
        const bool with_recordings = auth::can(*request.caller, Permission::recordings_read);
        read_and_answer(
            storage, respond,
            [call_id, scope, with_recordings](store::Connection& connection) {
              // Out of scope reads as missing: a 403 would tell that the call exists.
              auto found = CallHistory(connection).find(call_id, scope);
              if (!found) return api::error_response(404, "not_found", "no call " + call_id, "id");
              json body = summary_json(found->call);
              json legs = json::array();
              for (const auto& leg : found->legs) legs.push_back(leg_json(leg));
              body["legs"] = legs;
              if (with_recordings) {
                json recordings = json::array();
                for (const auto& r : found->recordings) recordings.push_back(recording_json(r));
                body["recordings"] = recordings;
              }
              return json_response(200, body);
            },
            log);
      });
}

}  // namespace kefu::app
