#pragma once
// InviteSession: a checked handle to one INVITE dialog (RFC 3261 §13-§15), UAS or UAC.
// Handles are cheap to copy and never dangle: once the session is over every call returns
// SessionStatus::Gone. Events arrive through the handler set with set_event_handler().
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "sip/message.hpp"
#include "sip/stack/transaction.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

namespace detail {
class SessionCore;
}

enum class SessionRole : std::uint8_t { Uac, Uas };

enum class SessionState : std::uint8_t {
  Calling,      // UAC: INVITE sent, no provisional response yet
  Incoming,     // UAS: INVITE received, nothing sent by the TU yet
  Early,        // UAC: provisional received / UAS: provisional sent
  Answering,    // UAS: 2xx sent, waiting for the ACK
  Confirmed,    // established
  Terminating,  // ended locally; our BYE or CANCEL is still in progress
  Terminated,
};

enum class EndReason : std::uint8_t {
  LocalHangup,     // hangup(), reject() or UserAgent::shutdown()
  RemoteBye,       // the peer sent BYE
  RemoteCancel,    // UAS: CANCEL before we answered (the INVITE got 487)
  Rejected,        // UAC: a final non-2xx response (status says which)
  Timeout,         // no response: Timer B, or an in-dialog request timed out (BYE sent)
  AckTimeout,      // UAS: our 2xx was never ACKed in 64*T1 (BYE sent)
  TransportError,  // the request could not be delivered
  DialogGone,      // the peer answered an in-dialog request with 481
};
std::string_view to_string(EndReason reason);

namespace session_event {
struct Progress {  // UAC: 101-199 response
  int status = 0;
  std::string reason;
  std::string sdp;  // early media answer, may be empty
};
struct Answered {  // UAC: 2xx received and ACKed
  std::string sdp;
};
struct Confirmed {};    // UAS: the ACK for our 2xx arrived
struct OfferReceived {  // re-INVITE or UPDATE: call answer_offer() or reject_offer()
  Method method = Method::Invite;
  std::string sdp;  // empty: a re-INVITE without offer; our answer_offer() SDP is the offer
};
struct AnswerReceived {  // the answer to the offer we made in a 2xx, carried by the ACK
  std::string sdp;
};
struct ReinviteResult {  // our reinvite() finished (491 glare is retried before this)
  int status = 0;
  std::string sdp;
};
struct Dtmf {  // INFO application/dtmf-relay (or application/dtmf)
  char digit = 0;
  std::chrono::milliseconds duration{0};
};
struct InfoReceived {  // any other INFO (already answered 200)
  std::string content_type;
  std::string body;
};
struct ReferReceived {      // in-dialog REFER (RFC 3515): call accept_refer() or reject_refer()
  std::string target;       // the Refer-To URI, e.g. "sip:1002@192.0.2.1"
  std::string target_user;  // its user part (a tel: URI's number), unescaped
  std::string referred_by;  // the Referred-By value as sent; empty when absent
};
struct Terminated {  // always the last event, exactly once
  EndReason reason = EndReason::LocalHangup;
  int status = 0;
};
}  // namespace session_event

using SessionEvent =
    std::variant<session_event::Progress, session_event::Answered, session_event::Confirmed,
                 session_event::OfferReceived, session_event::AnswerReceived,
                 session_event::ReinviteResult, session_event::Dtmf, session_event::InfoReceived,
                 session_event::ReferReceived, session_event::Terminated>;

// An outgoing call (UAC INVITE).
struct OutgoingCall {
  std::string target;        // Request-URI, e.g. "sip:1001@192.0.2.7:5062"
  std::string from;          // our URI, e.g. "sip:4008001234@192.0.2.1"
  std::string from_display;  // optional display name
  std::string to;            // To URI; empty = target
  std::string sdp;           // the offer (required)
  // Send here instead of resolving `target` (a registered phone behind NAT: the address
  // and connection its REGISTER came from). Requests in the dialog follow it too.
  std::optional<Destination> destination;
  HeaderList headers;  // extra headers, e.g. {"P-Asserted-Identity", "<sip:...>"}
};

enum class [[nodiscard]] SessionStatus : std::uint8_t{
    Ok,
    Gone,             // the session is over (or the handle is empty)
    WrongState,       // not allowed now (e.g. answer() after CANCEL, reinvite() before ACK)
    OfferPending,     // an offer/answer exchange is in progress
    InvalidArgument,  // e.g. a status code outside the allowed range
    SendFailed,       // nothing could send the request
};
std::string_view to_string(SessionStatus status);

class InviteSession {
 public:
  using EventHandler = std::function<void(InviteSession session, const SessionEvent& event)>;

  InviteSession() = default;  // empty: every call returns Gone

  bool alive() const;
  std::uint64_t id() const { return id_; }  // unique per UserAgent, kept when gone; 0 = empty
  SessionRole role() const;
  SessionState state() const;  // Terminated when gone
  // Install before returning from the incoming-call callback to miss no event.
  void set_event_handler(EventHandler handler) const;

  // The INVITE that created the session (received as UAS, sent as UAC); nullptr when gone.
  // Valid until the session ends; do not keep the pointer across events.
  const Message* initial_invite() const;
  std::optional<Inbound> source() const;  // UAS: where the INVITE came from
  std::string call_id() const;

  // UAS before the final response.
  SessionStatus ring(int status = 180, std::string sdp = {}) const;  // 101-199, SDP = 183
  SessionStatus answer(std::string sdp) const;                       // 200 OK with SDP
  SessionStatus reject(int status, std::string reason = {}, HeaderList headers = {}) const;

  // Either side. hangup(): CANCEL (UAC, unanswered), 480 (UAS, unanswered), or BYE.
  SessionStatus hangup() const;
  SessionStatus reinvite(std::string sdp) const;  // result: ReinviteResult
  SessionStatus answer_offer(std::string sdp) const;
  SessionStatus reject_offer(int status = 488) const;
  SessionStatus send_dtmf(char digit, std::chrono::milliseconds duration) const;
  SessionStatus send_info(std::string content_type, std::string body) const;

  // The REFER of the last ReferReceived event. Accepting (202) starts the implicit
  // subscription: report progress with notify_refer() until a final status (>= 200) ends it.
  // A REFER whose Refer-To has URI headers (Replaces: attended transfer) or that is not
  // exactly one Refer-To never reaches the TU (501 / 400).
  SessionStatus accept_refer() const;
  SessionStatus reject_refer(int status, std::string reason = {}) const;  // 300-699
  // NOTIFY (Event: refer, message/sipfrag) saying "SIP/2.0 <status> <reason>". A failed
  // NOTIFY (481, timeout) ends the subscription, never the call.
  SessionStatus notify_refer(int status, std::string reason) const;

  friend bool operator==(const InviteSession& a, const InviteSession& b) {
    return a.id() == b.id();
  }

 private:
  friend class detail::SessionCore;
  friend class UserAgent;
  InviteSession(std::weak_ptr<detail::SessionCore> core, std::uint64_t id)
      : core_(std::move(core)), id_(id) {}
  std::shared_ptr<detail::SessionCore> live() const;

  std::weak_ptr<detail::SessionCore> core_;
  std::uint64_t id_ = 0;
};

}  // namespace kefu::sip
