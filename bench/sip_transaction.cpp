// Server transaction throughput: a request is received (parsed, matched, a transaction
// created, answered by a TU that responds at once, the response built and sent), then its
// retransmission (non-INVITE) or ACK (INVITE) is matched; time is advanced now and then so
// Timers J/H/I/K end the transactions. Plus whole INVITE sessions between two UserAgents.
#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "sip/stack/loopback_transport.hpp"
#include "sip/stack/transaction_layer.hpp"
#include "sip/stack/user_agent.hpp"

namespace {

using namespace kefu::sip;
using namespace std::chrono_literals;

constexpr std::size_t kDistinct = 4096;  // transactions alive at once before time moves on

std::shared_ptr<spdlog::logger> quiet_logger() {
  return std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
}

class AnsweringUser final : public TransactionUser {
 public:
  void on_request(const std::shared_ptr<ServerTransaction>& transaction) override {
    ResponseSpec response;
    response.status = transaction->is_invite() ? 486 : 200;
    transaction->respond(response);
  }
  void on_cancel(const std::shared_ptr<ServerTransaction>& /*invite*/) override {}
  void on_ack(const Message& /*ack*/, const Inbound& /*from*/) override {}
  void on_stray_response(const Message& /*response*/, const Inbound& /*from*/) override {}
};

class DiscardSink final : public TransportSink {
 public:
  void on_received(std::string /*bytes*/, const Inbound& /*from*/) override {}
  void on_stream_error(const Inbound& /*from*/, std::string_view /*reason*/) override {}
  void on_send_failed(SendToken /*token*/, std::string_view /*reason*/) override {}
};

std::string request(std::string_view method, std::string_view cseq_method, std::size_t n) {
  const std::string branch = "z9hG4bKbench" + std::to_string(n);
  std::string text = std::string(method) + " sip:ivr@10.0.0.1:5060 SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=" + branch + ";rport\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: <sip:caller@10.0.0.9>;tag=f" + std::to_string(n) + "\r\n";
  text += "To: <sip:ivr@10.0.0.1>\r\n";
  text += "Call-ID: bench-" + std::to_string(n) + "@10.0.0.9\r\n";
  text += "CSeq: 1 " + std::string(cseq_method) + "\r\n";
  text += "Contact: <sip:caller@10.0.0.9:5060>\r\n";
  text += "User-Agent: bench\r\nContent-Length: 0\r\n\r\n";
  return text;
}

struct Harness {
  Harness()
      : transport(counters, quiet_logger()),
        layer(transport, clock, TimerConfig{}, user, random, "kefu-bench") {
    const Endpoint server = *Endpoint::parse("10.0.0.1:5060");
    from.transport = TransportKind::Udp;
    from.source = *Endpoint::parse("10.0.0.9:5060");
    from.local = server;
    transport.add(network.attach(TransportKind::Udp, server, transport));
    peer = network.attach(TransportKind::Udp, from.source, discard);
  }

  VirtualClock clock;
  LoopbackNetwork network{clock, Duration::zero(), PacketLog::Off};
  TrafficCounters counters;
  RandomSource random{1};
  TransportLayer transport;
  AnsweringUser user;
  TransactionLayer layer;
  DiscardSink discard;
  std::unique_ptr<Transport> peer;
  Inbound from;
};

void BM_NonInviteServerTransaction(benchmark::State& state) {
  Harness harness;
  std::vector<std::string> requests;
  for (std::size_t n = 0; n < kDistinct; ++n) requests.push_back(request("OPTIONS", "OPTIONS", n));
  std::size_t n = 0;
  for (auto _ : state) {
    const std::string& bytes = requests[n % kDistinct];
    harness.transport.on_received(bytes, harness.from);  // create + answer
    harness.transport.on_received(bytes, harness.from);  // match the retransmission
    if (++n % kDistinct == 0) {
      state.PauseTiming();
      harness.clock.advance(33s);  // Timer J ends them all
      state.ResumeTiming();
    } else if (n % 64 == 0) {
      harness.clock.run_due();  // deliver the responses
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["live"] = static_cast<double>(harness.layer.server_count());
}
BENCHMARK(BM_NonInviteServerTransaction);

void BM_InviteServerTransaction(benchmark::State& state) {
  Harness harness;
  std::vector<std::string> invites;
  std::vector<std::string> acks;
  for (std::size_t n = 0; n < kDistinct; ++n) {
    invites.push_back(request("INVITE", "INVITE", n));
    acks.push_back(request("ACK", "ACK", n));
  }
  std::size_t n = 0;
  for (auto _ : state) {
    const std::size_t slot = n % kDistinct;
    harness.transport.on_received(invites[slot], harness.from);  // create, 486
    harness.transport.on_received(acks[slot], harness.from);     // match, Confirmed
    if (++n % kDistinct == 0) {
      state.PauseTiming();
      harness.clock.advance(6s);  // Timer I ends them all
      state.ResumeTiming();
    } else if (n % 64 == 0) {
      harness.clock.run_due();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_InviteServerTransaction);

// Whole calls between two UserAgents: INVITE, 200 with SDP, ACK, BYE, 200.
void BM_InviteSessionRoundTrip(benchmark::State& state) {
  VirtualClock clock;
  LoopbackNetwork network(clock, Duration::zero(), PacketLog::Off);
  UserAgentConfig config;
  config.logger = quiet_logger();
  config.random_seed = 1;
  UserAgent caller(clock, config);
  config.random_seed = 2;
  UserAgent callee(clock, config);
  const Endpoint caller_address = *Endpoint::parse("10.0.0.1:5060");
  const Endpoint callee_address = *Endpoint::parse("10.0.0.2:5060");
  caller.add_transport(network.attach(TransportKind::Udp, caller_address, caller.transport_sink()));
  callee.add_transport(network.attach(TransportKind::Udp, callee_address, callee.transport_sink()));
  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
  callee.set_incoming_call_handler([&](InviteSession call) { (void)call.answer(sdp); });
  OutgoingCall call;
  call.target = "sip:agent@10.0.0.2:5060";
  call.from = "sip:kefu@10.0.0.1";
  call.sdp = sdp;
  std::size_t calls = 0;
  for (auto _ : state) {
    auto session = caller.call(call, nullptr);
    clock.run_due();  // INVITE -> 200 -> ACK
    clock.run_due();
    clock.run_due();
    (void)session->hangup();
    clock.run_due();  // BYE -> 200
    clock.run_due();
    ++calls;
    if (calls % 1024 == 0) {
      state.PauseTiming();
      clock.advance(40s);  // let transactions finish
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(calls));
  state.counters["sessions_left"] =
      static_cast<double>(caller.session_count() + callee.session_count());
}
BENCHMARK(BM_InviteSessionRoundTrip);

}  // namespace

BENCHMARK_MAIN();
