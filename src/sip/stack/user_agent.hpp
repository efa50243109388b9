#pragma once
// kefu's SIP user agent: transports, transactions, UA core checks, dialogs and INVITE
// sessions behind one object that lives on the control io_context (no locks anywhere).
//
// Usage (control loop; error handling shortened):
//
//   boost::asio::io_context io;
//   sip::AsioTimerService timers(io);              // sip::VirtualClock in tests
//   sip::UserAgent ua(timers, sip::UserAgentConfig{});
//   auto bound = ua.listen(io, {*sip::Endpoint::parse("0.0.0.0:5060"),
//                               sip::ListenTransports::UdpAndTcp, "203.0.113.5"});
//   if (!bound) spdlog::error("{}", bound.error());  // "UDP 0.0.0.0:5060: Address in use"
//
//   ua.set_incoming_call_handler([&](sip::InviteSession call) {
//     const sip::Message& invite = *call.initial_invite();  // DNIS: invite.request_uri()
//     call.set_event_handler([](sip::InviteSession s, const sip::SessionEvent& event) {
//       if (auto* offer = std::get_if<sip::session_event::OfferReceived>(&event)) {
//         (void)s.answer_offer(answer_for(offer->sdp));    // re-INVITE/UPDATE (hold, unhold)
//       } else if (auto* dtmf = std::get_if<sip::session_event::Dtmf>(&event)) {
//         on_digit(dtmf->digit);                           // INFO, already answered 200
//       } else if (auto* end = std::get_if<sip::session_event::Terminated>(&event)) {
//         on_gone(end->reason);                            // BYE, CANCEL, ACK timeout, ...
//       }
//     });
//     (void)call.ring(180);
//     (void)call.answer(answer_for(std::string(invite.body())));  // 200 OK + SDP
//   });
//
//   sip::OutgoingCall out;                       // an agent's phone
//   out.target = "sip:1001@192.0.2.7:5062";
//   out.from = "sip:4008001234@203.0.113.5";
//   out.sdp = our_offer;
//   out.destination = registered_flow;           // optional: where its REGISTER came from
//   auto agent = ua.call(std::move(out), [](sip::InviteSession s, const sip::SessionEvent& e) {
//     // Progress (180/183), Answered{sdp} (ACK already sent), Terminated{Rejected, 486}...
//   });
//   (void)agent->hangup();                       // CANCEL before the answer, BYE after
//
//   ua.shutdown(std::chrono::seconds(5), [&] { io.stop(); });  // on SIGTERM
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/result.hpp"
#include "sip/stack/config.hpp"
#include "sip/stack/counters.hpp"
#include "sip/stack/invite_session.hpp"
#include "sip/stack/random.hpp"
#include "sip/stack/request_checks.hpp"
#include "sip/stack/session_core.hpp"
#include "sip/stack/transaction_layer.hpp"
#include "sip/stack/transport_layer.hpp"

namespace kefu::sip {

enum class ListenTransports : std::uint8_t { Udp, Tcp, UdpAndTcp };

struct ListenSpec {
  Endpoint address;  // port 0 = ephemeral (UDP and TCP then share the port picked)
  ListenTransports transports = ListenTransports::UdpAndTcp;
  std::string advertised_host;  // Via sent-by / Contact host; empty = the address
};

// A received request waiting for its response (REGISTER for the registrar). A handle: it
// never dangles; once the transaction is gone every call says so.
class IncomingRequest {
 public:
  IncomingRequest() = default;
  bool alive() const;
  // nullptr when gone. Valid until control returns to the event loop.
  const Message* request() const;
  std::optional<Inbound> source() const;  // transport, address and connection it came from
  // False when gone or already answered with a final response.
  bool respond(const ResponseSpec& response) const;

 private:
  friend class UserAgent;
  explicit IncomingRequest(std::weak_ptr<ServerTransaction> transaction)
      : transaction_(std::move(transaction)) {}
  std::weak_ptr<ServerTransaction> transaction_;
};

// Wired by the app; without one REGISTER gets 405.
class RegistrationHandler {
 public:
  virtual ~RegistrationHandler() = default;
  virtual void on_register(IncomingRequest request) = 0;
};

// An out-of-dialog non-INVITE request (OPTIONS ping to a trunk, MESSAGE, NOTIFY, ...).
struct OutgoingRequest {
  Method method = Method::Options;
  std::string target;  // Request-URI
  std::string from;    // our URI
  std::string to;      // empty = target
  std::optional<Destination> destination;
  HeaderList headers;
  std::string content_type;
  std::string body;
};

class UserAgent final : private TransactionUser, private detail::SessionHost {
 public:
  using IncomingCallHandler = std::function<void(InviteSession call)>;

  // `timers` must outlive the UserAgent.
  explicit UserAgent(TimerService& timers, UserAgentConfig config = {});
  ~UserAgent() override;
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  // Binds UDP and/or TCP on one address; returns the bound endpoint, or an error naming
  // the address ("TCP 127.0.0.1:5060: Address already in use"). Call once per address.
  Result<Endpoint, std::string> listen(boost::asio::io_context& io, const ListenSpec& spec);
  // Any other transport (tests: LoopbackNetwork::attach(kind, address, transport_sink())).
  void add_transport(std::unique_ptr<Transport> transport, std::string advertised_host = {});
  TransportSink& transport_sink() { return transport_; }

  // Called for each new INVITE; without a handler INVITEs get 480.
  void set_incoming_call_handler(IncomingCallHandler handler) {
    incoming_call_handler_ = std::move(handler);
  }
  void set_registrar(RegistrationHandler* handler);

  // Places a call. The error says why nothing was sent (unresolvable target, no transport).
  Result<InviteSession, std::string> call(const OutgoingCall& call,
                                          InviteSession::EventHandler handler);
  std::optional<std::string> send_request(const OutgoingRequest& request, ResponseHandler handler);

  // SIGTERM: refuse new INVITEs (503), end every session (BYE, CANCEL, 480), and call
  // `done` once all are over or `limit` passed, whichever is first. `done` is called from
  // a timer, never from inside shutdown().
  void shutdown(Duration limit, std::function<void()> done);

  const TrafficCounters& counters() const { return counters_; }
  std::size_t session_count() const { return sessions_.size(); }
  TransactionLayer& transactions() override { return transactions_; }
  const UserAgentConfig& config() const override { return config_; }

 private:
  // TransactionUser
  void on_request(const std::shared_ptr<ServerTransaction>& transaction) override;
  void on_cancel(const std::shared_ptr<ServerTransaction>& invite) override;
  void on_ack(const Message& ack, const Inbound& from) override;
  void on_stray_response(const Message& response, const Inbound& from) override;

  // SessionHost
  std::string contact_for(const Destination& to) const override;
  std::string allow() const override { return allow_header(capabilities_); }
  void register_dialog(const std::string& key, std::uint64_t session_id) override;
  void unregister_dialog(const std::string& key, std::uint64_t session_id) override;
  void release(std::uint64_t session_id) override;

  void on_new_invite(const std::shared_ptr<ServerTransaction>& transaction);
  std::shared_ptr<detail::SessionCore> find_dialog(std::string_view call_id,
                                                   std::string_view local_tag,
                                                   std::string_view remote_tag) const;
  void check_shutdown();

  UserAgentConfig config_;
  TimerService& timers_;
  TrafficCounters counters_;
  RandomSource random_;
  UaCapabilities capabilities_;
  TransportLayer transport_;
  TransactionLayer transactions_;
  IncomingCallHandler incoming_call_handler_;
  RegistrationHandler* registrar_ = nullptr;
  std::unordered_map<std::uint64_t, std::shared_ptr<detail::SessionCore>> sessions_;
  std::unordered_map<std::string, std::uint64_t> dialogs_;
  std::uint64_t next_session_id_ = 1;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  ScopedTimer shutdown_limit_;
  ScopedTimer shutdown_check_;
};

}  // namespace kefu::sip
