# CRM look-ups (by phone number, name prefix, account number; the screen pop) at 1,000,000
# customers on SQLite and PostgreSQL, with p50/p99 latencies (see bench/crm.cpp). PostgreSQL
# comes from the store tests' throwaway cluster (tests/unit/store/postgres_cluster.hpp).
if(TARGET kefu_crm)
  find_package(PostgreSQL REQUIRED)
  add_executable(bench_crm ${CMAKE_CURRENT_LIST_DIR}/crm.cpp
    ${PROJECT_SOURCE_DIR}/tests/unit/store/postgres_cluster.cpp)
  target_include_directories(bench_crm PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/store)
  target_link_libraries(bench_crm PRIVATE kefu_crm kefu_store kefu_warnings PostgreSQL::PostgreSQL
    benchmark::benchmark)
endif()
