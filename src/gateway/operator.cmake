# Operator-facing additions: the log formats (docs/CONFIGURATION.md "server").
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/log_format.cc)
