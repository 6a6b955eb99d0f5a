#include <curl/curl.h>
#include <openssl/crypto.h>
#include <spdlog/version.h>
#include <sqlite3.h>

#include <boost/version.hpp>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/version_info.h"

namespace authgate::cli {

std::string versionText() {
  std::ostringstream out;
  out << "authgate " << kVersion;
  if (!std::string_view(kGitDescribe).empty()) out << " (" << kGitDescribe << ")";
  out << "\nbuild: " << kBuildType << (kSanitized ? ", ASan+UBSan" : "") << "\n";
#if defined(__clang__)
  out << "compiler: clang " << __clang_version__ << "\n";
#elif defined(__GNUC__)
  out << "compiler: gcc " << __VERSION__ << "\n";
#endif
  out << "OpenSSL: " << OpenSSL_version(OPENSSL_VERSION) << "\n";
  out << "Boost: " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "."
      << BOOST_VERSION % 100 << "\n";
  out << "libcurl: " << curl_version_info(CURLVERSION_NOW)->version << "\n";
  out << "SQLite: " << sqlite3_libversion() << "\n";
  out << "spdlog: " << SPDLOG_VER_MAJOR << "." << SPDLOG_VER_MINOR << "." << SPDLOG_VER_PATCH
      << "\n";
  return out.str();
}

int runVersion() {
  std::cout << versionText();
  return kExitOk;
}

}  // namespace authgate::cli
