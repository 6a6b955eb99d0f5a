# libauthgate as an installed package (docs/LIBRARY.md).
#
# libauthgate is every library target defined in src/core, src/jose, src/oidc, src/rp
# and src/session: the modules and the session backends (SQLite, Redis), the store factory
# and the spdlog audit sink. Each public header in include/authgate/ is implemented by
# one of them, so the one target a user links, authgate::authgate, holds what its
# headers declare. A library added to one of those folders is part of it without an
# edit here (its third-party dependencies go in cmake/authgateConfig.cmake.in and
# cmake/authgate.pc.in; the deploy.library test fails until they do).
#
# `cmake --install BUILD --component devel` installs (nothing else of the install rules
# is in that component, and the .deb does not carry it):
#   include/authgate/...                         the public headers
#   lib/libauthgate_<module>.a                   the static libraries
#   lib/cmake/authgate/                          authgateConfig.cmake, its version
#                                                file, authgateTargets*.cmake
#   lib/pkgconfig/authgate.pc                    the same for pkg-config
set(AUTHGATE_LIBRARY_DIRS src/core src/jose src/oidc src/rp src/session)

set(AUTHGATE_LIBRARY_TARGETS "")
foreach(dir ${AUTHGATE_LIBRARY_DIRS})
  string(REGEX REPLACE "^src/" "" module ${dir})
  get_property(targets DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "STATIC_LIBRARY")
      # The module's own headers under src/<module> (a backend includes the session
      # module's private ones); the public ones come with authgate_<module>.
      authgate_module_sources(${t} ${module})
      string(REGEX REPLACE "^authgate_" "" export_name ${t})
      set_target_properties(${t} PROPERTIES EXPORT_NAME ${export_name})
      list(APPEND AUTHGATE_LIBRARY_TARGETS ${t})
    endif()
  endforeach()
endforeach()

# The target users link: authgate::authgate, in this tree and installed.
add_library(authgate_lib INTERFACE)
add_library(authgate::authgate ALIAS authgate_lib)
set_target_properties(authgate_lib PROPERTIES EXPORT_NAME authgate)
target_link_libraries(authgate_lib INTERFACE ${AUTHGATE_LIBRARY_TARGETS})
target_compile_features(authgate_lib INTERFACE cxx_std_20)

# Installed from the sanitized build (the deploy.library test does), the archives are
# instrumented: the consumer must link the sanitizer runtimes too. Only the installed
# interface says so; in this tree the global link options already do.
set(AUTHGATE_CONSUMER_LINK_FLAGS "")
if(AUTHGATE_SANITIZE)
  set(AUTHGATE_CONSUMER_LINK_FLAGS -fsanitize=address,undefined)
  target_link_options(authgate_lib INTERFACE $<INSTALL_INTERFACE:${AUTHGATE_CONSUMER_LINK_FLAGS}>)
endif()

set(AUTHGATE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/authgate)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/authgate
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT devel
        FILES_MATCHING PATTERN "*.h")
install(TARGETS ${AUTHGATE_LIBRARY_TARGETS} authgate_lib EXPORT authgateTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT authgateTargets NAMESPACE authgate:: DESTINATION ${AUTHGATE_CMAKE_DIR}
        COMPONENT devel)

include(CMakePackageConfigHelpers)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/authgateConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/package/authgateConfig.cmake
                              INSTALL_DESTINATION ${AUTHGATE_CMAKE_DIR})
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/authgateConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/authgateConfig.cmake
              ${PROJECT_BINARY_DIR}/package/authgateConfigVersion.cmake
        DESTINATION ${AUTHGATE_CMAKE_DIR} COMPONENT devel)

# pkg-config: the archives in reverse order of definition (a library links only what
# was defined before it, so this is an order GNU ld resolves in one pass), then the
# third-party libraries without a .pc file of their own (Boost).
set(AUTHGATE_PC_LIBS "")
foreach(t ${AUTHGATE_LIBRARY_TARGETS})
  get_target_property(out ${t} OUTPUT_NAME)
  if(NOT out)
    set(out ${t})
  endif()
  list(PREPEND AUTHGATE_PC_LIBS -l${out})
endforeach()
list(APPEND AUTHGATE_PC_LIBS -lboost_json -lboost_url -pthread ${AUTHGATE_CONSUMER_LINK_FLAGS})
list(JOIN AUTHGATE_PC_LIBS " " AUTHGATE_PC_LIBS)
# The prefix relative to the .pc file, so the installed tree can be moved.
file(RELATIVE_PATH AUTHGATE_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" AUTHGATE_PC_TO_PREFIX "${AUTHGATE_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/authgate.pc.in ${PROJECT_BINARY_DIR}/package/authgate.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/authgate.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)
