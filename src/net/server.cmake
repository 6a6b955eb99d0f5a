# HTTP server (Boost.Beast/Asio); included by src/net/CMakeLists.txt.
list(APPEND NET_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/server.cc)
