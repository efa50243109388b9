#pragma once
// SIP over TCP (RFC 3261 §18): a listening socket, per connection a StreamFramer; framing
// errors close the connection; idle connections close after a timeout; outgoing messages
// reuse an open connection to the same destination or connect.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "sip/stack/timer.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

struct TcpOptions {
  Duration idle_timeout = std::chrono::seconds(120);
  Duration connect_timeout = std::chrono::seconds(10);
  std::size_t max_message_bytes = 65536;
};

// Binds and listens on `local` (port 0 = ephemeral). `timers` must outlive the transport.
Result<std::unique_ptr<Transport>, std::string> open_tcp_transport(boost::asio::io_context& io,
                                                                   const Endpoint& local,
                                                                   TransportSink& sink,
                                                                   TimerService& timers,
                                                                   TcpOptions options = {});

}  // namespace kefu::sip
