# Configuration reload on SIGHUP (docs/CONFIGURATION.md "Reload").
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/live_routes.cc)
