# Pure helpers of the reverse proxy, bearer tokens and X-Forwarded-* (src/gateway/protect.cmake).
list(APPEND GATEWAY_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/protect_test.cc
                                 ${CMAKE_CURRENT_SOURCE_DIR}/routes_test.cc)
