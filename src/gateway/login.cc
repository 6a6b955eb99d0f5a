// GET /auth/login?return_to=  (and OpenMetadata's /api/v1/auth/login?redirectUri=)
//
// Starts a login: validates where to come back to, creates a transaction (state, nonce,
// PKCE verifier) kept server-side for 10 minutes under a hash of its state, binds it to
// this browser with one small HttpOnly cookie shared by every tab, and redirects to the
// provider's authorization endpoint (OIDC Core s3.1.2.1). With PAR (RFC 9126) the
// parameters are first pushed to the provider on the back channel and the browser only
// carries client_id and the request_uri; with JAR (RFC 9101) they travel in a signed
// request object (docs/PROTOCOL.md "Pushed Authorization Requests", "Signed requests").
#include <spdlog/spdlog.h>

#include <variant>

#include "authgate/oidc/authorize.h"
#include "authgate/oidc/par.h"
#include "authgate/oidc/return_to.h"
#include "gateway/auth_routes.h"
#include "gateway/current_session.h"

namespace authgate::gateway {
namespace {

Response loginFailure(const AuthContext& auth, const Request& req, http::status status,
                      const error_code& ec, std::string_view title, std::string_view detail,
                      std::string operatorDetail) {
  auth.countFailure("login", core::errorName(ec));
  ErrorPageExtras extras;
  extras.retry_url = auth.prefix + "/login";
  extras.operator_detail = std::move(operatorDetail);
  return errorPage(req, status, core::errorName(ec), title, detail, extras);
}

Response parUnavailable(const AuthContext& auth, const Request& req, const error_code& ec,
                        std::string operatorDetail) {
  auto res = loginFailure(auth, req, http::status::service_unavailable, ec,
                          "Sign-in is not available right now",
                          "The sign-in service did not answer. Please try again in a minute.",
                          std::move(operatorDetail));
  res.set(http::field::retry_after, "30");
  return res;
}

// Pushes this login's parameters (RFC 9126 s2) and returns the browser's URL, or the
// page to show. Nothing is stored yet, so a failure leaves nothing behind.
std::variant<std::string, Response> pushAuthorization(const AuthContext& auth, const Request& req,
                                                      const oidc::ProviderMetadata& md,
                                                      const oidc::LoginTransaction& txn,
                                                      const oidc::AuthorizeHints& hints) {
  const auto& endpoint = md.pushed_authorization_request_endpoint;
  // Fresh assertions (client authentication, request object) on every build: a DPoP
  // nonce retry sends the request again, and assertions are single-use.
  auto build = [&] {
    return oidc::buildPushedAuthorizationRequest(endpoint, auth.rp, txn, hints,
                                                 oidc::freshClientAuth(auth.clock, auth.random),
                                                 oidc::freshClientAuth(auth.clock, auth.random));
  };
  auto push = build();
  if (!push) {
    return loginFailure(auth, req, http::status::internal_server_error, push.error(),
                        "Sign-in is not working on this site",
                        "This site cannot start sign-in at the moment. Please tell its "
                        "administrator the reference below.",
                        "the pushed authorization request could not be built (" +
                            std::string(core::errorName(push.error())) +
                            "): check provider.client_auth_method and its key or secret, and "
                            "provider.request_object_signing_key_file");
  }
  auto response = auth.provider.post(*push, build);
  if (!response) {
    return parUnavailable(auth, req, oidc::make_error_code(oidc::Errc::kParUnavailable),
                          "the PAR endpoint " + endpoint + " could not be reached (" +
                              std::string(core::errorName(response.error())) + ")");
  }
  const int status = static_cast<int>(response->status);
  auto pushed = oidc::parsePushedAuthorizationResponse(status, response->body);
  if (pushed) {
    return oidc::pushedAuthorizationUrl(md.authorization_endpoint, auth.rp, *pushed);
  }
  // The provider's code and words for the operator; nothing that was sent.
  const auto said =
      oidc::describeTokenEndpointFailure(status, response->body,
                                         {auth.rp.client_secret.reveal(), txn.state.reveal(),
                                          txn.nonce.reveal(), txn.code_verifier.reveal()});
  spdlog::warn("the PAR endpoint refused the pushed authorization request: {}", said);
  if (pushed.error() == oidc::Errc::kParUnavailable) {
    return parUnavailable(auth, req, pushed.error(),
                          "the PAR endpoint " + endpoint + " answered " + said);
  }
  std::string hint = pushed.error() == oidc::Errc::kInvalidClient
                         ? "the provider refused authgate's client authentication at its PAR "
                           "endpoint: check provider.client_id and its credentials"
                         : "check that PAR is enabled for this application at the provider, "
                           "or set provider.pushed_authorization_requests: never";
  return loginFailure(auth, req, http::status::bad_gateway, pushed.error(),
                      "Sign-in is not working on this site",
                      "The sign-in service does not accept this site's sign-in requests at the "
                      "moment. Please tell the site's administrator the reference below.",
                      "the PAR endpoint " + endpoint + " answered " + said + "; " + hint);
}

}  // namespace

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

  auto usePar = oidc::usePushedAuthorization(auth.rp.pushed_authorization_requests, **metadata);
  if (!usePar) {
    return loginFailure(auth, req, http::status::bad_gateway, usePar.error(),
                        "Sign-in is not working on this site",
                        "This site requires a sign-in method the sign-in service does not "
                        "offer. Please tell the site's administrator the reference below.",
                        "provider.pushed_authorization_requests is always, but the provider's "
                        "discovery has no pushed_authorization_request_endpoint");
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
  // Where the browser goes: after a push only client_id and request_uri, else every
  // parameter in the URL, inside a signed request object with JAR.
  std::string location;
  if (*usePar) {
    auto pushed = pushAuthorization(auth, req, **metadata, txn, hints);
    if (auto* page = std::get_if<Response>(&pushed)) {
      auth.pending_logins->release(key);
      return std::move(*page);
    }
    location = std::move(std::get<std::string>(pushed));
  } else if (auth.rp.signed_authorize_requests) {
    auto signedRequest = oidc::buildSignedAuthorizationRequest(
        (*metadata)->authorization_endpoint, auth.rp, txn, hints,
        oidc::freshClientAuth(auth.clock, auth.random));
    if (!signedRequest) {
      auth.pending_logins->release(key);
      return loginFailure(auth, req, http::status::internal_server_error, signedRequest.error(),
                          "Sign-in is not working on this site",
                          "This site cannot start sign-in at the moment. Please tell its "
                          "administrator the reference below.",
                          "the request object could not be signed: check "
                          "provider.request_object_signing_key_file");
    }
    location = std::move(signedRequest->url);
  } else {
    location =
        oidc::buildAuthorizationRequest((*metadata)->authorization_endpoint, auth.rp, txn, hints)
            .url;
  }

  auto stored = auth.sessions.putLoginTransaction(
      key, oidc::serializeTransaction(txn),
      std::chrono::duration_cast<std::chrono::milliseconds>(auth.transaction_ttl));
  // A collision of two 256-bit states is not expected; refuse rather than overwrite.
  if (!stored || !*stored) {
    auth.pending_logins->release(key);
    return storeUnavailable(req);
  }

  auto res = redirect(req, location);
  auto cookie = oidc::transactionCookie(*binding, auth.rp.response_mode, auth.cookies.secure,
                                        auth.transaction_ttl);
  cookie.name = auth.cookies.transaction;
  cookie.domain = auth.cookies.domain;
  res.insert(http::field::set_cookie, core::formatSetCookie(cookie));
  return res;
}

}  // namespace authgate::gateway
