# ACD routing decision latency and agent state change cost (see bench/acd.cpp).
if(NOT TARGET kefu_acd)
  add_subdirectory(${PROJECT_SOURCE_DIR}/src/acd ${PROJECT_BINARY_DIR}/src/acd)
endif()
add_executable(bench_acd ${CMAKE_CURRENT_LIST_DIR}/acd.cpp)
target_link_libraries(bench_acd PRIVATE kefu_acd kefu_warnings benchmark::benchmark_main)
