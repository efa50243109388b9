# CRM look-ups (by phone number, name prefix, account number; the screen pop) at 1,000,000
# customers on SQLite and PostgreSQL, with p50/p99 latencies (see bench/crm.cpp). PostgreSQL
# comes from the store tests' throwaway cluster (tests/unit/store/postgres_cluster.hpp).
# crm_seed fills a database with the same customers for the HTTP load run
# (bench/load/crm_load.py); it is not named bench_* so scripts/run-bench leaves it alone.
if(TARGET kefu_crm)
  find_package(PostgreSQL REQUIRED)
  add_library(kefu_bench_crm_data STATIC ${CMAKE_CURRENT_LIST_DIR}/crm_data.cpp)
  target_include_directories(kefu_bench_crm_data PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(kefu_bench_crm_data PUBLIC kefu_crm kefu_store PRIVATE kefu_warnings)

  add_executable(bench_crm ${CMAKE_CURRENT_LIST_DIR}/crm.cpp
    ${PROJECT_SOURCE_DIR}/tests/unit/store/postgres_cluster.cpp)
  target_include_directories(bench_crm PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/store)
  target_link_libraries(bench_crm PRIVATE kefu_bench_crm_data kefu_auth kefu_crm kefu_store kefu_warnings
    PostgreSQL::PostgreSQL benchmark::benchmark)

  add_executable(crm_seed ${CMAKE_CURRENT_LIST_DIR}/crm_seed.cpp)
  target_link_libraries(crm_seed PRIVATE kefu_bench_crm_data kefu_auth kefu_crm kefu_store
    kefu_warnings)
endif()
