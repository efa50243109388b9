#pragma once
// Wires the ACD into the running server: the configured queues and agents (also written to the
// store so history rows can name them), agents' phone accounts in the registrar, presence
// following registrations, service numbers and feature codes, the caller look-up (VIP tier,
// last agent) from the store, and the agent/queue endpoints under /api/v1.
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "acd/queue_service.hpp"
#include "app/acd_config.hpp"
#include "app/click_to_call.hpp"
#include "app/live_events.hpp"
#include "app/outbound_dialer.hpp"
#include "call/call_manager.hpp"
#include "store/types.hpp"

namespace kefu::api {
class HttpServer;
}
namespace kefu::crm {
class PhoneNumbers;
}
namespace kefu::store {
class Connection;
class StorageExecutor;
}  // namespace kefu::store

namespace kefu::app {

class CallRecords;
class Registration;

struct StoredIds {
  std::map<std::string, store::QueueId> queues;
  std::map<std::string, store::AgentId> agents;
};

// Writes the set-up's skills, queues, agents, memberships and customers into the store (insert
// or update by name/number; nothing is deleted: history keeps pointing at old rows). Blocking:
// call at start, before serving.
// Customers' numbers in any spelling are normalised to E.164 (an invalid one is an error naming
// the customer). Throws std::runtime_error or store::StoreError.
StoredIds store_setup(store::Connection& connection, const AcdSetup& setup,
                      const crm::PhoneNumbers& numbers);

class ContactCenter {
 public:
  // Throws std::runtime_error naming the queue or agent the router refused.
  ContactCenter(boost::asio::io_context& io, call::CallManager& calls, Registration& registration,
                store::StorageExecutor& storage, CallRecords& records,
                const acd::QueuePrompts& prompts, const AcdSetup& setup,
                const crm::PhoneNumbers& numbers, std::filesystem::path data_dir,
                std::shared_ptr<spdlog::logger> log);

  acd::QueueService& queues() { return *queues_; }
  // Calls to typed numbers: registered extensions directly, others through the gateway.
  OutboundDialer& dialer() { return *dialer_; }
  // The demo menu's "0".
  call::EntryFlow to_menu_queue();
  void add_routes(call::CallManager& calls);
  void add_http_routes(api::HttpServer& http);

 private:
  boost::asio::awaitable<acd::CallerProfile> look_up_caller(std::string caller, int last_agent_days);
  boost::asio::awaitable<void> serve_queue(std::shared_ptr<call::Leg> leg, std::string queue);
  boost::asio::awaitable<void> feature_code(std::shared_ptr<call::Leg> leg, char code);

  boost::asio::io_context& io_;
  Registration& registration_;
  store::StorageExecutor& storage_;
  CallRecords& records_;
  const acd::QueuePrompts& prompts_;
  AcdSetup setup_;
  const crm::PhoneNumbers& numbers_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<LiveEvents> live_;  // before queues_: the queue service reports into it
  std::unique_ptr<acd::QueueService> queues_;
  std::unique_ptr<OutboundDialer> dialer_;
  std::unique_ptr<ClickToCall> click_to_call_;  // after queues_ and dialer_: uses both
};

}  // namespace kefu::app
