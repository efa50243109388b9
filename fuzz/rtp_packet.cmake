# fuzz_rtp_packet: RTP parse/serialize round trip, RFC 4733 payloads and the event receiver,
# receive statistics and G.711 decoding over arbitrary bytes.
add_executable(fuzz_rtp_packet ${CMAKE_CURRENT_LIST_DIR}/rtp_packet.cpp)
target_link_libraries(fuzz_rtp_packet PRIVATE kefu_rtp kefu_warnings)
target_link_options(fuzz_rtp_packet PRIVATE -fsanitize=fuzzer)
add_dependencies(fuzz_targets fuzz_rtp_packet)
