#pragma once
// Dialog state, RFC 3261 §12: identifiers, CSeq counters, route set, remote target, and the
// construction of requests within the dialog (§12.2.1.1).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "sip/message.hpp"
#include "sip/stack/transaction.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::sip {

// Where a SIP URI sends to without DNS: sip: with an IP literal host, port 5060 unless
// given, ;transport=udp|tcp. Hostnames are refused (no resolver yet).
Result<Destination, std::string> resolve_uri(const Uri& uri);
Result<Destination, std::string> resolve_uri(std::string_view uri_text);

class Dialog {
 public:
  // UAS side (§12.1.1), from the dialog-creating request and the To tag we answer with.
  static Dialog as_uas(const Message& request, std::string_view local_tag);
  // UAC side (§12.1.2), from our request and the response that carries the remote tag.
  static Dialog as_uac(const Message& request, const Message& response);

  // "Call-ID|local tag|remote tag", the key dialogs are found by.
  static std::string key_of(std::string_view call_id, std::string_view local_tag,
                            std::string_view remote_tag);
  std::string key() const { return key_of(call_id_, local_tag_, remote_tag_); }

  const std::string& call_id() const { return call_id_; }
  const std::string& local_tag() const { return local_tag_; }
  const std::string& remote_tag() const { return remote_tag_; }
  const std::string& remote_target() const { return remote_target_; }
  const std::vector<std::string>& route_set() const { return route_set_; }

  std::uint32_t next_cseq() { return ++local_cseq_; }
  std::uint32_t local_cseq() const { return local_cseq_; }
  // §12.2.2: a request with a CSeq lower than (or equal to) the last one is out of order.
  // Records the number when it is in order.
  bool accept_remote_cseq(std::uint32_t number);

  // Target refresh (§12.2): the Contact of a re-INVITE, UPDATE or their 2xx.
  void refresh_target(const Message& message);

  // Requests within the dialog always go here (a registered phone behind NAT).
  void set_fixed_destination(const Destination& to) { fixed_destination_ = to; }
  // Used when the next hop cannot be resolved (a host name): where the peer was last heard.
  void set_fallback_destination(const Destination& to) { fallback_destination_ = to; }
  Result<Destination, std::string> destination() const;

  // A request within the dialog, without Via (the transaction layer adds it). `contact`
  // (a full header value) is added when not empty.
  std::string build_request(Method method, std::uint32_t cseq, std::string_view contact,
                            const HeaderList& headers, std::string_view content_type,
                            std::string_view body) const;

 private:
  Dialog() = default;

  std::string call_id_;
  std::string local_tag_;
  std::string remote_tag_;
  std::string local_header_;   // our From value in requests, with our tag
  std::string remote_header_;  // our To value in requests, with the remote tag
  std::string remote_target_;
  std::vector<std::string> route_set_;  // name-addr values, in the order requests use them
  std::uint32_t local_cseq_ = 0;
  std::optional<std::uint32_t> remote_cseq_;
  std::optional<Destination> fixed_destination_;
  std::optional<Destination> fallback_destination_;
};

}  // namespace kefu::sip
