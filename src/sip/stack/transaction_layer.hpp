#pragma once
// Matches messages to transactions (RFC 3261 §17.1.3, §17.2.3 with the RFC 2543 fallback),
// creates server transactions for new requests, answers CANCEL (§9.2) and merged requests
// (§8.2.2.2, 482) itself, and hands everything else to the transaction user (the UA core).
#include <memory>
#include <string>
#include <unordered_map>

#include "common/result.hpp"
#include "sip/stack/random.hpp"
#include "sip/stack/transaction.hpp"
#include "sip/stack/transport_layer.hpp"

namespace kefu::sip {

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A request that starts a server transaction (neither ACK nor CANCEL).
  virtual void on_request(const std::shared_ptr<ServerTransaction>& transaction) = 0;
  // A CANCEL matched this unanswered INVITE server transaction; the CANCEL got its 200.
  virtual void on_cancel(const std::shared_ptr<ServerTransaction>& invite) = 0;
  // An ACK no transaction absorbed: the ACK for a 2xx (§13.3.1.4, §17.2.3).
  virtual void on_ack(const Message& ack, const Inbound& from) = 0;
  // A response no client transaction matched: a 2xx retransmission after Timer M (§13.2.2.4).
  virtual void on_stray_response(const Message& response, const Inbound& from) = 0;
};

class TransactionLayer final : public MessageReceiver {
 public:
  TransactionLayer(TransportLayer& transport, TimerService& timers, const TimerConfig& config,
                   TransactionUser& user, RandomSource& random, std::string server_name);
  ~TransactionLayer() override;
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // Starts a client transaction. `request` is built without Via: the layer adds the top Via
  // with a new branch (and rport) for the transport the destination selects. The error text
  // says why the request could not be sent (it did not parse, no transport, send failed).
  Result<std::shared_ptr<ClientTransaction>, std::string> start_client(std::string request,
                                                                       const Destination& to,
                                                                       ResponseHandler handler);
  // CANCEL for an INVITE client transaction (§9.1): same Via branch, its own transaction.
  Result<std::shared_ptr<ClientTransaction>, std::string> start_cancel(
      const ClientTransaction& invite, ResponseHandler handler);
  // Sends a request outside any transaction (the ACK for a 2xx) with a new Via. Returns the
  // bytes sent so the caller can re-send them.
  Result<std::string, std::string> send_stateless(std::string request, const Destination& to);

  std::size_t server_count() const { return servers_.size(); }
  std::size_t client_count() const { return clients_.size(); }

  TimerService& timers() { return timers_; }
  TransportLayer& transport() { return transport_; }
  const TimerConfig& config() const { return config_; }
  RandomSource& random() { return random_; }
  const std::string& server_name() const { return server_name_; }
  std::string new_branch() { return "z9hG4bK" + random_.hex(16); }

  // MessageReceiver
  void on_request(Message request, const Inbound& from) override;
  void on_response(Message response, const Inbound& from) override;
  void on_send_failed(SendToken token, std::string_view reason) override;

 private:
  friend class ServerTransaction;
  friend class ClientTransaction;

  void on_ack_request(const Message& ack, const Inbound& from);
  void on_cancel_request(Message cancel, const Inbound& from);
  std::shared_ptr<ServerTransaction> create_server(std::string key, Message request,
                                                   const Inbound& from, std::string local_tag);
  Result<std::shared_ptr<ClientTransaction>, std::string> launch(std::string bytes,
                                                                 const Destination& to,
                                                                 ResponseHandler handler);
  std::optional<std::string> via_for(const Destination& to, std::string_view branch) const;
  void remove(const ServerTransaction& transaction);
  void remove(const ClientTransaction& transaction);

  TransportLayer& transport_;
  TimerService& timers_;
  TimerConfig config_;
  TransactionUser& user_;
  RandomSource& random_;
  std::string server_name_;
  std::unordered_map<std::string, std::shared_ptr<ServerTransaction>> servers_;
  std::unordered_map<std::string, std::shared_ptr<ClientTransaction>> clients_;
  // §8.2.2.2: From tag + Call-ID + CSeq of requests without To tag -> their transaction key.
  std::unordered_map<std::string, std::string> merge_index_;
  std::unordered_map<std::uint64_t, std::weak_ptr<ClientTransaction>> tokens_;
  std::uint64_t next_token_ = 1;
};

// Transaction keys, exposed for tests. A branch is RFC 3261-style when it starts with the
// magic cookie and has something after it (RFC 4475 badbranch has nothing).
bool is_rfc3261_branch(std::string_view branch);
std::string server_key(const Message& request, Method method);
std::string client_key(std::string_view branch, Method method, std::string_view method_text);

}  // namespace kefu::sip
