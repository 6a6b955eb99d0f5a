#include "gateway/refresh.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "authgate/oidc/access.h"
#include "authgate/oidc/id_token.h"
#include "authgate/oidc/refresh_policy.h"
#include "authgate/oidc/token.h"
#include "authgate/session/errc.h"
#include "authgate/session/session_manager.h"
#include "gateway/auth_context.h"
#include "gateway/current_session.h"

namespace authgate::gateway {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

boost::json::object parseClaims(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

bool isSessionGone(const error_code& ec) {
  return ec == session::Errc::kNotFound || ec == session::Errc::kExpired ||
         ec == session::Errc::kRevoked;
}

RefreshResult withSession(RefreshStatus status, session::Session s) {
  RefreshResult r;
  r.status = status;
  r.session = std::move(s);
  return r;
}

RefreshResult failure(RefreshStatus status, const error_code& ec) {
  RefreshResult r;
  r.status = status;
  r.error = ec;
  return r;
}

// A reload that failed: the session ended meanwhile, or the store is down.
RefreshResult reloadFailed(const error_code& ec) {
  return failure(isSessionGone(ec) ? RefreshStatus::kEnded : RefreshStatus::kStoreUnavailable, ec);
}

void count(const AuthContext& auth, RefreshStatus status, std::string_view reason = {}) {
  auth.metrics
      .counter("authgate_refresh_total", "Token refresh attempts by outcome and reason.",
               {{"result", std::string(refreshStatusName(status))},
                {"reason", reason.empty() ? std::string("none") : std::string(reason)}})
      .inc();
}

// A wait for another holder's refresh ended: by the session's event, or by the timer
// (an event was lost, or there is none to expect).
void countWake(const AuthContext& auth, bool byEvent) {
  auth.metrics
      .counter("authgate_refresh_wait_wakeups_total",
               "Wake-ups of requests waiting for another instance's refresh, by cause.",
               {{"by", byEvent ? "event" : "timer"}})
      .inc();
}

// Someone else refreshed this session since `snapshot` was read.
bool refreshedSince(const session::Session& snapshot, const session::Session& now) {
  return now.refreshCount != snapshot.refreshCount ||
         now.tokens.accessTokenExpiresAt != snapshot.tokens.accessTokenExpiresAt;
}

}  // namespace

// --- Helpers ---

bool isOwnOriginRequest(const Request& req) {
  // Fetch Metadata (W3C): the browser, not the page, sets Sec-Fetch-Site. "none" is a
  // user action (typed URL, bookmark); anything from another origin, including a sibling
  // subdomain (same-site, which still gets SameSite=Lax cookies), is not ours.
  auto site = req["Sec-Fetch-Site"];
  return site == "same-origin" || site == "none";
}

std::string_view refreshStatusName(RefreshStatus s) {
  switch (s) {
    case RefreshStatus::kNotNeeded:
      return "not_needed";
    case RefreshStatus::kRefreshed:
      return "refreshed";
    case RefreshStatus::kDeferred:
      return "deferred";
    case RefreshStatus::kUnavailable:
      return "unavailable";
    case RefreshStatus::kEnded:
      return "ended";
    case RefreshStatus::kStoreUnavailable:
      return "store_unavailable";
    case RefreshStatus::kNoRefreshToken:
      return "no_refresh_token";
  }
  return "unknown";
}

// --- RefreshWaiters ---

std::unique_ptr<RefreshWaiters::Ticket> RefreshWaiters::watch(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& e = entries_[key];
  e.watchers += 1;
  return std::unique_ptr<Ticket>(new Ticket(*this, key, e.events, all_));
}

RefreshWaiters::Ticket::~Ticket() { w_.release(key_); }

void RefreshWaiters::release(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && --it->second.watchers == 0) entries_.erase(it);
}

bool RefreshWaiters::wait(Ticket& t, Clock::time_point until) {
  std::unique_lock lock(mu_);
  const auto& e = entries_.at(t.key_);  // held by the ticket
  waiting_ += 1;
  const bool woken =
      cv_.wait_until(lock, until, [&] { return e.events != t.seen_ || all_ != t.seenAll_; });
  waiting_ -= 1;
  t.seen_ = e.events;
  t.seenAll_ = all_;
  return woken;
}

void RefreshWaiters::notify(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (key.empty()) {
      all_ += 1;
    } else if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.events += 1;
    } else {
      return;  // nobody waits for this session
    }
  }
  cv_.notify_all();
}

size_t RefreshWaiters::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

// --- Refresher ---

std::unique_ptr<session::Subscription> Refresher::listen(session::SessionManager& sessions,
                                                         std::shared_ptr<Refresher> self) {
  return sessions.subscribeChanges(
      [self = std::move(self)](const std::string& key) { self->waiters_.notify(key); });
}

RefreshResult Refresher::ensureFresh(const AuthContext& auth, const session::Session& s) {
  const auto before = auth.config.session.refresh_before_expiry;
  if (!oidc::needsRefresh(s.tokens, auth.clock.unixSeconds(), before)) {
    return withSession(RefreshStatus::kNotNeeded, s);
  }
  return coalesce(auth, s, false);
}

RefreshResult Refresher::refreshNow(const AuthContext& auth, const session::Session& s) {
  if (s.tokens.refreshToken.empty()) {
    auto r = withSession(RefreshStatus::kNoRefreshToken, s);
    return r;
  }
  return coalesce(auth, s, true);
}

RefreshResult Refresher::coalesce(const AuthContext& auth, const session::Session& s, bool force) {
  std::promise<RefreshResult> promise;
  std::shared_future<RefreshResult> joined;
  {
    std::lock_guard lock(mu_);
    if (auto it = inflight_.find(s.key); it != inflight_.end()) {
      joined = it->second;
    } else {
      inflight_.emplace(s.key, promise.get_future().share());
    }
  }
  if (joined.valid()) {
    // Another thread of this process is refreshing this session: its result is ours.
    return joined.get();
  }
  RefreshResult result;
  try {
    result = singleFlight(auth, s, force);
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mu_);
    inflight_.erase(s.key);
    throw;
  }
  promise.set_value(result);
  std::lock_guard lock(mu_);
  inflight_.erase(s.key);
  return result;
}

RefreshResult Refresher::singleFlight(const AuthContext& auth, const session::Session& s,
                                      bool force) {
  if (auto wait = backingOff(auth, s)) return *wait;
  auto lock = auth.sessions.lockRefresh(s);
  if (!lock) {
    if (lock.error() == session::Errc::kLocked) return waitForOther(auth, s, force);
    return failure(RefreshStatus::kStoreUnavailable, lock.error());
  }
  RefreshResult result;
  {
    auto current = auth.sessions.reload(s);
    result = current ? asHolder(auth, s, *current, force) : reloadFailed(current.error());
  }
  // Released only after the new tokens are stored (or nothing was redeemed).
  if (auto unlocked = auth.sessions.unlockRefresh(*lock); !unlocked) {
    spdlog::warn("refresh lock release failed ({}); it expires by itself",
                 core::errorName(unlocked.error()));
  }
  return result;
}

// Another process (or a stale attempt of this one) holds the store lock. A request
// whose access token can still be used does not wait: it goes on with that token, and
// the holder stores new ones shortly (an explicit refresh, `force`, waits: new tokens
// are what it asked for). The others wait for the holder's session event (new tokens
// stored, lock released), looking at the store again at least every fallback_ in case
// the event is lost, until the new tokens appear, the lock frees up, or the wait is
// long enough that the holder must have died or timed out.
RefreshResult Refresher::waitForOther(const AuthContext& auth, const session::Session& s,
                                      bool force) {
  const bool usable = oidc::accessTokenUsable(s.tokens, auth.clock.unixSeconds());
  if (usable && !force) {
    count(auth, RefreshStatus::kDeferred, "lock_held");
    return withSession(RefreshStatus::kDeferred, s);
  }
  const auto start = RefreshWaiters::Clock::now();
  // The holder's token request ends within the HTTP timeout; a dead holder's lock within
  // its TTL. A request that can still use its token waits only for the former.
  const auto budget =
      usable ? std::chrono::duration_cast<milliseconds>(auth.config.provider.http_timeout) +
                   milliseconds(2000)
             : auth.sessions.options().refreshLockTtl + milliseconds(1000);
  const auto deadline = start + budget;
  // Taken before the first look: an event after it wakes the wait below.
  auto ticket = waiters_.watch(s.key);
  for (;;) {
    auto current = auth.sessions.reload(s);
    if (!current) return reloadFailed(current.error());
    if (refreshedSince(s, *current)) {
      count(auth, RefreshStatus::kRefreshed, "waited");
      return withSession(RefreshStatus::kRefreshed, std::move(*current));
    }
    auto lock = auth.sessions.lockRefresh(*current);
    if (lock) {
      // The holder gave up without new tokens (transient failure), or its lock expired:
      // our turn.
      RefreshResult result;
      auto again = auth.sessions.reload(s);
      if (!again) {
        result = reloadFailed(again.error());
      } else if (auto wait = backingOff(auth, *again)) {
        result = *wait;
      } else {
        result = asHolder(auth, s, *again, force);
      }
      (void)auth.sessions.unlockRefresh(*lock);
      return result;
    }
    if (lock.error() != session::Errc::kLocked) {
      return failure(RefreshStatus::kStoreUnavailable, lock.error());
    }
    const auto now = RefreshWaiters::Clock::now();
    if (now >= deadline) break;
    countWake(auth, waiters_.wait(*ticket, std::min(deadline, now + fallback_)));
  }
  auto timeout = oidc::make_error_code(oidc::Errc::kTokenEndpointUnavailable);
  if (usable) {
    count(auth, RefreshStatus::kDeferred, "lock_wait");
    auto r = withSession(RefreshStatus::kDeferred, s);
    r.error = timeout;
    return r;
  }
  auto r = failure(RefreshStatus::kUnavailable, timeout);
  r.retryAfter = 1;
  count(auth, RefreshStatus::kUnavailable, "lock_wait");
  return r;
}

RefreshResult Refresher::asHolder(const AuthContext& auth, const session::Session& snapshot,
                                  const session::Session& current, bool force) {
  // Another request finished a refresh between our read and our lock: use its tokens
  // (this is what keeps a rotated refresh token from being redeemed twice).
  if (refreshedSince(snapshot, current)) return withSession(RefreshStatus::kRefreshed, current);
  if (!force && !oidc::needsRefresh(current.tokens, auth.clock.unixSeconds(),
                                    auth.config.session.refresh_before_expiry)) {
    return withSession(RefreshStatus::kNotNeeded, current);
  }
  if (current.tokens.refreshToken.empty()) {
    return withSession(RefreshStatus::kNoRefreshToken, current);
  }
  return exchange(auth, current);
}

RefreshResult Refresher::exchange(const AuthContext& auth, const session::Session& s) {
  auto metadata = auth.provider.metadata();
  if (!metadata) return transient(auth, s, metadata.error(), std::nullopt);

  // RFC 6749 s6: grant_type=refresh_token with client authentication.
  auto build = [&] {
    return oidc::buildRefreshRequest((*metadata)->token_endpoint, auth.rp, s.tokens.refreshToken,
                                     oidc::freshClientAuth(auth.clock, auth.random));
  };
  auto request = build();
  if (!request) return transient(auth, s, request.error(), std::nullopt);
  auto response = auth.provider.post(*request, build);
  if (!response) return transient(auth, s, response.error(), std::nullopt);
  auto tokens = oidc::parseTokenResponse(static_cast<int>(response->status), response->body,
                                         oidc::Grant::kRefreshToken, auth.clock,
                                         tokenBinding(auth.config.provider));
  if (!tokens) {
    spdlog::warn("token endpoint refused a refresh of session {}: {}", s.publicId,
                 oidc::describeTokenEndpointFailure(
                     static_cast<int>(response->status), response->body,
                     {s.tokens.refreshToken.reveal(), auth.rp.client_secret.reveal()}));
    if (oidc::classifyRefreshError(tokens.error()) == oidc::RefreshFailure::kEndSession) {
      return endSession(auth, s, tokens.error());
    }
    auto notBefore = oidc::providerNotBefore(response->header("retry-after"),
                                             response->header("x-ratelimit-reset"),
                                             auth.clock.unixSeconds(), seconds(3600));
    if (response->status == 429) {
      // Auth0's limits are per tenant (and per endpoint): hold every session back.
      std::lock_guard lock(mu_);
      providerNotBefore_ =
          std::max(providerNotBefore_, notBefore.value_or(auth.clock.unixSeconds() + 1));
    }
    return transient(auth, s, tokens.error(), notBefore);
  }

  // The response's tokens are the session's from here on: moved, not copied.
  core::TokenSet fresh = std::move(tokens->tokens);
  std::string freshClaims;
  if (!fresh.idToken.empty()) {
    // OIDC Core s12.2: a new ID token is validated like the first (signature, iss, aud,
    // exp, iat, at_hash) and must name the same iss, sub, aud and azp.
    const auto stored = parseClaims(s.idTokenClaims);
    const auto expect = oidc::refreshIdTokenExpectations(auth.rp);
    auto idToken = auth.provider.withKeys<oidc::ValidatedIdToken>([&](const jose::KeyStore& keys) {
      return oidc::validateRefreshedIdToken(fresh.idToken.reveal(), keys, expect, stored,
                                            auth.clock, &fresh.accessToken);
    });
    if (!idToken) return endSession(auth, s, idToken.error(), &fresh);
    auto merged = oidc::mergeRefreshedClaims(stored, idToken->claims);
    // Access rules again: the user may have lost the role or the domain since login.
    auto decision = oidc::evaluateAccess(auth.access, merged);
    if (!decision) return endSession(auth, s, oidc::make_error_code(decision.reason), &fresh);
    freshClaims = boost::json::serialize(merged);
  }

  // Store before anyone else may look: we still hold the lock. A conflict is a
  // concurrent last-seen write or revocation; reread and write again. Tokens that
  // cannot be stored (the session ended meanwhile, or the store keeps failing) are
  // revoked at the provider: nobody holds them any more, and a live grant nobody holds
  // is still a credential.
  auto ended = [&](const error_code& why) {
    spdlog::warn("session {} ended during its refresh; the new tokens are revoked", s.publicId);
    auth.revokeRefreshToken(oidc::liveRefreshToken(s.tokens, fresh));
    return reloadFailed(why);
  };
  session::Session base = s;
  for (int attempt = 0;; ++attempt) {
    auto updated = auth.sessions.updateTokens(base, fresh, freshClaims);
    if (updated) {
      clearBackoff(s.key);
      count(auth, RefreshStatus::kRefreshed);
      return withSession(RefreshStatus::kRefreshed, std::move(*updated));
    }
    const auto& ec = updated.error();
    if (isSessionGone(ec)) return ended(ec);
    if (attempt >= 4 ||
        (ec != session::Errc::kConflict && ec != session::Errc::kStoreUnavailable)) {
      spdlog::error("refreshed tokens of session {} could not be stored: {}", s.publicId,
                    core::errorName(ec));
      // Only a rotated token is orphaned: without rotation the session still holds it.
      if (!fresh.refreshToken.empty() && fresh.refreshToken != s.tokens.refreshToken) {
        auth.revokeRefreshToken(fresh.refreshToken);
      }
      return reloadFailed(ec);
    }
    if (ec == session::Errc::kStoreUnavailable) {
      std::this_thread::sleep_for(milliseconds(50 << attempt));
    }
    auto again = auth.sessions.reload(s);
    if (!again) {
      if (isSessionGone(again.error())) return ended(again.error());
      continue;
    }
    base = std::move(*again);
  }
}

RefreshResult Refresher::endSession(const AuthContext& auth, const session::Session& s,
                                    const error_code& why, const core::TokenSet* obtained) {
  const auto reason = core::errorName(why);
  // The provider answered with tokens the session may not keep (an ID token that fails
  // validation, access rules no longer met): its grant is alive, so end it there too.
  if (obtained) auth.revokeRefreshToken(oidc::liveRefreshToken(s.tokens, *obtained));
  spdlog::warn("refresh of session {} refused ({}): session ended", s.publicId, reason);
  auth.sessions.recordRefreshFailure(s, reason);
  clearBackoff(s.key);
  count(auth, RefreshStatus::kEnded, reason);
  if (auto revoked = auth.sessions.revoke(s, session::RevokeReason::kRefreshFailed); !revoked) {
    if (!isSessionGone(revoked.error())) {
      // The grant is dead either way; the next refresh attempt will end it again.
      return failure(RefreshStatus::kStoreUnavailable, revoked.error());
    }
  }
  return failure(RefreshStatus::kEnded, why);
}

RefreshResult Refresher::transient(const AuthContext& auth, const session::Session& s,
                                   const error_code& why, std::optional<int64_t> notBefore) {
  const auto now = auth.clock.unixSeconds();
  const auto reason = core::errorName(why);
  int64_t until = 0;
  {
    std::lock_guard lock(mu_);
    auto& b = backoff_[s.key];
    b.failures += 1;
    until = std::max(now + oidc::backoffDelay(b.failures).count(), notBefore.value_or(0));
    b.notBefore = until;
  }
  spdlog::warn("refresh of session {} failed ({}); session kept, next attempt in {} s", s.publicId,
               reason, until - now);
  auth.sessions.recordRefreshFailure(s, reason);
  if (oidc::accessTokenUsable(s.tokens, now)) {
    count(auth, RefreshStatus::kDeferred, reason);
    auto r = withSession(RefreshStatus::kDeferred, s);
    r.error = why;
    return r;
  }
  count(auth, RefreshStatus::kUnavailable, reason);
  auto r = failure(RefreshStatus::kUnavailable, why);
  r.retryAfter = std::max<int64_t>(1, until - now);
  return r;
}

std::optional<RefreshResult> Refresher::backingOff(const AuthContext& auth,
                                                   const session::Session& s) {
  const auto now = auth.clock.unixSeconds();
  int64_t until = 0;
  {
    std::lock_guard lock(mu_);
    until = providerNotBefore_;
    if (auto it = backoff_.find(s.key); it != backoff_.end()) {
      until = std::max(until, it->second.notBefore);
    }
  }
  if (until <= now) return std::nullopt;
  const auto why = oidc::make_error_code(oidc::Errc::kTokenEndpointUnavailable);
  if (oidc::accessTokenUsable(s.tokens, now)) {
    auto r = withSession(RefreshStatus::kDeferred, s);
    r.error = why;
    return r;
  }
  auto r = failure(RefreshStatus::kUnavailable, why);
  r.retryAfter = until - now;
  return r;
}

void Refresher::clearBackoff(const std::string& key) {
  std::lock_guard lock(mu_);
  backoff_.erase(key);
}

// --- Endpoints ---

Response providerUnavailable(const Request& req, int64_t retryAfterSeconds) {
  auto res = errorPage(req, http::status::service_unavailable, "provider_unavailable",
                       "The sign-in provider is temporarily unavailable",
                       "Your session is kept. Please try again in a moment.");
  res.set(http::field::retry_after, std::to_string(std::max<int64_t>(1, retryAfterSeconds)));
  return res;
}

namespace {

// POST /auth/refresh and the OpenMetadata alias share everything but the body shape.
// Tokens never reach the browser, so neither answers with one (OpenMetadata's
// own servlet returns the provider's access token; its UI only needs the expiry).
Response refreshEndpoint(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                         bool openMetadata) {
  // A refresh spends a grant at the provider: a page of another site may not trigger
  // one (the same checks as logout). The POST must show it is ours (browsers send
  // Origin on every POST); the OpenMetadata GET is refused when the browser says it
  // comes from elsewhere.
  const auto site = requestSite(req, auth.allowed_origins);
  if (site == RequestSite::kForeign || (!openMetadata && site != RequestSite::kOwn)) {
    auth.countFailure("refresh", "cross_site_request");
    return errorPage(req, http::status::forbidden, "cross_site_request",
                     "This request came from another site",
                     "Refreshing the session is only possible from this site's own pages.");
  }
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive) return unauthorizedJson(req);
  auto result = auth.refresher->refreshNow(auth, *cur.session);
  switch (result.status) {
    case RefreshStatus::kEnded:
      return unauthorizedJson(req, "invalid_token", "The session has ended; sign in again.");
    case RefreshStatus::kStoreUnavailable:
      return storeUnavailable(req);
    case RefreshStatus::kUnavailable:
      return providerUnavailable(req, result.retryAfter);
    case RefreshStatus::kDeferred: {
      // The current token is still valid: say when to try again, keep the session.
      auto res = jsonResponse(req, http::status::service_unavailable,
                              {{"error", "provider_unavailable"},
                               {"error_description",
                                "The provider did not refresh the tokens; "
                                "the current ones stay valid."},
                               {"expires_at", result.session->tokens.accessTokenExpiresAt}});
      res.set(http::field::retry_after, "5");
      return res;
    }
    case RefreshStatus::kNoRefreshToken:
      return jsonResponse(req, http::status::bad_request,
                          {{"error", "no_refresh_token"},
                           {"error_description",
                            "This session has no refresh token (the offline_access scope "
                            "was not granted)."}});
    case RefreshStatus::kNotNeeded:
    case RefreshStatus::kRefreshed:
      break;
  }
  const auto& s = *result.session;
  boost::json::object body{{"expires_at", s.tokens.accessTokenExpiresAt}};
  if (openMetadata) {
    // OpenMetadata's JwtResponse: expiryDuration is the expiry in epoch milliseconds.
    body["expiryDuration"] = s.tokens.accessTokenExpiresAt * 1000;
  } else {
    body["session_expires_at"] = s.expiresAt();
  }
  return jsonResponse(req, http::status::ok, body);
}

}  // namespace

Response handleRefresh(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  return refreshEndpoint(auth, req, ctx, false);
}

Response handleOmRefresh(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  return refreshEndpoint(auth, req, ctx, true);
}

}  // namespace authgate::gateway
