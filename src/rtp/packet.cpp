#include "rtp/packet.hpp"

#include <algorithm>

#include "rtp/byte_order.hpp"

namespace kefu::rtp {

std::string_view to_string(ParseError error) {
  switch (error) {
    case ParseError::too_short:
      return "too short";
    case ParseError::bad_version:
      return "bad version";
    case ParseError::truncated_csrc:
      return "truncated CSRC list";
    case ParseError::truncated_extension:
      return "truncated header extension";
    case ParseError::bad_padding:
      return "bad padding";
  }
  return "unknown";
}

std::string_view to_string(SerializeError error) {
  switch (error) {
    case SerializeError::buffer_too_small:
      return "buffer too small";
    case SerializeError::too_many_csrcs:
      return "too many CSRCs";
    case SerializeError::bad_extension_length:
      return "bad extension length";
    case SerializeError::bad_payload_type:
      return "bad payload type";
  }
  return "unknown";
}

std::uint32_t PacketView::csrc(std::size_t index) const {
  return read_u32(csrc_bytes, index * 4);
}

Result<PacketView, ParseError> parse_packet(std::span<const std::byte> bytes) {
  if (bytes.size() < fixed_header_size) return unexpected(ParseError::too_short);
  const std::uint8_t first = read_u8(bytes, 0);
  const std::uint8_t second = read_u8(bytes, 1);
  if ((first >> 6) != rtp_version) return unexpected(ParseError::bad_version);
  const bool has_padding = (first & 0x20) != 0;
  const bool has_extension = (first & 0x10) != 0;
  const std::size_t csrc_count = first & 0x0F;

  PacketView view;
  view.marker = (second & 0x80) != 0;
  view.payload_type = second & 0x7F;
  view.sequence = read_u16(bytes, 2);
  view.timestamp = read_u32(bytes, 4);
  view.ssrc = read_u32(bytes, 8);

  std::size_t offset = fixed_header_size;
  if (bytes.size() - offset < csrc_count * 4) return unexpected(ParseError::truncated_csrc);
  view.csrc_bytes = bytes.subspan(offset, csrc_count * 4);
  offset += csrc_count * 4;

  if (has_extension) {
    if (bytes.size() - offset < 4) return unexpected(ParseError::truncated_extension);
    const std::uint16_t profile = read_u16(bytes, offset);
    const std::size_t length = static_cast<std::size_t>(read_u16(bytes, offset + 2)) * 4;
    offset += 4;
    if (bytes.size() - offset < length) return unexpected(ParseError::truncated_extension);
    view.extension = HeaderExtension{profile, bytes.subspan(offset, length)};
    offset += length;
  }

  std::size_t payload_end = bytes.size();
  if (has_padding) {
    // The last byte counts the padding, itself included (RFC 3550 5.1).
    const std::size_t pad = read_u8(bytes, bytes.size() - 1);
    if (pad == 0 || pad > bytes.size() - offset) return unexpected(ParseError::bad_padding);
    view.padding_size = static_cast<std::uint8_t>(pad);
    payload_end -= pad;
  }
  view.payload = bytes.subspan(offset, payload_end - offset);
  return view;
}

Result<std::size_t, SerializeError> serialize_packet(const PacketFields& fields,
                                                     std::span<const std::byte> payload,
                                                     std::span<std::byte> out) {
  if (fields.payload_type > 0x7F) return unexpected(SerializeError::bad_payload_type);
  if (fields.csrcs.size() > max_csrc_count) return unexpected(SerializeError::too_many_csrcs);
  std::size_t extension_size = 0;
  if (fields.extension) {
    const std::size_t length = fields.extension->data.size();
    if (length % 4 != 0 || length / 4 > 0xFFFF) {
      return unexpected(SerializeError::bad_extension_length);
    }
    extension_size = 4 + length;
  }
  const std::size_t header_size = fixed_header_size + fields.csrcs.size() * 4 + extension_size;
  const std::size_t total = header_size + payload.size() + fields.padding_size;
  if (out.size() < total) return unexpected(SerializeError::buffer_too_small);

  std::uint8_t first = rtp_version << 6;
  if (fields.padding_size > 0) first |= 0x20;
  if (fields.extension) first |= 0x10;
  first |= static_cast<std::uint8_t>(fields.csrcs.size());
  write_u8(out, 0, first);
  write_u8(out, 1, static_cast<std::uint8_t>((fields.marker ? 0x80 : 0) | fields.payload_type));
  write_u16(out, 2, fields.sequence);
  write_u32(out, 4, fields.timestamp);
  write_u32(out, 8, fields.ssrc);
  std::size_t offset = fixed_header_size;
  for (const std::uint32_t csrc : fields.csrcs) {
    write_u32(out, offset, csrc);
    offset += 4;
  }
  if (fields.extension) {
    write_u16(out, offset, fields.extension->profile);
    write_u16(out, offset + 2, static_cast<std::uint16_t>(fields.extension->data.size() / 4));
    offset += 4;
    std::ranges::copy(fields.extension->data, out.begin() + static_cast<std::ptrdiff_t>(offset));
    offset += fields.extension->data.size();
  }
  std::ranges::copy(payload, out.begin() + static_cast<std::ptrdiff_t>(offset));
  offset += payload.size();
  if (fields.padding_size > 0) {
    std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(offset), fields.padding_size - 1,
                std::byte{0});
    offset += fields.padding_size;
    write_u8(out, offset - 1, fields.padding_size);
  }
  return offset;
}

void write_fixed_header(std::span<std::byte, fixed_header_size> out, bool marker,
                        std::uint8_t payload_type, std::uint16_t sequence, std::uint32_t timestamp,
                        std::uint32_t ssrc) {
  write_u8(out, 0, rtp_version << 6);
  write_u8(out, 1, static_cast<std::uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7F)));
  write_u16(out, 2, sequence);
  write_u32(out, 4, timestamp);
  write_u32(out, 8, ssrc);
}

}  // namespace kefu::rtp
