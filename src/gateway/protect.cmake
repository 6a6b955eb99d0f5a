# Protecting apps: the reverse proxy's decisions and bearer tokens (docs/PROTECT.md).
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/proxy.cc ${CMAKE_CURRENT_SOURCE_DIR}/routes.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/bearer.cc)
