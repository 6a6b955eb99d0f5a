# Token lifecycle: single-flight refresh, back-channel logout (docs/LIFECYCLE.md).
list(APPEND GATEWAY_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/refresh.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/backchannel.cc)
