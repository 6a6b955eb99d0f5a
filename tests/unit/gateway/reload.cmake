# The route table replaced on reload (src/gateway/reload.cmake).
list(APPEND GATEWAY_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/live_routes_test.cc)
