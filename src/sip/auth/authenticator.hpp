#pragma once
// Digest authentication of SIP requests (RFC 3261 §22) for the registrar and for any other
// request kefu authenticates (INVITE from agents' phones, ...).
//
// Security properties (docs/adr/0003-registrar-security.md):
// - stateless nonces bound to the client address (nonce.hpp); expired nonces with a correct
//   digest get stale=true so phones retry silently;
// - nonce-count replay detection in bounded memory;
// - unknown users and wrong passwords take the same path and produce the same challenge;
// - per-address failure throttle (failure_throttle.hpp) answering 403 while blocked.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/auth/credential_store.hpp"
#include "sip/auth/digest.hpp"
#include "sip/auth/failure_throttle.hpp"
#include "sip/auth/nonce.hpp"
#include "sip/auth/source_address.hpp"
#include "sip/message.hpp"

namespace kefu::sip {

// RFC 2069 clients send no qop (so no nonce-count): allowed for old phones, at the price of
// no replay detection within a nonce's lifetime.
enum class LegacyDigest : std::uint8_t { Allowed, Refused };
// 401 + WWW-Authenticate (registrar, UAS) or 407 + Proxy-Authenticate (proxy role).
enum class ChallengeKind : std::uint8_t { Www, Proxy };

struct AuthConfig {
  std::string realm = "kefu";
  std::chrono::seconds nonce_lifetime{300};
  LegacyDigest legacy_digest = LegacyDigest::Allowed;
  std::size_t max_tracked_nonces = 16384;
  ThrottleConfig throttle;
  // One challenge header per algorithm, in this order. RFC 8760 §2.4 wants the preferred one
  // first. Older clients break on it: SIPp 3.6 answers only the first challenge and knows only
  // MD5 (so needs MD5 first); baresip 1.0 / libre 1.1 (Debian 12) fails the whole
  // registration if any challenge is SHA-256 (so needs {Md5} alone). Empty = the default.
  std::vector<DigestAlgorithm> challenge_algorithms = {DigestAlgorithm::Sha256,
                                                       DigestAlgorithm::Md5};
};

struct AuthDecision {
  enum class Kind : std::uint8_t { Authenticated, Challenge, Reject };
  Kind kind = Kind::Challenge;
  std::string username;  // Authenticated only
  int status = 0;        // Challenge: 401/407; Reject: 400 or 403
  std::string reason;    // reason phrase for the response
  std::vector<std::pair<std::string, std::string>> headers;  // challenge headers, in order

  bool authenticated() const { return kind == Kind::Authenticated; }
};

class Authenticator {
 public:
  // nonce_secret: HMAC key for nonces; share it between nodes that share clients. Empty =
  // random per process. `credentials` must outlive the authenticator.
  Authenticator(AuthConfig config, std::string nonce_secret, const CredentialStore& credentials,
                SteadyNow now);

  AuthDecision check(const Message& request, const SourceAddress& source,
                     ChallengeKind kind = ChallengeKind::Www);
  // A fresh challenge (e.g. for a request that must be authenticated anew).
  AuthDecision challenge(const SourceAddress& source, ChallengeKind kind, Stale stale) const;
  bool is_blocked(std::string_view ip) const { return throttle_.is_blocked(ip); }

  // Response text for a Challenge or Reject decision.
  static std::string build_response(const Message& request, const AuthDecision& decision);

  const AuthConfig& config() const { return config_; }
  const FailureThrottle& throttle() const { return throttle_; }

 private:
  AuthConfig config_;
  NonceIssuer nonces_;
  NonceCountTracker nonce_counts_;
  FailureThrottle throttle_;
  const CredentialStore& credentials_;
  SteadyNow now_;
};

// A To tag derived from the request (Call-ID, From tag), so a retransmitted request that
// reaches us again gets the same tag; used for out-of-dialog responses such as 401 and 200.
std::string response_to_tag(const Message& request);

}  // namespace kefu::sip
