# Operator-facing additions: bearer tokens from provider.jwks_urls (docs/PROTECT.md).
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/key_sets.cc)
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/log_format.cc)
