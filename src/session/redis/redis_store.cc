#include "authgate/session/redis_store.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
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
    for (auto* c : idle_) redisFree(c);
  }

  std::string_view backend() const override { return "redis"; }

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
                  std::to_string(expiresAt), std::to_string(px), rec.key});
    if (!r) return r.error();
    if ((*r)->type != REDIS_REPLY_INTEGER) return Errc::kStoreUnavailable;
    if ((*r)->integer < 0) return Errc::kConflict;
    return static_cast<uint64_t>((*r)->integer);
  }

  Result<void> erase(std::string_view key) override {
    const std::string& p = o_.keyPrefix;
    auto r = run({"EVAL", kEraseScript, "3", p + "s:" + std::string(key), p + "exp", p + "all", p,
                  std::string(key)});
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

  // Opens one configured connection: connect, timeouts, AUTH, SELECT.
  Context connect() const {
    Context c(redisConnectWithTimeout(o_.host.c_str(), o_.port, toTimeval(o_.connectTimeout)));
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

  const RedisStoreOptions& options() const { return o_; }

 private:
  // A pooled connection; a connection that saw an error is dropped, never reused.
  struct Lease {
    Context ctx;
    bool reused = false;
  };

  // An idle pooled connection has nothing to read; if its socket is readable, Redis
  // closed it (restart, timeout) and it is dropped before any command is sent, so the
  // first request after a Redis restart does not fail.
  static bool stillOpen(redisContext* c) {
    pollfd pfd{c->fd, POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 0;
  }

  Lease acquire() {
    for (;;) {
      redisContext* c = nullptr;
      {
        std::lock_guard lock(mu_);
        if (idle_.empty()) break;
        c = idle_.back();
        idle_.pop_back();
      }
      if (stillOpen(c)) return Lease{Context(c), true};
      redisFree(c);
    }
    return Lease{connect(), false};
  }

  void release(Context c) {
    if (!c || c->err) return;
    std::lock_guard lock(mu_);
    if (idle_.size() < o_.maxIdleConnections) idle_.push_back(c.release());
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
        return Errc::kStoreUnavailable;
      }
      out.emplace_back(static_cast<redisReply*>(raw));
    }
    release(std::move(l.ctx));
    for (auto& r : out) {
      if (errorsFail && r->type == REDIS_REPLY_ERROR) return Errc::kStoreUnavailable;
    }
    return out;
  }

  Result<Reply> run(const Args& args) {
    if (args.front() == "EVAL") return runScript(args);
    auto r = pipeline({args});
    if (!r) return r.error();
    return std::move(r->front());
  }

  // Scripts go by digest (EVALSHA) so each call does not resend and rehash the
  // source; after a Redis restart the cache is empty (NOSCRIPT) and EVAL reloads it.
  Result<Reply> runScript(const Args& eval) {
    Args bySha = eval;
    bySha[0] = "EVALSHA";
    bySha[1] = scriptSha(eval[1]);
    auto r = pipeline({bySha}, false);
    if (!r) return r.error();
    Reply& reply = r->front();
    if (reply->type == REDIS_REPLY_ERROR) {
      if (std::string_view(reply->str, reply->len).substr(0, 8) != "NOSCRIPT") {
        return Errc::kStoreUnavailable;
      }
      auto again = pipeline({eval});
      if (!again) return again.error();
      return std::move(again->front());
    }
    return std::move(reply);
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

  int64_t nowMs() const {
    return std::chrono::duration_cast<Millis>(clock_.now().time_since_epoch()).count();
  }
  bool expired(const StoreRecord& r) const { return r.expiresAtMs <= nowMs(); }

  RedisStoreOptions o_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
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

Result<RedisStoreOptions> parseRedisUri(std::string_view uri) {
  constexpr std::string_view kScheme = "redis://";
  if (uri.substr(0, kScheme.size()) != kScheme) return Errc::kBadStoreUri;
  std::string_view rest = uri.substr(kScheme.size());
  RedisStoreOptions o;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
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
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), o.database);
      if (ec != std::errc() || p != db.data() + db.size() || o.database < 0) {
        return Errc::kBadStoreUri;
      }
    }
  }
  std::string_view host = hostport;
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    std::string_view port = hostport.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc() || p != port.data() + port.size() || o.port <= 0 || o.port > 65535) {
      return Errc::kBadStoreUri;
    }
  }
  if (host.empty()) return Errc::kBadStoreUri;
  o.host = std::string(host);
  return o;
}

std::unique_ptr<SessionStore> makeRedisStore(RedisStoreOptions options, const core::Clock& clock) {
  return std::make_unique<RedisStore>(std::move(options), clock);
}

}  // namespace authgate::session
