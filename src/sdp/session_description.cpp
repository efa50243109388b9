#include "sdp/session_description.hpp"

#include <algorithm>
#include <charconv>

namespace kefu::sdp {
namespace {

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
           };
           return lower(x) == lower(y);
         });
}

template <typename T>
std::optional<T> parse_unsigned(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// SDP separates tokens with single spaces; tolerate runs of spaces and tabs.
std::vector<std::string_view> split_tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t') ++pos;
    if (pos > start) tokens.push_back(text.substr(start, pos - start));
  }
  return tokens;
}

std::optional<Connection> parse_connection(std::string_view value) {
  auto tokens = split_tokens(value);
  if (tokens.size() != 3) return std::nullopt;
  return Connection{std::string(tokens[0]), std::string(tokens[1]), std::string(tokens[2])};
}

std::optional<Origin> parse_origin(std::string_view value) {
  auto tokens = split_tokens(value);
  if (tokens.size() != 6) return std::nullopt;
  auto version = parse_unsigned<std::uint64_t>(tokens[2]);
  if (!version) return std::nullopt;
  Origin origin;
  origin.username = tokens[0];
  origin.session_id = tokens[1];
  origin.session_version = *version;
  origin.address =
      Connection{std::string(tokens[3]), std::string(tokens[4]), std::string(tokens[5])};
  return origin;
}

std::optional<MediaDescription> parse_media_line(std::string_view value) {
  auto tokens = split_tokens(value);
  if (tokens.size() < 3) return std::nullopt;
  MediaDescription media;
  media.media = tokens[0];
  std::string_view port_text = tokens[1];
  if (auto slash = port_text.find('/'); slash != std::string_view::npos) {
    auto count = parse_unsigned<std::uint16_t>(port_text.substr(slash + 1));
    if (!count) return std::nullopt;
    media.port_count = *count;
    port_text = port_text.substr(0, slash);
  }
  auto port = parse_unsigned<std::uint16_t>(port_text);
  if (!port) return std::nullopt;
  media.port = *port;
  media.protocol = tokens[2];
  for (std::size_t i = 3; i < tokens.size(); ++i) media.formats.emplace_back(tokens[i]);
  return media;
}

bool is_token_text(std::string_view text) {
  return !text.empty() && text.find_first_of(" \t/") == std::string_view::npos;
}

// "<pt> <encoding>[/<clock>[/<params>]]"; anything looser is kept as a plain attribute.
std::optional<RtpMap> parse_rtpmap(std::string_view value) {
  auto space = value.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto payload_type = parse_unsigned<std::uint8_t>(value.substr(0, space));
  if (!payload_type || *payload_type > 127) return std::nullopt;
  std::string_view rest = value.substr(space + 1);
  RtpMap map;
  map.payload_type = *payload_type;
  auto slash = rest.find('/');
  map.encoding = rest.substr(0, slash);
  if (!is_token_text(map.encoding)) return std::nullopt;
  if (slash == std::string_view::npos) return map;
  rest = rest.substr(slash + 1);
  auto second = rest.find('/');
  auto clock = parse_unsigned<std::uint32_t>(rest.substr(0, second));
  if (!clock || *clock == 0) return std::nullopt;
  map.clock_rate = *clock;
  if (second != std::string_view::npos) {
    map.parameters = rest.substr(second + 1);
    if (!map.parameters.empty() && !is_token_text(map.parameters)) return std::nullopt;
  }
  return map;
}

std::optional<Fmtp> parse_fmtp(std::string_view value) {
  auto space = value.find(' ');
  Fmtp fmtp;
  fmtp.format = value.substr(0, space);
  if (fmtp.format.empty() || fmtp.format.find('\t') != std::string::npos) return std::nullopt;
  if (space != std::string_view::npos) fmtp.parameters = value.substr(space + 1);
  return fmtp;
}

// Interprets one a= line at session level (media == nullptr) or media level. Malformed or
// repeated interpreted attributes stay as plain attributes so nothing is lost.
void add_attribute(std::string_view text, std::optional<Direction>& direction,
                   std::vector<Attribute>& attributes, MediaDescription* media) {
  auto colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  std::optional<std::string_view> value;
  if (colon != std::string_view::npos) value = text.substr(colon + 1);

  if (!value) {
    if (auto parsed = direction_from_string(name); parsed && !direction) {
      direction = parsed;
      return;
    }
  } else if (media != nullptr) {
    if (name == "rtpmap") {
      if (auto map = parse_rtpmap(*value)) {
        media->rtpmaps.push_back(std::move(*map));
        return;
      }
    } else if (name == "fmtp") {
      if (auto fmtp = parse_fmtp(*value)) {
        media->fmtps.push_back(std::move(*fmtp));
        return;
      }
    } else if (name == "ptime" || name == "maxptime") {
      auto& slot = name == "ptime" ? media->ptime_ms : media->maxptime_ms;
      auto ms = parse_unsigned<std::uint32_t>(*value);
      if (ms && *ms > 0 && !slot) {
        slot = *ms;
        return;
      }
    }
  }
  Attribute attribute;
  attribute.name = name;
  if (value) attribute.value = std::string(*value);
  attributes.push_back(std::move(attribute));
}

ParseError error_at(std::size_t line, std::string reason) {
  return ParseError{line, std::move(reason)};
}

constexpr std::string_view kSessionFieldTypes = "iuepbtrzk";
constexpr std::string_view kMediaFieldTypes = "ibk";

}  // namespace

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::SendRecv:
      return "sendrecv";
    case Direction::SendOnly:
      return "sendonly";
    case Direction::RecvOnly:
      return "recvonly";
    case Direction::Inactive:
      return "inactive";
  }
  return "sendrecv";
}

std::optional<Direction> direction_from_string(std::string_view name) {
  if (name == "sendrecv") return Direction::SendRecv;
  if (name == "sendonly") return Direction::SendOnly;
  if (name == "recvonly") return Direction::RecvOnly;
  if (name == "inactive") return Direction::Inactive;
  return std::nullopt;
}

Direction mirror(Direction direction) {
  switch (direction) {
    case Direction::SendOnly:
      return Direction::RecvOnly;
    case Direction::RecvOnly:
      return Direction::SendOnly;
    default:
      return direction;
  }
}

Direction intersect(Direction a, Direction b) {
  bool send = sends(a) && sends(b);
  bool receive = receives(a) && receives(b);
  if (send && receive) return Direction::SendRecv;
  if (send) return Direction::SendOnly;
  if (receive) return Direction::RecvOnly;
  return Direction::Inactive;
}

AddressType Connection::type() const {
  if (iequals_ascii(address_type, "IP4")) return AddressType::Ip4;
  if (iequals_ascii(address_type, "IP6")) return AddressType::Ip6;
  return AddressType::Other;
}

std::string_view Connection::host() const {
  std::string_view text = address;
  return text.substr(0, text.find('/'));
}

bool Connection::is_hold_address() const {
  return type() == AddressType::Ip4 && host() == "0.0.0.0";
}

const RtpMap* MediaDescription::rtpmap(std::uint8_t payload_type) const {
  for (const auto& map : rtpmaps) {
    if (map.payload_type == payload_type) return &map;
  }
  return nullptr;
}

const Fmtp* MediaDescription::fmtp(std::string_view format) const {
  for (const auto& entry : fmtps) {
    if (entry.format == format) return &entry;
  }
  return nullptr;
}

std::vector<std::uint8_t> MediaDescription::payload_types() const {
  std::vector<std::uint8_t> types;
  for (const auto& format : formats) {
    auto number = parse_unsigned<std::uint8_t>(format);
    if (number && *number <= 127) types.push_back(*number);
  }
  return types;
}

const Connection* SessionDescription::connection_for(const MediaDescription& m) const {
  if (!m.connections.empty()) return &m.connections.front();
  return connection ? &*connection : nullptr;
}

Direction SessionDescription::direction_for(const MediaDescription& m) const {
  if (m.direction) return *m.direction;
  return direction.value_or(Direction::SendRecv);
}

ParseResult parse(std::string_view text) {
  SessionDescription description;
  bool seen_version = false;
  bool seen_origin = false;
  bool seen_name = false;
  MediaDescription* media = nullptr;
  std::size_t line_number = 0;
  std::size_t pos = 0;

  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos)
      return unexpected(error_at(line_number, "NUL octet"));
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return unexpected(error_at(line_number, "expected <type>=<value>"));
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);

    if (!seen_version) {
      if (type != 'v') return unexpected(error_at(line_number, "description must start with v="));
      if (value != "0") return unexpected(error_at(line_number, "unsupported SDP version"));
      seen_version = true;
      continue;
    }
    if (type == 'm') {
      auto parsed = parse_media_line(value);
      if (!parsed) return unexpected(error_at(line_number, "malformed m= line"));
      description.media.push_back(std::move(*parsed));
      media = &description.media.back();
      continue;
    }
    if (type == 'a') {
      if (media != nullptr) {
        add_attribute(value, media->direction, media->attributes, media);
      } else {
        add_attribute(value, description.direction, description.attributes, nullptr);
      }
      continue;
    }
    if (type == 'c') {
      auto connection = parse_connection(value);
      if (!connection) return unexpected(error_at(line_number, "malformed c= line"));
      if (media != nullptr) {
        media->connections.push_back(std::move(*connection));
      } else if (description.connection) {
        return unexpected(error_at(line_number, "second session-level c= line"));
      } else {
        description.connection = std::move(*connection);
      }
      continue;
    }
    if (media != nullptr) {
      if (kMediaFieldTypes.find(type) == std::string_view::npos) {
        return unexpected(
            error_at(line_number, std::string(1, type) + "= line in a media section"));
      }
      media->fields.push_back(Field{type, std::string(value)});
      continue;
    }
    switch (type) {
      case 'v':
        return unexpected(error_at(line_number, "second v= line"));
      case 'o': {
        if (seen_origin) return unexpected(error_at(line_number, "second o= line"));
        auto origin = parse_origin(value);
        if (!origin) return unexpected(error_at(line_number, "malformed o= line"));
        description.origin = std::move(*origin);
        seen_origin = true;
        break;
      }
      case 's':
        if (seen_name) return unexpected(error_at(line_number, "second s= line"));
        description.session_name = value;
        seen_name = true;
        break;
      default:
        if (kSessionFieldTypes.find(type) == std::string_view::npos) {
          return unexpected(error_at(line_number, std::string("unknown type letter ") + type));
        }
        description.fields.push_back(Field{type, std::string(value)});
    }
  }
  if (!seen_version) return unexpected(error_at(0, "empty description"));
  if (!seen_origin) return unexpected(error_at(0, "missing o= line"));
  return description;
}

namespace {

void write_line(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void write_connection(std::string& out, const Connection& c) {
  write_line(out, 'c', c.network_type + ' ' + c.address_type + ' ' + c.address);
}

void write_fields(std::string& out, const std::vector<Field>& fields, std::string_view types) {
  for (const auto& field : fields) {
    if (types.find(field.type) != std::string_view::npos) write_line(out, field.type, field.value);
  }
}

void write_attribute(std::string& out, const Attribute& attribute) {
  std::string text = attribute.name;
  if (attribute.value) text += ':' + *attribute.value;
  write_line(out, 'a', text);
}

void write_fmtp(std::string& out, const Fmtp& fmtp) {
  std::string text = "fmtp:" + fmtp.format;
  if (!fmtp.parameters.empty()) text += ' ' + fmtp.parameters;
  write_line(out, 'a', text);
}

void write_media(std::string& out, const MediaDescription& m) {
  std::string line = m.media + ' ' + std::to_string(m.port);
  if (m.port_count) line += '/' + std::to_string(*m.port_count);
  line += ' ' + m.protocol;
  for (const auto& format : m.formats) line += ' ' + format;
  write_line(out, 'm', line);
  write_fields(out, m.fields, "i");
  for (const auto& c : m.connections) write_connection(out, c);
  write_fields(out, m.fields, "b");
  write_fields(out, m.fields, "k");

  // Each rtpmap followed by its fmtp, then fmtps for formats without an rtpmap.
  std::vector<bool> fmtp_written(m.fmtps.size(), false);
  for (const auto& map : m.rtpmaps) {
    std::string text = "rtpmap:" + std::to_string(map.payload_type) + ' ' + map.encoding;
    if (map.clock_rate != 0) text += '/' + std::to_string(map.clock_rate);
    if (map.clock_rate != 0 && !map.parameters.empty()) text += '/' + map.parameters;
    write_line(out, 'a', text);
    const std::string format = std::to_string(map.payload_type);
    for (std::size_t i = 0; i < m.fmtps.size(); ++i) {
      if (!fmtp_written[i] && m.fmtps[i].format == format) {
        write_fmtp(out, m.fmtps[i]);
        fmtp_written[i] = true;
      }
    }
  }
  for (std::size_t i = 0; i < m.fmtps.size(); ++i) {
    if (!fmtp_written[i]) write_fmtp(out, m.fmtps[i]);
  }
  if (m.ptime_ms) write_line(out, 'a', "ptime:" + std::to_string(*m.ptime_ms));
  if (m.maxptime_ms) write_line(out, 'a', "maxptime:" + std::to_string(*m.maxptime_ms));
  // Typed direction before kept attributes: a repeated direction attribute kept as plain
  // text then stays second, and a re-parse picks the same one.
  if (m.direction) write_line(out, 'a', to_string(*m.direction));
  for (const auto& attribute : m.attributes) write_attribute(out, attribute);
}

}  // namespace

std::string serialize(const SessionDescription& d) {
  std::string out;
  out.reserve(256 + 128 * d.media.size());
  write_line(out, 'v', "0");
  const Origin& o = d.origin;
  write_line(out, 'o',
             o.username + ' ' + o.session_id + ' ' + std::to_string(o.session_version) + ' ' +
                 o.address.network_type + ' ' + o.address.address_type + ' ' + o.address.address);
  write_line(out, 's', d.session_name);
  write_fields(out, d.fields, "iuep");
  if (d.connection) write_connection(out, *d.connection);
  write_fields(out, d.fields, "b");
  // t= is mandatory; r= and z= belong to the t= before them, so keep their relative order.
  bool has_timing =
      std::any_of(d.fields.begin(), d.fields.end(), [](const Field& f) { return f.type == 't'; });
  if (!has_timing) write_line(out, 't', "0 0");
  write_fields(out, d.fields, "trz");
  write_fields(out, d.fields, "k");
  if (d.direction) write_line(out, 'a', to_string(*d.direction));
  for (const auto& attribute : d.attributes) write_attribute(out, attribute);
  for (const auto& m : d.media) write_media(out, m);
  return out;
}

}  // namespace kefu::sdp
