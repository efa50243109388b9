#include "app/live_events.hpp"

#include <nlohmann/json.hpp>

#include "api/websocket_channel.hpp"
#include "app/call_records.hpp"
#include "crm/customer_service.hpp"
#include "crm/interaction_repository.hpp"
#include "crm/screen_pop.hpp"
#include "store/executor.hpp"

namespace kefu::app {

using nlohmann::json;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_of(acd::Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

LiveEvents::LiveEvents(boost::asio::io_context& io, CallRecords& records,
                       store::StorageExecutor& storage, const crm::PhoneNumbers& numbers,
                       std::shared_ptr<spdlog::logger> log)
    : io_(io),
      records_(records),
      storage_(storage),
      numbers_(numbers),
      log_(std::move(log)),
      stats_timer_(io) {}

LiveEvents::~LiveEvents() {
  stats_timer_.cancel();
  for (auto& s : subscribers_) s.channel->on_closed(nullptr);
}

void LiveEvents::set_queues(const acd::QueueService* queues) {
  queues_ = queues;
  tick();
}

void LiveEvents::subscribe(std::shared_ptr<api::WebSocketChannel> channel,
                           auth::Identity identity) {
  log_->info("event stream opened user={} subscribers={}", identity.login, subscribers_.size() + 1);
  auto* raw = channel.get();
  channel->on_closed([this, raw] {
    std::erase_if(subscribers_, [raw](const Subscriber& s) { return s.channel.get() == raw; });
  });
  channel->send(json{{"type", "hello"}, {"at", now_ms()}, {"user", identity.login}}.dump());
  subscribers_.push_back({std::move(channel), std::move(identity)});
}

void LiveEvents::publish(const std::string& text, const std::string& agent, Audience audience) {
  for (auto& s : subscribers_) {
    const auth::Identity& who = s.identity;
    const bool own = !agent.empty() && who.agent_number && *who.agent_number == agent;
    bool allowed = own;
    switch (audience) {
      case Audience::agents_read:
        allowed = allowed || auth::can(who, auth::Permission::agents_read);
        break;
      case Audience::calls_monitor:
        allowed = allowed || auth::can(who, auth::Permission::calls_monitor);
        break;
      case Audience::queues_read:
        allowed = auth::can(who, auth::Permission::queues_read);
        break;
    }
    if (allowed && s.channel->open()) s.channel->send(text);
  }
}

void LiveEvents::tick() {
  if (queues_ == nullptr) return;
  stats_timer_.expires_after(std::chrono::seconds(1));
  stats_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (!subscribers_.empty()) {
      json list = json::array();
      for (const auto& q : queues_->queue_stats()) {
        list.push_back({{"name", q.queue},
                        {"waiting", q.waiting},
                        {"ringing", q.ringing},
                        {"longest_wait_s", seconds_of(q.longest_wait)},
                        {"answered_today", q.answered_today},
                        {"abandoned_today", q.abandoned_today},
                        {"service_level", q.service_level},
                        {"agents_ready", q.agents_ready},
                        {"agents_staffed", q.agents_staffed}});
      }
      publish(json{{"type", "queue.stats"}, {"at", now_ms()}, {"queues", list}}.dump(), {},
              Audience::queues_read);
    }
    tick();
  });
}

void LiveEvents::agent_state(const acd::AgentStateChange& change) {
  records_.agent_state(change);
  publish(json{{"type", "agent.state"},
               {"at", now_ms()},
               {"agent", change.agent},
               {"state", acd::to_string(change.to)},
               {"from", acd::to_string(change.from)},
               {"reason", change.reason}}
              .dump(),
          change.agent, Audience::agents_read);
}

void LiveEvents::queue_event(const std::string& call_id, const std::string& queue,
                             const std::string& agent, acd::QueueEventType type,
                             const std::string& details) {
  records_.queue_event(call_id, queue, agent, type, details);
  using acd::QueueEventType;
  if (type == QueueEventType::offer) {
    publish_offer(call_id, queue, agent);
    return;
  }
  if (type == QueueEventType::transfer) {
    context(call_id).transfers.push_back({now_ms(), queue, agent, details});
  }
  if (type == QueueEventType::complete || type == QueueEventType::abandon) contexts_.erase(call_id);
  if (type == QueueEventType::complete) {
    add_interaction(records_.caller_number(call_id), call_id, crm::InteractionDirection::inbound,
                    "queue " + queue + (agent.empty() ? "" : ", agent " + agent));
  }
  std::string name;
  switch (type) {
    case QueueEventType::connect:
      name = "call.connected";
      break;
    case QueueEventType::complete:
      name = "call.ended";
      break;
    case QueueEventType::abandon:
      name = "call.abandoned";
      break;
    case QueueEventType::transfer:
      name = "call.transferred";
      break;
    case QueueEventType::overflow:
      name = "call.overflowed";
      break;
    case QueueEventType::enqueue:
      name = "call.queued";
      break;
    case QueueEventType::offer:
      break;
  }
  publish(json{{"type", name},
               {"at", now_ms()},
               {"call_id", call_id},
               {"queue", queue},
               {"agent", agent},
               {"details", details}}
              .dump(),
          agent, Audience::calls_monitor);
}

LiveEvents::CallContext& LiveEvents::context(const std::string& call_id) {
  auto found = contexts_.find(call_id);
  if (found != contexts_.end()) return found->second;
  // Calls that ended without a complete/abandon event here (overflow goodbye) leave their
  // context behind: swept when a day old, whenever a new call comes.
  const auto too_old = std::chrono::steady_clock::now() - std::chrono::hours(24);
  std::erase_if(contexts_, [&](const auto& entry) { return entry.second.created < too_old; });
  CallContext& fresh = contexts_[call_id];
  fresh.caller = records_.caller_number(call_id);
  return fresh;
}

// The screen pop is read from the store (a read connection, off the loop) at the call's first
// offer and kept: a transferred call shows the next agent what the first one saw, and where it
// has been.
void LiveEvents::publish_offer(const std::string& call_id, const std::string& queue,
                               const std::string& agent) {
  CallContext& call = context(call_id);
  auto send = [this, call_id, queue](const std::string& to_agent) {
    auto found = contexts_.find(call_id);
    if (found == contexts_.end()) return;
    const CallContext& ctx = found->second;
    json transfers = json::array();
    for (const auto& t : ctx.transfers) {
      transfers.push_back({{"at", t.at_ms},
                           {"from_queue", t.from_queue},
                           {"from_agent", t.from_agent},
                           {"to", t.to}});
    }
    json event = {{"type", "call.offered"}, {"at", now_ms()},    {"call_id", call_id},
                  {"queue", queue},         {"agent", to_agent}, {"caller", ctx.caller},
                  {"transfers", transfers}};
    event["screen_pop"] = ctx.screen_pop && !ctx.screen_pop->empty()
                              ? json::parse(*ctx.screen_pop, nullptr, false)
                              : json(nullptr);
    publish(event.dump(), to_agent, Audience::calls_monitor);
  };
  if (call.screen_pop) {
    send(agent);
    return;
  }
  call.pending_offers.push_back(agent);
  if (call.reading) return;
  call.reading = true;
  struct Pop {
    std::string json;
  };
  storage_.post_read(
      [&numbers = numbers_, caller = call.caller](store::Connection& connection) {
        crm::ScreenPopBuilder builder(numbers);
        return Pop{builder.to_json(builder.build(connection, caller))};
      },
      [this, call_id, send](store::StoreResult<Pop> pop) {
        auto found = contexts_.find(call_id);
        if (found == contexts_.end()) return;  // the call ended meanwhile
        CallContext& ctx = found->second;
        ctx.reading = false;
        if (pop) {
          ctx.screen_pop = std::move(pop->json);
        } else {
          log_->warn("call_id={} screen pop failed: {}", call_id, pop.error().message);
          ctx.screen_pop = std::string();  // sent as null; not read again for this call
        }
        auto agents = std::move(ctx.pending_offers);
        ctx.pending_offers.clear();
        for (const auto& a : agents) send(a);
      });
}

void LiveEvents::add_interaction(const std::string& number, const std::string& call_id,
                                 crm::InteractionDirection direction, const std::string& summary) {
  storage_.post(
      [&numbers = numbers_, number, call_id, direction, summary](store::Connection& connection) {
        crm::CustomerService customers(connection, numbers);
        auto found = customers.find_by_phone(number);
        if (!found || found->empty()) return 0;
        crm::Interaction interaction;
        interaction.customer = found->front().id;
        interaction.kind = crm::InteractionKind::call;
        interaction.direction = direction;
        interaction.at = std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
        interaction.call_id = call_id;
        interaction.summary = summary;
        crm::InteractionRepository(connection).add(interaction);
        return 1;
      },
      [log = log_, call_id](store::StoreResult<int> result) {
        if (!result)
          log->warn("call_id={} interaction not stored: {}", call_id, result.error().message);
      });
}

void LiveEvents::call_queued(const std::string& call_id, const std::string& queue) {
  records_.call_queued(call_id, queue);
}
void LiveEvents::call_offered(const std::string& call_id) {
  records_.call_offered(call_id);
}
void LiveEvents::call_connected(const std::string& call_id, const std::string& agent) {
  records_.call_connected(call_id, agent);
}
void LiveEvents::call_hold(const std::string& call_id, call::Hold hold) {
  records_.call_hold(call_id, hold);
}
void LiveEvents::call_overflowed(const std::string& call_id, const std::string& target) {
  records_.call_overflowed(call_id, target);
}
void LiveEvents::agent_leg(const std::string& call_id, const std::string& agent,
                           const call::LegInfo& leg, std::chrono::system_clock::time_point started,
                           std::optional<std::chrono::system_clock::time_point> answered,
                           std::string end_reason) {
  records_.agent_leg(call_id, agent, leg, started, answered, std::move(end_reason));
}
void LiveEvents::recording_started(const std::string& call_id, const std::string& agent,
                                   const std::string& caller, const std::filesystem::path& path) {
  records_.recording_started(call_id, agent, caller, path);
}

// ---- click-to-call ----

void LiveEvents::publish_outbound(const OutboundCallInfo& call, std::string_view type,
                                  const std::string& details) {
  publish(json{{"type", type},
               {"at", now_ms()},
               {"call_id", call.call_id},
               {"direction", "outbound"},
               {"agent", call.agent},
               {"number", call.number},
               {"details", details}}
              .dump(),
          call.agent, Audience::calls_monitor);
}

void LiveEvents::outbound_started(const OutboundCallInfo& call) {
  records_.outbound_opened(call.call_id, call.agent, call.extension, call.number);
  publish_outbound(call, "call.originated", "ringing agent phone " + call.extension);
}

void LiveEvents::outbound_dialing(const OutboundCallInfo& call) {
  publish_outbound(call, "call.dialing", {});
}

void LiveEvents::outbound_connected(const OutboundCallInfo& call) {
  records_.outbound_answered(call.call_id);
  publish_outbound(call, "call.connected", {});
}

void LiveEvents::outbound_hold(const OutboundCallInfo& call, call::Hold hold) {
  records_.call_hold(call.call_id, hold);
}

void LiveEvents::outbound_ended(const OutboundCallInfo& call, store::Disposition disposition,
                                const std::string& reason) {
  records_.outbound_closed(call.call_id, disposition);
  if (disposition == store::Disposition::answered)
    add_interaction(call.number, call.call_id, crm::InteractionDirection::outbound,
                    "click-to-call, agent " + call.agent);
  publish(json{{"type", "call.ended"},
               {"at", now_ms()},
               {"call_id", call.call_id},
               {"direction", "outbound"},
               {"agent", call.agent},
               {"number", call.number},
               {"disposition", store::to_string(disposition)},
               {"details", reason}}
              .dump(),
          call.agent, Audience::calls_monitor);
}

void LiveEvents::outbound_leg(const OutboundCallInfo& call, store::LegRole role,
                              const call::LegInfo& leg,
                              std::chrono::system_clock::time_point started,
                              std::optional<std::chrono::system_clock::time_point> answered,
                              std::string end_reason) {
  records_.leg(call.call_id, role, call.agent, leg, started, answered, std::move(end_reason));
}

void LiveEvents::outbound_recording(const OutboundCallInfo& call,
                                    const std::filesystem::path& path) {
  records_.recording_started(call.call_id, call.agent, call.number, path);
}

}  // namespace kefu::app
