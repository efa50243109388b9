#include "sip/auth/authenticator.hpp"

#include <openssl/crypto.h>

namespace kefu::sip {
namespace {

// Hashed in place of a password for unknown users, so they cost what a wrong password costs.
constexpr std::string_view kNoSuchUserPassword = "\x01no-such-user\x01";

std::optional<std::uint32_t> parse_nonce_count(std::string_view text) {
  if (text.size() != 8) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = value << 4 | digit;
  }
  return value;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// RFC 7616 §3.4.6: the digest-uri must name the request's target. Phones copy the
// Request-URI verbatim; tolerate differences in case and parameters, not in the target.
bool digest_uri_matches(std::string_view digest_uri, const Uri& request_uri) {
  if (digest_uri == request_uri.text) return true;
  auto parsed = Uri::parse(digest_uri);
  if (!parsed || parsed->scheme != request_uri.scheme) return false;
  if (parsed->scheme == Scheme::Other) return iequals(parsed->text, request_uri.text);
  return unescape(parsed->user) == unescape(request_uri.user) &&
         iequals(parsed->host, request_uri.host) && parsed->port == request_uri.port;
}

bool uses_session_hash(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::Md5Sess || algorithm == DigestAlgorithm::Sha256Sess;
}

AuthDecision reject(int status, std::string reason) {
  AuthDecision decision;
  decision.kind = AuthDecision::Kind::Reject;
  decision.status = status;
  decision.reason = std::move(reason);
  return decision;
}

}  // namespace

std::string_view to_string(SourceTransport transport) {
  switch (transport) {
    case SourceTransport::Udp:
      return "UDP";
    case SourceTransport::Tcp:
      return "TCP";
    case SourceTransport::Tls:
      return "TLS";
    case SourceTransport::Ws:
      return "WS";
    case SourceTransport::Wss:
      return "WSS";
  }
  return "UDP";
}

Authenticator::Authenticator(AuthConfig config, std::string nonce_secret,
                             const CredentialStore& credentials, SteadyNow now)
    : config_(std::move(config)),
      nonces_(std::move(nonce_secret), config_.nonce_lifetime, now),
      nonce_counts_(config_.max_tracked_nonces),
      throttle_(config_.throttle, now),
      credentials_(credentials),
      now_(std::move(now)) {
  if (config_.challenge_algorithms.empty())
    config_.challenge_algorithms = AuthConfig{}.challenge_algorithms;
}

AuthDecision Authenticator::challenge(const SourceAddress& source, ChallengeKind kind,
                                      Stale stale) const {
  AuthDecision decision;
  decision.kind = AuthDecision::Kind::Challenge;
  const bool www = kind == ChallengeKind::Www;
  decision.status = www ? 401 : 407;
  decision.reason = www ? "Unauthorized" : "Proxy Authentication Required";
  const std::string header = www ? "WWW-Authenticate" : "Proxy-Authenticate";
  const std::string nonce = nonces_.issue(source.ip);
  // RFC 8760 §2.4: the preferred (strongest) algorithm's challenge comes first.
  for (auto algorithm : config_.challenge_algorithms) {
    decision.headers.emplace_back(header,
                                  format_digest_challenge(config_.realm, nonce, algorithm, stale));
  }
  return decision;
}

AuthDecision Authenticator::check(const Message& request, const SourceAddress& source,
                                  ChallengeKind kind) {
  if (throttle_.is_blocked(source.ip)) return reject(403, "Forbidden");

  const HeaderId wanted =
      kind == ChallengeKind::Www ? HeaderId::Authorization : HeaderId::ProxyAuthorization;
  std::optional<DigestCredentials> found;
  for (const auto& field : request.headers()) {
    if (field.id != wanted) continue;
    auto parsed = parse_digest_credentials(field.value);
    // Other schemes (RFC 4475 regaut01), unparseable values and other realms are ignored.
    if (!parsed || parsed->realm != config_.realm) continue;
    found = std::move(parsed.value());
    break;
  }
  if (!found) return challenge(source, kind, Stale::No);
  const DigestCredentials& credentials = *found;

  auto algorithm = credentials.algorithm.empty()
                       ? std::optional<DigestAlgorithm>(DigestAlgorithm::Md5)
                       : digest_algorithm_from_string(credentials.algorithm);
  if (!algorithm || credentials.userhash || credentials.username.empty() ||
      credentials.nonce.empty() || credentials.response.empty()) {
    return challenge(source, kind, Stale::No);
  }
  std::optional<std::uint32_t> nonce_count;
  if (!credentials.qop.empty()) {
    nonce_count = parse_nonce_count(credentials.nc);
    if (!iequals(credentials.qop, "auth") || !nonce_count || credentials.cnonce.empty()) {
      return challenge(source, kind, Stale::No);
    }
  } else if (config_.legacy_digest == LegacyDigest::Refused ||
             (uses_session_hash(*algorithm) && credentials.cnonce.empty())) {
    return challenge(source, kind, Stale::No);
  }
  if (!digest_uri_matches(credentials.uri, request.request_uri())) {
    return reject(400, "Bad Request (digest URI does not match Request-URI)");
  }

  // A nonce we did not issue to this address proves nothing and is not checked further:
  // checking the digest would let a guesser skip the nonce round trip and the throttle.
  const CheckedNonce nonce = nonces_.check(credentials.nonce, source.ip);
  if (nonce.state == NonceState::Invalid) return challenge(source, kind, Stale::No);

  const auto password = credentials_.password(credentials.username);
  DigestInput input;
  input.algorithm = *algorithm;
  input.username = credentials.username;
  input.realm = config_.realm;
  input.password = password ? std::string_view(*password) : kNoSuchUserPassword;
  input.method = request.method_text();
  input.uri = credentials.uri;
  input.nonce = credentials.nonce;
  input.qop = credentials.qop.empty() ? std::string_view() : std::string_view("auth");
  input.nc = credentials.nc;
  input.cnonce = credentials.cnonce;
  const std::string expected = compute_digest_response(input);
  const std::string given = lower(credentials.response);
  const bool digest_matches = expected.size() == given.size() &&
                              CRYPTO_memcmp(expected.data(), given.data(), given.size()) == 0;
  if (!password || !digest_matches) {
    throttle_.record_failure(source.ip);
    return challenge(source, kind, Stale::No);
  }
  // Right password, old nonce: stale=true lets the phone retry without asking its user.
  if (nonce.state == NonceState::Expired) return challenge(source, kind, Stale::Yes);
  if (nonce_count) {
    nonce_counts_.forget_issued_before(now_() - config_.nonce_lifetime);
    if (nonce_counts_.accept(credentials.nonce, nonce.issued_at, *nonce_count) !=
        NonceCountTracker::Verdict::Accepted) {
      return challenge(source, kind, Stale::Yes);
    }
  }
  AuthDecision decision;
  decision.kind = AuthDecision::Kind::Authenticated;
  decision.username = credentials.username;
  return decision;
}

std::string Authenticator::build_response(const Message& request, const AuthDecision& decision) {
  auto builder = MessageBuilder::response_to(request, decision.status, decision.reason,
                                             response_to_tag(request));
  for (const auto& [name, value] : decision.headers) builder.header(name, value);
  return builder.build();
}

std::string response_to_tag(const Message& request) {
  std::string seed(request.call_id());
  seed += '\n';
  seed += request.from().tag().value_or("");
  return digest_hash(DigestAlgorithm::Sha256, seed).substr(0, 16);
}

}  // namespace kefu::sip
