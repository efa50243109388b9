#pragma once
// Settings of a UserAgent, parsed once by the app into this struct.
#include <spdlog/logger.h>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sip/stack/tcp_transport.hpp"
#include "sip/stack/transaction.hpp"

namespace kefu::sip {

// Where requests inside a dialog we answered (UAS) go when no Record-Route says otherwise.
enum class DialogRouting : std::uint8_t {
  RemoteTarget,  // RFC 3261: the Contact of the peer
  SourceFlow,    // where the INVITE came from (its TCP connection, or received/rport):
                 // reaches callers behind NAT whose Contact is a private address
};

struct UserAgentConfig {
  TimerConfig timers;
  std::string product = "kefu";        // Server / User-Agent header value; empty = none
  std::string contact_user = "kefu";   // user part of our Contact URI
  std::vector<std::string> supported;  // option tags implemented (none yet: 420 for all)
  DialogRouting uas_dialog_routing = DialogRouting::RemoteTarget;
  TcpOptions tcp;
  std::uint64_t random_seed = 0;           // 0 = from std::random_device; fixed in tests
  std::shared_ptr<spdlog::logger> logger;  // null = spdlog's default logger
};

}  // namespace kefu::sip
