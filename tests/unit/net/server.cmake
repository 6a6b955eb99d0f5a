# HTTP engine tests: a real server on 127.0.0.1 port 0 and raw sockets, and the
# trust-boundary rules as pure functions.
authgate_unit_test(net_server
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/server_limits_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/server_connection_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/server_observability_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/trust_boundary_test.cc
  DEPS authgate_gateway authgate_net Boost::json)

# The request path from raw bytes to the upstream head (fuzz/request_path_fuzz.cc).
authgate_fuzz_smoke(net.fuzz.request_path_fuzz request_path_fuzz)
