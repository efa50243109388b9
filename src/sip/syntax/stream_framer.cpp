// StreamFramer: message boundaries on stream transports (RFC 3261 §7.5, §18.3;
// RFC 5626 §3.5.1 keep-alives). Resumable: each call continues where the last one stopped.
#include <limits>

#include "sip/message.hpp"
#include "sip/syntax/scan.hpp"

namespace kefu::sip {

StreamFramer::StreamFramer(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

void StreamFramer::append(std::string_view data) {
  if (failed_) return;  // the stream is unusable; don't keep growing the buffer
  buffer_.append(data);
}

StreamFramer::Frame StreamFramer::fail(std::string why) {
  failed_ = true;
  error_ = std::move(why);
  buffer_.clear();
  return Frame{Status::Error, {}, error_};
}

// Index just past the empty line that ends the header section (CRLF CRLF; bare LFs are
// tolerated), or nullopt when it has not arrived yet.
std::optional<std::size_t> StreamFramer::find_header_end() {
  std::size_t pos = scanned_;
  while (true) {
    const std::size_t newline = buffer_.find('\n', pos);
    if (newline == std::string::npos) {
      scanned_ = buffer_.size();
      return std::nullopt;
    }
    const std::size_t after = newline + 1;
    if (after < buffer_.size() && buffer_[after] == '\n') return after + 1;
    if (after + 1 < buffer_.size() && buffer_[after] == '\r' && buffer_[after + 1] == '\n') {
      return after + 2;
    }
    if (after >= buffer_.size() || (after + 1 >= buffer_.size() && buffer_[after] == '\r')) {
      scanned_ = newline;  // the bytes that decide have not arrived: look again from here
      return std::nullopt;
    }
    pos = after;
  }
}

// Content-Length (or "l") from the header section; absent means 0 (§18.3 makes it
// mandatory on streams). A malformed or conflicting value makes the stream unframeable.
bool StreamFramer::read_content_length(std::string_view header_section) {
  std::optional<std::uint64_t> length;
  std::size_t line_start = header_section.find('\n');  // skip the start-line
  while (line_start != std::string_view::npos && line_start + 1 < header_section.size()) {
    ++line_start;
    std::size_t line_end = header_section.find('\n', line_start);
    // Continuation lines belong to the field they follow.
    while (line_end != std::string_view::npos && line_end + 1 < header_section.size() &&
           detail::is_wsp(header_section[line_end + 1])) {
      line_end = header_section.find('\n', line_end + 1);
    }
    if (line_end == std::string_view::npos) line_end = header_section.size();
    const std::string_view line = header_section.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && detail::is_wsp(name.back())) name.remove_suffix(1);
      if (iequals(name, "Content-Length") || iequals(name, "l")) {
        const std::string_view value = detail::trim(line.substr(colon + 1));
        const auto parsed =
            detail::all_of_class(value, detail::kDigit)
                ? detail::parse_decimal(value, std::numeric_limits<std::uint32_t>::max())
                : std::nullopt;
        if (!parsed || (length && *length != *parsed)) return false;
        length = parsed;
      }
    }
    line_start = line_end;
  }
  content_length_ = static_cast<std::size_t>(length.value_or(0));
  return true;
}

StreamFramer::Frame StreamFramer::next() {
  if (failed_) return Frame{Status::Error, {}, error_};
  if (header_bytes_ == 0) {
    if (scanned_ == 0) {
      // Keep-alive CRLFs between messages (RFC 5626 §3.5.1) and before a start-line.
      std::size_t skip = 0;
      while (skip < buffer_.size() && (buffer_[skip] == '\r' || buffer_[skip] == '\n')) ++skip;
      buffer_.erase(0, skip);
      if (buffer_.empty()) return Frame{};
    }
    const auto header_end = find_header_end();
    if (!header_end) {
      if (buffer_.size() > max_message_bytes_) return fail("header section too large");
      return Frame{};
    }
    if (*header_end > max_message_bytes_) return fail("header section too large");
    if (!read_content_length(std::string_view(buffer_).substr(0, *header_end))) {
      return fail("invalid or conflicting Content-Length");
    }
    header_bytes_ = *header_end;
  }
  if (content_length_ > max_message_bytes_ - header_bytes_) return fail("message too large");
  const std::size_t total = header_bytes_ + content_length_;
  if (buffer_.size() < total) return Frame{};
  Frame frame;
  frame.status = Status::Message;
  frame.bytes = buffer_.substr(0, total);
  buffer_.erase(0, total);
  scanned_ = 0;
  header_bytes_ = 0;
  content_length_ = 0;
  return frame;
}

}  // namespace kefu::sip
