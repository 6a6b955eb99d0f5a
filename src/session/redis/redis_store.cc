// The Redis store (authgate/session/redis_store.h, docs/SESSIONS.md "Redis"): the
// five store parts over a small pool of hiredis connections. Beside it: the URIs
// (redis_uri.cc), connections (redis_connection.h), Lua scripts (redis_scripts.h), the
// revocation subscription (redis_subscription.h) and, under Sentinel, the master's
// address and the +switch-master follower (sentinel.h).
#include "authgate/session/redis_store.h"

#include <openssl/evp.h>
#include <poll.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "session/redis/redis_connection.h"
#include "session/redis/redis_scripts.h"
#include "session/redis/redis_subscription.h"
#include "session/redis/sentinel.h"

namespace authgate::session {
namespace {

using detail::Args;
using detail::Context;
using detail::kEraseScript;
using detail::kExtendScript;
using detail::kPurgeScript;
using detail::kPutScript;
using detail::kUnlockScript;
using detail::openConnection;
using detail::Reply;
using detail::runArgv;
using detail::str;
using detail::toInt;

// One HMGET v d s sid p c e reply (or a slice of the purge reply) as a record.
std::optional<StoreRecord> fromFields(std::string key, redisReply* const* f) {
  if (f[0]->type != REDIS_REPLY_STRING) return std::nullopt;
  StoreRecord r;
  r.key = std::move(key);
  r.version = static_cast<uint64_t>(toInt(str(f[0])));
  r.data = str(f[1]);
  r.subject = str(f[2]);
  r.sid = str(f[3]);
  r.publicId = str(f[4]);
  r.createdAt = toInt(str(f[5]));
  r.expiresAtMs = toInt(str(f[6]));
  return r;
}

class RedisStore final : public SessionStore {
 public:
  static Result<bool> failed(const error_code& ec) { return {boost::system::in_place_error, ec}; }

  RedisStore(RedisStoreOptions o, const core::Clock& clock) : o_(std::move(o)), clock_(clock) {
    if (!o_.sentinels.empty()) sentinel_ = std::make_unique<detail::SentinelMaster>(o_);
  }
  ~RedisStore() override {
    for (auto& c : idle_) redisFree(c.ctx);
  }

  std::string_view backend() const override {
    return o_.sentinels.empty() ? "redis" : "redis-sentinel";
  }

  Result<void> ping() override {
    auto r = run({"PING"});
    if (!r) return r.error();
    return {};
  }

  Result<StoreRecord> get(std::string_view key) override {
    auto r = run(hmget(std::string(key)));
    if (!r) return r.error();
    auto rec = decodeHmget(std::string(key), r->get());
    if (!rec || expired(*rec)) return Errc::kNotFound;
    return std::move(*rec);
  }

  Result<StoreRecord> getByPublicId(std::string_view publicId) override {
    auto k = run({"GET", o_.keyPrefix + "p:" + std::string(publicId)});
    if (!k) return k.error();
    if ((*k)->type != REDIS_REPLY_STRING) return Errc::kNotFound;
    auto rec = get(str(k->get()));
    if (rec && rec->publicId != publicId) return Errc::kNotFound;
    return rec;
  }

  Result<uint64_t> put(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) override {
    const std::string& p = o_.keyPrefix;
    int64_t expiresAt = nowMs() + ttl.count();
    int64_t px = std::max<int64_t>(1, ttl.count() + o_.expiryBackstop.count());
    std::string expected = expectedVersion == kAnyVersion ? "-1" : std::to_string(expectedVersion);
    auto r = run({"EVAL", kPutScript, "6", p + "s:" + rec.key, p + "u:" + rec.subject,
                  p + "sid:" + rec.sid, p + "p:" + rec.publicId, p + "exp", p + "all", expected,
                  rec.data, rec.subject, rec.sid, rec.publicId, std::to_string(rec.createdAt),
                  std::to_string(expiresAt), std::to_string(px), rec.key},
                 true);
    if (!r) return r.error();
    if ((*r)->type != REDIS_REPLY_INTEGER) return Errc::kStoreUnavailable;
    if ((*r)->integer < 0) return Errc::kConflict;
    return static_cast<uint64_t>((*r)->integer);
  }

  Result<void> erase(std::string_view key) override {
    const std::string& p = o_.keyPrefix;
    auto r = run({"EVAL", kEraseScript, "3", p + "s:" + std::string(key), p + "exp", p + "all", p,
                  std::string(key)},
                 true);
    if (!r) return r.error();
    return {};
  }

  Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) override {
    return listSet(o_.keyPrefix + "u:" + std::string(subject));
  }

  Result<std::vector<StoreRecord>> listBySid(std::string_view sid) override {
    if (sid.empty()) return std::vector<StoreRecord>{};
    return listSet(o_.keyPrefix + "sid:" + std::string(sid));
  }

  Result<RecordPage> listAll(std::string_view cursor, size_t limit) override {
    std::string from = "-";  // ZRANGEBYLEX: "-" is the start, "(x" is "after x"
    if (!cursor.empty()) {
      from = "(";
      from.append(cursor);
    }
    auto r =
        run({"ZRANGEBYLEX", o_.keyPrefix + "all", from, "+", "LIMIT", "0", std::to_string(limit)});
    if (!r) return r.error();
    if ((*r)->type != REDIS_REPLY_ARRAY) return Errc::kStoreUnavailable;
    std::vector<std::string> keys;
    for (size_t i = 0; i < (*r)->elements; ++i) keys.push_back(str((*r)->element[i]));
    auto recs = fetch(keys, nullptr);
    if (!recs) return recs.error();
    RecordPage page;
    page.records = std::move(*recs);
    if (keys.size() == limit && limit > 0) page.nextCursor = keys.back();
    return page;
  }

  Result<std::vector<StoreRecord>> purgeExpired(size_t limit) override {
    const std::string& p = o_.keyPrefix;
    auto r = run({"EVAL", kPurgeScript, "2", p + "exp", p + "all", std::to_string(nowMs()),
                  std::to_string(limit), p});
    if (!r) return r.error();
    if ((*r)->type != REDIS_REPLY_ARRAY) return Errc::kStoreUnavailable;
    std::vector<StoreRecord> out;
    for (size_t i = 0; i + 8 <= (*r)->elements; i += 8) {
      if (auto rec = fromFields(str((*r)->element[i]), (*r)->element + i + 1)) {
        out.push_back(std::move(*rec));
      }
    }
    return out;
  }

  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) override {
    std::string k = o_.keyPrefix + "lock:" + std::string(name);
    auto r = run({"SET", k, std::string(owner), "NX", "PX", std::to_string(ttl.count())});
    if (!r) return failed(r.error());
    if ((*r)->type == REDIS_REPLY_STATUS) return true;
    // Held: ours (re-entrant, refresh the TTL) or someone else's.
    return extendLock(name, owner, ttl);
  }

  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) override {
    auto r = run({"EVAL", kExtendScript, "1", o_.keyPrefix + "lock:" + std::string(name),
                  std::string(owner), std::to_string(ttl.count())});
    if (!r) return failed(r.error());
    return (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer == 1;
  }

  Result<void> unlock(std::string_view name, std::string_view owner) override {
    auto r = run({"EVAL", kUnlockScript, "1", o_.keyPrefix + "lock:" + std::string(name),
                  std::string(owner)});
    if (!r) return r.error();
    return {};
  }

  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent) override {
    Args args{"SET", o_.keyPrefix + "kv:" + std::string(key), std::string(value), "PX",
              std::to_string(std::max<int64_t>(1, ttl.count()))};
    if (onlyIfAbsent) args.push_back("NX");
    auto r = run(args);
    if (!r) return failed(r.error());
    return (*r)->type == REDIS_REPLY_STATUS;  // NX not met: nil reply
  }

  Result<std::optional<std::string>> takeValue(std::string_view key) override {
    // GETDEL (Redis 6.2) is atomic: of two concurrent takes only one sees the value.
    auto r = run({"GETDEL", o_.keyPrefix + "kv:" + std::string(key)});
    if (!r) return r.error();
    if ((*r)->type == REDIS_REPLY_STRING) return std::optional<std::string>(str(r->get()));
    if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>{};
    return Errc::kStoreUnavailable;
  }

  Result<void> appendAudit(std::string_view line) override {
    std::string k = o_.keyPrefix + "audit";
    auto r = pipeline(
        {{"LPUSH", k, std::string(line)}, {"LTRIM", k, "0", std::to_string(o_.auditCap - 1)}});
    if (!r) return r.error();
    return {};
  }

  Result<std::vector<std::string>> recentAudit(size_t limit) override {
    if (limit == 0) return std::vector<std::string>{};
    auto r = run({"LRANGE", o_.keyPrefix + "audit", "0", std::to_string(limit - 1)});
    if (!r) return r.error();
    std::vector<std::string> out;
    if ((*r)->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < (*r)->elements; ++i) out.push_back(str((*r)->element[i]));
    }
    return out;
  }

  Result<void> publishRevoked(std::string_view key) override {
    auto r = run({"PUBLISH", o_.keyPrefix + "revocations", std::string(key)});
    if (!r) return r.error();
    return {};
  }

  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) override;

  // Opens one configured connection: connect, timeouts, AUTH, SELECT; under Sentinel,
  // to the master the sentinels name (sentinel.cc), checked with ROLE.
  Context connect() const {
    if (!sentinel_) return connectTo(o_.host, o_.port);
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto master = sentinel_->current();
      if (!master) return nullptr;
      Context c = connectTo(master->host, master->port);
      if (c && isMaster(c.get())) return c;
      // Down, or no longer the master (a failover in progress): ask again.
      forgetMaster();
    }
    return nullptr;
  }

  // Under Sentinel, a connection error or READONLY may mean the master changed: the
  // next connection asks the sentinels again and pooled connections are dropped. (The
  // +switch-master follower usually got there first.)
  void forgetMaster() const {
    if (sentinel_) sentinel_->forget();
  }

  // Goes up when the master changes (Sentinel only): older connections are stale.
  uint64_t generation() const { return sentinel_ ? sentinel_->generation() : 0; }
  const RedisStoreOptions& options() const { return o_; }

 private:
  Context connectTo(const std::string& host, int port) const {
    auto opened = openConnection(host, port, o_.connectTimeout, o_.commandTimeout,
                                 {o_.username, o_.password});
    Context c = std::move(opened.ctx);
    if (c && o_.database != 0) {
      auto r = runArgv(c.get(), {"SELECT", std::to_string(o_.database)});
      if (!r || r->type == REDIS_REPLY_ERROR) return nullptr;
    }
    return c;
  }

  // ROLE's first element is "master" on the master (Redis 2.8.12+).
  static bool isMaster(redisContext* c) {
    auto r = runArgv(c, {"ROLE"});
    return r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 && str(r->element[0]) == "master";
  }

  // A pooled connection; a connection that saw an error is dropped, never reused.
  struct Lease {
    Context ctx;
    bool reused = false;
    uint64_t generation = 0;
  };

  // An idle pooled connection has nothing to read; if its socket is readable, Redis
  // closed it (restart, timeout) and it is dropped before any command is sent, so the
  // first request after a Redis restart does not fail.
  static bool stillOpen(redisContext* c) {
    pollfd pfd{c->fd, POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 0;
  }

  Lease acquire() {
    const uint64_t gen = generation();
    for (;;) {
      Idle c;
      {
        std::lock_guard lock(mu_);
        if (idle_.empty()) break;
        c = idle_.back();
        idle_.pop_back();
      }
      if (c.generation == gen && stillOpen(c.ctx)) return Lease{Context(c.ctx), true, gen};
      redisFree(c.ctx);
    }
    return Lease{connect(), false, gen};
  }

  void release(Lease& l) {
    if (!l.ctx || l.ctx->err || l.generation != generation()) return;
    std::lock_guard lock(mu_);
    if (idle_.size() < o_.maxIdleConnections) idle_.push_back({l.ctx.release(), l.generation});
  }

  // Runs a batch of commands in one round trip; any failure is kStoreUnavailable.
  Result<std::vector<Reply>> pipeline(const std::vector<Args>& cmds, bool errorsFail = true) {
    Lease l = acquire();
    if (!l.ctx) return Errc::kStoreUnavailable;
    for (auto& args : cmds) {
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      for (auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      redisAppendCommandArgv(l.ctx.get(), static_cast<int>(args.size()), argv.data(), lens.data());
    }
    std::vector<Reply> out;
    for (size_t i = 0; i < cmds.size(); ++i) {
      void* raw = nullptr;
      // No retry after a failure here: the command may have run (a timed-out put
      // retried would report a conflict with itself). The caller fails closed.
      if (redisGetReply(l.ctx.get(), &raw) != REDIS_OK || raw == nullptr) {
        forgetMaster();
        return Errc::kStoreUnavailable;
      }
      out.emplace_back(static_cast<redisReply*>(raw));
    }
    for (auto& r : out) {
      if (r->type == REDIS_REPLY_ERROR &&
          std::string_view(r->str, r->len).substr(0, 8) == "READONLY") {
        forgetMaster();  // a demoted master: the connection is not pooled either
      }
    }
    release(l);
    for (auto& r : out) {
      if (errorsFail && r->type == REDIS_REPLY_ERROR) return Errc::kStoreUnavailable;
    }
    return out;
  }

  Result<Reply> run(const Args& args, bool replicated = false) {
    if (args.front() == "EVAL") return runScript(args, replicated);
    auto r = pipeline({args});
    if (!r) return r.error();
    return std::move(r->front());
  }

  // Scripts go by digest (EVALSHA) so each call does not resend and rehash the
  // source; after a Redis restart the cache is empty (NOSCRIPT) and EVAL reloads it.
  // `replicated`: a session record write, followed by WAIT when waitReplicas > 0 (in the
  // same round trip, on the same connection, so it waits for this write).
  Result<Reply> runScript(const Args& eval, bool replicated = false) {
    Args bySha = eval;
    bySha[0] = "EVALSHA";
    bySha[1] = scriptSha(eval[1]);
    std::vector<Args> cmds{bySha};
    const bool wait = replicated && o_.waitReplicas > 0;
    if (wait) {
      cmds.push_back(
          {"WAIT", std::to_string(o_.waitReplicas), std::to_string(o_.waitTimeout.count())});
    }
    auto r = pipeline(cmds, false);
    if (!r) return r.error();
    if (r->front()->type == REDIS_REPLY_ERROR) {
      if (std::string_view(r->front()->str, r->front()->len).substr(0, 8) != "NOSCRIPT") {
        return Errc::kStoreUnavailable;
      }
      cmds.front() = eval;
      r = pipeline(cmds, false);
      if (!r) return r.error();
      if (r->front()->type == REDIS_REPLY_ERROR) return Errc::kStoreUnavailable;
    }
    if (wait) {
      const Reply& acks = r->back();
      // Fewer replicas than asked hold the write: report it as not done (fail closed).
      if (acks->type != REDIS_REPLY_INTEGER || acks->integer < o_.waitReplicas) {
        return Errc::kStoreUnavailable;
      }
    }
    return std::move(r->front());
  }

  static std::string scriptSha(const std::string& script) {
    static std::mutex mu;
    static std::map<std::string, std::string> cache;
    std::lock_guard lock(mu);
    auto it = cache.find(script);
    if (it != cache.end()) return it->second;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(script.data(), script.size(), md, &len, EVP_sha1(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
      hex.push_back(kHex[md[i] >> 4]);
      hex.push_back(kHex[md[i] & 15]);
    }
    return cache.emplace(script, hex).first->second;
  }

  Args hmget(const std::string& key) const {
    return {"HMGET", o_.keyPrefix + "s:" + key, "v", "d", "s", "sid", "p", "c", "e"};
  }

  static std::optional<StoreRecord> decodeHmget(std::string key, const redisReply* r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 7) return std::nullopt;
    return fromFields(std::move(key), r->element);
  }

  // Records for `keys` in one round trip; missing or expired ones are skipped (and,
  // when `index` is given, removed from that index set).
  Result<std::vector<StoreRecord>> fetch(const std::vector<std::string>& keys,
                                         const std::string* index) {
    std::vector<StoreRecord> out;
    if (keys.empty()) return out;
    std::vector<Args> cmds;
    for (auto& k : keys) cmds.push_back(hmget(k));
    auto replies = pipeline(cmds);
    if (!replies) return replies.error();
    Args stale{"SREM"};
    if (index) stale.push_back(*index);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto rec = decodeHmget(keys[i], (*replies)[i].get());
      if (!rec) {
        stale.push_back(keys[i]);
      } else if (!expired(*rec)) {
        out.push_back(std::move(*rec));
      }
    }
    if (index && stale.size() > 2) (void)run(stale);  // best effort tidy-up
    return out;
  }

  Result<std::vector<StoreRecord>> listSet(const std::string& index) {
    auto r = run({"SMEMBERS", index});
    if (!r) return r.error();
    if ((*r)->type != REDIS_REPLY_ARRAY) return Errc::kStoreUnavailable;
    std::vector<std::string> keys;
    for (size_t i = 0; i < (*r)->elements; ++i) keys.push_back(str((*r)->element[i]));
    auto recs = fetch(keys, &index);
    if (!recs) return recs.error();
    std::sort(recs->begin(), recs->end(), [](const StoreRecord& a, const StoreRecord& b) {
      return a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.key < b.key;
    });
    return recs;
  }

  int64_t nowMs() const { return clock_.unixMillis(); }
  bool expired(const StoreRecord& r) const { return r.expiresAtMs <= nowMs(); }

  struct Idle {
    redisContext* ctx = nullptr;
    uint64_t generation = 0;
  };

  RedisStoreOptions o_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::vector<Idle> idle_;
  // Sentinel mode only; declared last so its follower thread stops first.
  std::unique_ptr<detail::SentinelMaster> sentinel_;
};

std::unique_ptr<Subscription> RedisStore::subscribeRevoked(
    std::function<void(const std::string&)> onRevoked) {
  return detail::subscribeRedisChannel(
      {.connect = [this] { return connect(); },
       .generation = [this] { return generation(); },
       .channel = o_.keyPrefix + "revocations",
       .firstSubscribeWait = o_.connectTimeout + o_.commandTimeout},
      std::move(onRevoked));
}

}  // namespace

std::unique_ptr<SessionStore> makeRedisStore(RedisStoreOptions options, const core::Clock& clock) {
  return std::make_unique<RedisStore>(std::move(options), clock);
}

}  // namespace authgate::session
