// hiredis pieces shared by the Redis store (redis_store.cc), its revocation subscription
// and the Sentinel client (sentinel.cc): owning handles, one command as an argv, reply
// accessors, and a connection opened with bounded timeouts and AUTH. Synchronous
// hiredis throughout; no function here logs.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/secret.h"

namespace authgate::session::detail {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

using Args = std::vector<std::string>;

timeval toTimeval(std::chrono::milliseconds ms);

// One command, binary-safe; null when the connection failed.
Reply runArgv(redisContext* c, const Args& args);

// A string or status reply's text; "" for anything else.
std::string str(const redisReply* r);
// An error reply's text; "" for anything else.
std::string errorText(const redisReply* r);
int64_t toInt(std::string_view s);

// Redis's answers that mean "these credentials are not accepted" (WRONGPASS, a wrong
// legacy password, AUTH to a server without one) or "a password is required" (NOAUTH).
bool isAuthError(std::string_view error);

struct Credentials {
  std::string username;   // empty: the default user (legacy AUTH <password>)
  core::Secret password;  // empty: no AUTH
};

struct ConnectResult {
  Context ctx;               // null on failure
  std::string why;           // on failure: hiredis's or Redis's reason, never the password
  bool authRefused = false;  // AUTH was answered with an error
};

// Connects within `connectTimeout`, sets `commandTimeout` on the socket and, when a
// password is given, sends AUTH [username] password.
ConnectResult openConnection(const std::string& host, int port,
                             std::chrono::milliseconds connectTimeout,
                             std::chrono::milliseconds commandTimeout, const Credentials& creds);

// "host:port" ("[v6]:port" for an IPv6 literal), for messages.
std::string endpoint(const std::string& host, int port);

}  // namespace authgate::session::detail
