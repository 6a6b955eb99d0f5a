// Helpers shared by the config tests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/load.h"

namespace authgate::config::testing {

// A complete, valid file; tests change one thing at a time.
inline constexpr std::string_view kValidYaml = R"(
server:
  listen: "127.0.0.1:4180"
  public_url: "https://app.example.com"
provider:
  issuer: "https://tenant.auth0.com/"
  client_id: "cid"
  client_secret: "sup3r-s3cret-value"
session:
  store: memory
)";

// All problems, one `key: reason` per line, for assertion messages.
inline std::string problemsText(const LoadResult& r) {
  std::string text;
  for (const auto& p : r.problems) text += p.str() + "\n";
  return text;
}

inline bool hasProblem(const LoadResult& r, std::string_view expected) {
  for (const auto& p : r.problems) {
    if (p.str().find(expected) != std::string::npos) return true;
  }
  return false;
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("authgate-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace authgate::config::testing
