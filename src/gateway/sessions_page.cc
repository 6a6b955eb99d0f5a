#include "gateway/sessions_page.h"

#include <algorithm>
#include <ctime>

#include "authgate/session/errc.h"
#include "gateway/auth_routes.h"
#include "gateway/csrf.h"
#include "gateway/current_session.h"
#include "gateway/user_agent.h"

namespace authgate::gateway {
namespace {

constexpr std::string_view kPurpose = "sessions";
// An administrator's search reads at most this many sessions (as the JSON listing).
constexpr std::size_t kMaxScanned = 10000;

std::tm utc(int64_t unixSeconds) {
  std::tm tm{};
  const auto t = static_cast<std::time_t>(unixSeconds);
  gmtime_r(&t, &tm);
  return tm;
}

bool isLive(const session::Session& s, int64_t now) {
  return s.state == session::SessionState::kActive && s.expiresAt() > now;
}

std::string displayName(const session::Session& s) { return s.email.empty() ? s.subject : s.email; }

config::PageValues sessionItem(const session::Session& s, bool current) {
  const auto device = describeUserAgent(s.userAgent);
  config::PageValues item;
  item.text = {{"id", s.publicId},
               {"user", displayName(s)},
               {"device", device.device},
               {"browser", device.browser},
               {"ip", s.clientIp.empty() ? "unknown" : s.clientIp},
               {"created", formatUtcMinute(s.createdAt)},
               {"created_iso", formatIso8601(s.createdAt)},
               {"last_seen", formatUtcMinute(s.lastSeenAt)},
               {"last_seen_iso", formatIso8601(s.lastSeenAt)},
               {"current", current ? "1" : ""},
               {"active", s.state == session::SessionState::kActive ? "1" : ""},
               {"state", std::string(session::stateName(s.state))}};
  return item;
}

// Messages after a form, by a fixed code: nothing from the query is shown as text.
std::string_view notice(std::string_view done) {
  if (done == "revoked") return "The session was signed out.";
  if (done == "others") return "All your other sessions were signed out.";
  if (done == "gone") return "That session had already ended.";
  return "";
}

std::string pageUrl(const AuthContext& auth, std::string_view done, std::string_view user = {}) {
  std::string url = auth.prefix + "/sessions?done=" + std::string(done);
  if (!user.empty()) url += "&user=" + core::percentEncode(user);
  return url;
}

// PRG: a form post answers with 303 to the page, so reloading does not post again.
Response seeOther(const Request& req, const std::string& location) {
  auto res = redirect(req, location);
  res.result(http::status::see_other);
  return res;
}

// The administrator's search: sessions whose email or subject is exactly `user`.
Result<std::vector<session::Session>> findUserSessions(const AuthContext& auth,
                                                       std::string_view user) {
  auto bySubject = auth.sessions.listBySubject(user);
  if (!bySubject) return bySubject.error();
  if (!bySubject->empty()) return bySubject;
  std::vector<session::Session> found;
  std::string cursor;
  std::size_t scanned = 0;
  do {
    auto page = auth.sessions.listAll(cursor, 500);
    if (!page) return page.error();
    for (auto& s : page->sessions) {
      if (s.email == user) found.push_back(std::move(s));
    }
    scanned += 500;
    cursor = page->nextCursor;
  } while (!cursor.empty() && scanned < kMaxScanned);
  return found;
}

ErrorPageExtras retryOnPage(const AuthContext& auth) {
  ErrorPageExtras extras;
  extras.retry_url = auth.prefix + "/sessions";
  return extras;
}

Response toLogin(const AuthContext& auth, const Request& req) {
  return redirect(
      req, auth.prefix + "/login?return_to=" + core::percentEncode(auth.prefix + "/sessions"));
}

// The browser's active session and its cookie, or the answer for a browser without one
// (to login) or while the store is down (503).
struct Visit {
  std::optional<Response> answer;
  CurrentSession current;
  std::string cookie;
};

Visit signedIn(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  Visit v;
  auto cookie = cookieValue(req, auth.cookies.session);
  v.current = currentSession(auth, req, ctx);
  if (v.current.status == SessionStatus::kUnavailable) {
    v.answer = unavailableResponse(req, v.current);
  } else if (v.current.status != SessionStatus::kActive || !cookie) {
    v.answer = toLogin(auth, req);
  } else {
    v.cookie = std::move(*cookie);
  }
  return v;
}

}  // namespace

std::string formatUtcMinute(int64_t unixSeconds) {
  const auto tm = utc(unixSeconds);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm));
}

std::string formatIso8601(int64_t unixSeconds) {
  const auto tm = utc(unixSeconds);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

Response handleSessionsPage(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  auto visit = signedIn(auth, req, ctx);
  if (visit.answer) return std::move(*visit.answer);
  const auto& me = *visit.current.session;
  const auto& cookie = visit.cookie;
  const auto now = auth.clock.unixSeconds();
  auto mine = auth.sessions.listBySubject(me.subject);
  if (!mine) return storeUnavailable(req);
  std::vector<const session::Session*> live;
  for (const auto& s : *mine) {
    if (isLive(s, now) || s.key == me.key) live.push_back(&s);
  }
  // This device first, then the most recently seen.
  std::stable_sort(live.begin(), live.end(), [&](const auto* a, const auto* b) {
    if ((a->key == me.key) != (b->key == me.key)) return a->key == me.key;
    return a->lastSeenAt > b->lastSeenAt;
  });

  const auto params = queryParams(ctx.query);
  config::PageValues v;
  v.text = {{"title", "Your sessions"},
            {"user", displayName(me)},
            {"csrf", formToken(kPurpose, cookie)},
            {"action_url", auth.prefix + "/sessions"},
            {"logout_url", auth.prefix + "/logout"},
            {"notice", std::string(notice(core::findParam(params, "done").value_or("")))}};
  auto& items = v.lists["sessions"];
  for (const auto* s : live) items.push_back(sessionItem(*s, s->key == me.key));

  if (isAdmin(auth, sessionClaims(me))) {
    v.text["is_admin"] = "1";
    const auto user = core::findParam(params, "user").value_or("");
    if (!user.empty() && user.size() <= 320) {
      auto found = findUserSessions(auth, user);
      if (!found) return storeUnavailable(req);
      auto& results = v.lists["admin_results"];
      for (const auto& s : *found) {
        if (isLive(s, now)) results.push_back(sessionItem(s, s.key == me.key));
      }
      v.text["admin_query"] = user;
      v.text["admin_searched"] = "1";
      v.text["admin_found"] = results.empty() ? "" : "1";
    }
  }
  return renderPage(req, http::status::ok, "sessions", std::move(v));
}

Response handleSessionsForm(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  auto visit = signedIn(auth, req, ctx);
  if (visit.answer) return std::move(*visit.answer);
  const auto& me = *visit.current.session;
  const auto& cookie = visit.cookie;

  const bool form = req[http::field::content_type].starts_with("application/x-www-form-urlencoded");
  auto body = form ? core::formDecode(req.body()) : Result<core::Params>(core::Params{});
  const core::Params fields = body ? std::move(*body) : core::Params{};
  auto csrf = core::findParam(fields, "csrf");
  switch (checkForm(requestSite(req, auth.allowed_origins),
                    csrf ? std::optional<std::string_view>(*csrf) : std::nullopt, kPurpose,
                    cookie)) {
    case FormCheck::kOk:
      break;
    case FormCheck::kForeign:
      auth.countFailure("sessions", "cross_site_request");
      return errorPage(req, http::status::forbidden, "cross_site_request",
                       "This request came from another site",
                       "Sessions can only be signed out from this site's own sessions page.");
    case FormCheck::kBadToken:
      auth.countFailure("sessions", "csrf_mismatch");
      return errorPage(req, http::status::forbidden, "csrf_mismatch", "This form has expired",
                       "Open your sessions page again and repeat the action.", retryOnPage(auth));
  }

  const auto action = core::findParam(fields, "action").value_or("");
  const std::string actor = displayName(me);
  if (action == "revoke") {
    const auto id = core::findParam(fields, "id").value_or("");
    const bool admin = isAdmin(auth, sessionClaims(me));
    const auto user = admin ? core::findParam(fields, "user").value_or("") : std::string();
    if (id == me.publicId) return finishLogout(auth, req, me);
    core::Secret refreshToken;
    auto revoked = auth.sessions.revokeByPublicId(
        id, admin ? session::RevokeReason::kAdmin : session::RevokeReason::kUser, actor,
        admin ? std::nullopt : std::optional<std::string_view>(me.subject), &refreshToken);
    if (!revoked) {
      const auto& e = revoked.error();
      // Someone else's session looks exactly like a missing one: no probing of ids.
      if (e == session::Errc::kNotFound || e == session::Errc::kForbidden) {
        return seeOther(req, pageUrl(auth, "gone", user));
      }
      return storeUnavailable(req);
    }
    auth.revokeRefreshToken(refreshToken);
    return seeOther(req, pageUrl(auth, "revoked", user));
  }
  if (action == "others" || action == "everywhere") {
    auto mine = auth.sessions.listBySubject(me.subject);
    if (!mine) return storeUnavailable(req);
    for (const auto& s : *mine) {
      if (s.key == me.key || s.state != session::SessionState::kActive) continue;
      core::Secret refreshToken;
      auto revoked = auth.sessions.revokeByPublicId(s.publicId, session::RevokeReason::kUser, actor,
                                                    me.subject, &refreshToken);
      if (!revoked && revoked.error() != session::Errc::kNotFound) return storeUnavailable(req);
      if (revoked) auth.revokeRefreshToken(refreshToken);
    }
    // Everywhere: this one too, as the sign-out button does (the provider included).
    if (action == "everywhere") return finishLogout(auth, req, me);
    return seeOther(req, pageUrl(auth, "others"));
  }
  return errorPage(req, http::status::bad_request, "unknown_action", "This form is not valid",
                   "Open your sessions page again and repeat the action.", retryOnPage(auth));
}

}  // namespace authgate::gateway
