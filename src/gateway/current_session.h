// Finding the signed-in session of a request, failing closed: a store that cannot answer
// is a 503 for the caller, never "signed out" (which is how redirect loops start,
// mod_auth_openidc #181).
#pragma once

#include <optional>

#include "authgate/session/session.h"
#include "gateway/auth_context.h"
#include "gateway/web.h"

namespace authgate::gateway {

enum class SessionStatus {
  kActive,       // `session` is set
  kAnonymous,    // no cookie, malformed cookie, unknown, expired or revoked session
  kUnavailable,  // the store could not answer: fail closed with 503
};

struct CurrentSession {
  SessionStatus status = SessionStatus::kAnonymous;
  std::optional<session::Session> session;
  error_code error;  // why it is not active (for logs and metrics; never shown raw)
};

CurrentSession currentSession(const AuthContext& auth, const Request& req);

// 503 page for a store that is down (HTML or JSON).
Response storeUnavailable(const Request& req);
// 401 for API callers: JSON + WWW-Authenticate (RFC 6750 s3).
Response unauthorizedJson(const Request& req, std::string_view error = {},
                          std::string_view description = {});

}  // namespace authgate::gateway
