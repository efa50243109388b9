#include "app/server.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "acd/queue_prompts.hpp"
#include "api/auth_routes.hpp"
#include "api/http_server.hpp"
#include "app/acd_config.hpp"
#include "app/call_records.hpp"
#include "app/contact_center.hpp"
#include "app/call_routes.hpp"
#include "app/crm_routes.hpp"
#include "app/logging.hpp"
#include "app/metrics.hpp"
#include "app/openapi.hpp"
#include "app/recording_recovery.hpp"
#include "app/registration.hpp"
#include "auth/auth_schema.hpp"
#include "auth/auth_service.hpp"
#include "auth/seed.hpp"
#include "call/call_manager.hpp"
#include "crm/crm_schema.hpp"
#include "crm/phone_numbers.hpp"
#include "demo/demo_flow.hpp"
#include "demo/demo_setup.hpp"
#include "media/media_engine.hpp"
#include "sip/stack/asio_timer.hpp"
#include "sip/stack/user_agent.hpp"
#include "store/call_repository.hpp"
#include "store/executor.hpp"
#include "store/migrations.hpp"
#include "store/open_database.hpp"
#include "tts/tts_cache.hpp"

namespace kefu::app {

namespace {

// Periodic work on the control loop (binding expiry) without a timer per item.
class Ticker {
 public:
  Ticker(boost::asio::io_context& io, std::chrono::milliseconds period, std::function<void()> work)
      : timer_(io), period_(period), work_(std::move(work)) {
    arm();
  }
  void stop() { timer_.cancel(); }

 private:
  void arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      work_();
      arm();
    });
  }
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::function<void()> work_;
};

}  // namespace

namespace {

// Every call holds an RTP socket: lift the soft descriptor limit to the hard one.
void raise_file_limit(spdlog::logger& log) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) log.warn("cannot raise the open-file limit");
}

}  // namespace

int run_server(const ServeOptions& options) {
  Logging logging(options.log_level);
  auto log = logging.module("app");
  raise_file_limit(*log);
  std::error_code fs_error;
  std::filesystem::create_directories(options.data_dir, fs_error);
  if (fs_error) {
    std::fprintf(stderr, "kefu: cannot create data directory '%s': %s\n", options.data_dir.c_str(),
                 fs_error.message().c_str());
    return 1;
  }

  boost::asio::io_context io;

  // The contact center's set-up: a file, or the demo's.
  std::optional<AcdSetup> setup;
  if (!options.config_file.empty() || options.demo) {
    auto loaded = options.config_file.empty()
                      ? parse_acd_setup(demo::demo_acd_setup(), "demo set-up")
                      : load_acd_setup(options.config_file);
    if (!loaded) {
      std::fprintf(stderr, "kefu: %s\n", loaded.error().c_str());
      return 2;
    }
    setup = std::move(*loaded);
  }

  crm::PhoneNumbers phone_numbers;

  // The database: migrate, then close what a crash left open, before any call is taken.
  std::unique_ptr<store::Database> database;
  const std::string database_name =
      options.db.empty() ? (std::filesystem::path(options.data_dir) / "kefu.db").string()
                         : options.db;
  StoredIds stored_ids;
  try {
    database = store::open_database(database_name);
    auto connection = database->connect();
    const auto extra_migrations = crm::crm_and_auth_migrations();
    int applied = store::migrate(*connection, extra_migrations);
    int interrupted =
        store::CallRecordRepository(*connection)
            .close_interrupted_calls(std::chrono::time_point_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now()));
    log->info("database {} schema={} migrations_applied={} interrupted_calls_closed={}",
              database->description(), store::schema_version(*connection), applied, interrupted);
    if (setup) stored_ids = store_setup(*connection, *setup, phone_numbers);
    if (options.demo) auth::seed_demo_users(*connection);  // idempotent
    if (const char* password = std::getenv("KEFU_ADMIN_PASSWORD");
        password != nullptr && *password != 0) {
      auth::ensure_admin(*connection, "admin", password);  // never resets an existing password
    }
    int recovered = recover_recordings(
        *connection, std::filesystem::path(options.data_dir) / "recordings", *log);
    if (recovered > 0) log->info("recordings recovered after a crash: {}", recovered);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kefu: database %s: %s\n",
                 database ? database->description().c_str() : "(not opened)", e.what());
    return 1;
  }
  // Its own executor: authenticating a request never waits behind call records.
  store::StorageExecutor auth_storage(
      *database, [&io](std::function<void()> done) { boost::asio::post(io, std::move(done)); });
  auth::AuthService auth_service(auth::AuthSettings{}, auth::system_clock());
  // One writer keeps writes in order; look-ups (post_read) run on their own readers.
  store::StorageExecutor storage(
      *database, [&io](std::function<void()> done) { boost::asio::post(io, std::move(done)); }, 1,
      options.db_readers);
  CallRecords call_records(io, storage, logging.module("records"));
  call_records.set_ids(stored_ids.queues, stored_ids.agents);

  // Speech first: rendering is slow the first time, and nothing should answer before the
  // prompts exist.
  tts::TtsConfig tts_config;
  tts_config.cache_dir = std::filesystem::path(options.data_dir) / "prompts";
  tts::TtsCache tts(tts_config);
  std::optional<demo::DemoPrompts> demo_prompts;
  std::optional<acd::QueuePrompts> queue_prompts;
  try {
    if (options.demo) demo_prompts = demo::prepare_prompts(tts);
    if (setup) queue_prompts = acd::prepare_queue_prompts(tts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kefu: %s\n", e.what());
    return 1;
  }

  std::optional<call::CallManager> calls;
  media::MediaConfig media_config;
  if (options.media_threads > 0) media_config.threads = options.media_threads;
  media_config.rtp_port_min = options.media_port_min;
  media_config.rtp_port_max = options.media_port_max;
  media_config.rtp_timeout = options.rtp_timeout;
  boost::system::error_code address_error;
  auto media_address =
      boost::asio::ip::make_address(options.sip_listen.front().host, address_error);
  if (!address_error) media_config.bind_address = media_address;
  media::MediaEngine media(media_config, [&io, &calls](media::MediaEvent event) {
    boost::asio::post(io, [&calls, event = std::move(event)] {
      if (calls) calls->on_media_event(event);
    });
  });

  sip::AsioTimerService timers(io);
  sip::UserAgentConfig ua_config;
  ua_config.logger = logging.module("sip");
  ua_config.uas_dialog_routing = sip::DialogRouting::SourceFlow;
  sip::UserAgent user_agent(timers, ua_config);
  for (const auto& listen : options.sip_listen) {
    auto address = sip::Endpoint::parse(
        (listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host) + ":" +
        std::to_string(listen.port));
    if (!address) {
      std::fprintf(stderr, "kefu: invalid --sip-listen address %s:%u\n", listen.host.c_str(),
                   listen.port);
      return 2;
    }
    auto bound = user_agent.listen(io, {*address, sip::ListenTransports::UdpAndTcp, {}});
    if (!bound) {
      std::fprintf(stderr, "kefu: cannot listen for SIP: %s\n", bound.error().c_str());
      return 1;
    }
    log->info("sip listening address={} transports=udp,tcp", bound->to_string());
  }

  std::optional<Registration> registration;
  try {
    registration.emplace(options.demo, options.digest_algorithms, options.registration_min_expires,
                         logging.module("registrar"));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kefu: --digest-algorithms: %s\n", e.what());
    return 2;
  }
  user_agent.set_registrar(&*registration);
  Ticker expiry(io, std::chrono::seconds(1), [&registration] { registration->expire(); });

  call::CallConfig call_config;
  call_config.media_address = options.sip_listen.front().host;
  call_config.sip_host = options.sip_listen.front().host;
  calls.emplace(io, user_agent, media, call_config, logging.module("call"));
  calls->set_observer(&call_records);

  std::optional<ContactCenter> contact_center;
  if (setup) {
    try {
      contact_center.emplace(io, *calls, *registration, storage, call_records, *queue_prompts,
                             *setup, phone_numbers, std::filesystem::path(options.data_dir),
                             logging.module("acd"));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kefu: %s\n", e.what());
      return 2;
    }
    contact_center->add_routes(*calls);
  }
  if (demo_prompts) {
    demo::DemoSettings settings;
    settings.answer_delay = options.answer_delay;
    if (contact_center) settings.to_agent = contact_center->to_menu_queue();
    const demo::DemoPrompts& prompts = *demo_prompts;
    calls->route(std::string(demo::kServiceNumber),
                 [&prompts, settings](std::shared_ptr<call::Leg> leg) {
                   return demo::run_demo_flow(std::move(leg), prompts, settings);
                 });
    calls->route(std::string(demo::kPromptLoopNumber), [&prompts](std::shared_ptr<call::Leg> leg) {
      return demo::run_prompt_loop(std::move(leg), prompts.menu);
    });
  }

  api::HttpServer http(io, logging.module("http"));
  http.route("GET", "/healthz", [](const api::HttpRequest&) {
    api::HttpResponse response;
    response.body = R"({"status":"ok"})";
    return response;
  });
  http.route("GET", "/metrics", [&](const api::HttpRequest&) {
    api::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = render_metrics(user_agent, media, *calls,
                                   contact_center ? &contact_center->queues() : nullptr);
    return response;
  });
  api::AuthRoutesOptions auth_options;
  auth_options.credential_cache_ttl = auth::Millis{options.auth_cache_ms};
  auto auth_routes =
      api::add_auth_routes(http, auth_service, auth_storage, logging.module("auth"), auth_options);
  add_crm_routes(http, storage, phone_numbers, logging.module("crm"));
  add_call_history_routes(http, storage, logging.module("calls"));
  http.route("GET", "/api/v1/openapi.json", [&http](const api::HttpRequest&) {
    api::HttpResponse response;
    response.body = openapi_document(http.route_table());
    return response;
  });
  if (contact_center) contact_center->add_http_routes(http);
  auto http_port = http.listen(options.http_listen.host, options.http_listen.port);
  if (!http_port) {
    std::fprintf(stderr, "kefu: %s\n", http_port.error().c_str());
    return 1;
  }
  log->info("http listening address={}:{}", options.http_listen.host, *http_port);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](boost::system::error_code ec, int signal_number) {
    if (ec || stopping) return;
    stopping = true;
    log->info("shutting down signal={} calls={}", signal_number, user_agent.session_count());
    http.stop();
    expiry.stop();
    user_agent.shutdown(std::chrono::seconds(5), [&io] { io.stop(); });
  });

  log->info("ready demo={} media_threads={}", options.demo, media.thread_count());
  io.run();
  contact_center.reset();
  calls.reset();
  call_records.flush();  // the storage executor writes it before it stops
  log->info("stopped");
  return 0;
}

}  // namespace kefu::app
