#include "app/contact_center.hpp"

#include <nlohmann/json.hpp>

#include "api/http_server.hpp"
#include "api/websocket_channel.hpp"
#include "auth/permissions.hpp"
#include "app/call_records.hpp"
#include "app/registration.hpp"
#include "call/waiter.hpp"
#include "store/agent_repository.hpp"
#include "store/call_repository.hpp"
#include "crm/customer_service.hpp"
#include "crm/phone_numbers.hpp"
#include "store/database.hpp"
#include "store/executor.hpp"
#include "store/queue_repository.hpp"

namespace kefu::app {

using nlohmann::json;

namespace {

store::QueueStrategy stored_strategy(acd::Strategy strategy) {
  switch (strategy) {
    case acd::Strategy::LongestIdle: return store::QueueStrategy::longest_idle;
    case acd::Strategy::RoundRobin: return store::QueueStrategy::round_robin;
    case acd::Strategy::FewestCalls: return store::QueueStrategy::fewest_calls;
    case acd::Strategy::SkillsWeighted: return store::QueueStrategy::skills_weighted;
    case acd::Strategy::RingAll: return store::QueueStrategy::ring_all;
  }
  return store::QueueStrategy::longest_idle;
}

store::RecordingPolicy stored_recording(acd::RecordingPolicy policy) {
  switch (policy) {
    case acd::RecordingPolicy::none: return store::RecordingPolicy::none;
    case acd::RecordingPolicy::all: return store::RecordingPolicy::all;
    case acd::RecordingPolicy::chosen_agents: return store::RecordingPolicy::chosen_agents;
  }
  return store::RecordingPolicy::none;
}

store::OverflowKind stored_overflow(acd::OverflowKind kind) {
  switch (kind) {
    case acd::OverflowKind::none: return store::OverflowKind::none;
    case acd::OverflowKind::queue: return store::OverflowKind::queue;
    case acd::OverflowKind::voicemail: return store::OverflowKind::voicemail;
    case acd::OverflowKind::goodbye: return store::OverflowKind::goodbye;
  }
  return store::OverflowKind::goodbye;
}

std::chrono::milliseconds ms(acd::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

double seconds_of(acd::Duration d) { return static_cast<double>(ms(d).count()) / 1000.0; }

api::HttpResponse json_response(unsigned status, const json& body) {
  api::HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

api::HttpResponse error_response(unsigned status, std::string_view code, const std::string& message,
                                 std::string_view field = {}) {
  json error = {{"code", code}, {"message", message}};
  if (!field.empty()) error["field"] = field;
  return json_response(status, json{{"error", error}});
}

// The caller is the agent named in the path, or holds `permission`.
bool may_act_for(const api::HttpRequest& request, auth::Permission permission) {
  if (!request.caller) return false;
  if (request.caller->agent_number && *request.caller->agent_number == request.params.at(0)) return true;
  return auth::can(*request.caller, permission);
}

json agent_json(const acd::AgentStats& stats) {
  json out = {{"id", stats.agent},
              {"name", stats.name},
              {"state", acd::to_string(stats.state)},
              {"reason", stats.reason},
              {"time_in_state_s", seconds_of(stats.time_in_state)},
              {"answered_today", stats.answered_today},
              {"consecutive_misses", stats.consecutive_misses}};
  out["call"] = stats.call ? json(*stats.call) : json(nullptr);
  return out;
}

json queue_json(const acd::QueueStats& stats, const std::string& display_name) {
  return {{"name", stats.queue},
          {"display_name", display_name},
          {"waiting", stats.waiting},
          {"ringing", stats.ringing},
          {"longest_wait_s", seconds_of(stats.longest_wait)},
          {"answered_today", stats.answered_today},
          {"abandoned_today", stats.abandoned_today},
          {"overflowed_today", stats.overflowed_today},
          {"service_level", stats.service_level},
          {"average_handle_s", seconds_of(stats.average_handle_time)},
          {"agents_ready", stats.agents_ready},
          {"agents_staffed", stats.agents_staffed}};
}

// An optional JSON object body; the error names what is wrong with it.
Result<json, std::string> parse_body(const std::string& body) {
  if (body.empty()) return json::object();
  if (body.size() > 64 * 1024) return unexpected(std::string("body too large"));
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return unexpected(std::string("body must be a JSON object"));
  return parsed;
}

}  // namespace

StoredIds store_setup(store::Connection& connection, const AcdSetup& setup,
                      const crm::PhoneNumbers& numbers) {
  StoredIds ids;
  store::Transaction transaction(connection);
  store::SkillRepository skills(connection);
  store::QueueRepository queues(connection);
  store::AgentRepository agents(connection);
  crm::CustomerService customers(connection, numbers);
  auto skill_id = [&](const std::string& name) {
    if (auto found = skills.find_by_name(name)) return found->id;
    return skills.create(name);
  };
  for (const auto& q : setup.queues) {
    store::Queue row;
    if (auto found = queues.find_by_name(q.routing.id)) row = *found;
    row.name = q.routing.id;
    row.strategy = stored_strategy(q.routing.strategy);
    row.max_wait = ms(q.routing.max_wait);
    row.max_length = static_cast<int>(q.routing.max_length);
    row.overflow = stored_overflow(q.overflow);
    row.wrap_up = ms(q.routing.wrap_up);
    row.ring_timeout = ms(q.routing.ring_timeout);
    row.service_level = ms(q.routing.service_level_threshold);
    row.recording = stored_recording(q.recording);
    if (row.id == store::QueueId{}) {
      row.id = queues.create(row);
    } else {
      queues.update(row);
    }
    ids.queues[q.routing.id] = row.id;
    for (const auto& [skill, level] : q.routing.required_skills)
      queues.set_required_skill(row.id, skill_id(skill), level);
  }
  for (const auto& q : setup.queues) {
    if (q.overflow != acd::OverflowKind::queue) continue;
    auto row = queues.find(ids.queues.at(q.routing.id));
    row->overflow_queue = ids.queues.at(q.routing.overflow_target);
    queues.update(*row);
  }
  for (const auto& account : setup.agents) {
    const auto& a = account.settings;
    store::Agent row;
    if (auto found = agents.find_by_number(a.routing.id)) row = *found;
    row.agent_number = a.routing.id;
    row.name = a.routing.name;
    row.extensions = a.extensions;
    row.presence_follows_phone =
        a.presence_follows_phone ? store::PresenceFollowsPhone::yes : store::PresenceFollowsPhone::no;
    row.record_calls = a.record_calls ? store::RecordCalls::yes : store::RecordCalls::no;
    if (row.id == store::AgentId{}) {
      row.id = agents.create(row);
    } else {
      agents.update(row);
    }
    ids.agents[a.routing.id] = row.id;
    for (const auto& [skill, level] : a.routing.skills) agents.set_skill(row.id, skill_id(skill), level);
    for (const auto& [queue, penalty] : a.routing.queues)
      queues.set_member(ids.queues.at(queue), row.id, penalty);
  }
  for (const auto& seed : setup.customers) {
    crm::Customer customer;
    customer.name = seed.name;
    customer.vip_tier = seed.vip_tier;
    for (const auto& phone : seed.phones) customer.phones.push_back({phone, {}, {}});
    // Known by their first number and name: a restart updates the customer instead of adding one.
    std::vector<crm::Customer> existing;
    if (!seed.phones.empty()) {
      auto found = customers.find_by_phone(seed.phones.front());
      if (!found) throw std::runtime_error("customer '" + seed.name + "': " + found.error());
      existing = std::move(*found);
    }
    auto same = std::find_if(existing.begin(), existing.end(),
                             [&](const crm::Customer& c) { return c.name == customer.name; });
    auto stored = same != existing.end() ? (customer.id = same->id, customers.update(customer))
                                         : customers.create(customer);
    if (!stored) throw std::runtime_error("customer '" + seed.name + "': " + stored.error());
  }
  transaction.commit();
  return ids;
}

ContactCenter::ContactCenter(boost::asio::io_context& io, call::CallManager& calls,
                             Registration& registration, store::StorageExecutor& storage,
                             CallRecords& records, const acd::QueuePrompts& prompts,
                             const AcdSetup& setup, const crm::PhoneNumbers& numbers,
                             std::filesystem::path data_dir, std::shared_ptr<spdlog::logger> log)
    : io_(io),
      registration_(registration),
      storage_(storage),
      records_(records),
      prompts_(prompts),
      setup_(setup),
      numbers_(numbers),
      log_(std::move(log)) {
  acd::QueueServiceConfig config;
  config.recordings_dir = data_dir / "recordings";
  live_ = std::make_unique<LiveEvents>(io, records, storage, numbers, log_);
  queues_ = std::make_unique<acd::QueueService>(
      io, calls, prompts, config,
      [this](const std::string& extension) { return registration_.contacts(extension); },
      [this](std::string caller, int days) { return look_up_caller(std::move(caller), days); },
      *live_, log_);
  live_->set_queues(queues_.get());
  for (const auto& q : setup_.queues) {
    auto added = queues_->add_queue(q);
    if (!added) throw std::runtime_error(added.error());
  }
  // A REFER from an agent's phone to a service number transfers to that number's queue.
  for (const auto& route : setup_.routes) queues_->add_service_number(route.number, route.queue);
  for (const auto& account : setup_.agents) {
    auto added = queues_->add_agent(account.settings);
    if (!added) throw std::runtime_error(added.error());
    if (!account.password.empty()) {
      for (const auto& extension : account.settings.extensions)
        registration_.set_password(extension, account.password);
    }
  }
  registration_.on_binding([this](const sip::BindingEvent& event) {
    switch (event.kind) {
      case sip::BindingEventKind::Added:
      case sip::BindingEventKind::Refreshed:
        queues_->phone_registered(event.user);
        break;
      case sip::BindingEventKind::Removed:
      case sip::BindingEventKind::Expired:
        queues_->phone_unregistered(event.user, !registration_.contacts(event.user).empty());
        break;
    }
  });
  calls.on_recording_done([&records](const media::RecordingDone& done) { records.recording_done(done); });
  dialer_ = std::make_unique<OutboundDialer>(
      calls, numbers_,
      [this](const std::string& extension) { return registration_.contacts(extension); },
      [this](const std::string& number) {
        return queues_->agent_for_extension(number).has_value();
      },
      setup_.outbound);
  // A blind transfer to a number goes out the way click-to-call does; the number called sees
  // the transferred caller's number.
  queues_->set_number_dialer(
      [this](const std::string& number,
             const call::Leg& caller) -> Result<std::shared_ptr<call::Leg>, std::string> {
        auto route = dialer_->resolve(number);
        if (!route) return unexpected(route.error().message);
        DialOptions options;
        options.caller = caller.info().caller;
        options.same_thread_as = caller.media_session();
        options.preferred_codec = caller.codec();
        options.headers.push_back({"X-Kefu-Call-Id", caller.info().call_id});
        auto leg = dialer_->dial(*route, options);
        if (!leg) return unexpected(leg.error().message);
        return *leg;
      },
      setup_.outbound.ring_timeout);
  click_to_call_ = std::make_unique<ClickToCall>(io, calls, *queues_, *dialer_, *live_,
                                                 prompts_.music_on_hold, log_);
}

boost::asio::awaitable<acd::CallerProfile> ContactCenter::look_up_caller(std::string caller,
                                                                         int last_agent_days) {
  struct Found {
    int vip_tier = 0;
    std::optional<store::AgentId> last_agent;
  };
  auto waiter = std::make_shared<call::Waiter<Found>>(io_);
  const auto since = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - std::chrono::days(std::max(0, last_agent_days)));
  storage_.post(
      [caller, since, last_agent_days, &numbers = numbers_](store::Connection& connection) {
        Found found;
        crm::CustomerService customers(connection, numbers);
        // Not a valid number (an extension, "anonymous"): no customer, no VIP tier.
        auto matches = customers.find_by_phone(caller);
        if (matches) {
          for (const auto& customer : *matches) found.vip_tier = std::max(found.vip_tier, customer.vip_tier);
        }
        if (last_agent_days > 0)
          found.last_agent = store::CallRecordRepository(connection).last_agent_for(caller, since);
        return found;
      },
      [waiter, log = log_](store::StoreResult<Found> result) {
        if (!result) {
          log->warn("caller look-up failed: {}", result.error().message);
          (void)waiter->resume(Found{});
          return;
        }
        (void)waiter->resume(*result);
      });
  Found found = co_await waiter->wait();
  acd::CallerProfile profile;
  profile.vip_tier = found.vip_tier;
  if (found.last_agent) profile.last_agent = records_.agent_number(*found.last_agent);
  co_return profile;
}

boost::asio::awaitable<void> ContactCenter::serve_queue(std::shared_ptr<call::Leg> leg, std::string queue) {
  (void)co_await queues_->serve(std::move(leg), std::move(queue));
}

call::EntryFlow ContactCenter::to_menu_queue() {
  return [this](std::shared_ptr<call::Leg> leg) { return serve_queue(std::move(leg), setup_.menu_queue); };
}

boost::asio::awaitable<void> ContactCenter::feature_code(std::shared_ptr<call::Leg> leg, char code) {
  const std::string extension = leg->info().caller;
  auto agent = queues_->agent_for_extension(extension);
  auto source = leg->session().source();
  if (!agent || !source || !registration_.from_registered_phone(extension, *source)) {
    log_->info("call_id={} feature code refused: extension={} is not a registered agent phone",
               leg->info().call_id, extension);
    leg->hangup();  // 480 before the answer
    co_return;
  }
  if (!co_await leg->answer()) co_return;
  Result<std::monostate, std::string> done = std::monostate{};
  call::Clip confirmation;
  switch (code) {
    case '1': done = queues_->login(*agent, acd::AfterLogin::Ready); confirmation = prompts_.logged_in; break;
    case '2': done = queues_->logout(*agent); confirmation = prompts_.logged_out; break;
    case '3': done = queues_->set_ready(*agent); confirmation = prompts_.ready; break;
    default: done = queues_->set_not_ready(*agent, "phone"); confirmation = prompts_.not_ready; break;
  }
  log_->info("call_id={} feature code *2{} agent={} result={}", leg->info().call_id, code, *agent,
             done ? "ok" : done.error());
  std::vector<call::Clip> clips = {done ? confirmation : prompts_.failed};
  if (co_await leg->play(std::move(clips), call::Interrupt::none) != call::PlayResult::ended) leg->hangup();
}

void ContactCenter::add_routes(call::CallManager& calls) {
  for (const auto& route : setup_.routes) {
    calls.route(route.number, [this, queue = route.queue](std::shared_ptr<call::Leg> leg) {
      return serve_queue(std::move(leg), queue);
    });
  }
  // Feature codes from agents' phones: *21 log in, *22 log out, *23 ready, *24 not ready.
  for (char code : std::string_view("1234")) {
    calls.route(std::string("*2") + code, [this, code](std::shared_ptr<call::Leg> leg) {
      return feature_code(std::move(leg), code);
    });
  }
}

void ContactCenter::add_http_routes(api::HttpServer& http) {
  using api::Access;
  using auth::Permission;
  // The live event stream: agent states, offers with the screen pop, queue statistics.
  http.websocket("/api/v1/events", Access::signed_in(),
                 [this](std::shared_ptr<api::WebSocketChannel> channel, auth::Identity identity) {
                   live_->subscribe(std::move(channel), std::move(identity));
                 });
  http.route("GET", "/api/v1/queues", Access::needs(Permission::queues_read), [this](const api::HttpRequest&) {
    json list = json::array();
    for (const auto& stats : queues_->queue_stats()) {
      std::string display;
      for (const auto& q : setup_.queues)
        if (q.routing.id == stats.queue) display = q.display_name;
      list.push_back(queue_json(stats, display));
    }
    return json_response(200, json{{"queues", list}});
  });
  http.route("GET", "/api/v1/agents", Access::needs(Permission::agents_read), [this](const api::HttpRequest&) {
    json list = json::array();
    for (const auto& stats : queues_->agent_stats()) list.push_back(agent_json(stats));
    return json_response(200, json{{"agents", list}});
  });
  http.route("GET", "/api/v1/agents/{}", Access::signed_in(), [this](const api::HttpRequest& request) {
    if (!may_act_for(request, Permission::agents_read))
      return error_response(403, "forbidden", "not allowed to see agent " + request.params.at(0));
    auto stats = queues_->router().agent_stats(request.params.at(0), std::chrono::steady_clock::now());
    if (!stats) return error_response(404, "not_found", "unknown agent " + request.params.at(0), "agent");
    return json_response(200, agent_json(*stats));
  });
  auto agent_action = [this](std::string action) {
    return [this, action](const api::HttpRequest& request) {
      const std::string& agent = request.params.at(0);
      // An agent changes their own state; others need agents.control (supervisors).
      if (!may_act_for(request, Permission::agents_control))
        return error_response(403, "forbidden", "not allowed to change agent " + agent);
      auto body = parse_body(request.body);
      if (!body) return error_response(400, "invalid_body", body.error());
      if (!queues_->router().agent_state(agent))
        return error_response(404, "not_found", "unknown agent " + agent, "agent");
      Result<std::monostate, std::string> done = std::monostate{};
      if (action == "login") {
        std::string after = body->value("state", std::string("ready"));
        if (after != "ready" && after != "not_ready")
          return error_response(400, "invalid_value", "state must be ready or not_ready", "state");
        done = queues_->login(agent, after == "ready" ? acd::AfterLogin::Ready : acd::AfterLogin::NotReady);
      } else if (action == "logout") {
        done = queues_->logout(agent);
      } else if (action == "ready") {
        done = queues_->set_ready(agent);
      } else {
        if (body->contains("reason") && !(*body)["reason"].is_string())
          return error_response(400, "invalid_value", "reason must be a string", "reason");
        std::string reason = body->value("reason", std::string("not_ready"));
        if (reason.empty() || reason.size() > 64)
          return error_response(400, "invalid_value", "reason must be 1 to 64 characters", "reason");
        done = queues_->set_not_ready(agent, reason);
      }
      if (!done) return error_response(409, "invalid_state", done.error());
      auto stats = queues_->router().agent_stats(agent, std::chrono::steady_clock::now());
      return json_response(200, agent_json(*stats));
    };
  };
  http.route("POST", "/api/v1/agents/{}/login", Access::signed_in(), agent_action("login"));
  http.route("POST", "/api/v1/agents/{}/logout", Access::signed_in(), agent_action("logout"));
  http.route("POST", "/api/v1/agents/{}/ready", Access::signed_in(), agent_action("ready"));
  http.route("POST", "/api/v1/agents/{}/not-ready", Access::signed_in(), agent_action("not_ready"));
  http.route("POST", "/api/v1/calls/{}/transfer", Access::needs(Permission::calls_control),
             [this](const api::HttpRequest& request) {
    auto body = parse_body(request.body);
    if (!body) return error_response(400, "invalid_body", body.error());
    const std::string& call_id = request.params.at(0);
    // Agents move their own calls; anyone else's needs agents.control (supervisors, 班长).
    const auth::Identity& caller = *request.caller;
    if (!auth::can(caller, Permission::agents_control) &&
        !(caller.agent_number && queues_->agent_has_call(*caller.agent_number, call_id)))
      return error_response(403, "forbidden", "you may transfer only your own calls");
    Result<std::monostate, std::string> done = std::monostate{};
    if (body->contains("queue") && (*body)["queue"].is_string()) {
      done = queues_->transfer_to_queue(call_id, (*body)["queue"].get<std::string>());
    } else if (body->contains("agent") && (*body)["agent"].is_string()) {
      done = queues_->transfer_to_agent(call_id, (*body)["agent"].get<std::string>());
    } else if (body->contains("number") && (*body)["number"].is_string()) {
      const auto number = (*body)["number"].get<std::string>();
      if (number.empty() || number.size() > 40)
        return error_response(400, "invalid_input", "number: 1 to 40 characters", "number");
      // What cannot be dialed at all is the request's fault (400/503), not the call's state.
      if (auto route = dialer_->resolve(number); !route) {
        if (route.error().problem == DialProblem::no_gateway)
          return error_response(503, "no_gateway", route.error().message, "number");
        if (route.error().problem == DialProblem::invalid_number)
          return error_response(400, "invalid_input", route.error().message, "number");
        return error_response(409, "unreachable", route.error().message, "number");
      }
      done = queues_->transfer_to_number(call_id, number, setup_.outbound.ring_timeout);
    } else {
      return error_response(400, "missing_field", "give \"queue\", \"agent\" or \"number\" as a string",
                            "queue");
    }
    if (!done) return error_response(409, "transfer_failed", done.error());
    return json_response(200, json{{"call_id", call_id}, {"transferred", true}});
  });
  // Click-to-call: the agent's phone rings first, then the number; answered at once with the
  // call's id, the progress comes as events.
  http.route("POST", "/api/v1/calls/originate", Access::needs(Permission::calls_control),
             [this](const api::HttpRequest& request) {
    api::JsonBody body(request);
    auto agent = body.optional_text("agent", 1, 32);
    const std::string number = body.text("number", 1, 40);
    body.no_other_fields();
    const auth::Identity& caller = *request.caller;
    if (!agent) agent = caller.agent_number;
    if (!agent)
      return error_response(400, "missing_field", "you have no agent number: give \"agent\"",
                            "agent");
    // An agent calls as themself; placing calls for others needs agents.control (supervisors).
    if (!(caller.agent_number && *caller.agent_number == *agent) &&
        !auth::can(caller, Permission::agents_control))
      return error_response(403, "forbidden", "not allowed to place calls for agent " + *agent);
    auto started = click_to_call_->originate(*agent, number);
    if (!started) {
      const std::string& message = started.error().message;
      switch (started.error().problem) {
        case OriginateProblem::unknown_agent:
          return error_response(404, "not_found", message, "agent");
        case OriginateProblem::invalid_number:
          return error_response(400, "invalid_input", message, "number");
        case OriginateProblem::no_gateway:
          return error_response(503, "no_gateway", message, "number");
        case OriginateProblem::unreachable:
          return error_response(409, "unreachable", message);
        case OriginateProblem::agent_state:
          return error_response(409, "invalid_state", message, "agent");
        case OriginateProblem::failed: break;
      }
      return error_response(503, "dial_failed", message);
    }
    return json_response(202, json{{"call_id", started->call_id},
                                   {"agent", started->agent},
                                   {"extension", started->extension},
                                   {"number", started->number},
                                   {"state", "ringing_agent"}});
  });
}

}  // namespace kefu::app
