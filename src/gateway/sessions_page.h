// The "Your sessions" page (docs/PAGES.md "sessions"): GET /auth/sessions for a browser
// lists the signed-in user's active sessions (device and browser from the user agent,
// IP, created, last seen, this device marked); POST /auth/sessions signs out one
// session, all others, or everywhere (then the provider too, as logout does). An
// administrator (access.admin_emails) also finds a user's sessions and revokes them.
// Forms only, no script; every post carries this session's token (gateway/csrf.h).
#pragma once

#include <cstdint>
#include <string>

#include "gateway/auth_context.h"
#include "gateway/web.h"

namespace authgate::gateway {

Response handleSessionsPage(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleSessionsForm(const AuthContext& auth, const Request& req, net::RequestContext& ctx);

// "2026-12-02 19:43 UTC" and "2026-12-02T19:43:05Z" for unix seconds.
std::string formatUtcMinute(int64_t unixSeconds);
std::string formatIso8601(int64_t unixSeconds);

}  // namespace authgate::gateway
