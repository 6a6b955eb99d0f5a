// GET /auth/login?return_to=  (and OpenMetadata's /api/v1/auth/login?redirectUri=)
//
// Starts a login: validates where to come back to, creates a transaction (state, nonce,
// PKCE verifier) kept server-side for 10 minutes under a hash of its state, binds it to
// this browser with one small HttpOnly cookie shared by every tab, and redirects to the
// provider's authorization endpoint (OIDC Core s3.1.2.1).
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/return_to.h"
#include "gateway/auth_routes.h"
#include "gateway/current_session.h"

namespace authgate::gateway {

Response handleLogin(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                     std::string_view returnToParam) {
  auto params = queryParams(ctx.query);
  auto returnTo = core::findParam(params, returnToParam).value_or("/");
  if (returnTo.empty()) returnTo = "/";
  auto target = oidc::validateReturnTo(returnTo, auth.allowed_origins);
  if (!target) {
    auth.countFailure("login", core::errorName(target.error()));
    return errorPage(req, http::status::bad_request, core::errorName(target.error()),
                     "This sign-in link is not valid",
                     "The address to return to after signing in is not allowed. Only paths on "
                     "this site and configured origins are accepted.");
  }

  auto metadata = auth.provider.metadata();
  if (!metadata) {
    // The reason (e.g. issuer_mismatch: the settings' issuer differs from the one the
    // provider publishes) is what an operator needs; it names no secret.
    const auto reason = core::errorName(metadata.error());
    auth.countFailure("login", "provider_unavailable");
    ErrorPageExtras extras;
    extras.retry_url = auth.prefix + "/login";
    extras.operator_detail = "the provider's configuration could not be loaded (" +
                             std::string(reason) + ": " + metadata.error().message() +
                             "); check provider.issuer and that the provider is reachable";
    return errorPage(req, http::status::bad_gateway, "provider_unavailable",
                     "Sign-in is not available right now",
                     "The sign-in service cannot be reached. Please try again in a few minutes.",
                     extras);
  }

  // One browser-binding cookie for every tab: reuse a well-formed one, else mint one.
  auto binding = cookieValue(req, auth.cookies.transaction);
  if (!binding || binding->size() != 43) binding = oidc::newBrowserBinding(auth.random);

  oidc::AuthorizeHints hints;
  hints.login_hint = core::findParam(params, "login_hint").value_or("");
  hints.screen_hint = core::findParam(params, "screen_hint").value_or("");
  hints.ui_locales = core::findParam(params, "ui_locales").value_or("");
  auto txn = oidc::createLoginTransaction(auth.rp, *target, *binding, auth.clock, auth.random);
  const auto key = oidc::transactionStoreKey(txn.state.reveal());
  // Nobody has authenticated yet: the transactions a client (and everyone) may have
  // open at once are bounded before anything is written (gateway/pending_logins.h).
  if (auto admit = auth.pending_logins->admit(clientIp(ctx), key, auth.clock.unixSeconds());
      admit != PendingLogins::Admit::kOk) {
    auth.countFailure("login", admit == PendingLogins::Admit::kFull ? "too_many_pending_logins"
                                                                    : "too_many_pending_logins_ip");
    auto res = errorPage(req, http::status::too_many_requests, "too_many_pending_logins",
                         "Too many sign-ins in progress",
                         "Finish or close the sign-in pages that are already open, then try "
                         "again in a few minutes.");
    res.set(http::field::retry_after, "60");
    return res;
  }
  auto stored = auth.store.putValue(
      key, oidc::serializeTransaction(txn),
      std::chrono::duration_cast<std::chrono::milliseconds>(auth.transaction_ttl),
      /*onlyIfAbsent=*/true);
  // A collision of two 256-bit states is not expected; refuse rather than overwrite.
  if (!stored || !*stored) {
    auth.pending_logins->release(key);
    return storeUnavailable(req);
  }

  auto authz =
      oidc::buildAuthorizationRequest((*metadata)->authorization_endpoint, auth.rp, txn, hints);
  auto res = redirect(req, authz.url);
  auto cookie = oidc::transactionCookie(*binding, auth.rp.response_mode, auth.cookies.secure,
                                        auth.transaction_ttl);
  cookie.name = auth.cookies.transaction;
  cookie.domain = auth.cookies.domain;
  res.insert(http::field::set_cookie, core::formatSetCookie(cookie));
  return res;
}

}  // namespace authgate::gateway
