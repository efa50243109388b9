#pragma once
// SIP over UDP (RFC 3261 §18): one socket per listen address, one reusable receive buffer,
// non-blocking sends (a datagram that cannot be queued is dropped; retransmission covers it).
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

// Binds `local` (port 0 = ephemeral) and starts reading. The error names the address.
Result<std::unique_ptr<Transport>, std::string> open_udp_transport(boost::asio::io_context& io,
                                                                   const Endpoint& local,
                                                                   TransportSink& sink);

}  // namespace kefu::sip
