# Debian 12 packages, each chosen for one job (see docs/ARCHITECTURE.md).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)              # crypto: JWS verify, AES-GCM, hashing, RNG
find_package(Boost 1.81 REQUIRED COMPONENTS json url)   # Beast/Asio (header-only), JSON, URL
find_package(CURL REQUIRED)                   # outbound HTTP client
find_package(SQLite3 REQUIRED)                # embedded session store
find_package(PostgreSQL REQUIRED)             # shared session store (libpq)
find_package(yaml-cpp REQUIRED)               # settings file
find_package(spdlog REQUIRED)                 # logging
find_package(CLI11 REQUIRED)                  # command line
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)   # Redis session store
if(AUTHGATE_TESTS)
  find_package(GTest REQUIRED)
endif()
if(AUTHGATE_BENCH)
  find_package(benchmark QUIET)
endif()
