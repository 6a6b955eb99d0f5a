# Modules and their include boundaries (docs/ARCHITECTURE.md "CMake boundaries").
#
# A module's headers are reachable only through include roots made for it in the build
# tree, one symbolic link each, so a target sees exactly the headers of the modules it
# links (and its own):
#   include-roots/<m>/public/authgate/<m> -> include/authgate/<m>   libauthgate's public
#                                                                   headers (PUBLIC)
#   include-roots/<m>/src/<m>             -> src/<m>                headers next to the
#        sources: PRIVATE for a library module (core, jose, oidc, rp, session: the ones with
#        include/authgate/<m>), PUBLIC for a binary-side module (config, net, gateway),
#        whose interface they are
# No target has include/ or src/ itself on its path, so `#include "gateway/app.h"` in
# src/net or `#include "authgate/jose/jwt.h"` in src/session does not compile: the
# dependency direction is held by target_link_libraries, not by a script alone
# (tests/arch/check_includes.sh still checks the same table).
include(GNUInstallDirs)

set(AUTHGATE_INCLUDE_ROOTS ${PROJECT_BINARY_DIR}/include-roots)

# A directory holding one link, `name` -> `target`, made again at every configure.
function(authgate_link_root root name target)
  get_filename_component(parent ${root}/${name} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(REMOVE ${root}/${name})
  file(CREATE_LINK ${target} ${root}/${name} SYMBOLIC)
endfunction()

# authgate_module_roots(NAME): sets AUTHGATE_<NAME>_PUBLIC_ROOT (library modules only,
# else empty) and AUTHGATE_<NAME>_SOURCE_ROOT in the caller's scope.
function(authgate_module_roots name)
  set(pub "")
  if(EXISTS ${PROJECT_SOURCE_DIR}/include/authgate/${name})
    set(pub ${AUTHGATE_INCLUDE_ROOTS}/${name}/public)
    authgate_link_root(${pub} authgate/${name} ${PROJECT_SOURCE_DIR}/include/authgate/${name})
  endif()
  set(src ${AUTHGATE_INCLUDE_ROOTS}/${name}/src)
  authgate_link_root(${src} ${name} ${PROJECT_SOURCE_DIR}/src/${name})
  string(TOUPPER ${name} up)
  set(AUTHGATE_${up}_PUBLIC_ROOT ${pub} PARENT_SCOPE)
  set(AUTHGATE_${up}_SOURCE_ROOT ${src} PARENT_SCOPE)
endfunction()

# authgate_module_sources(TARGET MODULE): TARGET may include MODULE's own headers under
# src/MODULE (a second library of the module, e.g. a session backend, or the binary).
function(authgate_module_sources target name)
  authgate_module_roots(${name})
  string(TOUPPER ${name} up)
  target_include_directories(${target} PRIVATE ${AUTHGATE_${up}_SOURCE_ROOT})
endfunction()

# authgate_module(NAME SOURCES... DEPS ...) declares one module as a static library
# authgate_<NAME>. A library module also gets authgate_<NAME>_internal: the module plus
# its private headers, for its own unit tests only.
function(authgate_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  authgate_module_roots(${name})
  string(TOUPPER ${name} up)
  set(pub ${AUTHGATE_${up}_PUBLIC_ROOT})
  set(src ${AUTHGATE_${up}_SOURCE_ROOT})
  set(t authgate_${name})
  if(NOT M_SOURCES)
    # A module with no sources yet: an interface target keeps the graph in place.
    add_library(${t} INTERFACE)
    target_include_directories(${t} INTERFACE $<BUILD_INTERFACE:${pub}> $<BUILD_INTERFACE:${src}>)
    target_link_libraries(${t} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(${t} STATIC ${M_SOURCES})
  if(pub)
    target_include_directories(${t} PUBLIC $<BUILD_INTERFACE:${pub}> PRIVATE ${src})
    add_library(${t}_internal INTERFACE)
    target_include_directories(${t}_internal INTERFACE ${src})
    target_link_libraries(${t}_internal INTERFACE ${t})
  else()
    target_include_directories(${t} PUBLIC ${src})
  endif()
  target_link_libraries(${t} PUBLIC ${M_DEPS})
  authgate_warnings(${t})
endfunction()
