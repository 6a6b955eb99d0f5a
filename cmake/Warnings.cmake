# Warnings are errors for project code. Third-party headers come in as SYSTEM.
function(authgate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual -Wformat=2
                                           -Wimplicit-fallthrough)
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
