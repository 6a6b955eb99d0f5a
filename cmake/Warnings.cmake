# Warnings are errors for project code. Third-party headers come in as SYSTEM.
function(authgate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual -Wformat=2
                                           -Wimplicit-fallthrough)
  # GCC 12 at -O2 reports false -Wrestrict and -Wstringop-overflow inside std::string
  # (GCC bugs 105651, 105329);
  # keep it a warning there so Release builds of correct code do not fail.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-error=restrict -Wno-error=stringop-overflow)
  endif()
endfunction()

# authgate_module(NAME SOURCES... DEPS ...) declares one module as a static library.
function(authgate_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT M_SOURCES)
    # A module with no sources yet: an interface target keeps the graph in place.
    add_library(authgate_${name} INTERFACE)
    target_include_directories(authgate_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include
                                                          ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(authgate_${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(authgate_${name} STATIC ${M_SOURCES})
  target_include_directories(authgate_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                                     ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(authgate_${name} PUBLIC ${M_DEPS})
  authgate_warnings(authgate_${name})
endfunction()
