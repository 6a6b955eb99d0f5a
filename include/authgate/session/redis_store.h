// Redis store, for several authgate instances sharing sessions. Every operation has a
// bounded connect and command timeout and returns kStoreUnavailable when Redis does
// not answer; the next call reconnects. Revocations are published on
// "<prefix>revocations" so every instance can drop local state at once.
//
// Layout (prefix "authgate:" by default):
//   <p>s:<key>      hash  v, d, s, sid, p, c, e     the record (PEXPIRE ttl + backstop)
//   <p>u:<subject>  set   keys of a user
//   <p>sid:<sid>    set   keys of a provider session
//   <p>p:<pubid>    string -> key
//   <p>exp          zset  key by expiry (ms), for purgeExpired
//   <p>all          zset  key, score 0, for paged listAll (ZRANGEBYLEX)
//   <p>lock:<name>  string owner (SET NX PX; Lua compare-and-delete)
//   <p>audit        list  newest first, LTRIM to the cap
// Multi-key writes are Lua scripts, so they are atomic. Single node or Sentinel-fronted
// primary; Redis Cluster is not supported (keys share no hash tag).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/secret.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

struct RedisStoreOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // Redis 6 ACL user; empty: default
  core::Secret password;
  int database = 0;
  std::string keyPrefix = "authgate:";
  std::chrono::milliseconds connectTimeout{500};
  std::chrono::milliseconds commandTimeout{500};
  size_t maxIdleConnections = 8;  // pooled between calls; more are opened on demand
  size_t auditCap = 10000;
  // Records stay in Redis this long past their logical expiry so purgeExpired() can
  // still report them (for expiry audit events) before Redis drops them itself.
  std::chrono::milliseconds expiryBackstop{std::chrono::hours(1)};

  // Sentinel: when `sentinels` is non-empty, host/port above are not used; the master
  // of `masterName` is asked of the sentinels (SENTINEL get-master-addr-by-name) and
  // checked with ROLE on every new connection. A background thread holds a subscription
  // to `+switch-master` on one sentinel (the next one when it goes away): on a switch of
  // `masterName` the store uses the new master at once and drops its pooled connections.
  // A connection error or a READONLY reply (a demoted master) also makes it ask again.
  struct Address {
    std::string host;
    int port = 0;
    friend bool operator==(const Address&, const Address&) = default;
  };
  std::vector<Address> sentinels;
  std::string masterName;
  // AUTH sent to every sentinel (sentinel.conf `requirepass`, or an ACL user); no
  // password: sentinels are asked without AUTH. Independent of username/password above,
  // which are the master's and replicas'.
  std::string sentinelUsername;
  core::Secret sentinelPassword;
  // Session record writes (put, erase) are followed by WAIT on the same connection: fewer
  // than `waitReplicas` replicas acknowledging within `waitTimeout` makes the write
  // kStoreUnavailable (a 503), so a completed login is on a replica before the user
  // gets the cookie. 0: no WAIT.
  int waitReplicas = 0;
  std::chrono::milliseconds waitTimeout{500};
};

// Parses redis://[user:pass@]host[:port][/db] (rediss:// is rejected: no TLS build).
Result<RedisStoreOptions> parseRedisUri(std::string_view uri);

// Parses redis-sentinel://[user:pass@]host[:port][,host[:port]...]/MASTER_NAME[/db]
//   [?wait_replicas=N&wait_timeout_ms=M&sentinel_user=U&sentinel_password=P]
// Sentinel ports default to 26379. The credentials before '@' are the master's (and
// replicas'); sentinel_password (with sentinel_user for an ACL user) is what the
// sentinels are sent; without it they are asked without AUTH. Query values are
// percent-decoded (%26 for '&'). wait_replicas defaults to 1 (see SESSIONS.md "Redis
// Sentinel"), wait_timeout_ms to 500. Unknown query parameters are refused; `why`, when
// given, says what is wrong (never a password).
Result<RedisStoreOptions> parseRedisSentinelUri(std::string_view uri, std::string* why = nullptr);

// Asks the sentinels in turn, once, for the master, with the sentinel credentials, as
// the store does. kStoreOpenFailed when no sentinel named the master and at least one
// refused the sentinel credentials (or asked for some it was not sent): a setting to
// fix, not an outage. kStoreUnavailable when no sentinel answered (none reachable, or
// none knows `masterName`). `detail`: each sentinel's reason and what to change; never
// a password.
Result<RedisStoreOptions::Address> probeRedisSentinels(const RedisStoreOptions& options,
                                                       std::string* detail = nullptr);

// Where the Redis store reports what it does by itself (following +switch-master,
// losing or regaining its subscription to the sentinels, a sentinel refusing the
// credentials): one line per event, with addresses and the master's name, never a
// password. Process-wide; without a sink nothing is reported.
enum class RedisLogSeverity { kInfo, kWarning };
void setRedisEventLog(
    std::function<void(RedisLogSeverity severity, std::string_view message)> sink);

// Does not connect: a Redis that is down at start-up makes calls fail with
// kStoreUnavailable until it comes up (readiness reports it).
std::unique_ptr<SessionStore> makeRedisStore(RedisStoreOptions options, const core::Clock& clock);

}  // namespace authgate::session
