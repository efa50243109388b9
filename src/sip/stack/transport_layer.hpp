#pragma once
// The stack's side of the transports: parses what they receive, answers malformed requests,
// counts traffic, picks the transport for a send and computes response routing
// (RFC 3261 §18.2.1-§18.2.2 with RFC 3581 rport).
#include <spdlog/logger.h>
#include <memory>
#include <string>
#include <vector>

#include "sip/message.hpp"
#include "sip/stack/counters.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

// Receives parsed messages from the transport layer (the transaction layer).
class MessageReceiver {
 public:
  virtual ~MessageReceiver() = default;
  virtual void on_request(Message request, const Inbound& from) = 0;
  virtual void on_response(Message response, const Inbound& from) = 0;
  virtual void on_send_failed(SendToken token, std::string_view reason) = 0;
};

// How responses to a received request travel back.
struct ResponseRoute {
  Destination destination;
  // The request's top Via value with received= (source address differs from sent-by, or
  // rport was asked for) and rport=<source port> filled in (RFC 3581 §4).
  std::string top_via;
};
ResponseRoute route_response(const Message& request, const Inbound& from);

class TransportLayer final : public TransportSink {
 public:
  TransportLayer(TrafficCounters& counters, std::shared_ptr<spdlog::logger> logger);
  ~TransportLayer() override;
  TransportLayer(const TransportLayer&) = delete;
  TransportLayer& operator=(const TransportLayer&) = delete;

  void set_receiver(MessageReceiver* receiver) { receiver_ = receiver; }

  // `advertised_host` goes into Via sent-by and Contact; empty = the transport's local
  // address (with a warning when that is a wildcard address).
  void add(std::unique_ptr<Transport> transport, std::string advertised_host = {});
  void close_all();

  // Sends a message we built; `method` is the request method or the CSeq method of a
  // response, used for counting. Returns an error text when nothing could send it.
  std::optional<std::string> send(const Destination& to, std::string bytes,
                                  MessageClass message_class, Method method,
                                  SendToken token = SendToken::None);

  // "host:port" this stack is reached at over the transport a send to `to` would use.
  std::optional<std::string> sent_by(const Destination& to) const;
  bool has_transport(TransportKind kind) const;
  TrafficCounters& counters() { return counters_; }
  spdlog::logger& log() { return *logger_; }

  // TransportSink
  void on_received(std::string bytes, const Inbound& from) override;
  void on_stream_error(const Inbound& from, std::string_view reason) override;
  void on_send_failed(SendToken token, std::string_view reason) override;

 private:
  struct Entry {
    std::unique_ptr<Transport> transport;
    std::string sent_by;
  };
  const Entry* select(const Destination& to) const;
  void answer_malformed(const ParseError& error, const Inbound& from);

  TrafficCounters& counters_;
  std::shared_ptr<spdlog::logger> logger_;
  MessageReceiver* receiver_ = nullptr;
  std::vector<Entry> transports_;
};

}  // namespace kefu::sip
