# libFuzzer target for the SDP parser, serializer and offer/answer (src/sdp).
add_executable(fuzz_sdp_parser ${CMAKE_CURRENT_LIST_DIR}/sdp_parser.cpp)
target_link_libraries(fuzz_sdp_parser PRIVATE kefu_sdp kefu_warnings)
target_link_options(fuzz_sdp_parser PRIVATE -fsanitize=fuzzer)
add_dependencies(fuzz_targets fuzz_sdp_parser)
