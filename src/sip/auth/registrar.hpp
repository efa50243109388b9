#pragma once
// Registrar and location service (RFC 3261 §10.3): REGISTER in, response text out; bindings
// per address-of-record with their own expiry; lookup for routing calls to agents' phones;
// binding events so presence can follow registrations.
//
// kefu is a single-domain registrar: bindings are keyed by the AOR's user part (the agent's
// extension), and the host parts listed in RegistrarConfig::domains are aliases of one domain.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/auth/authenticator.hpp"
#include "sip/auth/nonce.hpp"
#include "sip/auth/source_address.hpp"
#include "sip/message.hpp"

namespace kefu::sip {

struct RegistrarConfig {
  std::vector<std::string> domains;  // To/Request-URI hosts we serve; empty = any host
  std::chrono::seconds default_expires{3600};
  std::chrono::seconds min_expires{60};    // shorter non-zero requests get 423 (RFC 3261 §10.3.7)
  std::chrono::seconds max_expires{7200};  // longer requests are shortened
  std::size_t max_contacts_per_aor = 10;
  std::size_t max_aors = 100000;
};

struct Binding {
  std::string aor;             // "sip:1001@example.com", from To without parameters
  std::string user;            // "1001", the AOR's unescaped user part (the lookup key)
  std::string contact_uri;     // exactly as written, e.g. with escaped "?Route=" headers
  std::string contact_params;  // ";q=0.5;+sip.instance=..." as written, without expires
  std::optional<std::uint16_t> q_thousandths;  // q=0.5 -> 500; nullopt = not given
  std::string call_id;
  std::uint32_t cseq = 0;
  std::chrono::steady_clock::time_point expires_at{};
  SourceAddress source;  // where the REGISTER came from: reach phones behind NAT here

  std::chrono::seconds remaining(std::chrono::steady_clock::time_point now) const;
};

enum class BindingEventKind : std::uint8_t { Added, Refreshed, Removed, Expired };
std::string_view to_string(BindingEventKind kind);

struct BindingEvent {
  BindingEventKind kind = BindingEventKind::Added;
  std::string aor;
  std::string user;
  std::string contact_uri;
  SourceAddress source;
};
using BindingListener = std::function<void(const BindingEvent&)>;

// A registrar answer without the headers copied from the request (Via, From, To, Call-ID,
// CSeq): what a transaction layer that builds those itself needs.
struct RegisterResponse {
  int status = 200;
  std::string reason;  // empty = the default phrase
  std::vector<std::pair<std::string, std::string>> headers;
};

class Registrar {
 public:
  // authenticator == nullptr: every registration is accepted without credentials (a trusted
  // network or a test). Otherwise it must outlive the registrar.
  Registrar(RegistrarConfig config, Authenticator* authenticator, SteadyNow now);

  // Events are delivered synchronously, after the registrar's state is updated.
  void set_listener(BindingListener listener) { listener_ = std::move(listener); }

  // Handles one REGISTER received from `source`; returns the whole response text.
  std::string handle(const Message& request, const SourceAddress& source);
  // The same, as status, reason and the registrar's own headers (Contact, WWW-Authenticate,
  // Min-Expires, ...) for a transaction layer that adds the request's headers itself.
  RegisterResponse respond_to(const Message& request, const SourceAddress& source);

  // Current bindings of "1001" or "sip:1001@host", highest q first, then most recent.
  std::vector<Binding> lookup(std::string_view aor_or_user) const;
  // Removes bindings whose time ran out, reporting each as Expired. Call from a timer armed
  // for next_expiry(); lookups already skip expired bindings.
  std::size_t remove_expired();
  std::optional<std::chrono::steady_clock::time_point> next_expiry() const;
  std::size_t binding_count() const;

 private:
  RegisterResponse respond(const Message& request, int status, std::string_view reason = {},
                           const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  RegisterResponse respond_ok(const Message& request, const std::string& user) const;
  RegisterResponse remove_all(const Message& request, const std::string& user);
  RegisterResponse update_bindings(const Message& request, const SourceAddress& source,
                              const std::string& user);
  void expire_user(const std::string& user);
  void emit(BindingEventKind kind, const Binding& binding);

  RegistrarConfig config_;
  Authenticator* authenticator_;
  SteadyNow now_;
  BindingListener listener_;
  std::map<std::string, std::vector<Binding>, std::less<>> bindings_;  // by user
};

}  // namespace kefu::sip
