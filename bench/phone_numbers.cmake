# Phone number parsing with and without the shortcuts for plain Chinese spellings (ADR 0015).
if(TARGET kefu_crm)
  add_executable(bench_phone_numbers ${CMAKE_CURRENT_LIST_DIR}/phone_numbers.cpp)
  target_link_libraries(bench_phone_numbers PRIVATE kefu_crm kefu_warnings benchmark::benchmark)
endif()
