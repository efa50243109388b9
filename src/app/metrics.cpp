#include "app/metrics.hpp"

#include <fmt/format.h>

#include "call/call_manager.hpp"
#include "media/media_engine.hpp"
#include "sip/stack/user_agent.hpp"

namespace kefu::app {

namespace {

void metric(std::string& out, std::string_view name, std::string_view help, std::string_view type,
            std::uint64_t value) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                 type, name, value);
}

}  // namespace

std::string render_metrics(const sip::UserAgent& user_agent, const media::MediaEngine& media,
                           const call::CallManager& calls) {
  std::string out;
  out.reserve(4096);
  metric(out, "kefu_calls_active", "Calls in progress", "gauge", calls.active_legs());
  metric(out, "kefu_sip_sessions", "INVITE sessions in the SIP stack", "gauge",
         user_agent.session_count());
  out += "# HELP kefu_sip_messages_total SIP messages by direction, transport, class and method\n";
  out += "# TYPE kefu_sip_messages_total counter\n";
  user_agent.counters().for_each([&out](sip::Direction direction, sip::TransportKind transport,
                                        sip::MessageClass message_class, sip::Method method,
                                        std::uint64_t value) {
    fmt::format_to(std::back_inserter(out),
                   "kefu_sip_messages_total{{direction=\"{}\",transport=\"{}\",class=\"{}\",method=\"{}\"}} {}\n",
                   direction == sip::Direction::Received ? "received" : "sent",
                   transport == sip::TransportKind::Tcp ? "tcp" : "udp",
                   message_class == sip::MessageClass::Request ? "request" : "response",
                   sip::to_string(method), value);
  });
  out += "# HELP kefu_sip_malformed_total Received SIP bytes that did not parse\n";
  out += "# TYPE kefu_sip_malformed_total counter\n";
  fmt::format_to(std::back_inserter(out), "kefu_sip_malformed_total{{transport=\"udp\"}} {}\n",
                 user_agent.counters().malformed(sip::TransportKind::Udp));
  fmt::format_to(std::back_inserter(out), "kefu_sip_malformed_total{{transport=\"tcp\"}} {}\n",
                 user_agent.counters().malformed(sip::TransportKind::Tcp));

  auto m = media.counters();
  metric(out, "kefu_media_sessions", "Media sessions", "gauge", media.session_count());
  metric(out, "kefu_media_ticks_total", "Media ticks run", "counter", m.ticks);
  metric(out, "kefu_media_late_ticks_total", "Media ticks that started late", "counter", m.late_ticks);
  metric(out, "kefu_media_skipped_ticks_total", "Media ticks skipped after a stall", "counter",
         m.skipped_ticks);
  metric(out, "kefu_media_tick_cpu_ns_total", "CPU time spent in media ticks", "counter", m.tick_cpu_ns);
  metric(out, "kefu_media_max_tick_ns", "Longest media tick", "gauge", m.max_tick_ns);
  metric(out, "kefu_rtp_packets_sent_total", "RTP packets sent", "counter", m.packets_sent);
  metric(out, "kefu_rtp_send_errors_total", "RTP send errors", "counter", m.send_errors);
  metric(out, "kefu_rtp_packets_received_total", "RTP packets received", "counter", m.packets_received);
  metric(out, "kefu_rtp_malformed_total", "Malformed RTP packets", "counter", m.malformed_packets);
  return out;
}

}  // namespace kefu::app
