#include "net/access_log.h"

#include <array>
#include <charconv>
#include <cstdint>

#include "authgate/core/random.h"

namespace authgate::net {

namespace {

// Request ids identify a request across logs; they are not secrets, so a per-thread
// PRNG seeded from the CSPRNG is enough and keeps the hot path free of locks.
class RequestIdGenerator {
 public:
  RequestIdGenerator() {
    std::array<std::uint8_t, 8> seed{};
    core::OpenSslRandom::instance().fill(seed);
    for (auto b : seed) state_ = (state_ << 8) | b;
  }
  void next(char (&out)[16]) {
    // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      out[i] = kHex[z & 0xf];
      z >>= 4;
    }
  }

 private:
  std::uint64_t state_ = 0;
};

// JSON string body escaping for the access log; bytes outside printable ASCII become
// \u00XX so the line is always valid JSON whatever the client sent.
void appendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
}

}  // namespace

void newRequestId(char (&out)[16]) {
  thread_local RequestIdGenerator gen;
  gen.next(out);
}

void formatAccessLog(std::string& out, std::string_view id, std::string_view method,
                     std::string_view path, unsigned status, double seconds,
                     std::string_view route) {
  out.clear();
  out += R"({"type":"access","id":")";
  appendJsonEscaped(out, id);
  out += R"(","method":")";
  appendJsonEscaped(out, method);
  out += R"(","path":")";
  appendJsonEscaped(out, path);
  out += R"(","status":)";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, status);
  out.append(buf, r.ptr);
  out += R"(,"duration_ms":)";
  r = std::to_chars(buf, buf + sizeof buf, seconds * 1000.0, std::chars_format::fixed, 3);
  out.append(buf, r.ptr);
  if (!route.empty()) {
    out += R"(,"route":")";
    appendJsonEscaped(out, route);
    out += '"';
  }
  out += '}';
}

}  // namespace authgate::net
