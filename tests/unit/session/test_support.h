// Helpers for the session tests: a temporary directory, a real redis-server on a free
// port, stopped by PID when the test ends (and killed with the test process if it
// crashes, via PR_SET_PDEATHSIG), and a store decorator that forwards every call.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "authgate/session/session_store.h"

namespace authgate::session::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "authgate-session-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A port nothing listens on right now: bind port 0, read it back, close.
inline int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot pick a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

class RedisServer {
 public:
  RedisServer() : port_(freePort()) { start(); }
  // With `requirepass` set (the helpers below authenticate with it).
  explicit RedisServer(std::string requirepass)
      : port_(freePort()), password_(std::move(requirepass)) {
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Starts redis-server on port() (again, after stop()) and waits for PING.
  void start() {
    std::string port = std::to_string(port_);
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      if (password_.empty()) {
        ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", static_cast<char*>(nullptr));
      } else {
        ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--requirepass", password_.c_str(),
                 static_cast<char*>(nullptr));
      }
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ping()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    throw std::runtime_error("redis-server did not answer PING on port " + port);
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

  bool ping() const {
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    bool ok = false;
    if (c && !c->err) {
      authenticate(c);
      auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
      ok = r && r->type == REDIS_REPLY_STATUS;
      if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
  }

  // PUBLISH; the number of subscribers that got it (-1 on failure).
  long long publish(const std::string& channel, const std::string& message) const {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    long long n = -1;
    if (c && !c->err) {
      authenticate(c);
      auto* r = static_cast<redisReply*>(redisCommand(
          c, "PUBLISH %b %b", channel.data(), channel.size(), message.data(), message.size()));
      if (r && r->type == REDIS_REPLY_INTEGER) n = r->integer;
      if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return n;
  }

  // Raw access for tests that inspect what is stored.
  std::string dumpAll() const {
    std::string out;
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (!c || c->err) {
      if (c) redisFree(c);
      return out;
    }
    authenticate(c);
    auto* keys = static_cast<redisReply*>(redisCommand(c, "KEYS *"));
    for (size_t i = 0; keys && i < keys->elements; ++i) {
      std::string k(keys->element[i]->str, keys->element[i]->len);
      out += k + "\n";
      auto* t = static_cast<redisReply*>(redisCommand(c, "TYPE %b", k.data(), k.size()));
      std::string type = t && t->str ? t->str : "";
      if (t) freeReplyObject(t);
      const char* cmd = type == "string" ? "GET %b"
                        : type == "hash" ? "HGETALL %b"
                        : type == "set"  ? "SMEMBERS %b"
                        : type == "zset" ? "ZRANGE %b 0 -1"
                                         : "LRANGE %b 0 -1";
      auto* v = static_cast<redisReply*>(redisCommand(c, cmd, k.data(), k.size()));
      if (v && v->type == REDIS_REPLY_STRING) out.append(v->str, v->len).append("\n");
      for (size_t j = 0; v && v->type == REDIS_REPLY_ARRAY && j < v->elements; ++j) {
        out.append(v->element[j]->str ? v->element[j]->str : "", v->element[j]->len).append("\n");
      }
      if (v) freeReplyObject(v);
    }
    if (keys) freeReplyObject(keys);
    redisFree(c);
    return out;
  }

 private:
  void authenticate(redisContext* c) const {
    if (password_.empty()) return;
    auto* r =
        static_cast<redisReply*>(redisCommand(c, "AUTH %b", password_.data(), password_.size()));
    if (r) freeReplyObject(r);
  }

  int port_;
  std::string password_;
  pid_t pid_ = -1;
};

// Passes every call to `inner`; tests and benchmarks override the calls they count or
// change.
class ForwardingStore : public SessionStore {
 public:
  explicit ForwardingStore(SessionStore& inner) : in_(inner) {}
  std::string_view backend() const override { return in_.backend(); }
  Result<void> ping() override { return in_.ping(); }
  Result<StoreRecord> get(std::string_view k) override { return in_.get(k); }
  Result<StoreRecord> getByPublicId(std::string_view p) override { return in_.getByPublicId(p); }
  Result<uint64_t> put(const StoreRecord& r, Millis t, uint64_t v) override {
    return in_.put(r, t, v);
  }
  Result<void> erase(std::string_view k) override { return in_.erase(k); }
  Result<std::vector<StoreRecord>> listBySubject(std::string_view s) override {
    return in_.listBySubject(s);
  }
  Result<std::vector<StoreRecord>> listBySid(std::string_view s) override {
    return in_.listBySid(s);
  }
  Result<RecordPage> listAll(std::string_view c, size_t n) override { return in_.listAll(c, n); }
  Result<std::vector<StoreRecord>> purgeExpired(size_t n) override { return in_.purgeExpired(n); }
  Result<bool> tryLock(std::string_view n, std::string_view o, Millis t) override {
    return in_.tryLock(n, o, t);
  }
  Result<bool> extendLock(std::string_view n, std::string_view o, Millis t) override {
    return in_.extendLock(n, o, t);
  }
  Result<void> unlock(std::string_view n, std::string_view o) override { return in_.unlock(n, o); }
  Result<bool> putValue(std::string_view k, std::string_view v, Millis t, bool a) override {
    return in_.putValue(k, v, t, a);
  }
  Result<std::optional<std::string>> takeValue(std::string_view k) override {
    return in_.takeValue(k);
  }
  Result<void> appendAudit(std::string_view l) override { return in_.appendAudit(l); }
  Result<std::vector<std::string>> recentAudit(size_t n) override { return in_.recentAudit(n); }
  std::optional<uint64_t> externalVersion() override { return in_.externalVersion(); }
  Result<void> publishRevoked(std::string_view k) override { return in_.publishRevoked(k); }
  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> f) override {
    return in_.subscribeRevoked(std::move(f));
  }

 protected:
  SessionStore& in_;
};

// A minimal session record for store tests: subject alice, public id "p" + key.
inline StoreRecord minimalRecord(const std::string& key) {
  StoreRecord r;
  r.key = key;
  r.publicId = "p" + key;
  r.subject = "alice";
  r.data = "d";
  return r;
}

}  // namespace authgate::session::testing
