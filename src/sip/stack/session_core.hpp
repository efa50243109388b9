#pragma once
// The state behind an InviteSession handle. Internal to kefu_sip_stack.
#include <memory>
#include <optional>
#include <string>

#include "sip/stack/config.hpp"
#include "sip/stack/dialog.hpp"
#include "sip/stack/invite_session.hpp"
#include "sip/stack/transaction_layer.hpp"

namespace kefu::sip {

namespace detail {

// What a session needs from its UserAgent.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual TransactionLayer& transactions() = 0;
  virtual const UserAgentConfig& config() const = 0;
  virtual std::string contact_for(const Destination& to) const = 0;  // "<sip:...>"
  virtual std::string allow() const = 0;
  virtual void register_dialog(const std::string& key, std::uint64_t session_id) = 0;
  virtual void unregister_dialog(const std::string& key, std::uint64_t session_id) = 0;
  // The session is over and owns no transaction any more; the host drops it.
  virtual void release(std::uint64_t session_id) = 0;
};

class SessionCore : public std::enable_shared_from_this<SessionCore> {
 public:
  SessionCore(SessionHost& host, std::uint64_t id, SessionRole role);
  ~SessionCore();
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  // UAS: bind the received INVITE (its transaction owns the request).
  void start_uas(std::shared_ptr<ServerTransaction> invite);
  // UAC: build and send the INVITE. The error says why nothing was sent.
  std::optional<std::string> start_uac(const OutgoingCall& call);

  std::uint64_t id() const { return id_; }
  SessionRole role() const { return role_; }
  SessionState state() const { return state_; }
  bool abandoned() const { return abandoned_; }
  void set_event_handler(InviteSession::EventHandler handler) { handler_ = std::move(handler); }
  const Message* initial_invite() const;
  std::optional<Inbound> source() const;
  std::string call_id() const;

  // TU calls (through InviteSession).
  SessionStatus ring(int status, std::string sdp);
  SessionStatus answer(std::string sdp);
  SessionStatus reject(int status, std::string reason, HeaderList headers);
  SessionStatus hangup();
  SessionStatus reinvite(std::string sdp);
  SessionStatus answer_offer(std::string sdp);
  SessionStatus reject_offer(int status);
  SessionStatus send_info(std::string content_type, std::string body);
  SessionStatus accept_refer();
  SessionStatus reject_refer(int status, std::string reason);
  SessionStatus notify_refer(int status, std::string reason);

  // From the UserAgent.
  void on_request(const std::shared_ptr<ServerTransaction>& transaction);  // in-dialog
  void on_ack(const Message& ack);
  void on_cancel();
  void on_stray_2xx(const Message& response);
  // The UserAgent is going away: no more events, no more calls into it.
  void abandon();

 private:
  // Events: network- and timer-driven ones are delivered at once; one caused by a TU call
  // (hangup, reject) is deferred to a zero-delay timer so the TU is never re-entered.
  enum class Delivery : std::uint8_t { Now, Deferred };
  void emit(SessionEvent event, Delivery delivery = Delivery::Now);
  // Ends the session for the TU (Terminated event, once); `next` is Terminating while a BYE,
  // a CANCEL or an awaited ACK is still running, else Terminated (and released).
  void end(EndReason reason, int status, Delivery delivery, SessionState next);
  void finish();  // -> Terminated, dialog unregistered, released by the host

  // Shared helpers.
  ResponseSpec response_with_sdp(int status, std::string sdp) const;
  void respond_simple(ServerTransaction& transaction, int status);
  void respond_retry_later(ServerTransaction& transaction);
  void start_2xx_retransmission(const ServerTransaction& invite, bool initial);
  void stop_2xx_retransmission();
  void on_2xx_retransmit_timer();
  void on_2xx_gave_up();
  std::optional<std::string> send_in_dialog(Method method, const HeaderList& headers,
                                            std::string_view content_type, std::string_view body,
                                            ResponseHandler handler,
                                            std::shared_ptr<ClientTransaction>* started);
  ResponseHandler weak_handler(void (SessionCore::*member)(const ClientResponse&));
  void send_bye();
  void on_bye_response(const ClientResponse& response);
  void hang_up_with_bye(EndReason reason, int status);
  void on_in_dialog_failure(const ClientResponse& response);

  // In-dialog requests received.
  void on_bye(const std::shared_ptr<ServerTransaction>& transaction);
  void on_reinvite(const std::shared_ptr<ServerTransaction>& transaction);
  void on_update(const std::shared_ptr<ServerTransaction>& transaction);
  void on_info(const std::shared_ptr<ServerTransaction>& transaction);
  void on_refer(const std::shared_ptr<ServerTransaction>& transaction);
  void on_notify_response(const ClientResponse& response);

  // Our re-INVITE.
  std::optional<std::string> send_reinvite();
  void on_reinvite_response(const ClientResponse& response);
  void schedule_glare_retry();

  // UAC (session_uac.cpp).
  void on_invite_response(const ClientResponse& response);
  void on_invite_2xx(const Message& response);
  void send_cancel();
  void ack_and_bye_stray_fork(const Message& response);
  // ACK for a 2xx (§13.2.2.4), remembered so a retransmitted 2xx gets it again.
  std::optional<std::string> send_ack(Dialog& dialog, std::uint32_t cseq);
  void resend_ack();

  SessionHost& host_;
  std::uint64_t id_;
  SessionRole role_;
  SessionState state_;
  bool ended_ = false;     // the Terminated event has been emitted
  bool released_ = false;  // finish() ran
  bool abandoned_ = false;
  std::string contact_;  // our Contact header value
  InviteSession::EventHandler handler_;
  std::optional<Dialog> dialog_;
  std::string dialog_key_;

  std::shared_ptr<ServerTransaction> uas_invite_;
  std::shared_ptr<ClientTransaction> uac_invite_;
  std::shared_ptr<ClientTransaction> cancel_;
  bool cancel_requested_ = false;
  std::optional<Destination> fixed_destination_;  // UAC: OutgoingCall::destination

  // A 2xx we sent and re-send until its ACK (§13.3.1.4), initial INVITE or re-INVITE.
  struct AwaitingAck {
    std::uint32_t cseq = 0;
    std::string response;
    Destination to;
    Duration interval{};
    bool initial = false;
  };
  std::optional<AwaitingAck> awaiting_ack_;
  ScopedTimer ok_retransmit_timer_;
  ScopedTimer ok_give_up_timer_;
  bool bye_after_ack_ = false;

  // The ACK we sent for a 2xx, re-sent when that 2xx is retransmitted (§13.2.2.4).
  std::uint32_t sent_ack_cseq_ = 0;
  std::string sent_ack_;
  Destination sent_ack_to_;

  // An offer received in a re-INVITE or UPDATE, waiting for the TU's answer.
  std::shared_ptr<ServerTransaction> offer_;
  bool answer_in_ack_ = false;  // we made the offer in our 2xx; the ACK brings the answer

  // Our re-INVITE.
  std::shared_ptr<ClientTransaction> reinvite_;
  std::string reinvite_sdp_;
  bool reinvite_wanted_ = false;  // requested and not finished (includes a glare wait)
  ScopedTimer glare_timer_;

  // REFER (RFC 3515): one at a time, from its arrival to the final NOTIFY.
  std::shared_ptr<ServerTransaction> refer_;  // waiting for accept_refer() / reject_refer()
  bool refer_subscription_ = false;           // accepted; the final NOTIFY is not sent yet
  std::uint32_t refer_cseq_ = 0;
  unsigned refers_received_ = 0;  // from the second on, NOTIFYs carry Event: refer;id=CSeq

  std::shared_ptr<ClientTransaction> bye_;
  ScopedTimer terminating_guard_;  // bounds the Terminating state
};

}  // namespace detail
}  // namespace kefu::sip
