# libFuzzer target for the SIP message layer (src/sip/syntax): Message::parse, the builder
# round trip, StreamFramer under arbitrary chunking, and the standalone value parsers.
add_executable(fuzz_sip_parser ${CMAKE_CURRENT_LIST_DIR}/sip_parser.cpp)
target_link_libraries(fuzz_sip_parser PRIVATE kefu_sip_syntax kefu_warnings)
target_link_options(fuzz_sip_parser PRIVATE -fsanitize=fuzzer)
add_dependencies(fuzz_targets fuzz_sip_parser)
