# Outbound HTTP client tests. They start tests/tooling/client_test_server.mjs (node,
# built-in modules only) and use the openssl CLI for a throwaway certificate.
authgate_unit_test(net_http_client SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/http_client_test.cc
  DEPS authgate_net)
target_compile_definitions(net_http_client_test PRIVATE
  AUTHGATE_CLIENT_TEST_SERVER="${PROJECT_SOURCE_DIR}/tests/tooling/client_test_server.mjs")
