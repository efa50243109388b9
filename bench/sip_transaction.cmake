# Transaction layer throughput (create, match, complete) and whole INVITE sessions, on the
# in-memory loopback transport with the virtual clock: no sockets, no real time.
add_executable(bench_sip_transaction ${CMAKE_CURRENT_LIST_DIR}/sip_transaction.cpp)
target_link_libraries(bench_sip_transaction PRIVATE kefu_sip_stack kefu_warnings benchmark::benchmark)
