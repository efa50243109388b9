#pragma once
// HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 2617, RFC 7616, RFC 8760): hashing,
// response computation, parsing of Authorization / Proxy-Authorization values and
// formatting of WWW-Authenticate / Proxy-Authenticate challenges.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kefu::sip {

enum class DigestAlgorithm : std::uint8_t { Md5, Md5Sess, Sha256, Sha256Sess };
// Case-insensitive: "MD5", "MD5-sess", "SHA-256", "SHA-256-sess".
std::optional<DigestAlgorithm> digest_algorithm_from_string(std::string_view name);
std::string_view to_string(DigestAlgorithm algorithm);

// Lower-case hex of MD5 or SHA-256 (the -sess variants hash the same way).
std::string digest_hash(DigestAlgorithm algorithm, std::string_view data);

// Everything a digest response is computed from. qop empty = RFC 2069 style (no nc/cnonce).
struct DigestInput {
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;
  std::string_view username;
  std::string_view realm;
  std::string_view password;
  std::string_view method;  // "REGISTER"
  std::string_view uri;     // the digest-uri as the client sent it
  std::string_view nonce;
  std::string_view qop;     // "auth" or empty
  std::string_view nc;      // 8 hex digits, with qop
  std::string_view cnonce;  // with qop (and always for -sess)
};
// request-digest of RFC 7616 §3.4.1 (RFC 2617 §3.2.2.1), lower-case hex.
std::string compute_digest_response(const DigestInput& input);

// Credentials from an Authorization or Proxy-Authorization header value. Quoted strings are
// unquoted and their backslash escapes removed.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  // empty = not given (means MD5)
  std::string cnonce;
  std::string opaque;
  std::string qop;
  std::string nc;
  bool userhash = false;
};

enum class CredentialsError : std::uint8_t {
  NotDigest,  // another scheme (RFC 4475 regaut01): ignore these credentials
  Malformed,  // Digest, but not parseable as auth-params
};
Result<DigestCredentials, CredentialsError> parse_digest_credentials(std::string_view value);

enum class Stale : std::uint8_t { No, Yes };
// One challenge: Digest realm="...", nonce="...", algorithm=..., qop="auth"[, stale=true]
std::string format_digest_challenge(std::string_view realm, std::string_view nonce,
                                    DigestAlgorithm algorithm, Stale stale);

// "..." with '"' and '\' escaped (RFC 3261 §25.1 quoted-pair).
std::string quote(std::string_view text);

}  // namespace kefu::sip
