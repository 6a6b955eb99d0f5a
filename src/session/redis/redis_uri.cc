// The Redis store's URIs: redis:// (one server) and redis-sentinel:// (a master found
// through sentinels). Grammar in redis_store.h; docs/CONFIGURATION.md (`session.store`)
// and docs/SESSIONS.md ("Redis Sentinel") for operators.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "authgate/session/redis_store.h"

namespace authgate::session {

namespace {

// Strips "[user:pass@]" from the front of `rest` into `o` (the last '@' ends it, so a
// password may contain '@').
void takeCredentials(std::string_view& rest, RedisStoreOptions& o) {
  auto at = rest.rfind('@');
  if (at == std::string_view::npos) return;
  std::string_view cred = rest.substr(0, at);
  rest = rest.substr(at + 1);
  auto colon = cred.find(':');
  if (colon == std::string_view::npos) {
    o.password = core::Secret(std::string(cred));
  } else {
    o.username = std::string(cred.substr(0, colon));
    o.password = core::Secret(std::string(cred.substr(colon + 1)));
  }
}

bool parseInt(std::string_view s, int& out, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) {
    return false;
  }
  out = v;
  return true;
}

// "host[:port]"; false on an empty host or a bad port.
bool parseHostPort(std::string_view hostport, std::string& host, int& port) {
  std::string_view h = hostport;
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    h = hostport.substr(0, colon);
    if (!parseInt(hostport.substr(colon + 1), port, 1, 65535)) return false;
  }
  if (h.empty()) return false;
  host = std::string(h);
  return true;
}

// RFC 3986 percent-decoding of a query value ('+' is kept: this is not a form).
std::optional<std::string> percentDecode(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out.push_back(v[i]);
      continue;
    }
    unsigned byte = 0;
    if (i + 2 >= v.size()) return std::nullopt;
    auto [p, ec] = std::from_chars(v.data() + i + 1, v.data() + i + 3, byte, 16);
    if (ec != std::errc() || p != v.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return out;
}

constexpr int kMaxDatabase = 1 << 20;

Result<RedisStoreOptions> refuse(std::string* why, std::string reason) {
  if (why) *why = std::move(reason);
  return Errc::kBadStoreUri;
}

}  // namespace

Result<RedisStoreOptions> parseRedisUri(std::string_view uri) {
  constexpr std::string_view kScheme = "redis://";
  if (uri.substr(0, kScheme.size()) != kScheme) return Errc::kBadStoreUri;
  std::string_view rest = uri.substr(kScheme.size());
  RedisStoreOptions o;
  takeCredentials(rest, o);
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parseInt(db, o.database, 0, kMaxDatabase)) return Errc::kBadStoreUri;
  }
  if (!parseHostPort(hostport, o.host, o.port)) return Errc::kBadStoreUri;
  return o;
}

Result<RedisStoreOptions> parseRedisSentinelUri(std::string_view uri, std::string* why) {
  constexpr std::string_view kScheme = "redis-sentinel://";
  if (uri.substr(0, kScheme.size()) != kScheme) return refuse(why, "not redis-sentinel://");
  std::string_view rest = uri.substr(kScheme.size());
  RedisStoreOptions o;
  o.waitReplicas = 1;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  takeCredentials(rest, o);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return refuse(why, "no /MASTER_NAME after the sentinels");
  std::string_view hosts = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);
  while (true) {
    auto comma = hosts.find(',');
    RedisStoreOptions::Address a{"", 26379};
    if (!parseHostPort(hosts.substr(0, comma), a.host, a.port)) {
      return refuse(why, "a sentinel is not host[:port] (port 1..65535)");
    }
    o.sentinels.push_back(std::move(a));
    if (comma == std::string_view::npos) break;
    hosts = hosts.substr(comma + 1);
  }
  std::string_view name = path.substr(0, path.find('/'));
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
      })) {
    return refuse(why, "the master name is empty or has a character other than A-Z a-z 0-9 - _ .");
  }
  o.masterName = std::string(name);
  if (name.size() < path.size()) {
    std::string_view db = path.substr(name.size() + 1);
    if (!db.empty() && !parseInt(db, o.database, 0, kMaxDatabase)) {
      return refuse(why, "the database after the master name is not a number");
    }
  }
  bool sentinelUser = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) return refuse(why, "a query parameter without '='");
    std::string_view k = kv.substr(0, eq);
    std::string_view v = kv.substr(eq + 1);
    int n = 0;
    if (k == "wait_replicas") {
      if (!parseInt(v, n, 0, 64)) return refuse(why, "wait_replicas must be 0..64");
      o.waitReplicas = n;
    } else if (k == "wait_timeout_ms") {
      if (!parseInt(v, n, 1, 60000)) return refuse(why, "wait_timeout_ms must be 1..60000");
      o.waitTimeout = std::chrono::milliseconds(n);
    } else if (k == "sentinel_user" || k == "sentinel_password") {
      auto decoded = percentDecode(v);
      if (!decoded || decoded->empty()) {
        return refuse(why, std::string(k) + " is empty or has a bad %-escape");
      }
      if (k == "sentinel_user") {
        o.sentinelUsername = std::move(*decoded);
        sentinelUser = true;
      } else {
        o.sentinelPassword = core::Secret(std::move(*decoded));
      }
    } else {
      // The name only: an unknown parameter may be a misspelt password.
      std::string key(k.substr(0, 40));
      if (!std::all_of(key.begin(), key.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
          })) {
        key = "?";
      }
      return refuse(why, "unknown query parameter \"" + key +
                             "\" (known: wait_replicas, wait_timeout_ms, sentinel_user, "
                             "sentinel_password)");
    }
  }
  if (sentinelUser && o.sentinelPassword.empty()) {
    return refuse(why, "sentinel_user needs sentinel_password");
  }
  return o;
}

}  // namespace authgate::session
