#include "session/redis/sentinel.h"

#include <poll.h>

#include <functional>
#include <vector>

namespace authgate::session {

namespace {

constexpr const char* kSwitchChannel = "+switch-master";
// A subscribed sentinel is sent PING after this long without a message, and given up
// when the PING has no answer within this plus the command timeout.
constexpr std::chrono::milliseconds kPingIdle{1000};
// Between rounds over every sentinel when none accepted the subscription.
constexpr std::chrono::milliseconds kRetryPause{1000};

std::mutex& sinkMutex() {
  static std::mutex mu;
  return mu;
}

std::function<void(RedisLogSeverity, std::string_view)>& sink() {
  static std::function<void(RedisLogSeverity, std::string_view)> s;
  return s;
}

// A reason as it goes into a message: bounded, one line.
std::string reason(std::string text) {
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text.empty() ? "no reason given" : text;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s = s.substr(sp + 1);
  }
  return out;
}

std::optional<RedisStoreOptions::Address> address(std::string_view host, std::string_view port) {
  const int64_t p = detail::toInt(port);
  if (host.empty() || p <= 0 || p > 65535) return std::nullopt;
  return RedisStoreOptions::Address{std::string(host), static_cast<int>(p)};
}

}  // namespace

void setRedisEventLog(std::function<void(RedisLogSeverity, std::string_view)> s) {
  std::lock_guard lock(sinkMutex());
  sink() = std::move(s);
}

namespace detail {

void reportRedisEvent(RedisLogSeverity severity, const std::string& message) {
  std::lock_guard lock(sinkMutex());
  if (sink()) sink()(severity, message);
}

SentinelAnswer askSentinels(const RedisStoreOptions& o, size_t first,
                            const std::atomic<bool>* stop) {
  SentinelAnswer out;
  const size_t n = o.sentinels.size();
  const Credentials creds{o.sentinelUsername, o.sentinelPassword};
  for (size_t i = 0; i < n && !(stop && *stop); ++i) {
    const size_t idx = (first + i) % n;
    const auto& s = o.sentinels[idx];
    const auto note = [&](std::string why) {
      if (!out.why.empty()) out.why += "; ";
      out.why += endpoint(s.host, s.port) + ": " + reason(std::move(why));
    };
    auto conn = openConnection(s.host, s.port, o.connectTimeout, o.commandTimeout, creds);
    if (!conn.ctx) {
      out.authRefused = out.authRefused || conn.authRefused;
      note(conn.why);
      continue;
    }
    auto r = runArgv(conn.ctx.get(), {"SENTINEL", "get-master-addr-by-name", o.masterName});
    if (!r) {
      note(conn.ctx->errstr);
      continue;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      const std::string e = errorText(r.get());
      out.authRefused = out.authRefused || isAuthError(e);
      note(e);
      continue;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      note(r->type == REDIS_REPLY_NIL ? "does not monitor a master named \"" + o.masterName + "\""
                                      : "unexpected answer");
      continue;
    }
    auto a = address(str(r->element[0]), str(r->element[1]));
    if (!a) {
      note("answered an address that is not host and port");
      continue;
    }
    out.master = std::move(a);
    out.sentinel = idx;
    return out;
  }
  return out;
}

SentinelMaster::SentinelMaster(const RedisStoreOptions& o) : o_(o) {
  thread_ = std::thread([this] { follow(); });
}

SentinelMaster::~SentinelMaster() {
  {
    std::lock_guard lock(stopMu_);
    stop_ = true;
  }
  stopCv_.notify_all();
  thread_.join();
}

std::optional<RedisStoreOptions::Address> SentinelMaster::current() {
  uint64_t asked = 0;
  {
    std::lock_guard lock(mu_);
    if (master_) return master_;
    asked = generation_;
  }
  auto a = askSentinels(o_, lastSentinel_);
  if (!a.master) return std::nullopt;
  lastSentinel_ = a.sentinel;
  std::lock_guard lock(mu_);
  // The follower switched while we asked: its address is the newer one.
  if (master_ && generation_ != asked) return master_;
  master_ = a.master;
  return master_;
}

void SentinelMaster::forget() {
  std::lock_guard lock(mu_);
  master_.reset();
  ++generation_;
}

uint64_t SentinelMaster::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

bool SentinelMaster::switchTo(const RedisStoreOptions::Address& a) {
  std::lock_guard lock(mu_);
  if (master_ && *master_ == a) return false;
  master_ = a;
  ++generation_;
  return true;
}

void SentinelMaster::pause(std::chrono::milliseconds ms) {
  std::unique_lock lock(stopMu_);
  stopCv_.wait_for(lock, ms, [this] { return stop_.load(); });
}

void SentinelMaster::follow() {
  const size_t n = o_.sentinels.size();
  const Credentials creds{o_.sentinelUsername, o_.sentinelPassword};
  size_t next = 0;
  std::string lastProblem;
  while (!stopping()) {
    std::string problems;
    bool refused = false;
    bool subscribed = false;
    for (size_t i = 0; i < n && !stopping() && !subscribed; ++i) {
      const size_t idx = (next + i) % n;
      const auto& s = o_.sentinels[idx];
      const std::string where = endpoint(s.host, s.port);
      auto conn = openConnection(s.host, s.port, o_.connectTimeout, o_.commandTimeout, creds);
      std::string why = conn.why;
      refused = refused || conn.authRefused;
      if (conn.ctx) {
        auto r = runArgv(conn.ctx.get(), {"SUBSCRIBE", kSwitchChannel});
        if (r && r->type == REDIS_REPLY_ARRAY) {
          subscribed = true;
        } else {
          why = r ? errorText(r.get()) : std::string(conn.ctx->errstr);
          refused = refused || isAuthError(why);
        }
      }
      if (!subscribed) {
        problems += (problems.empty() ? "" : "; ") + where + ": " + reason(why);
        continue;
      }
      lastProblem.clear();
      reportRedisEvent(RedisLogSeverity::kInfo, "redis-sentinel: following +switch-master for " +
                                                    o_.masterName + " through sentinel " + where);
      // A switch while no subscription was held has no event of its own.
      if (auto a = askSentinels(o_, idx, &stop_); a.master) {
        bool cached = false;
        {
          std::lock_guard lock(mu_);
          cached = master_.has_value();
          if (!cached) master_ = a.master;
        }
        if (cached && switchTo(*a.master)) {
          reportRedisEvent(RedisLogSeverity::kInfo,
                           "redis-sentinel: master " + o_.masterName + " is now " +
                               endpoint(a.master->host, a.master->port) +
                               " (switched while not subscribed); pooled connections dropped");
        }
      }
      const std::string ended = listen(conn.ctx.get(), where);
      if (stopping()) return;
      reportRedisEvent(RedisLogSeverity::kWarning,
                       "redis-sentinel: lost the +switch-master subscription on sentinel " + where +
                           " (" + reason(ended) + "); trying the next sentinel");
      next = idx + 1;
    }
    if (subscribed || stopping()) continue;
    if (problems != lastProblem) {
      reportRedisEvent(
          RedisLogSeverity::kWarning,
          "redis-sentinel: no sentinel accepts the +switch-master subscription (" + problems +
              (refused ? "): the sentinels refused authentication; check sentinel_password (and "
                         "sentinel_user) in session.store"
                       : "); retrying"));
      lastProblem = problems;
    }
    pause(kRetryPause);
  }
}

std::string SentinelMaster::listen(redisContext* c, const std::string& sentinel) {
  using Steady = std::chrono::steady_clock;
  auto lastReply = Steady::now();
  std::optional<Steady::time_point> pingSent;
  while (!stopping()) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return c->errstr;
    if (raw == nullptr) {
      pollfd pfd{c->fd, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, 100);
      if (ready < 0) return "poll failed";
      if (ready > 0) {
        if (redisBufferRead(c) != REDIS_OK) return c->errstr;
        continue;
      }
      const auto now = Steady::now();
      if (pingSent && now - *pingSent > kPingIdle + o_.commandTimeout) {
        return "no answer to PING";
      }
      if (!pingSent && now - lastReply > kPingIdle) {
        // Allowed on a subscribed connection; the answer is ["pong", ""].
        redisAppendCommand(c, "PING");
        int done = 0;
        while (!done) {
          if (redisBufferWrite(c, &done) != REDIS_OK) return c->errstr;
        }
        pingSent = now;
      }
      continue;
    }
    Reply r(static_cast<redisReply*>(raw));
    lastReply = Steady::now();
    pingSent.reset();
    // ["message", channel, payload] (Redis pub/sub protocol)
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && str(r->element[0]) == "message" &&
        str(r->element[1]) == kSwitchChannel) {
      onSwitchMaster(str(r->element[2]), sentinel);
    }
  }
  return "stopped";
}

// "<master name> <old ip> <old port> <new ip> <new port>"
void SentinelMaster::onSwitchMaster(std::string_view payload, const std::string& sentinel) {
  const auto w = words(payload);
  if (w.size() != 5 || w[0] != o_.masterName) return;
  auto to = address(w[3], w[4]);
  if (!to) return;
  const bool changed = switchTo(*to);
  reportRedisEvent(RedisLogSeverity::kInfo,
                   "redis-sentinel: followed +switch-master " + o_.masterName + " " +
                       endpoint(std::string(w[1]), static_cast<int>(toInt(w[2]))) + " -> " +
                       endpoint(to->host, to->port) +
                       (changed ? "; pooled connections dropped" : " (already in use)") +
                       " (from sentinel " + sentinel + ")");
}

}  // namespace detail

Result<RedisStoreOptions::Address> probeRedisSentinels(const RedisStoreOptions& o,
                                                       std::string* detail) {
  if (o.sentinels.empty()) {
    if (detail) *detail = "no sentinels given";
    return Errc::kBadStoreUri;
  }
  auto a = detail::askSentinels(o, 0);
  if (a.master) return *a.master;
  if (a.authRefused) {
    if (detail) {
      *detail = "the sentinels refused authentication (" + a.why + "): " +
                (o.sentinelPassword.empty()
                     ? std::string("they require a password; add sentinel_password=... (and "
                                   "sentinel_user=... for an ACL user) to session.store")
                     : std::string("sentinel_password (and sentinel_user) in session.store must "
                                   "match the sentinels' requirepass or ACL user"));
    }
    return Errc::kStoreOpenFailed;
  }
  if (detail) *detail = "no sentinel named the master \"" + o.masterName + "\" (" + a.why + ")";
  return Errc::kStoreUnavailable;
}

}  // namespace authgate::session
