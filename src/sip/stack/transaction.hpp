#pragma once
// RFC 3261 §17 transactions with the RFC 6026 "Accepted" states: INVITE client (Timers A, B,
// D, M), non-INVITE client (E, F, K), INVITE server (G, H, I, L; 100 Trying after a delay),
// non-INVITE server (J). Owned by the TransactionLayer through shared_ptr; timers and the
// transport refer back by weak_ptr, so a late event finds the transaction gone.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sip/message.hpp"
#include "sip/stack/timer.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

class TransactionLayer;

struct TimerConfig {
  Duration t1 = std::chrono::milliseconds(500);  // RTT estimate
  Duration t2 = std::chrono::seconds(4);         // cap on non-INVITE retransmit interval
  Duration t4 = std::chrono::seconds(5);         // how long a message stays in the network
  Duration timer_d = std::chrono::seconds(32);   // unreliable INVITE client Completed wait
  // 100 Trying for an INVITE the TU has not answered yet (§17.2.1: "200 ms"). Zero = at once.
  Duration trying_delay = std::chrono::milliseconds(200);
  // A non-INVITE request the TU leaves unanswered this long gets a 500, so a forgetful TU
  // cannot leak transactions (the client gave up after 64*T1 anyway).
  Duration non_invite_tu_limit = std::chrono::seconds(32);

  Duration timeout() const { return 64 * t1; }  // Timers B, F, H, J, L, M
};

enum class TransactionState : std::uint8_t {
  Calling,     // INVITE client: request sent, nothing heard
  Trying,      // non-INVITE: nothing heard (client) / nothing answered (server)
  Proceeding,  // provisional response seen or sent
  Accepted,    // INVITE 2xx seen or sent (RFC 6026)
  Completed,   // final non-2xx (INVITE) or any final (non-INVITE)
  Confirmed,   // INVITE server: ACK received
  Terminated,
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A response for the server transaction to build (§8.2.6): Via (with received/rport), From,
// To (+tag), Call-ID, CSeq and, for 101-299, Record-Route are copied from the request.
struct ResponseSpec {
  int status = 200;
  std::string reason;  // empty = the default phrase
  HeaderList headers;  // added as given (Contact, Allow, Unsupported, ...)
  std::string content_type;
  std::string body;
};

class ServerTransaction : public std::enable_shared_from_this<ServerTransaction> {
 public:
  ServerTransaction(TransactionLayer& layer, std::string key, Message request, const Inbound& from,
                    std::string local_tag);
  ~ServerTransaction();
  ServerTransaction(const ServerTransaction&) = delete;
  ServerTransaction& operator=(const ServerTransaction&) = delete;

  const Message& request() const { return request_; }
  const Inbound& source() const { return source_; }
  TransactionState state() const { return state_; }
  bool is_invite() const { return invite_; }
  int last_status() const { return last_status_; }
  bool answered() const { return last_status_ >= 200; }  // a final response was sent
  // The To tag our responses carry: the request's own, or one generated for it.
  std::string_view local_tag() const { return local_tag_; }
  const Destination& response_destination() const { return response_destination_; }

  // Builds and sends a response. False when the state does not allow one (already final,
  // terminated); a 2xx to an INVITE in Accepted is re-sent (the TU's retransmissions).
  bool respond(const ResponseSpec& response);
  std::string build_response(const ResponseSpec& response) const;
  // The last response sent, as bytes (the TU retransmits an INVITE 2xx from it).
  const std::string& last_response() const { return last_response_; }

  // An id the TU may attach (the session that owns an INVITE), for CANCEL matching.
  std::uint64_t owner_id = 0;

 private:
  friend class TransactionLayer;
  void start();
  void on_retransmission();
  void on_ack();
  void send_last();
  void enter_completed_invite();
  void fire_timer_g();
  void terminate();

  TransactionLayer& layer_;
  std::string key_;
  std::string merge_key_;
  Message request_;
  Inbound source_;
  Destination response_destination_;
  std::string top_via_;
  std::string local_tag_;
  bool invite_;
  TransactionState state_;
  int last_status_ = 0;
  std::string last_response_;
  Duration retransmit_interval_{};
  ScopedTimer trying_timer_;      // INVITE: automatic 100; non-INVITE: TU time limit
  ScopedTimer retransmit_timer_;  // G
  ScopedTimer timeout_timer_;     // H, I, J, L
};

// What the TU of a client transaction hears: a response, or a locally generated 408 (Timer B
// or F fired) / 503 (transport error) with no message (RFC 3261 §8.1.3.1, §17.1.4).
struct ClientResponse {
  int status = 0;
  const Message* message = nullptr;
};
using ResponseHandler = std::function<void(const ClientResponse&)>;

class ClientTransaction : public std::enable_shared_from_this<ClientTransaction> {
 public:
  ClientTransaction(TransactionLayer& layer, std::string key, Message request, std::string bytes,
                    const Destination& destination, ResponseHandler handler);
  ~ClientTransaction();
  ClientTransaction(const ClientTransaction&) = delete;
  ClientTransaction& operator=(const ClientTransaction&) = delete;

  const Message& request() const { return request_; }
  const Destination& destination() const { return destination_; }
  TransactionState state() const { return state_; }
  bool is_invite() const { return invite_; }
  std::string_view branch() const;
  // The TU no longer wants callbacks (its session ended); the transaction still runs to
  // completion so ACKs and retransmissions behave.
  void detach() { detached_ = true; }

 private:
  friend class TransactionLayer;
  void start();
  void on_response(const Message& response);
  void on_transport_error();
  void fire_retransmit();
  void send_request();
  void send_ack(const Message& response);
  void send_ack_again();
  void deliver(const ClientResponse& response);
  void terminate();

  TransactionLayer& layer_;
  std::string key_;
  Message request_;
  std::string bytes_;
  Destination destination_;
  ResponseHandler handler_;
  bool detached_ = false;
  bool invite_;
  TransactionState state_;
  SendToken token_ = SendToken::None;
  std::string ack_;  // ACK for a non-2xx final, re-sent on retransmitted finals
  Duration retransmit_interval_{};
  ScopedTimer retransmit_timer_;  // A, E
  ScopedTimer timeout_timer_;     // B, F, D, K, M
};

}  // namespace kefu::sip
