# SIP message layer: parse a softphone INVITE with SDP and a REGISTER with credentials,
# frame a stream, build a response.
add_executable(bench_sip_parser ${CMAKE_CURRENT_LIST_DIR}/sip_parser.cpp)
target_link_libraries(bench_sip_parser PRIVATE kefu_sip_syntax kefu_warnings benchmark::benchmark_main)
