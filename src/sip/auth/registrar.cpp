#include "sip/auth/registrar.hpp"

#include <algorithm>

namespace kefu::sip {
namespace {

// delta-seconds (RFC 3261 §25.1); values past what we could ever grant saturate.
std::optional<std::uint64_t> parse_delta_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min<std::uint64_t>(value * 10 + static_cast<std::uint64_t>(c - '0'), 0xffffffffu);
  }
  return value;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths.
std::optional<std::uint16_t> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  std::uint16_t value = text[0] == '1' ? 1000 : 0;
  if (text.size() == 1) return value;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  std::uint16_t scale = 100;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9' || (value == 1000 && c != '0')) return std::nullopt;
    value = static_cast<std::uint16_t>(value + (c - '0') * scale);
    scale = static_cast<std::uint16_t>(scale / 10);
  }
  return value;
}

bool param_equal(const std::vector<Param>& a, const std::vector<Param>& b, std::string_view name,
                 bool must_be_in_both) {
  auto va = find_param(a, name);
  auto vb = find_param(b, name);
  if (!va && !vb) return true;
  if (!va || !vb) return !must_be_in_both;
  return iequals(*va, *vb);
}

// URI equality of RFC 3261 §19.1.4, enough to recognise a phone's contact on refresh.
bool same_uri(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  if (a.scheme == Scheme::Other) return iequals(a.text, b.text);
  if (unescape(a.user) != unescape(b.user) || unescape(a.password) != unescape(b.password) ||
      !iequals(a.host, b.host) || a.port != b.port || unescape(a.headers) != unescape(b.headers)) {
    return false;
  }
  for (std::string_view name : {"user", "ttl", "method", "maddr", "transport"}) {
    if (!param_equal(a.params, b.params, name, true)) return false;
  }
  for (const auto& param : a.params) {
    if (!param_equal(a.params, b.params, param.name, false)) return false;
  }
  return true;
}

bool same_contact(std::string_view stored, const Uri& uri) {
  auto parsed = Uri::parse(stored);
  return parsed ? same_uri(*parsed, uri) : stored == uri.text;
}

std::string user_key(std::string_view aor_or_user) {
  if (aor_or_user.find(':') == std::string_view::npos) return std::string(aor_or_user);
  auto uri = Uri::parse(aor_or_user);
  return uri ? unescape(uri->user) : std::string();
}

}  // namespace

std::chrono::seconds Binding::remaining(std::chrono::steady_clock::time_point now) const {
  if (expires_at <= now) return std::chrono::seconds(0);
  // Round up: a binding with 0.4 s left is still there.
  return std::chrono::ceil<std::chrono::seconds>(expires_at - now);
}

std::string_view to_string(BindingEventKind kind) {
  switch (kind) {
    case BindingEventKind::Added:
      return "added";
    case BindingEventKind::Refreshed:
      return "refreshed";
    case BindingEventKind::Removed:
      return "removed";
    case BindingEventKind::Expired:
      return "expired";
  }
  return "added";
}

Registrar::Registrar(RegistrarConfig config, Authenticator* authenticator, SteadyNow now)
    : config_(std::move(config)), authenticator_(authenticator), now_(std::move(now)) {
  config_.min_expires = std::max(config_.min_expires, std::chrono::seconds(1));
  config_.max_expires = std::max(config_.max_expires, config_.min_expires);
}

RegisterResponse Registrar::respond(
    const Message&, int status, std::string_view reason,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  return RegisterResponse{status, std::string(reason), headers};
}

RegisterResponse Registrar::respond_ok(const Message&, const std::string& user) const {
  RegisterResponse response{200, {}, {}};
  const auto now = now_();
  if (auto it = bindings_.find(user); it != bindings_.end()) {
    for (const auto& binding : it->second) {
      if (binding.expires_at <= now) continue;
      response.headers.emplace_back(
          "Contact", "<" + binding.contact_uri + ">" + binding.contact_params +
                         ";expires=" + std::to_string(binding.remaining(now).count()));
    }
  }
  return response;
}

std::string Registrar::handle(const Message& request, const SourceAddress& source) {
  auto response = respond_to(request, source);
  auto builder = MessageBuilder::response_to(request, response.status, response.reason,
                                             response_to_tag(request));
  for (const auto& [name, value] : response.headers) builder.header(name, value);
  return builder.build();
}

void Registrar::emit(BindingEventKind kind, const Binding& binding) {
  if (listener_)
    listener_(BindingEvent{kind, binding.aor, binding.user, binding.contact_uri, binding.source});
}

void Registrar::expire_user(const std::string& user) {
  auto it = bindings_.find(user);
  if (it == bindings_.end()) return;
  const auto now = now_();
  std::vector<Binding> expired;
  auto& list = it->second;
  for (auto b = list.begin(); b != list.end();) {
    if (b->expires_at <= now) {
      expired.push_back(std::move(*b));
      b = list.erase(b);
    } else {
      ++b;
    }
  }
  if (list.empty()) bindings_.erase(it);
  for (const auto& binding : expired) emit(BindingEventKind::Expired, binding);
}

RegisterResponse Registrar::respond_to(const Message& request, const SourceAddress& source) {
  if (request.method() != Method::Register) {
    return respond(request, 405, {}, {{"Allow", "REGISTER"}});
  }
  if (authenticator_ != nullptr && authenticator_->is_blocked(source.ip)) {
    return respond(request, 403);
  }

  // RFC 3261 §10.3 steps 1-2: our domain, no extensions we lack.
  const Uri& target = request.request_uri();
  if (target.scheme != Scheme::Sip && target.scheme != Scheme::Sips) return respond(request, 416);
  const Uri& to = request.to().uri;
  if (to.scheme != Scheme::Sip && to.scheme != Scheme::Sips) {
    return respond(request, 400, "Bad Request (To is not a SIP or SIPS URI)");  // RFC 4475 unksm2
  }
  auto served = [&](std::string_view host) {
    return config_.domains.empty() ||
           std::any_of(config_.domains.begin(), config_.domains.end(),
                       [&](const std::string& domain) { return iequals(domain, host); });
  };
  if (!served(target.host) || !served(to.host)) {
    return respond(request, 404, "Not Found (domain not served)");
  }
  if (auto required = request.header_values(HeaderId::Require); !required.empty()) {
    std::string unsupported;
    for (auto tag : required) unsupported += (unsupported.empty() ? "" : ", ") + std::string(tag);
    return respond(request, 420, {}, {{"Unsupported", unsupported}});
  }

  // Steps 3-4: authenticate, then authorize the user for this address-of-record.
  const std::string user = unescape(to.user);
  if (authenticator_ != nullptr) {
    AuthDecision decision = authenticator_->check(request, source);
    if (!decision.authenticated()) {
      return RegisterResponse{decision.status, decision.reason, decision.headers};
    }
    if (decision.username != user) {
      return respond(request, 403, "Forbidden (not your address-of-record)");
    }
  }
  // Step 5: the AOR must name a user.
  if (user.empty()) return respond(request, 404, "Not Found (no user in address-of-record)");

  expire_user(user);
  const auto& contacts = request.contacts();
  if (contacts.empty()) return respond_ok(request, user);  // a query (§10.2.3)

  const bool wildcard =
      std::any_of(contacts.begin(), contacts.end(), [](const NameAddr& c) { return c.wildcard; });
  return wildcard ? remove_all(request, user) : update_bindings(request, source, user);
}

// Step 6: "Contact: *" removes every binding, only with Expires: 0 and alone.
RegisterResponse Registrar::remove_all(const Message& request, const std::string& user) {
  if (request.contacts().size() != 1 || request.expires() != 0u) {
    return respond(request, 400, "Bad Request (Contact: * needs Expires: 0 and no other contact)");
  }
  auto existing = bindings_.find(user);
  if (existing == bindings_.end()) return respond_ok(request, user);
  for (const auto& binding : existing->second) {
    if (binding.call_id == request.call_id() && request.cseq().number <= binding.cseq) {
      return respond(request, 400, "Bad Request (CSeq out of order)");
    }
  }
  std::vector<Binding> removed = std::move(existing->second);
  bindings_.erase(existing);
  for (const auto& binding : removed) emit(BindingEventKind::Removed, binding);
  return respond_ok(request, user);
}

// Step 7: each contact adds, refreshes or removes its binding. Works on a copy: nothing
// changes unless every contact is acceptable.
RegisterResponse Registrar::update_bindings(const Message& request, const SourceAddress& source,
                                       const std::string& user) {
  const std::string_view call_id = request.call_id();
  const std::uint32_t cseq = request.cseq().number;
  const Uri& to = request.to().uri;
  auto existing = bindings_.find(user);
  enum class Change : std::uint8_t { Kept, Added, Refreshed };
  struct Planned {
    Binding binding;
    Change change;
  };
  std::vector<Planned> after;
  if (existing != bindings_.end()) {
    for (const auto& binding : existing->second) after.push_back(Planned{binding, Change::Kept});
  }
  std::vector<Binding> removed;
  const auto now = now_();
  const std::string aor =
      std::string(to.scheme_text) + ":" + std::string(to.user) + "@" + std::string(to.host);

  for (const NameAddr& contact : request.contacts()) {
    std::uint64_t seconds = static_cast<std::uint64_t>(config_.default_expires.count());
    auto expires_param = find_param(contact.params, "expires");
    if (auto delta = expires_param ? parse_delta_seconds(*expires_param) : std::nullopt) {
      seconds = *delta;
    } else if (request.expires()) {
      seconds = *request.expires();
    }
    if (seconds != 0 && seconds < static_cast<std::uint64_t>(config_.min_expires.count())) {
      return respond(request, 423, {},
                     {{"Min-Expires", std::to_string(config_.min_expires.count())}});
    }
    seconds =
        std::min<std::uint64_t>(seconds, static_cast<std::uint64_t>(config_.max_expires.count()));

    std::optional<std::uint16_t> q;
    std::string params;
    for (const Param& param : contact.params) {
      if (iequals(param.name, "expires")) continue;
      if (iequals(param.name, "q")) {
        q = parse_qvalue(param.value);
        if (!q) return respond(request, 400, "Bad Request (invalid q value)");
      }
      params += ";" + std::string(param.name);
      if (param.has_value) params += "=" + std::string(param.value);
    }

    auto match = std::find_if(after.begin(), after.end(), [&](const Planned& planned) {
      return same_contact(planned.binding.contact_uri, contact.uri);
    });
    if (match != after.end()) {
      const Binding& old = match->binding;
      if (match->change == Change::Kept && old.call_id == call_id && cseq <= old.cseq) {
        return respond(request, 400, "Bad Request (CSeq out of order)");
      }
      if (seconds == 0) {
        if (match->change != Change::Added) removed.push_back(old);
        after.erase(match);
        continue;
      }
    } else if (seconds == 0) {
      continue;  // removing what is not there
    }
    Binding binding;
    binding.aor = aor;
    binding.user = user;
    binding.contact_uri = contact.uri.text;
    binding.contact_params = std::move(params);
    binding.q_thousandths = q;
    binding.call_id = call_id;
    binding.cseq = cseq;
    binding.expires_at = now + std::chrono::seconds(seconds);
    binding.source = source;
    if (match != after.end()) {
      match->binding = std::move(binding);
      if (match->change == Change::Kept) match->change = Change::Refreshed;
    } else {
      after.push_back(Planned{std::move(binding), Change::Added});
    }
  }

  if (after.size() > config_.max_contacts_per_aor) {
    return respond(request, 403, "Forbidden (too many contacts)");
  }
  if (existing == bindings_.end() && !after.empty() && bindings_.size() >= config_.max_aors) {
    return respond(request, 503, {}, {{"Retry-After", "60"}});
  }

  std::vector<Binding> committed;
  for (const auto& planned : after) committed.push_back(planned.binding);
  if (committed.empty()) {
    if (existing != bindings_.end()) bindings_.erase(existing);
  } else {
    bindings_[user] = std::move(committed);
  }
  for (const auto& binding : removed) emit(BindingEventKind::Removed, binding);
  for (const auto& planned : after) {
    if (planned.change == Change::Added) emit(BindingEventKind::Added, planned.binding);
    if (planned.change == Change::Refreshed) emit(BindingEventKind::Refreshed, planned.binding);
  }
  return respond_ok(request, user);
}

std::vector<Binding> Registrar::lookup(std::string_view aor_or_user) const {
  std::vector<Binding> found;
  auto it = bindings_.find(user_key(aor_or_user));
  if (it == bindings_.end()) return found;
  const auto now = now_();
  for (const auto& binding : it->second) {
    if (binding.expires_at > now) found.push_back(binding);
  }
  std::stable_sort(found.begin(), found.end(), [](const Binding& a, const Binding& b) {
    return a.q_thousandths.value_or(1000) > b.q_thousandths.value_or(1000);
  });
  return found;
}

std::size_t Registrar::remove_expired() {
  std::vector<std::string> users;
  for (const auto& [user, list] : bindings_) users.push_back(user);
  const std::size_t count_before = binding_count();
  for (const auto& user : users) expire_user(user);
  return count_before - binding_count();
}

std::optional<std::chrono::steady_clock::time_point> Registrar::next_expiry() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& [user, list] : bindings_) {
    for (const auto& binding : list) {
      if (!next || binding.expires_at < *next) next = binding.expires_at;
    }
  }
  return next;
}

std::size_t Registrar::binding_count() const {
  std::size_t count = 0;
  for (const auto& [user, list] : bindings_) count += list.size();
  return count;
}

}  // namespace kefu::sip
