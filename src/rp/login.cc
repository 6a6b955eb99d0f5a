// rp::RelyingParty::startLogin and completeLogin: the Authorization Code Flow with PKCE
// as a confidential client (OIDC Core s3.1), with PAR (RFC 9126) and JAR (RFC 9101)
// when configured.
//
// startLogin: validate return_to -> discovery -> bound the logins in progress -> a
// transaction (state, nonce, PKCE verifier) bound to this browser -> the authorize URL
// (pushed, signed or plain) -> the transaction stored under a hash of its state.
//
// completeLogin, in order, each step failing closed with its own error and nothing
// created: parameters -> provider error | transaction taken once (state) -> browser
// binding -> state, freshness, RFC 9207 iss -> code exchange -> token response -> ID
// token (signature, iss, aud, azp, exp, iat and age, nonce, auth_time, org_id, at_hash)
// -> userinfo (sub must match) -> access rules -> new session (an older one replaced).
#include <boost/json/serialize.hpp>

#include "authgate/oidc/access.h"
#include "authgate/oidc/callback.h"
#include "authgate/oidc/id_token.h"
#include "authgate/oidc/par.h"
#include "authgate/oidc/return_to.h"
#include "authgate/oidc/token.h"
#include "authgate/oidc/userinfo.h"
#include "authgate/rp/relying_party.h"
#include "authgate/session/errc.h"
#include "rp/pending_logins.h"

namespace authgate::rp {

namespace {

Failure failure(const error_code& ec, int status, std::string operatorDetail = {},
                int64_t retryAfter = 0) {
  Failure f;
  f.error = ec;
  f.status = status;
  f.operatorDetail = std::move(operatorDetail);
  f.retryAfter = retryAfter;
  return f;
}

Failure storeDown(const error_code& ec) {
  return failure(ec ? ec : session::make_error_code(session::Errc::kStoreUnavailable), 503,
                 "the session store (session.store) cannot be reached", 5);
}

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

// What startLogin mints: 32 random bytes, base64url without padding (43 characters).
bool isBindingShaped(std::string_view value) {
  if (value.size() != 43) return false;
  for (char c : value) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// --- startLogin ---

namespace {

// Pushes this login's parameters (RFC 9126 s2) and returns the browser's URL. Nothing
// is stored yet, so a failure leaves nothing behind.
Outcome<std::string> pushAuthorization(RelyingParty& rp, const oidc::ProviderMetadata& md,
                                       const oidc::LoginTransaction& txn,
                                       const oidc::AuthorizeHints& hints) {
  const auto& client = rp.settings().client;
  const auto& endpoint = md.pushed_authorization_request_endpoint;
  // Fresh assertions (client authentication, request object) on every build: a DPoP
  // nonce retry sends the request again, and assertions are single-use.
  auto build = [&] {
    return oidc::buildPushedAuthorizationRequest(endpoint, client, txn, hints,
                                                 oidc::freshClientAuth(rp.clock(), rp.random()),
                                                 oidc::freshClientAuth(rp.clock(), rp.random()));
  };
  auto push = build();
  if (!push) {
    return failure(push.error(), 500,
                   "the pushed authorization request could not be built (" +
                       std::string(core::errorName(push.error())) +
                       "): check provider.client_auth_method and its key or secret, and "
                       "provider.request_object_signing_key_file");
  }
  auto response = rp.provider().post(*push, build);
  if (!response) {
    return failure(oidc::make_error_code(oidc::Errc::kParUnavailable), 503,
                   "the PAR endpoint " + endpoint + " could not be reached (" +
                       std::string(core::errorName(response.error())) + ")",
                   30);
  }
  const int status = static_cast<int>(response->status);
  auto pushed = oidc::parsePushedAuthorizationResponse(status, response->body);
  if (pushed) return oidc::pushedAuthorizationUrl(md.authorization_endpoint, client, *pushed);
  // The provider's code and words for the operator; nothing that was sent.
  const auto said =
      oidc::describeTokenEndpointFailure(status, response->body,
                                         {client.client_secret.reveal(), txn.state.reveal(),
                                          txn.nonce.reveal(), txn.code_verifier.reveal()});
  rp.log(LogLevel::kWarn, "the PAR endpoint refused the pushed authorization request: " + said);
  if (pushed.error() == oidc::Errc::kParUnavailable) {
    return failure(pushed.error(), 503, "the PAR endpoint " + endpoint + " answered " + said, 30);
  }
  const std::string hint =
      pushed.error() == oidc::Errc::kInvalidClient
          ? "the provider refused authgate's client authentication at its PAR endpoint: check "
            "provider.client_id and its credentials"
          : "check that PAR is enabled for this application at the provider, or set "
            "provider.pushed_authorization_requests: never";
  return failure(pushed.error(), 502,
                 "the PAR endpoint " + endpoint + " answered " + said + "; " + hint);
}

}  // namespace

Outcome<LoginRedirect> RelyingParty::startLogin(const LoginRequest& request) {
  auto refuse = [&](Failure f) {
    countFailure("login", core::errorName(f.error));
    return f;
  };
  auto target = oidc::validateReturnTo(request.returnTo.empty() ? "/" : request.returnTo,
                                       settings_.allowedOrigins);
  if (!target) return refuse(failure(target.error(), 400));

  auto metadata = provider_->metadata();
  if (!metadata) {
    // The reason (e.g. issuer_mismatch: the settings' issuer differs from the one the
    // provider publishes) is what an operator needs; it names no secret.
    return refuse(failure(make_error_code(Errc::kProviderUnavailable), 502,
                          "the provider's configuration could not be loaded (" +
                              std::string(core::errorName(metadata.error())) + ": " +
                              metadata.error().message() +
                              "); check provider.issuer and that the provider is reachable"));
  }
  auto usePar =
      oidc::usePushedAuthorization(settings_.client.pushed_authorization_requests, **metadata);
  if (!usePar) {
    return refuse(failure(usePar.error(), 502,
                          "provider.pushed_authorization_requests is always, but the provider's "
                          "discovery has no pushed_authorization_request_endpoint"));
  }

  // One browser-binding cookie for every tab: reuse a well-formed one, else mint one.
  std::string binding = request.bindingCookie && isBindingShaped(*request.bindingCookie)
                            ? *request.bindingCookie
                            : oidc::newBrowserBinding(random_);
  auto txn = oidc::createLoginTransaction(settings_.client, *target, binding, clock_, random_);
  const auto key = oidc::transactionStoreKey(txn.state.reveal());
  // Nobody has authenticated yet: the transactions a client (and everyone) may have
  // open at once are bounded before anything is written.
  auto& pending = state_->pendingLogins();
  if (auto admit = pending.admit(request.clientIp, key, clock_.unixSeconds());
      admit != PendingLogins::Admit::kOk) {
    return refuse(failure(make_error_code(admit == PendingLogins::Admit::kFull
                                              ? Errc::kTooManyPendingLogins
                                              : Errc::kTooManyPendingLoginsForClient),
                          429, {}, 60));
  }
  // Where the browser goes: after a push only client_id and request_uri, else every
  // parameter in the URL, inside a signed request object with JAR.
  std::string location;
  if (*usePar) {
    auto pushed = pushAuthorization(*this, **metadata, txn, request.hints);
    if (auto* f = std::get_if<Failure>(&pushed)) {
      pending.release(key);
      return refuse(std::move(*f));
    }
    location = std::move(std::get<std::string>(pushed));
  } else if (settings_.client.signed_authorize_requests) {
    auto signedRequest = oidc::buildSignedAuthorizationRequest(
        (*metadata)->authorization_endpoint, settings_.client, txn, request.hints,
        oidc::freshClientAuth(clock_, random_));
    if (!signedRequest) {
      pending.release(key);
      return refuse(failure(signedRequest.error(), 500,
                            "the request object could not be signed: check "
                            "provider.request_object_signing_key_file"));
    }
    location = std::move(signedRequest->url);
  } else {
    location = oidc::buildAuthorizationRequest((*metadata)->authorization_endpoint,
                                               settings_.client, txn, request.hints)
                   .url;
  }

  auto stored = sessions_.putLoginTransaction(
      key, oidc::serializeTransaction(txn),
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.client.transaction_ttl));
  // A collision of two 256-bit states is not expected; refuse rather than overwrite.
  if (!stored || !*stored) {
    pending.release(key);
    return storeDown(stored ? error_code{} : stored.error());
  }

  LoginRedirect out;
  out.location = std::move(location);
  out.bindingCookie =
      oidc::transactionCookie(binding, settings_.client.response_mode, settings_.cookies.secure,
                              settings_.client.transaction_ttl);
  out.bindingCookie.name = settings_.cookies.transaction;
  out.bindingCookie.domain = settings_.cookies.domain;
  return out;
}

// --- completeLogin ---

namespace {

// One callback: the state of a single run, never shared between requests.
class CallbackRun {
 public:
  CallbackRun(RelyingParty& rp, const CallbackRequest& in) : rp_(rp), in_(in) {}
  Outcome<CallbackResult> run();

 private:
  // Every failure is counted; only those of a real login attempt (its state matched a
  // transaction this party created) go to the audit trail. Anyone can send junk to the
  // callback, and the audit list is capped: junk must not push real events out.
  Failure fail(const error_code& ec, int status, std::string_view hint = {}) const {
    const auto reason = core::errorName(ec);
    rp_.countFailure("callback", reason);
    if (attempt_) rp_.sessions().recordLoginFailure(reason, in_.clientIp, in_.userAgent);
    Failure f = failure(ec, status);
    f.matchedLogin = attempt_;
    f.operatorDetail = "callback refused: " + std::string(reason) + " (" + ec.message() + ")";
    if (!hint.empty()) f.operatorDetail.append("; ").append(hint);
    return f;
  }

  Failure providerError(oidc::ProviderError& e);

  // The provider's own error code and description, for the operator (an invalid_client
  // is a wrong secret, an invalid_grant a reused code). Never the code, the verifier or
  // the secret, even when the provider echoes them.
  void logTokenEndpointFailure(const HttpResponse& response, const oidc::AuthorizationCode& code,
                               const oidc::LoginTransaction& txn) const {
    rp_.log(LogLevel::kWarn,
            "token endpoint refused the code exchange: " +
                oidc::describeTokenEndpointFailure(static_cast<int>(response.status), response.body,
                                                   {code.code.reveal(), txn.code_verifier.reveal(),
                                                    rp_.settings().client.client_secret.reveal()}));
  }

  RelyingParty& rp_;
  const CallbackRequest& in_;
  bool attempt_ = false;  // the state matched a login transaction
};

Failure CallbackRun::providerError(oidc::ProviderError& e) {
  // The transaction is spent either way: a provider error ends this attempt.
  if (!e.state.empty()) {
    const auto key = oidc::transactionStoreKey(e.state);
    auto spent = rp_.sessions().takeLoginTransaction(key);
    attempt_ = spent && *spent;
  }
  rp_.countFailure("callback", "provider_error");
  if (attempt_) rp_.sessions().recordLoginFailure("provider_error", in_.clientIp, in_.userAgent);
  Failure f = failure(oidc::make_error_code(oidc::Errc::kProviderError), e.http_status);
  f.matchedLogin = attempt_;
  f.providerError = e.error;
  // The provider's words only for a callback of a login this party started.
  if (attempt_) f.providerDescription = e.error_description;
  f.operatorDetail = "the provider answered the callback with error " + e.error +
                     (attempt_ ? "" : " (state unknown: its description is not shown)");
  if (e.error == "invalid_request_uri") {
    // PAR (RFC 9126 s4): the request_uri was used after it expired, or twice.
    f.operatorDetail +=
        "; the pushed request_uri had expired or was already used: the browser took longer "
        "than the PAR expires_in between /auth/login and the provider";
  } else if (e.error == "invalid_request_object") {
    f.operatorDetail +=
        "; the provider refused authgate's signed request object: check that the public key "
        "of provider.request_object_signing_key_file (authgate keys client-jwk "
        "--request-object) is registered with provider.request_object_signing_alg";
  }
  return f;
}

}  // namespace

// PendingLogins slots are released here (the transaction was taken) rather than in the
// run: the run only sees the store.
Outcome<CallbackResult> CallbackRun::run() {
  const auto& client = rp_.settings().client;
  auto parsed = oidc::parseCallback(in_.params, client.max_code_bytes);
  if (!parsed) return fail(parsed.error(), 400);
  if (auto* e = std::get_if<oidc::ProviderError>(&*parsed)) return providerError(*e);
  auto& code = std::get<oidc::AuthorizationCode>(*parsed);

  // Take the transaction: exactly one callback may use it (state replay fails here).
  const auto key = oidc::transactionStoreKey(code.state);
  auto taken = rp_.sessions().takeLoginTransaction(key);
  if (!taken) return storeDown(taken.error());
  if (!*taken) return fail(oidc::make_error_code(oidc::Errc::kStateMismatch), 400);
  attempt_ = true;
  auto txn = oidc::parseTransaction(**taken);
  if (!txn) return fail(txn.error(), 400);

  // The transaction belongs to the browser that started it (RFC 9700 s4.7.1: CSRF).
  if (!in_.bindingCookie || !oidc::browserBindingMatches(*txn, *in_.bindingCookie)) {
    // Tabs that started logging in at the same moment in a fresh browser each got a new
    // binding and the browser kept only the last one, so all but one tab land here.
    // The response is discarded (its code is never exchanged, so no session can come
    // from another browser's callback) and this browser starts a new login bound to the
    // cookie it holds now; anyone can already send a browser to the login endpoint.
    if (in_.bindingCookie && isBindingShaped(*in_.bindingCookie)) {
      rp_.countFailure("callback",
                       core::errorName(oidc::make_error_code(oidc::Errc::kBrowserBindingMismatch)));
      return CallbackResult{RestartLogin{txn->return_to}};
    }
    return fail(oidc::make_error_code(oidc::Errc::kBrowserBindingMismatch), 400);
  }

  auto metadata = rp_.provider().metadata();
  if (!metadata) return fail(metadata.error(), 502);
  auto expect = oidc::callbackExpectations(**metadata, client);
  if (auto ok = oidc::checkCallback(code, *txn, expect, rp_.clock()); !ok) {
    return fail(ok.error(), 400);
  }

  // Code exchange on the back channel, authenticated as a confidential client.
  auto buildExchange = [&] {
    return oidc::buildCodeExchangeRequest((*metadata)->token_endpoint, client, code, *txn,
                                          oidc::freshClientAuth(rp_.clock(), rp_.random()));
  };
  auto exchange = buildExchange();
  if (!exchange) {
    rp_.log(LogLevel::kError, "cannot authenticate to the token endpoint: " +
                                  std::string(core::errorName(exchange.error())));
    return fail(exchange.error(), 500,
                "the client assertion could not be signed: check provider.client_auth_method "
                "and its key or secret");
  }
  auto response = rp_.provider().post(*exchange, buildExchange);
  if (!response) {
    if (response.error() == Errc::kTlsFailure) {
      return fail(response.error(), 502,
                  "the TLS connection to the token endpoint failed: check provider.ca_file and, "
                  "for mTLS, provider.tls_client_certificate_file and "
                  "provider.tls_client_key_file");
    }
    return fail(response.error(), 502);
  }
  const auto binding =
      rp_.provider().dpop() ? oidc::TokenBinding::kDpop : oidc::TokenBinding::kBearer;
  auto tokens = oidc::parseTokenResponse(static_cast<int>(response->status), response->body,
                                         oidc::Grant::kAuthorizationCode, rp_.clock(), binding);
  if (!tokens) {
    logTokenEndpointFailure(*response, code, *txn);
    if (tokens.error() == oidc::Errc::kDpopNotBound) {
      return fail(tokens.error(), 502,
                  "provider.dpop is on but the provider issued a Bearer token: turn on DPoP "
                  "for the application at the provider (Auth0: Require Token "
                  "Sender-Constraining: DPoP), or set provider.dpop: false");
    }
    if (tokens.error() == oidc::Errc::kInvalidClient) {
      return fail(tokens.error(), 502, clientCredentialsHint(client));
    }
    const bool unavailable = tokens.error() == oidc::Errc::kTokenEndpointUnavailable;
    return fail(tokens.error(), unavailable ? 502 : 400);
  }

  auto idExpect = oidc::loginIdTokenExpectations(client, *txn);
  auto idToken = rp_.provider().withKeys<oidc::ValidatedIdToken>([&](const jose::KeyStore& keys) {
    return oidc::validateIdToken(tokens->tokens.idToken.reveal(), keys, idExpect, rp_.clock(),
                                 &tokens->tokens.accessToken);
  });
  if (!idToken) {
    if (idToken.error() == oidc::Errc::kIdTokenTooOld) {
      // Most likely a clock that is off (here or at the provider); else a replayed token.
      return fail(idToken.error(), 401,
                  "the ID token's iat is older than provider.max_id_token_age: check this "
                  "host's clock and the provider's");
    }
    return fail(idToken.error(), 401);
  }

  boost::json::object claims = idToken->claims;
  if (rp_.settings().fetchUserinfo && !(*metadata)->userinfo_endpoint.empty()) {
    auto ui =
        rp_.provider().getWithBearer((*metadata)->userinfo_endpoint, tokens->tokens.accessToken);
    if (!ui || ui->status != 200) {
      return fail(ui ? oidc::make_error_code(oidc::Errc::kBadUserinfo) : ui.error(), 502);
    }
    auto info = oidc::parseUserinfo(ui->body, idToken->sub);
    if (!info) return fail(info.error(), 401);
    claims = oidc::mergeUserinfoClaims(claims, *info);
  }

  auto decision = oidc::evaluateAccess(rp_.settings().access, claims);
  if (!decision) {
    Failure f = fail(oidc::make_error_code(decision.reason), 403);
    f.operatorDetail = "signed in as " + idToken->sub + ", refused by access rule " + decision.rule;
    return f;
  }

  session::LoginInfo login;
  login.subject = idToken->sub;
  login.email = stringClaim(claims, "email");
  login.name = stringClaim(claims, "name");
  login.preferredUsername = stringClaim(claims, "preferred_username");
  if (login.preferredUsername.empty()) login.preferredUsername = stringClaim(claims, "nickname");
  login.providerSid = idToken->sid.value_or("");
  login.authTime = intClaim(claims, "auth_time");
  login.clientIp = in_.clientIp;
  login.userAgent = in_.userAgent;
  login.tokens = std::move(tokens->tokens);  // the one TokenSet, as the provider issued it
  login.idTokenClaims = boost::json::serialize(claims);

  auto created = rp_.sessions().create(login);
  if (!created) return storeDown(created.error());

  // The browser may hold an older session; it is replaced, so end it rather than leave
  // it alive and unreachable.
  if (in_.sessionCookie && !in_.sessionCookie->empty()) {
    if (auto previous = rp_.sessions().lookup(*in_.sessionCookie)) {
      (void)rp_.sessions().revoke(*previous, session::RevokeReason::kReplaced, previous->subject);
    }
  }

  LoginComplete done;
  done.returnTo = txn->return_to;
  done.sessionCookie.name = rp_.settings().cookies.session;
  done.sessionCookie.value = created->cookieValue.reveal();
  done.sessionCookie.path = "/";
  done.sessionCookie.secure = rp_.settings().cookies.secure;
  done.sessionCookie.domain = rp_.settings().cookies.domain;
  done.sessionCookie.httpOnly = true;
  done.sessionCookie.sameSite = "Lax";
  // A session cookie (no Max-Age): the server-side record decides when it ends.
  done.session = std::move(created->session);
  return CallbackResult{std::move(done)};
}

Outcome<CallbackResult> RelyingParty::completeLogin(const CallbackRequest& request) {
  // The transaction's slot in the pending-login bound is free once a callback names
  // its state, whatever happens next.
  auto state = core::findParam(request.params, "state");
  auto result = CallbackRun(*this, request).run();
  if (state && !state->empty()) state_->pendingLogins().release(oidc::transactionStoreKey(*state));
  return result;
}

}  // namespace authgate::rp
