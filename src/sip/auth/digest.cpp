#include "sip/auth/digest.hpp"

#include <openssl/evp.h>

#include <array>

namespace kefu::sip {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Reads auth-params one by one: name = token / quoted-string, separated by commas.
class AuthParamReader {
 public:
  explicit AuthParamReader(std::string_view text) : text_(text) {}

  std::string_view scheme() {
    skip_space();
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_token_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  enum class Step : std::uint8_t { Param, End, Error };
  Step next(std::string_view& name, std::string& value) {
    skip_space_and_commas();
    if (pos_ >= text_.size()) return Step::End;
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_token_char(text_[pos_])) ++pos_;
    name = text_.substr(start, pos_ - start);
    if (name.empty()) return Step::Error;
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '=') return Step::Error;
    ++pos_;
    skip_space();
    value.clear();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) return Step::Error;  // unterminated
        char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\\') {
          if (pos_ >= text_.size()) return Step::Error;
          c = text_[pos_++];
        }
        value += c;
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != ',' && !is_space(text_[pos_])) {
        value += text_[pos_++];
      }
      if (value.empty()) return Step::Error;
    }
    skip_space();
    if (pos_ < text_.size() && text_[pos_] != ',') return Step::Error;
    return Step::Param;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  void skip_space_and_commas() {
    while (pos_ < text_.size() && (is_space(text_[pos_]) || text_[pos_] == ',')) ++pos_;
  }
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<DigestAlgorithm> digest_algorithm_from_string(std::string_view name) {
  if (iequal(name, "MD5")) return DigestAlgorithm::Md5;
  if (iequal(name, "MD5-sess")) return DigestAlgorithm::Md5Sess;
  if (iequal(name, "SHA-256")) return DigestAlgorithm::Sha256;
  if (iequal(name, "SHA-256-sess")) return DigestAlgorithm::Sha256Sess;
  return std::nullopt;
}

std::string_view to_string(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::Md5:
      return "MD5";
    case DigestAlgorithm::Md5Sess:
      return "MD5-sess";
    case DigestAlgorithm::Sha256:
      return "SHA-256";
    case DigestAlgorithm::Sha256Sess:
      return "SHA-256-sess";
  }
  return "MD5";
}

std::string digest_hash(DigestAlgorithm algorithm, std::string_view data) {
  const bool md5 = algorithm == DigestAlgorithm::Md5 || algorithm == DigestAlgorithm::Md5Sess;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, md5 ? EVP_md5() : EVP_sha256(),
                 nullptr) != 1) {
    return {};  // an empty hash never matches a client's response
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::string compute_digest_response(const DigestInput& in) {
  auto join = [](std::initializer_list<std::string_view> parts) {
    std::string text;
    bool first = true;
    for (auto part : parts) {
      if (!first) text += ':';
      text += part;
      first = false;
    }
    return text;
  };
  std::string ha1 = digest_hash(in.algorithm, join({in.username, in.realm, in.password}));
  if (in.algorithm == DigestAlgorithm::Md5Sess || in.algorithm == DigestAlgorithm::Sha256Sess) {
    ha1 = digest_hash(in.algorithm, join({ha1, in.nonce, in.cnonce}));
  }
  const std::string ha2 = digest_hash(in.algorithm, join({in.method, in.uri}));
  if (in.qop.empty()) return digest_hash(in.algorithm, join({ha1, in.nonce, ha2}));
  return digest_hash(in.algorithm, join({ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2}));
}

Result<DigestCredentials, CredentialsError> parse_digest_credentials(std::string_view value) {
  AuthParamReader reader(value);
  if (!iequal(reader.scheme(), "Digest")) return unexpected(CredentialsError::NotDigest);

  DigestCredentials credentials;
  struct Slot {
    std::string_view name;
    std::string* target;
    bool seen;
  };
  std::string userhash;
  std::array<Slot, 11> slots = {{{"username", &credentials.username, false},
                                 {"realm", &credentials.realm, false},
                                 {"nonce", &credentials.nonce, false},
                                 {"uri", &credentials.uri, false},
                                 {"response", &credentials.response, false},
                                 {"algorithm", &credentials.algorithm, false},
                                 {"cnonce", &credentials.cnonce, false},
                                 {"opaque", &credentials.opaque, false},
                                 {"qop", &credentials.qop, false},
                                 {"nc", &credentials.nc, false},
                                 {"userhash", &userhash, false}}};
  std::string_view name;
  std::string param;
  while (true) {
    auto step = reader.next(name, param);
    if (step == AuthParamReader::Step::End) break;
    if (step == AuthParamReader::Step::Error) return unexpected(CredentialsError::Malformed);
    for (auto& slot : slots) {
      if (!iequal(slot.name, name)) continue;
      if (slot.seen) return unexpected(CredentialsError::Malformed);  // RFC 7616 §3.4: once
      slot.seen = true;
      *slot.target = param;
    }
  }
  credentials.userhash = iequal(userhash, "true");
  return credentials;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_digest_challenge(std::string_view realm, std::string_view nonce,
                                    DigestAlgorithm algorithm, Stale stale) {
  std::string text = "Digest realm=" + quote(realm) + ", nonce=" + quote(nonce) +
                     ", algorithm=" + std::string(to_string(algorithm)) + ", qop=\"auth\"";
  if (stale == Stale::Yes) text += ", stale=true";
  return text;
}

}  // namespace kefu::sip
