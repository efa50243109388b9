// kefu: one binary, subcommands. `kefu serve` runs the call center.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "app/options.hpp"
#include "app/server.hpp"

namespace kefu::app {

HostPort parse_host_port(const std::string& text) {
  HostPort result;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("expected [ipv6]:port, got '" + text + "'");
    }
    result.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
      throw std::invalid_argument("expected host:port, got '" + text + "'");
    result.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  try {
    std::size_t used = 0;
    int port = std::stoi(port_text, &used);
    if (used != port_text.size() || port < 0 || port > 65535) throw std::out_of_range("port");
    result.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    throw std::invalid_argument("invalid port in '" + text + "'");
  }
  return result;
}

}  // namespace kefu::app

int main(int argc, char** argv) {
  // glibc hands freed memory at the top of a thread's heap back to the kernel once it exceeds
  // a small threshold; a storage thread whose look-ups allocate and free a few hundred KiB each
  // (SQLite's temporary b-trees) then maps and unmaps pages on every request, and each unmap
  // interrupts the other cores to flush their TLBs. Keep up to 32 MiB per heap.
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  using kefu::app::ServeOptions;
  CLI::App cli{"kefu — customer service center"};
  cli.require_subcommand(1);

  ServeOptions options;
  std::vector<std::string> sip_listen;
  std::string http_listen = "127.0.0.1:8080";
  std::string media_ports = "20000-29999";
  int rtp_timeout_s = 30;
  int answer_delay_ms = 0;
  auto* serve = cli.add_subcommand("serve", "Run the call center server");
  serve
      ->add_option("--data-dir", options.data_dir,
                   "Directory for the database, recordings, prompts")
      ->capture_default_str();
  serve->add_option("--sip-listen", sip_listen, "HOST:PORT for SIP over UDP and TCP (repeatable)");
  serve->add_option("--http-listen", http_listen, "HOST:PORT for HTTP (API, health, web app)")
      ->capture_default_str();
  serve->add_option(
      "--db", options.db,
      "Database: postgresql://user@host:port/name, or a SQLite file (default DATA_DIR/kefu.db)");
  serve
      ->add_option("--db-readers", options.db_readers,
                   "Read-only database connections for look-ups (0 = look-ups share the writer)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  serve
      ->add_option("--auth-cache-ms", options.auth_cache_ms,
                   "Reuse a verified session or API key for this long (0 = check every request)")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  serve
      ->add_option("--config", options.config_file,
                   "Contact-center set-up (TOML: queues, agents, customers, service numbers)")
      ->check(CLI::ExistingFile);
  serve->add_flag("--demo", options.demo,
                  "Load the demo: extensions 1001-1010, service number 4000");
  serve->add_option("--log-level", options.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  serve->add_option("--media-port-range", media_ports, "RTP port range MIN-MAX")
      ->capture_default_str();
  serve->add_option("--media-threads", options.media_threads, "Media threads (0 = cores - 1)");
  serve
      ->add_option("--rtp-timeout", rtp_timeout_s,
                   "Seconds without RTP before a call is ended (0 = off)")
      ->capture_default_str();
  serve->add_option("--answer-delay-ms", answer_delay_ms, "Demo: ring this long before answering");
  int min_expires_s = 60;
  serve
      ->add_option("--registration-min-expires", min_expires_s,
                   "Shortest registration accepted, seconds (shorter ones get 423)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  std::string digest_algorithms = "MD5";
  serve
      ->add_option("--digest-algorithms", digest_algorithms,
                   "Digest algorithms offered to phones, preferred first (MD5, SHA-256)")
      ->capture_default_str();

  CLI11_PARSE(cli, argc, argv);

  try {
    if (sip_listen.empty()) sip_listen.push_back("127.0.0.1:5060");
    for (const auto& text : sip_listen)
      options.sip_listen.push_back(kefu::app::parse_host_port(text));
    options.http_listen = kefu::app::parse_host_port(http_listen);
    auto dash = media_ports.find('-');
    if (dash == std::string::npos) throw std::invalid_argument("--media-port-range wants MIN-MAX");
    int lo = std::stoi(media_ports.substr(0, dash));
    int hi = std::stoi(media_ports.substr(dash + 1));
    if (lo < 1024 || hi > 65535 || hi - lo < 2)
      throw std::invalid_argument("--media-port-range out of range");
    options.media_port_min = static_cast<std::uint16_t>(lo);
    options.media_port_max = static_cast<std::uint16_t>(hi);
    options.rtp_timeout = std::chrono::seconds(rtp_timeout_s);
    options.answer_delay = std::chrono::milliseconds(answer_delay_ms);
    options.registration_min_expires = std::chrono::seconds(min_expires_s);
    options.digest_algorithms.clear();
    for (std::size_t start = 0; start <= digest_algorithms.size();) {
      auto comma = digest_algorithms.find(',', start);
      if (comma == std::string::npos) comma = digest_algorithms.size();
      options.digest_algorithms.push_back(digest_algorithms.substr(start, comma - start));
      start = comma + 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kefu: %s\n", e.what());
    return 2;
  }

  if (serve->parsed()) return kefu::app::run_server(options);
  return 0;
}
