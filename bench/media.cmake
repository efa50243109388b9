# bench_media: per-packet costs of the media plane (encode, packetize, transcode, RFC 4733),
# the send paths a tick can use, and the engine's per-tick cost with many playing sessions.
add_executable(bench_media ${CMAKE_CURRENT_LIST_DIR}/media.cpp)
target_link_libraries(bench_media PRIVATE kefu_media kefu_warnings benchmark::benchmark)
