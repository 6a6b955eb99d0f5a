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
#include <memory>
#include <string>
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
  // of `masterName` is asked of the sentinels (SENTINEL get-master-addr-by-name), checked
  // with ROLE on every new connection, and asked again after a connection error or a
  // READONLY reply (a failover), so the store follows the new master by itself.
  struct Address {
    std::string host;
    int port = 0;
  };
  std::vector<Address> sentinels;
  std::string masterName;
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
//   [?wait_replicas=N&wait_timeout_ms=M]
// Sentinel ports default to 26379. The credentials are the master's (and replicas');
// sentinels are asked without AUTH. wait_replicas defaults to 1 (see SESSIONS.md
// "Redis Sentinel"), wait_timeout_ms to 500. Unknown query parameters are refused.
Result<RedisStoreOptions> parseRedisSentinelUri(std::string_view uri);

// Does not connect: a Redis that is down at start-up makes calls fail with
// kStoreUnavailable until it comes up (readiness reports it).
std::unique_ptr<SessionStore> makeRedisStore(RedisStoreOptions options, const core::Clock& clock);

}  // namespace authgate::session
