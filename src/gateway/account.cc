// Endpoints for a signed-in browser: /auth/me, /auth/check (forward-auth), and the
// session list (/auth/sessions, DELETE /auth/sessions/{id}).
#include <boost/json/parse.hpp>

#include "authgate/oidc/access.h"
#include "authgate/session/errc.h"
#include "gateway/auth_routes.h"
#include "gateway/bearer.h"
#include "gateway/current_session.h"
#include "gateway/identity.h"
#include "gateway/session_json.h"
#include "gateway/sessions_page.h"

namespace authgate::gateway {

namespace {

// The API's listing adds whether it is the caller's own browser.
boost::json::object listedSessionJson(const session::Session& s, bool current) {
  auto o = sessionJson(s);
  o["current"] = current;
  return o;
}

}  // namespace

boost::json::value authTimeJson(const session::Session& s) {
  // 0 is how a session records that the provider sent no auth_time: null, not 1970.
  if (s.authTime == 0) return nullptr;
  return s.authTime;
}

boost::json::object sessionJson(const session::Session& s) {
  boost::json::object o{{"id", s.publicId},
                        {"sub", s.subject},
                        {"email", s.email},
                        {"name", s.name},
                        {"state", session::stateName(s.state)},
                        {"created_at", s.createdAt},
                        {"last_seen_at", s.lastSeenAt},
                        {"expires_at", s.expiresAt()},
                        {"idle_expires_at", s.idleExpiresAt},
                        {"absolute_expires_at", s.absoluteExpiresAt},
                        {"auth_time", authTimeJson(s)},
                        {"client_ip", s.clientIp},
                        {"user_agent", s.userAgent},
                        {"refresh_count", s.refreshCount}};
  if (s.state == session::SessionState::kRevoked) {
    o["revoked_reason"] = session::reasonName(s.revokeReason);
  }
  if (s.endedAt != 0) o["ended_at"] = s.endedAt;
  return o;
}

Response handleMe(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive) return unauthorizedJson(req);
  const auto& s = *cur.session;
  boost::json::object me{{"sub", s.subject},
                         {"email", s.email},
                         {"name", s.name},
                         {"preferred_username", s.preferredUsername},
                         {"session", s.publicId},
                         {"expires_at", s.expiresAt()},
                         {"access_token_expires_at", s.tokens.accessTokenExpiresAt},
                         {"auth_time", authTimeJson(s)},
                         {"admin", isAdmin(auth, sessionClaims(s))}};
  return jsonResponse(req, http::status::ok, me);
}

Response handleListSessions(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  // A browser gets the page (gateway/sessions_page.h); every other client the JSON.
  if (isBrowserNavigation(req)) return handleSessionsPage(auth, req, ctx);
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive) return unauthorizedJson(req);
  const auto& me = *cur.session;
  const bool all = core::findParam(queryParams(ctx.query), "all") == "1";
  if (all && !isAdmin(auth, sessionClaims(me))) {
    return errorPage(req, http::status::forbidden, "not_admin",
                     "Only administrators can list every session");
  }
  boost::json::array list;
  if (all) {
    std::string cursor;
    do {
      auto page = auth.sessions.listAll(cursor, 500);
      if (!page) return storeUnavailable(req);
      for (const auto& s : page->sessions) list.push_back(listedSessionJson(s, s.key == me.key));
      cursor = page->nextCursor;
    } while (!cursor.empty() && list.size() < 10000);
  } else {
    auto mine = auth.sessions.listBySubject(me.subject);
    if (!mine) return storeUnavailable(req);
    for (const auto& s : *mine) list.push_back(listedSessionJson(s, s.key == me.key));
  }
  return jsonResponse(req, http::status::ok, {{"sessions", std::move(list)}});
}

Response handleRevokeSession(const AuthContext& auth, const Request& req,
                             net::RequestContext& ctx) {
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive) return unauthorizedJson(req);
  const auto& me = *cur.session;
  const bool admin = isAdmin(auth, sessionClaims(me));
  auto owner = admin ? std::nullopt : std::optional<std::string_view>(me.subject);
  core::Secret refreshToken;
  auto revoked = auth.sessions.revokeByPublicId(
      ctx.param("id"), admin ? session::RevokeReason::kAdmin : session::RevokeReason::kUser,
      me.email.empty() ? me.subject : me.email, owner, &refreshToken);
  if (!revoked) {
    const auto& e = revoked.error();
    // Someone else's session looks exactly like a missing one: no probing of ids.
    if (e == session::Errc::kNotFound || e == session::Errc::kForbidden) {
      return errorPage(req, http::status::not_found, "session_not_found", "No such session");
    }
    return storeUnavailable(req);
  }
  // Ended here, so it ends at the provider too: a session revoked because a device was
  // lost must not leave its grant alive.
  auth.revokeRefreshToken(refreshToken);
  return jsonResponse(req, http::status::ok, {{"revoked", revoked->publicId}});
}

}  // namespace authgate::gateway
