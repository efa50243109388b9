// Fuzzes the SIP message layer. Beyond "no crash": a message that parses must rebuild into
// one that parses with the same core facts, a request's response_to() must parse, and the
// StreamFramer must frame the same messages whatever the chunking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace {

using kefu::sip::HeaderField;
using kefu::sip::HeaderId;
using kefu::sip::Message;
using kefu::sip::MessageBuilder;
using kefu::sip::StreamFramer;

void require(bool condition) {
  if (!condition) std::abort();
}

std::string rebuild(const Message& m) {
  MessageBuilder builder = m.is_request()
                               ? MessageBuilder::request(m.method_text(), m.request_uri().text)
                               : MessageBuilder::response(m.status(), m.reason());
  for (const HeaderField& field : m.headers()) {
    if (field.id != HeaderId::ContentType) builder.header(field.name, field.value);
  }
  if (!m.content_type().empty() || !m.body().empty()) builder.body(m.content_type(), m.body());
  return builder.build();
}

void check_message(const Message& m) {
  const std::string_view raw = m.raw();
  const std::string_view body = m.body();
  require(body.data() >= raw.data() && body.data() + body.size() <= raw.data() + raw.size());
  require(!m.vias().empty());

  auto again = Message::parse(rebuild(m));
  require(again.has_value());
  require(again->is_request() == m.is_request());
  require(again->method_text() == m.method_text());
  require(again->call_id() == m.call_id());
  require(again->cseq().number == m.cseq().number);
  require(again->vias().size() == m.vias().size());
  require(again->contacts().size() == m.contacts().size());
  require(again->body() == m.body());

  if (m.is_request()) {
    auto response = Message::parse(MessageBuilder::response_to(m, 200, {}, "fuzztag").build());
    require(response.has_value());
    require(response->vias().size() == m.vias().size());
    require(response->call_id() == m.call_id());
    require(response->to().tag().has_value());
  }
}

// Frames `data` fed as two reads cut at `split`.
std::vector<std::string> frame(std::string_view data, std::size_t split, bool& failed) {
  StreamFramer framer(4096);
  std::vector<std::string> frames;
  failed = false;
  for (std::string_view chunk : {data.substr(0, split), data.substr(split)}) {
    if (failed) break;
    framer.append(chunk);
    while (true) {
      StreamFramer::Frame f = framer.next();
      if (f.status == StreamFramer::Status::NeedMore) break;
      if (f.status == StreamFramer::Status::Error) {
        failed = true;
        break;
      }
      require(!f.bytes.empty() && f.bytes.size() <= 4096);
      frames.push_back(std::move(f.bytes));
    }
  }
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = Message::parse(std::string(text));
  if (parsed) {
    check_message(*parsed);
  } else {
    require(!parsed.error().reason.empty());
    require(parsed.error().status == 400 || parsed.error().status == 505);
  }

  // Whole and split framing agree (the unit tests try every split of the corpus; here the
  // cut point comes from the input); every frame goes through the parser too.
  bool whole_failed = false;
  const auto whole = frame(text, text.size(), whole_failed);
  const std::size_t split = size == 0 ? 0 : (static_cast<std::size_t>(data[0]) * size) / 256;
  bool chunked_failed = false;
  const auto chunked = frame(text, split, chunked_failed);
  require(whole == chunked && whole_failed == chunked_failed);
  for (const std::string& bytes : whole) {
    if (auto message = Message::parse(bytes)) check_message(*message);
  }

  // The standalone value parsers on the raw input.
  (void)kefu::sip::Uri::parse(text);
  (void)kefu::sip::parse_name_addr_list(text);
  (void)kefu::sip::parse_via(text);
  (void)kefu::sip::unescape(text);
  return 0;
}
