# Token lifecycle helpers (src/gateway/refresh.h).
list(APPEND GATEWAY_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/refresh_test.cc)
