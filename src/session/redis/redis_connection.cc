#include "session/redis/redis_connection.h"

#include <charconv>

namespace authgate::session::detail {

namespace {

// A reason from hiredis or Redis, with the password replaced should a server ever
// echo it.
std::string redact(std::string text, const core::Secret& password) {
  const std::string& secret = password.reveal();
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + core::Secret::kRedacted.size())) {
    text.replace(at, secret.size(), core::Secret::kRedacted);
  }
  return text;
}

}  // namespace

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

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

std::string errorText(const redisReply* r) {
  if (r && r->type == REDIS_REPLY_ERROR) return std::string(r->str, r->len);
  return {};
}

int64_t toInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool isAuthError(std::string_view error) {
  return error.starts_with("WRONGPASS") || error.starts_with("NOAUTH") ||
         error.starts_with("NOPERM") || error.starts_with("ERR invalid password") ||
         error.starts_with("ERR AUTH") || error.starts_with("ERR Client sent AUTH");
}

ConnectResult openConnection(const std::string& host, int port,
                             std::chrono::milliseconds connectTimeout,
                             std::chrono::milliseconds commandTimeout, const Credentials& creds) {
  ConnectResult out;
  Context c(redisConnectWithTimeout(host.c_str(), port, toTimeval(connectTimeout)));
  if (!c) {
    out.why = "out of memory";
    return out;
  }
  if (c->err) {
    out.why = c->errstr;
    return out;
  }
  if (redisSetTimeout(c.get(), toTimeval(commandTimeout)) != REDIS_OK) {
    out.why = "cannot set the command timeout";
    return out;
  }
  if (!creds.password.empty()) {
    Args auth{"AUTH"};
    if (!creds.username.empty()) auth.push_back(creds.username);
    auth.push_back(creds.password.reveal());
    auto r = runArgv(c.get(), auth);
    if (!r) {
      out.why = redact(c->errstr, creds.password);
      return out;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      out.why = redact(errorText(r.get()), creds.password);
      out.authRefused = true;
      return out;
    }
  }
  out.ctx = std::move(c);
  return out;
}

std::string endpoint(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace authgate::session::detail
