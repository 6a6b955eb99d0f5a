# Outbound HTTP client (libcurl) for talking to the provider.
list(APPEND NET_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/http_client.cc)
