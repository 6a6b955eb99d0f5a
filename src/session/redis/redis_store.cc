#include "authgate/session/redis_store.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace authgate::session {
namespace {

// Writes a record and its index entries if the version precondition holds.
// Returns the new version, or -1 on conflict (version or public id taken).
constexpr const char* kPutScript = R"lua(
local cur = redis.call('HGET', KEYS[1], 'v')
local expected = tonumber(ARGV[1])
if expected >= 0 then
  local c = 0
  if cur then c = tonumber(cur) end
  if c ~= expected then return -1 end
end
local owner = redis.call('GET', KEYS[4])
if owner and owner ~= ARGV[9] then return -1 end
local nv = 1
if cur then nv = tonumber(cur) + 1 end
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 's', ARGV[3], 'sid', ARGV[4], 'p', ARGV[5],
           'c', ARGV[6], 'e', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
local function extend(k)
  if redis.call('PTTL', k) < tonumber(ARGV[8]) then redis.call('PEXPIRE', k, ARGV[8]) end
end
redis.call('SADD', KEYS[2], ARGV[9])
extend(KEYS[2])
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[9])
  extend(KEYS[3])
end
redis.call('SET', KEYS[4], ARGV[9], 'PX', ARGV[8])
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[9])
redis.call('ZADD', KEYS[6], 0, ARGV[9])
return nv
)lua";

// KEYS: record, exp zset, all zset. ARGV: prefix, key.
constexpr const char* kEraseScript = R"lua(
local f = redis.call('HMGET', KEYS[1], 's', 'sid', 'p')
redis.call('DEL', KEYS[1])
if f[1] then redis.call('SREM', ARGV[1] .. 'u:' .. f[1], ARGV[2]) end
if f[2] and f[2] ~= '' then redis.call('SREM', ARGV[1] .. 'sid:' .. f[2], ARGV[2]) end
if f[3] and redis.call('GET', ARGV[1] .. 'p:' .. f[3]) == ARGV[2] then
  redis.call('DEL', ARGV[1] .. 'p:' .. f[3])
end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
)lua";

// KEYS: exp zset, all zset. ARGV: now ms, limit, prefix. Returns key + 7 fields per
// removed record.
constexpr const char* kPurgeScript = R"lua(
local ks = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, k in ipairs(ks) do
  local rk = ARGV[3] .. 's:' .. k
  local f = redis.call('HMGET', rk, 'v', 'd', 's', 'sid', 'p', 'c', 'e')
  redis.call('ZREM', KEYS[1], k)
  if f[1] and tonumber(f[7]) > tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], f[7], k)
  else
    redis.call('ZREM', KEYS[2], k)
    if f[1] then
      redis.call('DEL', rk)
      redis.call('SREM', ARGV[3] .. 'u:' .. f[3], k)
      if f[4] ~= '' then redis.call('SREM', ARGV[3] .. 'sid:' .. f[4], k) end
      if redis.call('GET', ARGV[3] .. 'p:' .. f[5]) == k then
        redis.call('DEL', ARGV[3] .. 'p:' .. f[5])
      end
      table.insert(out, k)
      for i = 1, 7 do table.insert(out, f[i]) end
    end
  end
end
return out
)lua";

// Compare-and-pexpire / compare-and-delete on the owner token.
constexpr const char* kExtendScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";
constexpr const char* kUnlockScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

using Args = std::vector<std::string>;

Reply runArgv(redisContext* c, const Args& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

std::string str(const redisReply* r) {
  if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) {
    return std::string(r->str, r->len);
  }
  return {};
}

int64_t toInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

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

  RedisStore(RedisStoreOptions o, const core::Clock& clock) : o_(std::move(o)), clock_(clock) {}
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
  // to the master the sentinels name, checked with ROLE.
  Context connect() const {
    if (o_.sentinels.empty()) return connectTo(o_.host, o_.port);
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto master = currentMaster();
      if (!master) return nullptr;
      Context c = connectTo(master->host, master->port);
      if (c && isMaster(c.get())) return c;
      // Down, or no longer the master (a failover in progress): ask again.
      forgetMaster();
    }
    return nullptr;
  }

  // Under Sentinel, a connection error or READONLY may mean the master changed: the
  // next connection asks the sentinels again and pooled connections are dropped.
  void forgetMaster() const {
    if (o_.sentinels.empty()) return;
    std::lock_guard lock(masterMu_);
    master_.reset();
    ++generation_;
  }

  uint64_t generation() const {
    std::lock_guard lock(masterMu_);
    return generation_;
  }
  const RedisStoreOptions& options() const { return o_; }

 private:
  Context connectTo(const std::string& host, int port) const {
    Context c(redisConnectWithTimeout(host.c_str(), port, toTimeval(o_.connectTimeout)));
    if (!c || c->err) return nullptr;
    if (redisSetTimeout(c.get(), toTimeval(o_.commandTimeout)) != REDIS_OK) return nullptr;
    if (!o_.password.empty()) {
      Args auth{"AUTH"};
      if (!o_.username.empty()) auth.push_back(o_.username);
      auth.push_back(o_.password.reveal());
      auto r = runArgv(c.get(), auth);
      if (!r || r->type == REDIS_REPLY_ERROR) return nullptr;
    }
    if (o_.database != 0) {
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

  // The cached master address, else the first sentinel's answer (starting with the
  // one that answered last). Sentinels are asked without AUTH.
  std::optional<RedisStoreOptions::Address> currentMaster() const {
    {
      std::lock_guard lock(masterMu_);
      if (master_) return master_;
    }
    const size_t n = o_.sentinels.size();
    for (size_t i = 0; i < n; ++i) {
      size_t idx = (lastSentinel_ + i) % n;
      const auto& s = o_.sentinels[idx];
      Context c(redisConnectWithTimeout(s.host.c_str(), s.port, toTimeval(o_.connectTimeout)));
      if (!c || c->err) continue;
      if (redisSetTimeout(c.get(), toTimeval(o_.commandTimeout)) != REDIS_OK) continue;
      auto r = runArgv(c.get(), {"SENTINEL", "get-master-addr-by-name", o_.masterName});
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) continue;
      RedisStoreOptions::Address a{str(r->element[0]), 0};
      int port = static_cast<int>(toInt(str(r->element[1])));
      if (a.host.empty() || port <= 0 || port > 65535) continue;
      a.port = port;
      lastSentinel_ = idx;
      std::lock_guard lock(masterMu_);
      master_ = a;
      return a;
    }
    return std::nullopt;
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
  mutable std::mutex masterMu_;
  mutable std::optional<RedisStoreOptions::Address> master_;
  mutable uint64_t generation_ = 0;
  mutable std::atomic<size_t> lastSentinel_{0};
};

// Listens on the revocation channel on its own connection and thread; reconnects
// (and resubscribes) after any failure until destroyed.
class RedisSubscription final : public Subscription {
 public:
  RedisSubscription(const RedisStore& store, std::function<void(const std::string&)> cb)
      : store_(store), cb_(std::move(cb)) {
    thread_ = std::thread([this] { loop(); });
    // Wait (bounded) for the first SUBSCRIBE so a publish right after this returns
    // is not missed; when Redis is down the thread keeps retrying in the background.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, store_.options().connectTimeout + store_.options().commandTimeout,
                 [this] { return subscribed_; });
  }
  ~RedisSubscription() override {
    stop_ = true;
    thread_.join();
  }
  bool live() const override { return live_; }

 private:
  void loop() {
    const std::string channel = store_.options().keyPrefix + "revocations";
    while (!stop_) {
      Context c = store_.connect();
      if (c) {
        Reply r = runArgv(c.get(), {"SUBSCRIBE", channel});
        if (r && r->type == REDIS_REPLY_ARRAY) {
          // Events published while not subscribed are lost: caches start over.
          cb_("");
          live_ = true;
          {
            std::lock_guard lock(mu_);
            subscribed_ = true;
          }
          cv_.notify_all();
          listen(c.get());
          live_ = false;
          cb_("");
        }
      }
      // Back off before reconnecting, staying responsive to stop.
      for (int i = 0; i < 4 && !stop_; ++i) std::this_thread::sleep_for(Millis(50));
    }
  }

  void listen(redisContext* c) {
    while (!stop_) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return;
      if (raw == nullptr) {
        pollfd pfd{c->fd, POLLIN, 0};
        int n = ::poll(&pfd, 1, 100);
        if (n < 0) return;
        if (n == 0) continue;
        if (redisBufferRead(c) != REDIS_OK) return;
        continue;
      }
      Reply r(static_cast<redisReply*>(raw));
      // ["message", channel, payload] (Redis pub/sub protocol)
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && str(r->element[0]) == "message") {
        cb_(str(r->element[2]));
      }
    }
  }

  const RedisStore& store_;
  std::function<void(const std::string&)> cb_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> live_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::thread thread_;
};

std::unique_ptr<Subscription> RedisStore::subscribeRevoked(
    std::function<void(const std::string&)> onRevoked) {
  return std::make_unique<RedisSubscription>(*this, std::move(onRevoked));
}

}  // namespace

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

constexpr int kMaxDatabase = 1 << 20;

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

Result<RedisStoreOptions> parseRedisSentinelUri(std::string_view uri) {
  constexpr std::string_view kScheme = "redis-sentinel://";
  if (uri.substr(0, kScheme.size()) != kScheme) return Errc::kBadStoreUri;
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
  if (slash == std::string_view::npos) return Errc::kBadStoreUri;  // the master name is required
  std::string_view hosts = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);
  while (true) {
    auto comma = hosts.find(',');
    RedisStoreOptions::Address a{"", 26379};
    if (!parseHostPort(hosts.substr(0, comma), a.host, a.port)) return Errc::kBadStoreUri;
    o.sentinels.push_back(std::move(a));
    if (comma == std::string_view::npos) break;
    hosts = hosts.substr(comma + 1);
  }
  std::string_view name = path.substr(0, path.find('/'));
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
      })) {
    return Errc::kBadStoreUri;
  }
  o.masterName = std::string(name);
  if (name.size() < path.size()) {
    std::string_view db = path.substr(name.size() + 1);
    if (!db.empty() && !parseInt(db, o.database, 0, kMaxDatabase)) return Errc::kBadStoreUri;
  }
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) return Errc::kBadStoreUri;
    std::string_view k = kv.substr(0, eq);
    std::string_view v = kv.substr(eq + 1);
    int n = 0;
    if (k == "wait_replicas" && parseInt(v, n, 0, 64)) {
      o.waitReplicas = n;
    } else if (k == "wait_timeout_ms" && parseInt(v, n, 1, 60000)) {
      o.waitTimeout = std::chrono::milliseconds(n);
    } else {
      return Errc::kBadStoreUri;
    }
  }
  return o;
}

std::unique_ptr<SessionStore> makeRedisStore(RedisStoreOptions options, const core::Clock& clock) {
  return std::make_unique<RedisStore>(std::move(options), clock);
}

}  // namespace authgate::session
