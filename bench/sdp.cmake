# SDP parse, serialize and answer a typical phone offer.
add_executable(bench_sdp ${CMAKE_CURRENT_LIST_DIR}/sdp.cpp)
target_link_libraries(bench_sdp PRIVATE kefu_sdp kefu_warnings benchmark::benchmark_main)
