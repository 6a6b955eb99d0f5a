// GET|POST /auth/callback  (and OpenMetadata's /callback, /api/v1/auth/callback)
//
// The redirect back from the provider (OIDC Core s3.1.2.5). In order, each step failing
// closed with its own error code and nothing created:
//   parameters -> provider error page | transaction taken once (state) -> browser binding
//   -> state, freshness, RFC 9207 iss -> code exchange (confidential client) -> token
//   response -> ID token (signature, iss, aud, azp, exp, iat, nonce, auth_time, org_id,
//   at_hash) -> userinfo (sub must match) -> access rules -> new session -> 302.
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "authgate/jose/jwt.h"
#include "authgate/oidc/access.h"
#include "authgate/oidc/callback.h"
#include "authgate/oidc/id_token.h"
#include "authgate/oidc/return_to.h"
#include "authgate/oidc/token.h"
#include "authgate/oidc/userinfo.h"
#include "authgate/session/session_manager.h"
#include "gateway/auth_routes.h"
#include "gateway/current_session.h"

namespace authgate::gateway {

namespace {

// What to check when the provider refuses authgate's client authentication.
std::string clientCredentialsHint(const oidc::RelyingPartyOptions& rp) {
  switch (rp.client_auth_method) {
    case oidc::ClientAuthMethod::kPrivateKeyJwt:
      return "the provider refused authgate's client assertion (private_key_jwt): check "
             "provider.client_id, that the public key of provider.client_private_key_file "
             "(authgate keys client-jwk) is registered with provider.client_signing_alg, "
             "provider.client_key_id, and this host's clock";
    case oidc::ClientAuthMethod::kClientSecretJwt:
      return "the provider refused authgate's client assertion (client_secret_jwt): check "
             "provider.client_id, provider.client_secret and this host's clock";
    case oidc::ClientAuthMethod::kTlsClientAuth:
    case oidc::ClientAuthMethod::kSelfSignedTlsClientAuth:
      return "the provider refused authgate's TLS client certificate: check provider.client_id, "
             "that provider.tls_client_certificate_file is the certificate registered for "
             "the client (its subject, or the registered JWK for self_signed_tls_client_auth), "
             "and that the provider's mtls_endpoint_aliases are reachable";
    default:
      return "the provider refused authgate's client credentials: check "
             "provider.client_id and provider.client_secret";
  }
}

std::string stringClaim(const boost::json::object& claims, std::string_view name) {
  if (auto it = claims.find(name); it != claims.end() && it->value().is_string()) {
    return std::string(it->value().get_string());
  }
  return {};
}

int64_t intClaim(const boost::json::object& claims, std::string_view name) {
  if (auto it = claims.find(name); it != claims.end()) {
    if (it->value().is_int64()) return it->value().get_int64();
    if (it->value().is_uint64()) return static_cast<int64_t>(it->value().get_uint64());
    if (it->value().is_double()) return static_cast<int64_t>(it->value().get_double());
  }
  return 0;
}

// What login.cc mints: 32 random bytes, base64url without padding (43 characters).
bool isBindingShaped(std::string_view value) {
  if (value.size() != 43) return false;
  for (char c : value) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

core::SetCookie sessionCookie(const AuthContext& auth, std::string value) {
  core::SetCookie c;
  c.name = auth.cookies.session;
  c.value = std::move(value);
  c.path = "/";
  c.secure = auth.cookies.secure;
  c.domain = auth.cookies.domain;
  c.httpOnly = true;
  c.sameSite = "Lax";
  // A session cookie (no Max-Age): the server-side record decides when it ends.
  return c;
}

// One callback request: the state of a single run, never shared between requests.
class CallbackRun {
 public:
  CallbackRun(const AuthContext& auth, const Request& req, net::RequestContext& ctx)
      : auth_(auth), req_(req), ctx_(ctx) {}
  Response run();

 private:
  // Every failure is counted; only those of a real login attempt (its state matched a
  // transaction this instance created) go to the audit trail. Anyone can send junk to
  // the callback, and the audit list is capped: junk must not push real events out.
  Response fail(http::status status, const error_code& ec, std::string_view title,
                std::string_view detail = {}, std::string_view operatorHint = {}) const {
    const auto reason = core::errorName(ec);
    auth_.countFailure("callback", reason);
    if (attempt_) auth_.sessions.recordLoginFailure(reason, clientIp(ctx_), userAgent(req_));
    ErrorPageExtras extras;
    extras.retry_url = auth_.prefix + "/login";
    extras.operator_detail = "callback refused: " + std::string(reason) + " (" + ec.message() + ")";
    if (!operatorHint.empty()) extras.operator_detail.append("; ").append(operatorHint);
    return errorPage(req_, status, reason, title, detail, extras);
  }

  // The browser presents a binding cookie, but not the one this transaction was bound
  // to. Tabs that started logging in at the same moment in a fresh browser each got a
  // new binding and the browser kept only the last one, so all but one tab land here.
  // The response is discarded (its code is never exchanged, so no session can come
  // from another browser's callback: RFC 9700 s4.7.1) and this browser starts a new
  // login bound to the cookie it holds now; with a live provider session that is
  // silent. Anyone can already send a browser to /auth/login, so this gives an
  // attacker nothing; it cannot loop because the new transaction is bound to the
  // cookie the browser just sent.
  Response restartLogin(const oidc::LoginTransaction& txn) const {
    const auto reason = core::errorName(oidc::make_error_code(oidc::Errc::kBrowserBindingMismatch));
    auth_.countFailure("callback", reason);
    return redirect(req_, auth_.prefix + "/login?return_to=" + core::percentEncode(txn.return_to));
  }

  // The provider's own error code and description, for the operator (an invalid_client
  // is a wrong secret, an invalid_grant a reused code). Never the code, the verifier or
  // the secret, even when the provider echoes them.
  void logTokenEndpointFailure(const rp::HttpResponse& response,
                               const oidc::AuthorizationCode& code,
                               const oidc::LoginTransaction& txn) const {
    spdlog::warn(
        "token endpoint refused the code exchange: {}",
        oidc::describeTokenEndpointFailure(
            static_cast<int>(response.status), response.body,
            {code.code.reveal(), txn.code_verifier.reveal(), auth_.rp.client_secret.reveal()}));
  }

  const AuthContext& auth_;
  const Request& req_;
  net::RequestContext& ctx_;
  bool attempt_ = false;  // the state matched a login transaction
};

Response CallbackRun::run() {
  const Request& req = req_;
  net::RequestContext& ctx = ctx_;
  // form_post carries the response in the body; a GET in the query (OAuth 2.0 Form Post
  // Response Mode s2).
  core::Params params;
  if (req.method() == http::verb::post) {
    auto body = core::formDecode(req.body());
    if (!body) {
      return fail(http::status::bad_request, body.error(), "The sign-in response is malformed");
    }
    params = std::move(*body);
  } else {
    auto query = core::formDecode(ctx.query);
    if (!query) {
      return fail(http::status::bad_request, query.error(), "The sign-in response is malformed");
    }
    params = std::move(*query);
  }

  auto parsed = oidc::parseCallback(params, auth_.rp.max_code_bytes);
  if (!parsed) {
    return fail(http::status::bad_request, parsed.error(), "The sign-in response is not valid");
  }
  if (auto* providerError = std::get_if<oidc::ProviderError>(&*parsed)) {
    // The transaction is spent either way: a provider error ends this attempt.
    if (!providerError->state.empty()) {
      const auto key = oidc::transactionStoreKey(providerError->state);
      auto spent = auth_.sessions.takeLoginTransaction(key);
      attempt_ = spent && *spent;
      if (attempt_) auth_.pending_logins->release(key);
    }
    auth_.countFailure("callback", "provider_error");
    if (attempt_)
      auth_.sessions.recordLoginFailure("provider_error", clientIp(ctx), userAgent(req));
    // The provider's words only for a callback of a login this instance started:
    // anyone can send a browser here with an error_description of their own.
    if (!attempt_) providerError->error_description.clear();
    auto status = static_cast<http::status>(providerError->http_status);
    if (wantsJson(req)) {
      return jsonResponse(req, status,
                          {{"error", providerError->error},
                           {"error_description", providerError->error_description}});
    }
    ErrorPageExtras extras;
    extras.retry_url = auth_.prefix + "/login";
    // The page shows none of the provider's text (its code included) unless the state
    // matched: the log still has the code, tied by the request id.
    if (attempt_) {
      extras.provider_error = providerError->error;
      extras.provider_description = providerError->error_description;
    }
    extras.operator_detail = "the provider answered the callback with error " +
                             providerError->error +
                             (attempt_ ? "" : " (state unknown: its description is not shown)");
    // PAR (RFC 9126 s4): the request_uri was used after it expired, or twice (a slow
    // page, a reload, the back button). The state was inside the pushed request, so the
    // provider cannot say which login it was; the "Try again" link pushes a new one.
    // Nothing redirects by itself, so this cannot loop.
    if (providerError->error == "invalid_request_uri") {
      extras.operator_detail +=
          "; the pushed request_uri had expired or was already used: the browser took longer "
          "than the PAR expires_in between /auth/login and the provider";
      return errorPage(req, status, "request_uri_expired", "This sign-in request has expired",
                       "The sign-in page was opened too late or a second time. Start again: "
                       "a new sign-in request is made.",
                       extras);
    }
    if (providerError->error == "invalid_request_object") {
      extras.operator_detail +=
          "; the provider refused authgate's signed request object: check that the public key "
          "of provider.request_object_signing_key_file (authgate keys client-jwk "
          "--request-object) is registered with provider.request_object_signing_alg";
    }
    return errorPage(req, status, "provider_error", "Sign-in was not completed",
                     "The sign-in service did not sign you in.", extras);
  }
  auto& code = std::get<oidc::AuthorizationCode>(*parsed);

  // Take the transaction: exactly one callback may use it (state replay fails here).
  const auto key = oidc::transactionStoreKey(code.state);
  auto taken = auth_.sessions.takeLoginTransaction(key);
  if (!taken) return storeUnavailable(req);
  if (*taken) auth_.pending_logins->release(key);
  if (!*taken) {
    return fail(http::status::bad_request, oidc::make_error_code(oidc::Errc::kStateMismatch),
                "This sign-in attempt is unknown or was already used",
                "Start again from the application. Each sign-in link works once and for 10 "
                "minutes.");
  }
  attempt_ = true;
  auto txn = oidc::parseTransaction(**taken);
  if (!txn)
    return fail(http::status::bad_request, txn.error(), "This sign-in attempt is not valid");

  // The transaction belongs to the browser that started it (RFC 9700 s4.7.1: CSRF).
  auto binding = cookieValue(req, auth_.cookies.transaction);
  if (!binding || !oidc::browserBindingMatches(*txn, *binding)) {
    if (binding && isBindingShaped(*binding)) return restartLogin(*txn);
    return fail(http::status::bad_request,
                oidc::make_error_code(oidc::Errc::kBrowserBindingMismatch),
                "This sign-in was started in another browser",
                "Start again from the application in this browser.");
  }

  auto metadata = auth_.provider.metadata();
  if (!metadata) {
    return fail(http::status::bad_gateway, metadata.error(),
                "The sign-in provider cannot be reached");
  }
  auto expect = oidc::callbackExpectations(**metadata, auth_.rp);
  expect.transaction_ttl = auth_.transaction_ttl;
  if (auto ok = oidc::checkCallback(code, *txn, expect, auth_.clock); !ok) {
    return fail(http::status::bad_request, ok.error(), "The sign-in response is not valid");
  }

  // Code exchange on the back channel, authenticated as a confidential client.
  auto buildExchange = [&] {
    return oidc::buildCodeExchangeRequest((*metadata)->token_endpoint, auth_.rp, code, *txn,
                                          oidc::freshClientAuth(auth_.clock, auth_.random));
  };
  auto exchange = buildExchange();
  if (!exchange) {
    spdlog::error("cannot authenticate to the token endpoint: {}",
                  core::errorName(exchange.error()));
    return fail(http::status::internal_server_error, exchange.error(),
                "Sign-in is not working on this site",
                "This site cannot complete sign-in at the moment. Please tell its administrator "
                "the reference below.",
                "the client assertion could not be signed: check provider.client_auth_method "
                "and its key or secret");
  }
  auto response = auth_.provider.post(*exchange, buildExchange);
  if (!response) {
    if (response.error() == rp::Errc::kTlsFailure) {
      return fail(
          http::status::bad_gateway, response.error(), "Sign-in is not working on this site",
          "This site cannot reach the sign-in service securely, so no one can sign in "
          "here until the site's administrator fixes it. Please tell them the "
          "reference below.",
          "the TLS connection to the token endpoint failed: check provider.ca_file and, "
          "for mTLS, provider.tls_client_certificate_file and provider.tls_client_key_file");
    }
    return fail(http::status::bad_gateway, response.error(),
                "The sign-in provider cannot be reached");
  }
  auto tokens = oidc::parseTokenResponse(static_cast<int>(response->status), response->body,
                                         oidc::Grant::kAuthorizationCode, auth_.clock,
                                         tokenBinding(auth_.config.provider));
  if (!tokens) {
    logTokenEndpointFailure(*response, code, *txn);
    if (tokens.error() == oidc::Errc::kDpopNotBound) {
      return fail(http::status::bad_gateway, tokens.error(), "Sign-in is not working on this site",
                  "The sign-in service answered in a way this site does not accept, so no one "
                  "can sign in here until the site's administrator fixes it. Please tell them "
                  "the reference below.",
                  "provider.dpop is on but the provider issued a Bearer token: turn on DPoP "
                  "for the application at the provider (Auth0: Require Token "
                  "Sender-Constraining: DPoP), or set provider.dpop: false");
    }
    if (tokens.error() == oidc::Errc::kInvalidClient) {
      // Not the user's doing and not fixed by trying again: say who must act.
      return fail(http::status::bad_gateway, tokens.error(), "Sign-in is not working on this site",
                  "The sign-in service does not accept this site at the moment, so no one can "
                  "sign in here until the site's administrator fixes it. Please tell them the "
                  "reference below.",
                  clientCredentialsHint(auth_.rp));
    }
    const bool unavailable = tokens.error() == oidc::Errc::kTokenEndpointUnavailable;
    return fail(unavailable ? http::status::bad_gateway : http::status::bad_request, tokens.error(),
                "The sign-in provider did not accept this sign-in",
                unavailable ? "The provider is unavailable. Please try again."
                            : "The authorization code was rejected or already used.");
  }

  auto idExpect = oidc::loginIdTokenExpectations(auth_.rp, *txn);
  auto idToken = auth_.provider.withKeys<oidc::ValidatedIdToken>([&](const jose::KeyStore& keys) {
    return oidc::validateIdToken(tokens->tokens.idToken.reveal(), keys, idExpect, auth_.clock,
                                 &tokens->tokens.accessToken);
  });
  if (!idToken) {
    if (idToken.error() == oidc::Errc::kIdTokenTooOld) {
      // Most likely a clock that is off (here or at the provider); else a replayed token.
      return fail(http::status::unauthorized, idToken.error(), "This sign-in is out of date",
                  "The sign-in service sent proof of a sign-in that happened too long ago, so "
                  "it was not accepted. Please sign in again.",
                  "the ID token's iat is older than provider.max_id_token_age: check this "
                  "host's clock and the provider's");
    }
    return fail(http::status::unauthorized, idToken.error(),
                "The identity token from the provider is not valid");
  }

  boost::json::object claims = idToken->claims;
  if (auth_.config.provider.fetch_userinfo && !(*metadata)->userinfo_endpoint.empty()) {
    auto ui =
        auth_.provider.getWithBearer((*metadata)->userinfo_endpoint, tokens->tokens.accessToken);
    if (!ui || ui->status != 200) {
      return fail(http::status::bad_gateway,
                  ui ? oidc::make_error_code(oidc::Errc::kBadUserinfo) : ui.error(),
                  "The provider's user information could not be read");
    }
    auto info = oidc::parseUserinfo(ui->body, idToken->sub);
    if (!info) {
      return fail(http::status::unauthorized, info.error(),
                  "The provider's user information does not match the sign-in");
    }
    claims = oidc::mergeUserinfoClaims(claims, *info);
  }

  auto decision = oidc::evaluateAccess(auth_.access, claims);
  if (!decision) {
    auto ec = oidc::make_error_code(decision.reason);
    auth_.countFailure("callback", core::errorName(ec));
    auth_.sessions.recordLoginFailure(core::errorName(ec), clientIp(ctx), userAgent(req));
    ErrorPageExtras extras;
    extras.operator_detail =
        "signed in as " + idToken->sub + ", refused by access rule " + decision.rule;
    return errorPage(req, http::status::forbidden, core::errorName(ec),
                     "You do not have access to this application",
                     "You signed in, but this account is not allowed to use this application. "
                     "Ask your administrator for access.",
                     extras);
  }

  session::LoginInfo login;
  login.subject = idToken->sub;
  login.email = stringClaim(claims, "email");
  login.name = stringClaim(claims, "name");
  login.preferredUsername = stringClaim(claims, "preferred_username");
  if (login.preferredUsername.empty()) login.preferredUsername = stringClaim(claims, "nickname");
  login.providerSid = idToken->sid.value_or("");
  login.authTime = intClaim(claims, "auth_time");
  login.clientIp = clientIp(ctx);
  login.userAgent = userAgent(req);
  login.tokens = std::move(tokens->tokens);  // the one TokenSet, as the provider issued it
  login.idTokenClaims = boost::json::serialize(claims);

  auto created = auth_.sessions.create(login);
  if (!created) return storeUnavailable(req);

  // The browser may hold an older session; it is replaced, so end it rather than leave
  // it alive and unreachable.
  if (auto old = cookieValue(req, auth_.cookies.session)) {
    if (auto previous = auth_.sessions.lookup(*old)) {
      (void)auth_.sessions.revoke(*previous, session::RevokeReason::kReplaced, previous->subject);
    }
  }

  auto res = redirect(req, txn->return_to);
  res.insert(http::field::set_cookie,
             core::formatSetCookie(sessionCookie(auth_, created->cookieValue.reveal())));
  return res;
}

}  // namespace

Response handleCallback(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  return CallbackRun(auth, req, ctx).run();
}

}  // namespace authgate::gateway
