# The HTTP engine (Boost.Beast/Asio): serving routes and forwarding to upstreams;
# included by src/net/CMakeLists.txt.
list(APPEND NET_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/http.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/access_log.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/framing.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/forwarded.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/trust_boundary.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/upstream.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/connection.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/forwarder.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/server.cc)
