# Install rules and the Debian package (docs/DEPLOY.md "Bare metal").
#
# `cmake --install build/release` puts in place:
#   bin/authgate                         stripped, with a .gnu_debuglink to
#   lib/debug/usr/bin/authgate.debug     its debug symbols (component "debug")
#   /etc/authgate/authgate.yaml          the default settings (a conffile in the .deb)
#   /etc/authgate/authgate.env           secrets for the unit's EnvironmentFile=
#   lib/systemd/system/authgate.service  the hardened unit
#   share/doc/authgate/                  the docs; share/man/man1/authgate.1
#
# The package is CPack's DEB generator, not debhelper: one build system describes both
# `cmake --install` and the package, so there is no debian/ tree to keep in step with
# the CMake rules. `cpack -G DEB` in the build directory writes authgate_<v>_<arch>.deb
# and authgate-dbgsym_<v>_<arch>.deb with the debug symbols (component "debug").
include(GNUInstallDirs)

set(AUTHGATE_PKG_DIR ${PROJECT_SOURCE_DIR}/deploy/package)
set(AUTHGATE_SPLIT_DIR ${PROJECT_BINARY_DIR}/split)

# Debug symbols kept apart: the stripped binary names its debug file by
# .gnu_debuglink, which gdb finds under /usr/lib/debug/<directory of the binary>/.
find_program(AUTHGATE_OBJCOPY NAMES objcopy REQUIRED)
add_custom_command(
  OUTPUT ${AUTHGATE_SPLIT_DIR}/authgate ${AUTHGATE_SPLIT_DIR}/authgate.debug
  COMMAND ${CMAKE_COMMAND} -E make_directory ${AUTHGATE_SPLIT_DIR}
  COMMAND ${AUTHGATE_OBJCOPY} --only-keep-debug --compress-debug-sections $<TARGET_FILE:authgate>
          ${AUTHGATE_SPLIT_DIR}/authgate.debug
  COMMAND ${AUTHGATE_OBJCOPY} --strip-debug --strip-unneeded
          --add-gnu-debuglink=${AUTHGATE_SPLIT_DIR}/authgate.debug $<TARGET_FILE:authgate>
          ${AUTHGATE_SPLIT_DIR}/authgate
  DEPENDS authgate
  COMMENT "authgate: stripped binary and split debug symbols"
  VERBATIM)
# Only what is installed needs it; the sanitized test build skips the copy.
if(AUTHGATE_SANITIZE)
  add_custom_target(authgate_split DEPENDS ${AUTHGATE_SPLIT_DIR}/authgate)
else()
  add_custom_target(authgate_split ALL DEPENDS ${AUTHGATE_SPLIT_DIR}/authgate)
endif()

# The unit and the package name /etc/authgate/ whatever the prefix (DESTDIR applies).
set(AUTHGATE_ETC /etc/authgate CACHE PATH "where the settings and the env file are installed")
set(AUTHGATE_UNIT_DIR lib/systemd/system)  # /usr/lib/systemd/system in the package
set(AUTHGATE_PACKAGE_MAINTAINER "authgate maintainers <authgate@localhost>"
    CACHE STRING "Maintainer field and changelog signature of the .deb")

install(PROGRAMS ${AUTHGATE_SPLIT_DIR}/authgate DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT runtime)
# gdb looks in /usr/lib/debug/<the binary's directory>/: right for the prefix /usr that
# the package and the image use (cpack and the Dockerfile install with it).
install(FILES ${AUTHGATE_SPLIT_DIR}/authgate.debug
        DESTINATION lib/debug/usr/${CMAKE_INSTALL_BINDIR} COMPONENT debug)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/authgate.yaml DESTINATION ${AUTHGATE_ETC}
        COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/authgate.env DESTINATION ${AUTHGATE_ETC}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT runtime)
install(FILES ${AUTHGATE_PKG_DIR}/authgate.service DESTINATION ${AUTHGATE_UNIT_DIR}
        COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/DEPLOY.md
              ${PROJECT_SOURCE_DIR}/docs/CONFIGURATION.md ${PROJECT_SOURCE_DIR}/docs/SESSIONS.md
              ${PROJECT_SOURCE_DIR}/docs/PROTECT.md ${PROJECT_SOURCE_DIR}/docs/LOGIN.md
              ${PROJECT_SOURCE_DIR}/docs/LIFECYCLE.md ${PROJECT_SOURCE_DIR}/examples/authgate.example.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(FILES ${AUTHGATE_PKG_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# Debian wants the changelog and man page gzipped with -n (no name or time: reproducible).
find_program(AUTHGATE_GZIP NAMES gzip REQUIRED)
configure_file(${AUTHGATE_PKG_DIR}/changelog.in ${AUTHGATE_SPLIT_DIR}/changelog @ONLY)
foreach(f ${AUTHGATE_SPLIT_DIR}/changelog ${AUTHGATE_PKG_DIR}/authgate.1)
  get_filename_component(n ${f} NAME)
  add_custom_command(OUTPUT ${AUTHGATE_SPLIT_DIR}/${n}.gz
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${AUTHGATE_SPLIT_DIR}
                     COMMAND ${AUTHGATE_GZIP} -9n -c ${f} > ${AUTHGATE_SPLIT_DIR}/${n}.gz
                     DEPENDS ${f})
endforeach()
add_custom_target(authgate_pkg_docs ALL DEPENDS ${AUTHGATE_SPLIT_DIR}/changelog.gz
                                                ${AUTHGATE_SPLIT_DIR}/authgate.1.gz)
install(FILES ${AUTHGATE_SPLIT_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT runtime)
# The debug package carries its own copyright and changelog, as Debian requires.
install(FILES ${AUTHGATE_PKG_DIR}/copyright ${AUTHGATE_SPLIT_DIR}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/authgate-dbgsym COMPONENT debug)
install(FILES ${AUTHGATE_SPLIT_DIR}/authgate.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        COMPONENT runtime)
install(FILES ${AUTHGATE_PKG_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME authgate COMPONENT runtime)
install(FILES ${AUTHGATE_PKG_DIR}/lintian-overrides-dbgsym
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME authgate-dbgsym
        COMPONENT debug)

# The .deb: component runtime is package "authgate", component debug "authgate-dbgsym".
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME authgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${AUTHGATE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OpenID Connect authentication gateway")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "authgate signs users in to web applications through Auth0 or any OpenID
Connect provider with the Authorization Code Flow as a confidential client,
keeps tokens server-side and tracks every login session.")
set(CPACK_DEBIAN_DEBUG_DESCRIPTION
    "Debug symbols for authgate: the DWARF information of /usr/bin/authgate,
found by gdb through the binary's .gnu_debuglink.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime debug)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME authgate)
set(CPACK_DEBIAN_RUNTIME_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_DEBUG_PACKAGE_NAME authgate-dbgsym)
set(CPACK_DEBIAN_DEBUG_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_DEBUG_PACKAGE_SECTION debug)
set(CPACK_DEBIAN_DEBUG_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_DEBUG_PACKAGE_DEPENDS "authgate (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${AUTHGATE_PKG_DIR}/conffiles ${AUTHGATE_PKG_DIR}/postinst ${AUTHGATE_PKG_DIR}/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
