# The pages: user-agent summaries, form tokens, the built-in templates and the brand.
list(APPEND GATEWAY_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/pages_test.cc)
