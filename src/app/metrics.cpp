#include "app/metrics.hpp"

#include <fmt/format.h>

#include <map>

#include "acd/queue_service.hpp"
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

namespace {

void queue_metrics(std::string& out, const acd::QueueService& queues) {
  const auto stats = queues.queue_stats();
  struct Gauge {
    std::string_view name, help, type;
    double (*value)(const acd::QueueStats&);
  };
  static constexpr Gauge gauges[] = {
      {"kefu_queue_waiting", "Callers waiting (not ringing)", "gauge",
       [](const acd::QueueStats& s) { return static_cast<double>(s.waiting); }},
      {"kefu_queue_ringing", "Callers whose offer is ringing", "gauge",
       [](const acd::QueueStats& s) { return static_cast<double>(s.ringing); }},
      {"kefu_queue_longest_wait_seconds", "Longest current wait", "gauge",
       [](const acd::QueueStats& s) {
         return std::chrono::duration<double>(s.longest_wait).count();
       }},
      {"kefu_queue_answered_today", "Calls answered by an agent today", "gauge",
       [](const acd::QueueStats& s) { return static_cast<double>(s.answered_today); }},
      {"kefu_queue_abandoned_today", "Callers who hung up waiting today", "gauge",
       [](const acd::QueueStats& s) { return static_cast<double>(s.abandoned_today); }},
      {"kefu_queue_service_level", "Share answered within the threshold today", "gauge",
       [](const acd::QueueStats& s) { return s.service_level; }},
      {"kefu_queue_agents_ready", "Agents ready for the queue", "gauge",
       [](const acd::QueueStats& s) { return static_cast<double>(s.agents_ready); }},
      {"kefu_queue_agents_staffed", "Agents logged in and not on a break", "gauge",
       [](const acd::QueueStats& s) { return static_cast<double>(s.agents_staffed); }},
  };
  for (const auto& gauge : gauges) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", gauge.name, gauge.help,
                   gauge.name, gauge.type);
    for (const auto& q : stats)
      fmt::format_to(std::back_inserter(out), "{}{{queue=\"{}\"}} {}\n", gauge.name, q.queue,
                     gauge.value(q));
  }
  std::map<std::string_view, int> by_state;
  for (const auto& agent : queues.agent_stats()) ++by_state[acd::to_string(agent.state)];
  out += "# HELP kefu_agents Agents by state\n# TYPE kefu_agents gauge\n";
  for (auto state : {acd::AgentState::LoggedOut, acd::AgentState::Ready, acd::AgentState::NotReady,
                     acd::AgentState::Reserved, acd::AgentState::OnCall, acd::AgentState::WrapUp}) {
    fmt::format_to(std::back_inserter(out), "kefu_agents{{state=\"{}\"}} {}\n",
                   acd::to_string(state), by_state[acd::to_string(state)]);
  }
}

}  // namespace

std::string render_metrics(const sip::UserAgent& user_agent, const media::MediaEngine& media,
                           const call::CallManager& calls, const acd::QueueService* queues) {
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
                   "kefu_sip_messages_total{{direction=\"{}\",transport=\"{}\",class=\"{}\",method="
                   "\"{}\"}} {}\n",
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
  metric(out, "kefu_media_late_ticks_total", "Media ticks that started late", "counter",
         m.late_ticks);
  metric(out, "kefu_media_skipped_ticks_total", "Media ticks skipped after a stall", "counter",
         m.skipped_ticks);
  metric(out, "kefu_media_tick_cpu_ns_total", "CPU time spent in media ticks", "counter",
         m.tick_cpu_ns);
  metric(out, "kefu_media_max_tick_ns", "Longest media tick", "gauge", m.max_tick_ns);
  metric(out, "kefu_rtp_packets_sent_total", "RTP packets sent", "counter", m.packets_sent);
  metric(out, "kefu_rtp_send_errors_total", "RTP send errors", "counter", m.send_errors);
  metric(out, "kefu_rtp_packets_received_total", "RTP packets received", "counter",
         m.packets_received);
  metric(out, "kefu_rtp_malformed_total", "Malformed RTP packets", "counter", m.malformed_packets);
  metric(out, "kefu_rtp_wrong_source_total",
         "RTP packets from another address than the latched one (dropped)", "counter",
         m.wrong_source_packets);
  metric(out, "kefu_rtp_unknown_payload_total",
         "RTP packets with a payload type not negotiated (dropped)", "counter",
         m.unknown_payload_packets);
  metric(out, "kefu_rtp_forward_paused_total",
         "Bridged RTP packets not sent on while the other leg plays kefu's own audio or holds",
         "counter", m.forward_paused_packets);
  metric(out, "kefu_rtp_receive_errors_total", "RTP socket receive errors", "counter",
         m.receive_errors);
  metric(out, "kefu_rtp_forwarded_total", "RTP packets forwarded between bridged legs", "counter",
         m.forwarded_packets);
  metric(out, "kefu_rtp_transcoded_total", "Forwarded RTP packets transcoded PCMU/PCMA", "counter",
         m.transcoded_packets);
  metric(out, "kefu_recording_late_samples_total",
         "Stereo-recording audio that arrived later than the playout delay (not recorded)",
         "counter", m.recording_late_samples);
  metric(out, "kefu_recording_early_samples_total",
         "Stereo-recording audio too far ahead of the clock (not recorded)", "counter",
         m.recording_early_samples);
  metric(out, "kefu_recording_dropped_samples_total",
         "Recorded samples written as silence because the writer's queue was full", "counter",
         m.recording_dropped_samples);
  metric(out, "kefu_recording_queued_samples", "Recorded samples waiting for the writer", "gauge",
         m.recording_queued_samples);
  if (queues != nullptr) queue_metrics(out, *queues);
  return out;
}

}  // namespace kefu::app
