# One log format per process (src/gateway/operator.cmake).
list(APPEND GATEWAY_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/log_format_test.cc)
