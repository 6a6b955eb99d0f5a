# Protecting apps: reverse proxy, bearer tokens, X-Forwarded-* (docs/PROTECT.md).
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/proxy.cc ${CMAKE_CURRENT_SOURCE_DIR}/bearer.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/forwarded.cc)
