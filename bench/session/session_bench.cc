// Session lookup cost as the store grows: 1k, 100k and 1M sessions, SQLite (real
// file), Redis (a redis-server this program starts) and PostgreSQL (initdb in a
// temporary directory and a `postgres` this program starts on 127.0.0.1 and a free
// port, stopped by PID when it is done, fails or is interrupted), plus the memory store.
//
//   session_bench [--sizes 1000,100000,1000000] [--backends memory,sqlite,redis,postgres]
//                 [--lookups 20000] [--dir /tmp] [--cache 10000]
//
// For each size it times `lookups` SessionManager::lookup() calls (store read, record
// decode, AES-GCM decrypt; the clock is frozen so no last-seen write happens) and
// the same number of raw SessionStore::get() calls, on cookies picked at random from
// every session created so far. It also reports bytes per stored session.
//
// Beside each lookup, in the same run and under the same conditions, it times what
// does not depend on authgate, so the table separates what grows with the backend and
// the machine's memory from what grows with authgate:
//   again:  the same lookup repeated at once, its data now in every cache: authgate's
//           own work, which must not depend on how many sessions are stored;
//   own:    the backend's own client reading one random session with no authgate code:
//           sqlite: a second connection (same pragmas as the store) stepping
//                   SELECT * ... WHERE id >= ?random ORDER BY id LIMIT 1, the same
//                   B-tree descent to a leaf as a lookup, every column copied out;
//           redis:  raw hiredis HGETALL of a random session's hash;
//           postgres: libpq's PQexecPrepared of the store's own SELECT (same columns,
//                   same WHERE key = $1 AND expires_ms > $2) for a random session's
//                   key, on one connection, every column copied out (the bytea
//                   unescaped, as the store does);
//   floor:  what the machine charges for touching the data at all:
//           sqlite: pread() of one random 4 KB page of the database file (a cache
//                   miss, a TLB miss; on a machine that evicts cold page cache, a disk
//                   read);
//           redis:  a PING on its own connection (the round trip, including the
//                   wake-up of an idle CPU, which on a VM dominates a quiet machine:
//                   see --keep-awake);
//           postgres: an empty query (PQexec of "") on its own connection: the
//                   round trip to a backend process and back.
// "manager" is the lookup's p50 minus the store get's p50: the SessionManager's work
// (cookie check, key hash, decode, decrypt) on top of the store; the store get set
// against "own" shows what the store adds to the backend's own read.
//
// --keep-awake 1 runs one spinning thread per CPU at nice 19 while measuring, so an
// idle virtual CPU never halts and a reply is not charged the hypervisor's wake-up
// (tens of microseconds): the condition of a server that has other work. A woken
// nice-0 thread preempts a nice-19 one at once. (SCHED_IDLE spinners were tried
// first: the scheduler counts their CPUs as idle and wakes a thread on the other CPU,
// which on this VM still cost about 40 us per round trip.)
//
// Then the session cache (docs/SESSIONS.md "Session cache"): `--cache N` sessions
// looked up through a manager whose cache holds them all, reporting the heap bytes
// each cached session takes (malloc's bytes in use before and after, so freed
// temporaries do not count), the time of a cache hit, and the hits per second of one
// thread and of one thread per CPU looking sessions up at once. `--cache 0` skips it.
#include <fcntl.h>
#include <libpq-fe.h>
#include <malloc.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "authgate/core/clock.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/postgres_store.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/session_manager.h"
#include "authgate/session/sqlite_store.h"
#include "postgres_server.h"
#include "test_support.h"

using namespace authgate;
using namespace authgate::session;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Forwards everything but the audit trail, so filling the store measures sessions.
class NoAuditStore final : public session::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<void> appendAudit(std::string_view) override { return {}; }
};

// Token sizes of a typical Auth0 login: RS256 access token with an API audience and
// a few claims, ID token with profile claims, opaque refresh token.
core::TokenSet realisticTokens(size_t i) {
  core::TokenSet t;
  t.accessToken = core::Secret(std::string(850, 'a') + std::to_string(i));
  t.accessTokenExpiresAt = 1'700'086'400;
  t.refreshToken = core::Secret(std::string(64, 'r') + std::to_string(i));
  t.idToken = core::Secret(std::string(950, 'i') + std::to_string(i));
  return t;
}

LoginInfo loginFor(size_t i) {
  LoginInfo l;
  l.subject = "auth0|" + std::to_string(100000000 + i);
  l.email = "user" + std::to_string(i) + "@example.com";
  l.name = "User " + std::to_string(i);
  l.preferredUsername = "user" + std::to_string(i);
  l.providerSid = "sid-" + std::to_string(i);
  l.authTime = 1'700'000'000;
  l.clientIp = "203.0.113.42";
  l.userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
  l.tokens = realisticTokens(i);
  l.idTokenClaims = R"({"email_verified":true,"groups":["engineering","admins"]})";
  return l;
}

// Every cookie created, in one buffer reserved up front. A million separately
// allocated strings, interleaved with what filling the store allocates and frees,
// would scatter the heap, and every later allocation in a lookup would land on a cold
// page: the bench's own memory, not a lookup's.
class CookieList {
 public:
  explicit CookieList(size_t capacity) {
    text_.reserve(capacity * 48);
    ends_.reserve(capacity);
  }
  void add(std::string_view c) {
    text_.append(c);
    ends_.push_back(text_.size());
  }
  size_t size() const { return ends_.size(); }
  std::string operator[](size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return text_.substr(begin, ends_[i] - begin);
  }

 private:
  std::string text_;
  std::vector<size_t> ends_;
};

struct Stats {
  double mean = 0, p50 = 0, p99 = 0;  // microseconds
};

Stats summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  Stats s;
  for (double v : us) s.mean += v;
  s.mean /= static_cast<double>(us.size());
  s.p50 = us[us.size() / 2];
  s.p99 = us[us.size() * 99 / 100];
  return s;
}

long rssKb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * 4;
}

long redisUsedMemory(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  long used = 0;
  if (c && !c->err) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "INFO memory"));
    if (r && r->str) {
      std::string s(r->str, r->len);
      auto p = s.find("used_memory:");
      if (p != std::string::npos) used = std::stol(s.substr(p + 12));
    }
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return used;
}

std::vector<size_t> parseList(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoul(item));
  return out;
}

// One spinning nice-19 thread per CPU, for --keep-awake (see the top of the file).
class KeepAwake {
 public:
  explicit KeepAwake(bool on) {
    if (!on) return;
    for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i) {
      threads_.emplace_back([this] {
        // Linux applies a thread id's nice value to that thread alone.
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
        while (!stop_.load(std::memory_order_relaxed)) {
        }
      });
    }
  }
  ~KeepAwake() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  KeepAwake(const KeepAwake&) = delete;
  KeepAwake& operator=(const KeepAwake&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// The SQLite library's own read of one random session, on its own connection with the
// store's pragmas: the B-tree descent and column copies a store get cannot avoid.
class SqliteOwnRead {
 public:
  explicit SqliteOwnRead(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
        sqlite3_exec(db_, "PRAGMA mmap_size=1099511627776; PRAGMA cache_size=-16000", nullptr,
                     nullptr, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "SELECT * FROM sessions WHERE id >= ?1 ORDER BY id LIMIT 1", -1,
                           &st_, nullptr) != SQLITE_OK) {
      st_ = nullptr;
    }
  }
  ~SqliteOwnRead() {
    sqlite3_finalize(st_);
    sqlite3_close(db_);
  }
  SqliteOwnRead(const SqliteOwnRead&) = delete;
  SqliteOwnRead& operator=(const SqliteOwnRead&) = delete;

  // Returns the bytes read, 0 when no row is at or after `from` (the caller draws again).
  size_t read(int64_t from) {
    if (!st_) return 0;
    sqlite3_bind_int64(st_, 1, from);
    size_t bytes = 0;
    if (sqlite3_step(st_) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st_); ++c) {
        const void* p = sqlite3_column_blob(st_, c);
        std::string copy(static_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(st_, c)));
        bytes += copy.size() + 1;
      }
    }
    sqlite3_reset(st_);
    return bytes;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
};

// libpq's own read of one session: the store's SELECT, prepared once, on one connection.
class PostgresOwnRead {
 public:
  explicit PostgresOwnRead(const std::string& uri) : c_(PQconnectdb(uri.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) return;
    PGresult* r = PQprepare(c_, "own",
                            "SELECT key, public_id, subject, sid, created_at, expires_ms, version, "
                            "data FROM authgate_sessions WHERE key = $1 AND expires_ms > $2",
                            2, nullptr);
    ok_ = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  ~PostgresOwnRead() { PQfinish(c_); }
  PostgresOwnRead(const PostgresOwnRead&) = delete;
  PostgresOwnRead& operator=(const PostgresOwnRead&) = delete;

  // Returns the bytes read, 0 when there was no row or the query failed.
  size_t read(const std::string& key, const std::string& nowMs) {
    if (!ok_) return 0;
    const char* values[] = {key.c_str(), nowMs.c_str()};
    PGresult* r = PQexecPrepared(c_, "own", 2, values, nullptr, nullptr, 0);
    size_t bytes = 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
      for (int col = 0; col < PQnfields(r); ++col) {
        if (col == 7) {  // data, bytea in hex: unescaped, as the store reads it
          size_t n = 0;
          auto* raw =
              PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r, 0, 7)), &n);
          if (!raw) break;
          std::string copy(reinterpret_cast<const char*>(raw), n);
          PQfreemem(raw);
          bytes += copy.size() + 1;
        } else {
          std::string copy(PQgetvalue(r, 0, col), static_cast<size_t>(PQgetlength(r, 0, col)));
          bytes += copy.size() + 1;
        }
      }
    }
    PQclear(r);
    return bytes;
  }

 private:
  PGconn* c_;
  bool ok_ = false;
};

// One libpq connection for the floor (an empty query) and the table's size.
class PostgresConn {
 public:
  explicit PostgresConn(const std::string& uri) : c_(PQconnectdb(uri.c_str())) {}
  ~PostgresConn() { PQfinish(c_); }
  PostgresConn(const PostgresConn&) = delete;
  PostgresConn& operator=(const PostgresConn&) = delete;

  bool emptyQuery() {
    PGresult* r = PQexec(c_, "");
    const bool ok = PQresultStatus(r) == PGRES_EMPTY_QUERY;
    PQclear(r);
    return ok;
  }
  // The sessions table with its TOAST table and indexes, in bytes (-1 on failure).
  long tableBytes() {
    PGresult* r = PQexec(c_, "SELECT pg_total_relation_size('authgate_sessions')");
    long bytes = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
      bytes = std::strtol(PQgetvalue(r, 0, 0), nullptr, 10);
    }
    PQclear(r);
    return bytes;
  }

 private:
  PGconn* c_;
};

// SIGINT or SIGTERM: the loops stop at their next step and main unwinds, so the
// servers this program started are stopped and their directories removed.
std::atomic<bool> interrupted{false};
extern "C" void onSignal(int) { interrupted = true; }
void checkInterrupted() {
  if (interrupted) throw std::runtime_error("interrupted");
}

std::vector<std::string> parseNames(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<size_t> sizes{1000, 100000, 1000000};
  std::vector<std::string> backends{"memory", "sqlite", "redis"};
  size_t lookups = 20000;
  size_t cacheSessions = 10000;
  bool keepAwake = false;
  std::string cacheBackend = "memory";
  std::string dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--sizes")
      sizes = parseList(argv[i + 1]);
    else if (a == "--backends")
      backends = parseNames(argv[i + 1]);
    else if (a == "--lookups")
      lookups = std::stoul(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--cache")
      cacheSessions = std::stoul(argv[i + 1]);
    else if (a == "--cache-backend")
      cacheBackend = argv[i + 1];
    else if (a == "--keep-awake")
      keepAwake = std::string(argv[i + 1]) == "1";
  }

  core::ManualClock clock;  // frozen: lookups never write last-seen
  core::Random& random = core::OpenSslRandom::instance();
  NullAuditSink sink;
  std::mt19937_64 pick(42);

  std::printf(
      "| backend | sessions | fill s | lookup mean us | p50 | p99 | again p50 | store get p50 | "
      "own read p50 | floor p50 | manager (lookup - get) | bytes/session | errors |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  KeepAwake awake(keepAwake);
  for (const auto& backend : backends) {
    std::unique_ptr<SessionStore> inner;
    std::optional<session::testing::RedisServer> redis;
    std::optional<session::testing::PostgresServer> postgres;
    std::optional<PostgresConn> pgConn;
    std::string dbPath = dir + "/authgate-session-bench.db";
    if (backend == "memory") {
      inner = makeMemoryStore(clock);
    } else if (backend == "sqlite") {
      for (const char* suffix : {"", "-wal", "-shm", ".changes"})
        std::filesystem::remove(dbPath + suffix);
      // No fsync while filling a million rows (see docs/BENCHMARKS.md); lookups are
      // reads and do not depend on it.
      SqliteStoreOptions o{dbPath};
      o.fsync = false;
      auto s = openSqliteStore(o, clock);
      if (!s) {
        std::fprintf(stderr, "cannot open %s\n", dbPath.c_str());
        return 1;
      }
      inner = std::move(*s);
    } else if (backend == "redis") {
      redis.emplace();
      RedisStoreOptions o;
      o.port = redis->port();
      inner = makeRedisStore(o, clock);
    } else if (backend == "postgres") {
      postgres.emplace();
      PostgresStoreOptions o;
      o.uri = postgres->uri();
      std::string detail;
      auto s = openPostgresStore(o, clock, &detail);
      if (!s) {
        std::fprintf(stderr, "cannot open the PostgreSQL store: %s\n", detail.c_str());
        return 1;
      }
      inner = std::move(*s);
      pgConn.emplace(postgres->uri());
    } else {
      std::fprintf(stderr, "unknown backend %s\n", backend.c_str());
      return 1;
    }
    const std::string redisPrefix = RedisStoreOptions{}.keyPrefix + "s:";
    NoAuditStore store(*inner);
    SessionManager manager(store, *TokenCipher::fromKeys({generateKey(random)}), sink, clock,
                           random);
    CookieList cookies(*std::max_element(sizes.begin(), sizes.end()));
    long baseRss = rssKb();
    long baseRedis = redis ? redisUsedMemory(redis->port()) : 0;
    long basePostgres = pgConn ? pgConn->tableBytes() : 0;
    size_t created = 0;
    size_t failures = 0;  // operations that returned an error (reported, retried)
    for (size_t target : sizes) {
      auto fillStart = SteadyClock::now();
      for (; created < target; ++created) {
        if (created % 1024 == 0) checkInterrupted();
        auto c = manager.create(loginFor(created));
        for (int retry = 0; !c && retry < 3; ++retry) {
          // A loaded machine can stall a store past its timeout; count it and retry.
          ++failures;
          c = manager.create(loginFor(created));
        }
        if (!c) {
          std::fprintf(stderr, "create failed: %s\n", c.error().message().c_str());
          return 1;
        }
        cookies.add(c->cookieValue.reveal());
      }
      double fillSeconds = std::chrono::duration<double>(SteadyClock::now() - fillStart).count();

      std::vector<double> lookupUs, againUs, getUs, ownUs, floorUs;
      std::uniform_int_distribution<size_t> any(0, cookies.size() - 1);
      // The floor's own handle: a file descriptor on the database, or a connection.
      int fd = backend == "sqlite" ? ::open(dbPath.c_str(), O_RDONLY) : -1;
      const off_t pages = fd >= 0 ? ::lseek(fd, 0, SEEK_END) / 4096 : 0;
      std::uniform_int_distribution<off_t> anyPage(0, pages > 0 ? pages - 1 : 0);
      redisContext* ping = redis ? redisConnect("127.0.0.1", redis->port()) : nullptr;
      redisContext* own = redis ? redisConnect("127.0.0.1", redis->port()) : nullptr;
      std::optional<SqliteOwnRead> ownSqlite;
      if (backend == "sqlite") ownSqlite.emplace(dbPath);
      std::optional<PostgresOwnRead> ownPostgres;
      std::optional<PostgresConn> pgPing;
      if (postgres) {
        ownPostgres.emplace(postgres->uri());
        pgPing.emplace(postgres->uri());
      }
      const std::string nowMs = std::to_string(clock.unixMillis());
      std::uniform_int_distribution<int64_t> anyId;
      auto ownOnce = [&]() -> bool {
        std::string hashKey = own ? redisPrefix + SessionManager::keyOf(cookies[any(pick)]) : "";
        const std::string pgKey =
            ownPostgres ? SessionManager::keyOf(cookies[any(pick)]) : std::string();
        const int64_t from = anyId(pick);
        auto t0 = SteadyClock::now();
        if (ownSqlite) {
          if (ownSqlite->read(from) == 0) return from > 0;  // past the last id: not an error
        } else if (ownPostgres) {
          if (ownPostgres->read(pgKey, nowMs) == 0) return false;
        } else if (own) {
          auto* r = static_cast<redisReply*>(redisCommand(own, "HGETALL %s", hashKey.c_str()));
          bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0;
          if (r) freeReplyObject(r);
          if (!ok) return false;
        } else {
          return true;
        }
        ownUs.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
        return true;
      };
      auto floorOnce = [&]() -> bool {
        char page[4096];
        auto t0 = SteadyClock::now();
        if (fd >= 0) {
          if (::pread(fd, page, sizeof page, anyPage(pick) * 4096) != sizeof page) return false;
        } else if (ping) {
          auto* r = static_cast<redisReply*>(redisCommand(ping, "PING"));
          if (!r) return false;
          freeReplyObject(r);
        } else if (pgPing) {
          if (!pgPing->emptyQuery()) return false;
        } else {
          return true;
        }
        floorUs.push_back(
            std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
        return true;
      };
      for (size_t i = 0; i < lookups; ++i) {
        if (i % 1024 == 0) checkInterrupted();
        if (!floorOnce()) ++failures;
        // A copy, as a server holds the cookie it just parsed.
        const std::string cookie = cookies[any(pick)];
        auto t0 = SteadyClock::now();
        auto s = manager.lookup(cookie);
        auto t1 = SteadyClock::now();
        auto again = manager.lookup(cookie);
        auto t1b = SteadyClock::now();
        if (!s || !again || !ownOnce()) {
          ++failures;
          continue;
        }
        std::string key = SessionManager::keyOf(cookies[any(pick)]);
        auto t2 = SteadyClock::now();
        auto r = inner->get(key);
        auto t3 = SteadyClock::now();
        if (!r) {
          ++failures;
          continue;
        }
        lookupUs.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        againUs.push_back(std::chrono::duration<double, std::micro>(t1b - t1).count());
        getUs.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
      }
      if (fd >= 0) ::close(fd);
      if (ping) redisFree(ping);
      if (own) redisFree(own);
      Stats l = summarize(lookupUs), a = summarize(againUs), g = summarize(getUs);
      Stats o = ownUs.empty() ? Stats{} : summarize(ownUs);
      Stats f = floorUs.empty() ? Stats{} : summarize(floorUs);
      double bytes = 0;
      if (backend == "memory") {
        bytes = static_cast<double>(rssKb() - baseRss) * 1024.0 / static_cast<double>(created);
      } else if (backend == "sqlite") {
        std::error_code ec;
        auto size = std::filesystem::file_size(dbPath, ec) +
                    std::filesystem::file_size(dbPath + "-wal", ec);
        bytes = static_cast<double>(size) / static_cast<double>(created);
      } else if (pgConn) {
        bytes =
            static_cast<double>(pgConn->tableBytes() - basePostgres) / static_cast<double>(created);
      } else {
        bytes = static_cast<double>(redisUsedMemory(redis->port()) - baseRedis) /
                static_cast<double>(created);
      }
      std::printf(
          "| %s | %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %zu "
          "|\n",
          backend.c_str(), created, fillSeconds, l.mean, l.p50, l.p99, a.p50, g.p50, o.p50, f.p50,
          l.p50 - g.p50, bytes, failures);
      std::fflush(stdout);
    }
    if (backend == "sqlite") {
      inner.reset();
      for (const char* suffix : {"", "-wal", "-shm", ".changes"})
        std::filesystem::remove(dbPath + suffix);
    }
  }
  if (cacheSessions > 0) {
    // The cache in front of a memory store (its records are allocated before the
    // measurement starts), or with `--cache-backend sqlite` of a SQLite file, whose
    // data_version every hit checks.
    std::unique_ptr<SessionStore> store;
    const std::string cacheDb = dir + "/authgate-cache-bench.db";
    if (cacheBackend == "sqlite") {
      for (const char* suffix : {"", "-wal", "-shm", ".changes"})
        std::filesystem::remove(cacheDb + suffix);
      SqliteStoreOptions so{cacheDb};
      so.fsync = false;
      auto opened = openSqliteStore(so, clock);
      if (!opened) return 1;
      store = std::move(*opened);
    } else {
      store = makeMemoryStore(clock);
    }
    auto cipher = *TokenCipher::fromKeys({generateKey(random)});
    SessionManager filler(*store, cipher, sink, clock, random);
    std::vector<std::string> cookies;
    for (size_t i = 0; i < cacheSessions; ++i) {
      auto c = filler.create(loginFor(i));
      if (!c) return 1;
      cookies.push_back(c->cookieValue.reveal());
    }
    SessionOptions o;
    // A quarter of room to spare: the cache is 16 LRU shards of capacity / 16, and
    // random keys do not fill them evenly; every session should be a hit here.
    o.cacheCapacity = cacheSessions + cacheSessions / 4;
    o.cacheTtl = Millis(3'600'000);
    SessionManager cached(*store, cipher, sink, clock, random, o);
    const auto before = mallinfo2().uordblks;
    for (const auto& c : cookies) {
      if (!cached.lookup(c)) return 1;
    }
    const auto after = mallinfo2().uordblks;
    std::vector<double> hitUs;
    std::uniform_int_distribution<size_t> any(0, cookies.size() - 1);
    for (size_t i = 0; i < lookups; ++i) {
      const std::string cookie = cookies[any(pick)];
      auto t0 = SteadyClock::now();
      auto s = cached.lookup(cookie);
      auto t1 = SteadyClock::now();
      if (!s) return 1;
      hitUs.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    Stats h = summarize(hitUs);
    // Every CPU looking sessions up at once: hits per second in total, against one
    // thread's rate (the cache is one LRU under one lock).
    auto hitsPerSecond = [&](unsigned threads) {
      std::vector<std::thread> ts;
      std::atomic<size_t> bad{0};
      auto start = SteadyClock::now();
      for (unsigned t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
          std::mt19937_64 mine(t + 1);
          std::uniform_int_distribution<size_t> anyCookie(0, cookies.size() - 1);
          for (size_t i = 0; i < lookups; ++i) {
            if (!cached.lookup(cookies[anyCookie(mine)])) ++bad;
          }
        });
      }
      for (auto& th : ts) th.join();
      double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
      return bad.load() == 0 ? static_cast<double>(threads * lookups) / secs : 0.0;
    };
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    const double one = hitsPerSecond(1);
    const double all = hitsPerSecond(cpus);
    std::printf(
        "\n| session cache | cached | heap bytes/cached session | hit mean us | p50 | p99 | "
        "hits/s, "
        "1 thread | hits/s, %u threads |\n|---|---|---|---|---|---|---|---|\n| %s store behind | "
        "%zu "
        "| %.0f | %.2f | %.2f | %.2f | %.0f | %.0f |\n",
        cpus, cacheBackend.c_str(), cached.cachedSessions(),
        static_cast<double>(after - before) / static_cast<double>(cached.cachedSessions()), h.mean,
        h.p50, h.p99, one, all);
    if (cacheBackend == "sqlite") {
      store.reset();
      for (const char* suffix : {"", "-wal", "-shm", ".changes"})
        std::filesystem::remove(cacheDb + suffix);
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  // Every failure unwinds through run(), so the servers it started are stopped.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "session_bench: %s\n", e.what());
    return 1;
  }
}
