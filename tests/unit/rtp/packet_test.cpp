#include "rtp/packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace kefu::rtp {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(std::byte{static_cast<std::uint8_t>(v)});
  return out;
}

TEST(RtpPacket, ParsesFixedHeaderAndPayload) {
  const auto packet =
      bytes({0x80, 0x88, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04, 0xAA, 0xBB});
  const auto parsed = parse_packet(packet);
  ASSERT_TRUE(parsed) << to_string(parsed.error());
  EXPECT_TRUE(parsed->marker);
  EXPECT_EQ(parsed->payload_type, 8);
  EXPECT_EQ(parsed->sequence, 0x1234);
  EXPECT_EQ(parsed->timestamp, 0xDEADBEEFU);
  EXPECT_EQ(parsed->ssrc, 0x01020304U);
  EXPECT_EQ(parsed->csrc_count(), 0U);
  EXPECT_FALSE(parsed->extension);
  ASSERT_EQ(parsed->payload.size(), 2U);
  EXPECT_EQ(parsed->payload[0], std::byte{0xAA});
  EXPECT_EQ(parsed->padding_size, 0);
}

TEST(RtpPacket, ParsesCsrcExtensionAndPadding) {
  // V=2 P=1 X=1 CC=2
  const auto packet = bytes({0xB2, 0x00, 0x00, 0x01, 0, 0, 0, 2,  0, 0, 0, 3,  // fixed
                             0,    0,    0,    10,   0, 0, 0, 11,              // CSRCs
                             0xBE, 0xDE, 0x00, 0x01, 1, 2, 3, 4,               // extension
                             0x55, 0x66, 0x77,                                 // payload
                             0,    0,    3});                                  // padding
  const auto parsed = parse_packet(packet);
  ASSERT_TRUE(parsed) << to_string(parsed.error());
  EXPECT_FALSE(parsed->marker);
  ASSERT_EQ(parsed->csrc_count(), 2U);
  EXPECT_EQ(parsed->csrc(0), 10U);
  EXPECT_EQ(parsed->csrc(1), 11U);
  ASSERT_TRUE(parsed->extension);
  EXPECT_EQ(parsed->extension->profile, 0xBEDE);
  EXPECT_EQ(parsed->extension->data.size(), 4U);
  ASSERT_EQ(parsed->payload.size(), 3U);
  EXPECT_EQ(parsed->payload[2], std::byte{0x77});
  EXPECT_EQ(parsed->padding_size, 3);
}

TEST(RtpPacket, RejectsMalformedPackets) {
  EXPECT_EQ(parse_packet({}).error(), ParseError::too_short);
  EXPECT_EQ(parse_packet(bytes({0x80, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0})).error(),
            ParseError::too_short);
  EXPECT_EQ(parse_packet(bytes({0x40, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3})).error(),
            ParseError::bad_version);
  EXPECT_EQ(parse_packet(bytes({0x00, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3})).error(),
            ParseError::bad_version);
  // CC=1 but no CSRC bytes.
  EXPECT_EQ(parse_packet(bytes({0x81, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0})).error(),
            ParseError::truncated_csrc);
  // X=1 with a partial extension header, then with a length longer than the packet.
  EXPECT_EQ(parse_packet(bytes({0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE})).error(),
            ParseError::truncated_extension);
  EXPECT_EQ(
      parse_packet(bytes({0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 2, 1, 2, 3, 4}))
          .error(),
      ParseError::truncated_extension);
  // P=1 with a zero pad count, and with a pad count larger than the payload.
  EXPECT_EQ(parse_packet(bytes({0xA0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 0})).error(),
            ParseError::bad_padding);
  EXPECT_EQ(parse_packet(bytes({0xA0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 3})).error(),
            ParseError::bad_padding);
  // P=1 where the only byte after the header is the count itself: valid, empty payload.
  const auto only_pad = parse_packet(bytes({0xA0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1}));
  ASSERT_TRUE(only_pad);
  EXPECT_TRUE(only_pad->payload.empty());
}

TEST(RtpPacket, SerializeThenParseRoundTrips) {
  const std::array<std::uint32_t, 3> csrcs{7, 8, 9};
  const auto extension_data = bytes({1, 2, 3, 4, 5, 6, 7, 8});
  const auto payload = bytes({0x10, 0x20, 0x30, 0x40, 0x50});
  PacketFields fields;
  fields.marker = true;
  fields.payload_type = 101;
  fields.sequence = 65535;
  fields.timestamp = 4000000000U;
  fields.ssrc = 0x11223344;
  fields.csrcs = csrcs;
  fields.extension = HeaderExtension{0x1000, extension_data};
  fields.padding_size = 4;
  std::array<std::byte, 128> buffer{};
  const auto size = serialize_packet(fields, payload, buffer);
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 12U + 12U + 4U + 8U + 5U + 4U);

  const auto parsed = parse_packet(std::span(buffer).first(*size));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->marker);
  EXPECT_EQ(parsed->payload_type, 101);
  EXPECT_EQ(parsed->sequence, 65535);
  EXPECT_EQ(parsed->timestamp, 4000000000U);
  EXPECT_EQ(parsed->ssrc, 0x11223344U);
  ASSERT_EQ(parsed->csrc_count(), 3U);
  EXPECT_EQ(parsed->csrc(2), 9U);
  ASSERT_TRUE(parsed->extension);
  EXPECT_EQ(parsed->extension->profile, 0x1000);
  EXPECT_TRUE(std::ranges::equal(parsed->extension->data, extension_data));
  EXPECT_TRUE(std::ranges::equal(parsed->payload, payload));
  EXPECT_EQ(parsed->padding_size, 4);
}

TEST(RtpPacket, SerializeReportsBadInput) {
  std::array<std::byte, 16> small{};
  const auto payload = bytes({1, 2, 3, 4, 5, 6, 7, 8});
  PacketFields fields;
  EXPECT_EQ(serialize_packet(fields, payload, small).error(), SerializeError::buffer_too_small);
  fields.payload_type = 128;
  std::array<std::byte, 64> big{};
  EXPECT_EQ(serialize_packet(fields, {}, big).error(), SerializeError::bad_payload_type);
  fields.payload_type = 0;
  const auto odd = bytes({1, 2, 3});
  fields.extension = HeaderExtension{1, odd};
  EXPECT_EQ(serialize_packet(fields, {}, big).error(), SerializeError::bad_extension_length);
  fields.extension.reset();
  const std::array<std::uint32_t, 16> too_many{};
  fields.csrcs = too_many;
  EXPECT_EQ(serialize_packet(fields, {}, big).error(), SerializeError::too_many_csrcs);
}

TEST(RtpPacket, FixedHeaderMatchesGeneralSerializer) {
  std::array<std::byte, fixed_header_size> fast{};
  write_fixed_header(fast, true, 0, 0xABCD, 0x01020304, 0xCAFEBABE);
  PacketFields fields{true, 0, 0xABCD, 0x01020304, 0xCAFEBABE, {}, std::nullopt, 0};
  std::array<std::byte, fixed_header_size> general{};
  ASSERT_TRUE(serialize_packet(fields, {}, general));
  EXPECT_EQ(fast, general);
}

TEST(RtpPacket, SerialArithmetic) {
  EXPECT_TRUE(sequence_before(65535, 0));
  EXPECT_FALSE(sequence_before(0, 65535));
  EXPECT_FALSE(sequence_before(5, 5));
  EXPECT_TRUE(timestamp_before(0xFFFFFF00U, 0x10));
  EXPECT_FALSE(timestamp_before(0x10, 0xFFFFFF00U));
}

}  // namespace
}  // namespace kefu::rtp
