// StreamFramer: every conformance message through a stream split at every byte boundary,
// pipelining, keep-alives, size limits, unframeable streams (RFC 3261 §18.3, RFC 5626 §3.5.1).
#include <gtest/gtest.h>

#include "conformance_files.hpp"
#include "sip/message.hpp"

namespace kefu::sip {
namespace {

using Status = StreamFramer::Status;

struct Outcome {
  std::vector<std::string> messages;
  bool failed = false;
  std::size_t buffered = 0;
  bool operator==(const Outcome&) const = default;
};

// Drains the framer (bounded: each Message consumes at least one byte).
void drain(StreamFramer& framer, Outcome& outcome) {
  for (int guard = 0; guard < 100000; ++guard) {
    StreamFramer::Frame frame = framer.next();
    if (frame.status == Status::NeedMore) return;
    if (frame.status == Status::Error) {
      EXPECT_FALSE(frame.error.empty());
      outcome.failed = true;
      return;
    }
    EXPECT_FALSE(frame.bytes.empty());
    outcome.messages.push_back(std::move(frame.bytes));
  }
  ADD_FAILURE() << "framer did not stop";
}

Outcome frame_chunks(const std::vector<std::string_view>& chunks, std::size_t max = 65536) {
  StreamFramer framer(max);
  Outcome outcome;
  for (std::string_view chunk : chunks) {
    framer.append(chunk);
    drain(framer, outcome);
  }
  outcome.buffered = framer.buffered();
  return outcome;
}

std::vector<std::string> corpus() {
  std::vector<std::string> files;
  for (const char* dir :
       {"rfc4475", "rfc4475/variants", "rfc4475/extra", "rfc5118/wire", "rfc5118/archive"}) {
    for (const auto& path : testing::dat_files(dir)) files.push_back(testing::read_file(path));
  }
  return files;
}

TEST(SipStreamFramer, EverySplitPointGivesTheSameFrames) {
  const auto files = corpus();
  ASSERT_GT(files.size(), 70u);
  for (const std::string& file : files) {
    const Outcome whole = frame_chunks({file});
    for (std::size_t split = 0; split <= file.size(); ++split) {
      const std::string_view view(file);
      const Outcome parts = frame_chunks({view.substr(0, split), view.substr(split)});
      ASSERT_EQ(parts, whole) << "split at " << split << " of\n" << file.substr(0, 60);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < file.size(); ++i)
      bytes.push_back(std::string_view(file).substr(i, 1));
    EXPECT_EQ(frame_chunks(bytes), whole) << "byte by byte:\n" << file.substr(0, 60);
  }
}

TEST(SipStreamFramer, WellFramedConformanceMessagesComeOutWhole) {
  // Files whose Content-Length matches their body frame to exactly themselves, and the
  // framed bytes parse like the datagram.
  for (const char* name : {"rfc4475/wsinv.dat", "rfc4475/esc01.dat", "rfc4475/mpart01.dat",
                           "rfc4475/unreason.dat", "rfc4475/longreq.dat", "rfc4475/intmeth.dat",
                           "rfc5118/wire/ipv6-in-sdp.dat", "rfc5118/wire/port-ambiguous.dat"}) {
    const std::string file = testing::conformance_message(name);
    const Outcome outcome = frame_chunks({file});
    ASSERT_EQ(outcome.messages.size(), 1u) << name;
    EXPECT_EQ(outcome.messages[0], file) << name;
    EXPECT_EQ(outcome.buffered, 0u) << name;
    EXPECT_TRUE(Message::parse(outcome.messages[0])) << name;
  }
}

TEST(SipStreamFramer, PipelinedConformanceMessages) {
  // Files whose Content-Length frames exactly the whole file, two at a time in one read.
  std::vector<std::string> self_framing;
  for (const std::string& file : corpus()) {
    const Outcome outcome = frame_chunks({file});
    if (outcome.messages.size() == 1 && outcome.messages[0] == file) self_framing.push_back(file);
  }
  ASSERT_GT(self_framing.size(), 40u);
  for (std::size_t i = 0; i + 1 < self_framing.size(); ++i) {
    const std::string& first = self_framing[i];
    const std::string& second = self_framing[i + 1];
    const Outcome outcome = frame_chunks({first + second});
    ASSERT_EQ(outcome.messages.size(), 2u) << first.substr(0, 60);
    EXPECT_EQ(outcome.messages[0], first);
    EXPECT_EQ(outcome.messages[1], second);
    EXPECT_EQ(outcome.buffered, 0u);
  }
  const std::string pair = self_framing[0] + self_framing[1];
  for (std::size_t split = 0; split <= pair.size(); ++split) {
    const std::string_view view(pair);
    const Outcome outcome = frame_chunks({view.substr(0, split), view.substr(split)});
    ASSERT_EQ(outcome.messages, (std::vector<std::string>{self_framing[0], self_framing[1]}))
        << split;
  }
}

TEST(SipStreamFramer, TortureFramingCases) {
  // dblreq on a stream is two requests; the INVITE's body is 155 octets against a
  // Content-Length of 150, so its last 5 octets ("C" CRLF CRLF) frame as a third, broken
  // message that the parser then rejects.
  const Outcome dblreq = frame_chunks({testing::conformance_message("rfc4475/dblreq.dat")});
  ASSERT_EQ(dblreq.messages.size(), 3u);
  EXPECT_EQ(Message::parse(dblreq.messages[0])->method(), Method::Register);
  EXPECT_EQ(Message::parse(dblreq.messages[1])->method(), Method::Invite);
  EXPECT_EQ(dblreq.messages[2], "C\r\n\r\n");
  EXPECT_FALSE(Message::parse(dblreq.messages[2]));
  // clerr: Content-Length 9999 frames the read: wait for more.
  const std::string clerr = testing::conformance_message("rfc4475/clerr.dat");
  const Outcome waiting = frame_chunks({clerr});
  EXPECT_TRUE(waiting.messages.empty());
  EXPECT_FALSE(waiting.failed);
  EXPECT_EQ(waiting.buffered, clerr.size());
  // ncl (negative) and mcl01 (conflicting) cannot be framed: the connection must close.
  EXPECT_TRUE(frame_chunks({testing::conformance_message("rfc4475/ncl.dat")}).failed);
  EXPECT_TRUE(frame_chunks({testing::conformance_message("rfc4475/mcl01.dat")}).failed);
}

const char* const kOptions =
    "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example;branch=z9hG4bK1\r\n"
    "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: s1\r\n"
    "CSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody";

TEST(SipStreamFramer, PipelinedMessagesAndKeepAlives) {
  const std::string two = std::string("\r\n\r\n") + kOptions + "\r\n\r\n" + kOptions + "\r\n";
  const Outcome outcome = frame_chunks({two});
  ASSERT_EQ(outcome.messages.size(), 2u);
  EXPECT_EQ(outcome.messages[0], kOptions);
  EXPECT_EQ(outcome.messages[1], kOptions);
  EXPECT_EQ(outcome.buffered, 0u);  // the trailing keep-alive CRLF is consumed
  for (std::size_t split = 0; split <= two.size(); ++split) {
    const std::string_view view(two);
    EXPECT_EQ(frame_chunks({view.substr(0, split), view.substr(split)}), outcome) << split;
  }
  EXPECT_EQ(frame_chunks({"\r\n\r\n", "\r\n"}), Outcome{});
}

TEST(SipStreamFramer, ContentLengthForms) {
  std::string compact = kOptions;
  compact.replace(compact.find("Content-Length: 4"), 17, "l  :   4");
  EXPECT_EQ(frame_chunks({compact}).messages.size(), 1u);
  std::string folded = kOptions;
  folded.replace(folded.find("Content-Length: 4"), 17, "Content-Length:\r\n 4");
  EXPECT_EQ(frame_chunks({folded}).messages, std::vector<std::string>{folded});
  std::string twice = kOptions;
  twice.replace(twice.find("Content-Length: 4"), 17, "Content-Length: 4\r\nl: 4");
  EXPECT_EQ(frame_chunks({twice}).messages.size(), 1u);
  std::string missing = kOptions;
  missing.replace(missing.find("Content-Length: 4\r\n"), 19, "");
  // Absent on a stream means 0: "body" is then the start of the next (broken) message.
  const Outcome no_length = frame_chunks({missing});
  ASSERT_EQ(no_length.messages.size(), 1u);
  EXPECT_TRUE(no_length.messages[0].ends_with("\r\n\r\n"));
  EXPECT_EQ(no_length.buffered, 4u);
  for (const char* bad : {"Content-Length: -4", "Content-Length: four", "Content-Length: 4\r\nl: 5",
                          "Content-Length: 99999999999999999999"}) {
    std::string text = kOptions;
    text.replace(text.find("Content-Length: 4"), 17, bad);
    EXPECT_TRUE(frame_chunks({text}).failed) << bad;
  }
}

TEST(SipStreamFramer, EnforcesTheSizeLimit) {
  const std::string message = kOptions;
  EXPECT_EQ(frame_chunks({message}, message.size()).messages.size(), 1u);
  EXPECT_TRUE(frame_chunks({message}, message.size() - 1).failed);
  // A header section that never ends fails once it passes the limit.
  StreamFramer framer(1000);
  framer.append("INVITE sip:x SIP/2.0\r\n");
  Outcome outcome;
  for (int i = 0; i < 100 && !outcome.failed; ++i) {
    framer.append("X-Filler: 0123456789012345678901234567890123456789\r\n");
    drain(framer, outcome);
  }
  EXPECT_TRUE(outcome.failed);
  // After an error the framer stays failed and stops buffering.
  framer.append(kOptions);
  EXPECT_EQ(framer.next().status, Status::Error);
  EXPECT_EQ(framer.buffered(), 0u);
  // A Content-Length far beyond the limit fails at once instead of waiting for the bytes.
  std::string huge = kOptions;
  huge.replace(huge.find("Content-Length: 4"), 17, "Content-Length: 4000000000");
  EXPECT_TRUE(frame_chunks({huge}).failed);
}

TEST(SipStreamFramer, BareLineFeedsFrameToo) {
  const std::string lf =
      "OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/TCP h.example;branch=z9hG4bK1\n"
      "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: s1\n"
      "CSeq: 1 OPTIONS\nl: 2\n\nhi";
  const Outcome outcome = frame_chunks({lf + lf});
  ASSERT_EQ(outcome.messages.size(), 2u);
  EXPECT_EQ(Message::parse(outcome.messages[1])->body(), "hi");
}

}  // namespace
}  // namespace kefu::sip
