#pragma once
// `kefu serve` options: parsed once into this typed struct (STYLE.md #16).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace kefu::app {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

struct ServeOptions {
  std::string data_dir = "var";
  // `postgresql://user@host/db`, or a SQLite file; empty: <data_dir>/kefu.db.
  std::string db;
  // Read-only database connections for look-ups (CRM GETs, screen pop), each with its own
  // thread, beside the one writer; 0: look-ups queue on the writer. One per core: on two cores
  // two readers answered 30-45 % more SQLite phone look-ups than four (fewer threads than
  // runnable work to switch between), and PostgreSQL's were the same within the noise. At most
  // 16: each reader is a connection (on PostgreSQL, a server process).
  unsigned db_readers = std::clamp(std::thread::hardware_concurrency(), 2u, 16u);
  // How long a verified session or API key is reused before the database is asked again (any
  // logout, user or key change in this process ends the reuse at once); 0: every request asks.
  unsigned auth_cache_ms = 5000;
  std::vector<HostPort> sip_listen;  // UDP and TCP on each; default 127.0.0.1:5060
  HostPort http_listen{"127.0.0.1", 8080};
  bool demo = false;
  std::string config_file;  // contact-center set-up (TOML); empty: the demo's with --demo
  std::string log_level = "info";
  std::uint16_t media_port_min = 20000;
  std::uint16_t media_port_max = 29999;
  unsigned media_threads = 0;  // 0 = cores - 1, at least 1
  std::chrono::seconds rtp_timeout{30};
  std::chrono::milliseconds answer_delay{0};
  std::chrono::seconds registration_min_expires{
      60};  // shorter registrations get 423  // demo flow: ring this long before answering
  // Digest algorithms offered in challenges, preferred first. MD5 alone by default: SIPp 3.6
  // answers only the first challenge and knows only MD5, and baresip 1.0 refuses a
  // registration whose challenges include SHA-256 at all.
  std::vector<std::string> digest_algorithms{"MD5"};
};

// "host:port" with IPv6 as "[::1]:5060"; throws std::invalid_argument naming the value.
HostPort parse_host_port(const std::string& text);

}  // namespace kefu::app
