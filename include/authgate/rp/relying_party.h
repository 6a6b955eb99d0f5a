// authgate::rp::RelyingParty: the steps a web server needs to sign its users in with
// an OpenID provider as a confidential client (Authorization Code Flow with PKCE), keep
// their tokens server-side, refresh them, and end the sessions. Values in, values out:
// the server turns its request into the step's input and the step's output into its
// response. No socket and no page: the RelyingParty talks to the provider through the
// injected rp::HttpClient and keeps state in the injected session::SessionManager.
//
//   startLogin        -> the provider's authorize URL and the browser-binding cookie
//   completeLogin     -> a new session and its cookie, or why not
//   authenticate      -> the session a cookie names (optionally with fresh tokens)
//   refresh           -> new tokens now (single flight across threads and instances)
//   logout            -> the session ended, the cookie to clear, the provider's logout URL
//   backchannelLogout -> the sessions a provider's logout token names, ended
//
// Thread-safe: one RelyingParty serves every request of a process. docs/LIBRARY.md has
// the model, the interfaces to implement and a complete example.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/codec.h"
#include "authgate/core/error.h"
#include "authgate/core/metrics.h"
#include "authgate/core/random.h"
#include "authgate/oidc/access.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/options.h"
#include "authgate/rp/bearer.h"
#include "authgate/rp/http_client.h"
#include "authgate/rp/provider_client.h"
#include "authgate/session/session.h"
#include "authgate/session/session_manager.h"

namespace authgate::rp {

// The two cookies. On https use the "__Host-" prefix (or "__Secure-" with a domain).
struct CookieSettings {
  std::string session = "authgate";          // the opaque session id
  std::string transaction = "authgate_txn";  // binds a login to the browser that started it
  bool secure = false;                       // the site is served over https
  std::string domain{};                      // "": host-only cookies

  // The cookies of a site served at `publicUrl` (RFC 6265bis s4.1.3): on https Secure,
  // with the "__Host-" prefix (host-only, Path=/) or, with a `domain`, "__Secure-";
  // on http plain names. The transaction cookie is "<prefix>authgate_txn".
  static CookieSettings forSite(std::string_view publicUrl,
                                std::string_view sessionName = "authgate", std::string domain = {});
};

// Where the RelyingParty's own log lines go (a refused code exchange, a refresh that
// failed, a back-channel logout). The text never holds a token, a code or a secret.
enum class LogLevel { kInfo, kWarn, kError };
using LogSink = std::function<void(LogLevel, const std::string&)>;

struct RelyingPartySettings {
  // The client at the provider: issuer, client_id, credentials, redirect_uri, scopes,
  // PAR/JAR, clock skew, ID-token age, how long a login may take (transaction_ttl)
  // (authgate/oidc/options.h).
  oidc::RelyingPartyOptions client;
  // Who may sign in (emails, domains, claims, email_verified); empty: everyone the
  // provider signs in.
  oidc::AccessPolicy access;
  CookieSettings cookies;
  // scheme://host[:port] of the site, no trailing slash: relative return_to and
  // post-logout targets are made absolute with it.
  std::string publicUrl;
  // Origins a return_to may point at (the site's own is added from publicUrl).
  std::vector<std::string> allowedOrigins;
  bool fetchUserinfo = true;  // merge UserInfo claims at the callback
  // Refresh when the access token expires within this (authenticate with freshTokens).
  std::chrono::seconds refreshBeforeExpiry{60};
  // How long the provider's token endpoint may take (what a request waiting for
  // another instance's refresh allows it).
  std::chrono::milliseconds providerTimeout{10000};
  // "auto" | "auth0" | "oidc" | "none": where logout sends the browser afterwards.
  std::string idpLogout = "auto";
  std::string postLogoutRedirect = "/";  // validated against the allowed origins
  // Login transactions started and not completed, in all and per client address
  // (0: unbounded). Nobody has authenticated yet, so this bounds what anyone can make
  // the store hold.
  std::size_t maxPendingLogins = 10000;
  std::size_t maxPendingLoginsPerClient = 20;
  // Bearer access tokens for APIs (verifyBearer): the audiences an access token may be
  // for (RFC 9068 aud; Auth0's API identifiers), and other key sets a token whose key
  // the provider does not have may be signed by. Both empty: bearer tokens are off.
  std::vector<std::string> apiAudiences;
  std::vector<std::string> trustedJwksUrls;
  LogSink log;  // empty: no log lines
};

// Why a step failed, as a server should answer it. `error`'s stable name
// (core::errorName) is what metrics, logs and JSON bodies carry; `status` is the HTTP
// status to answer. Nothing here holds a token, a code, a secret or a cookie value.
struct Failure {
  error_code error;
  int status = 400;
  int64_t retryAfter = 0;      // seconds for Retry-After; 0: none
  std::string operatorDetail;  // what to check, for the log (never shown to users)
  // The provider's error code (error=...) and, only for a callback of a login this
  // RelyingParty started, its description (anyone can send a browser to the callback
  // with words of their own).
  std::string providerError;
  std::string providerDescription;
  // A callback whose state matched a login this RelyingParty started (its failure is in
  // the audit trail; junk sent to the callback is only counted).
  bool matchedLogin = false;
};

template <class T>
using Outcome = std::variant<T, Failure>;

// --- startLogin ---

struct LoginRequest {
  std::string returnTo = "/";                // where to go afterwards: a path or allowed URL
  std::optional<std::string> bindingCookie;  // the browser's cookies.transaction, if any
  std::string clientIp;                      // for the pending-login bound
  oidc::AuthorizeHints hints;                // login_hint, screen_hint, ui_locales, ...
};

struct LoginRedirect {
  std::string location;           // send the browser here (302)
  core::SetCookie bindingCookie;  // and set this cookie
};

// --- completeLogin ---

struct CallbackRequest {
  core::Params params;                       // the callback's query (GET) or form (form_post)
  std::optional<std::string> bindingCookie;  // cookies.transaction
  std::optional<std::string> sessionCookie;  // cookies.session: an older session, replaced
  std::string clientIp;
  std::string userAgent;
};

struct LoginComplete {
  session::Session session;       // the new session, tokens decrypted
  core::SetCookie sessionCookie;  // set it, then redirect to returnTo
  std::string returnTo;
};

// The callback belongs to a login this browser started in another tab at the same
// moment (the browser kept the other tab's binding cookie). Nothing was exchanged;
// start a new login (redirect to the login endpoint with this returnTo): it is bound to
// the cookie the browser holds now, so this cannot loop.
struct RestartLogin {
  std::string returnTo;
};

using CallbackResult = std::variant<LoginComplete, RestartLogin>;

// --- authenticate ---

enum class AuthStatus {
  kActive,       // `session` is set
  kAnonymous,    // no cookie, or an unknown, expired or revoked session: sign in
  kUnavailable,  // the store (or, for fresh tokens, the provider) cannot answer: 503,
                 // never "signed out" (which is how redirect loops start)
  kWouldBlock,   // memoryOnly and the answer needs the store or the provider
};

struct Authentication {
  AuthStatus status = AuthStatus::kAnonymous;
  std::optional<session::Session> session;
  error_code error;        // why not active (for logs and metrics)
  int64_t retryAfter = 0;  // kUnavailable because the provider cannot refresh: seconds
};

struct AuthenticateOptions {
  // The access token is about to be used (passed to an upstream): refresh it first
  // when it expires within refreshBeforeExpiry.
  bool freshTokens = false;
  // Answer only from the session cache (an I/O thread that must not wait): anything
  // else is kWouldBlock, with nothing read or written.
  bool memoryOnly = false;
};

// --- refresh ---

enum class RefreshStatus {
  kNotNeeded,         // the tokens are fresh enough (or there is no refresh token)
  kRefreshed,         // new tokens are stored (by this request or a concurrent one)
  kDeferred,          // transient provider failure; the current access token is still valid
  kUnavailable,       // transient failure and the access token has expired: 503 + Retry-After
  kEnded,             // the session ended (refresh refused, checks failed, or revoked meanwhile)
  kStoreUnavailable,  // the store could not answer: fail closed (503)
  kNoRefreshToken,    // an explicit refresh of a session without a refresh token
};
std::string_view refreshStatusName(RefreshStatus s);

struct RefreshResult {
  RefreshStatus status = RefreshStatus::kNotNeeded;
  std::optional<session::Session> session;  // the session to use (tokens decrypted)
  error_code error;                         // why it failed (a stable name; never a token)
  int64_t retryAfter = 0;                   // seconds, for kUnavailable
};

// --- logout ---

struct LogoutDone {
  std::string location;           // the provider's logout URL, or the post-logout target
  core::SetCookie clearedCookie;  // expires the session cookie
};

// --- the facade ---

class Refresher;
class PendingLogins;

// What outlives one RelyingParty when a server rebuilds it with new settings (a
// reload): refreshes in flight, their waiters, and the pending-login bound. Share one
// between the old and the new RelyingParty so neither a login in progress nor a
// refresh under way is forgotten.
class RelyingPartyState {
 public:
  RelyingPartyState(std::size_t maxPendingLogins, std::size_t maxPendingLoginsPerClient,
                    std::chrono::seconds transactionTtl);
  ~RelyingPartyState();
  RelyingPartyState(const RelyingPartyState&) = delete;
  RelyingPartyState& operator=(const RelyingPartyState&) = delete;

  // Wakes requests waiting for another instance's refresh when the store says a
  // session's tokens changed. Keep the subscription no longer than `sessions`.
  std::unique_ptr<session::Subscription> listen(session::SessionManager& sessions);

  Refresher& refresher() { return *refresher_; }
  PendingLogins& pendingLogins() { return *pending_; }

 private:
  std::shared_ptr<Refresher> refresher_;
  std::unique_ptr<PendingLogins> pending_;
};

class RelyingParty {
 public:
  // `provider` is shared so a rebuilt RelyingParty may keep the discovery and JWKS
  // caches; `state` (nullptr: a new one) likewise. `metrics` (optional) receives
  // counters by step and reason.
  RelyingParty(RelyingPartySettings settings, std::shared_ptr<ProviderClient> provider,
               session::SessionManager& sessions, const core::Clock& clock, core::Random& random,
               std::shared_ptr<RelyingPartyState> state = nullptr,
               core::MetricsRegistry* metrics = nullptr);
  // The common case: a provider client of its own over `http`, for settings.client.issuer.
  RelyingParty(RelyingPartySettings settings, HttpClient& http, session::SessionManager& sessions,
               const core::Clock& clock, core::Random& random);
  ~RelyingParty();
  RelyingParty(const RelyingParty&) = delete;
  RelyingParty& operator=(const RelyingParty&) = delete;

  // Validates returnTo, makes a transaction (state, nonce, PKCE verifier) kept in the
  // store for client.transaction_ttl, pushes it with PAR or signs it with JAR when configured,
  // and returns where to send the browser. Failures: unsafe_return_to and
  // return_to_origin_not_allowed (400), provider_unavailable (502),
  // too_many_pending_logins(_ip) (429, retryAfter), PAR refusals (502/503), the store
  // (503).
  Outcome<LoginRedirect> startLogin(const LoginRequest& request);

  // The provider's redirect back: takes the transaction once (state), checks the browser
  // binding, iss (RFC 9207), exchanges the code with the client's credentials, validates
  // the ID token (signature, iss, aud, azp, exp, iat and its age, nonce, at_hash),
  // merges UserInfo, applies the access rules and creates the session. An older session
  // of the browser is ended (replaced). Each failure has its own error and creates
  // nothing.
  Outcome<CallbackResult> completeLogin(const CallbackRequest& request);

  // The session `sessionCookie` names (nullopt or empty: anonymous).
  Authentication authenticate(std::optional<std::string_view> sessionCookie,
                              AuthenticateOptions options = {});
  // A bearer access token (the credential of an "Authorization: Bearer" header, see
  // parseAuthorization): signature with the provider's keys (or a trusted key set), iss,
  // aud, exp, typ, then the access rules' scopes and permissions. kInvalidToken when
  // bearer tokens are off. With `memoryOnly` only a recently verified token is answered.
  BearerResult verifyBearer(std::string_view token, bool memoryOnly = false);
  // The verifier behind verifyBearer; nullptr when bearer tokens are off.
  BearerVerifier* bearer() { return bearer_.get(); }

  // New tokens now (force), or only when they are about to expire (!force). One
  // refresh per session at a time across threads and, through the store's lock,
  // instances: a rotated refresh token is never redeemed twice.
  RefreshResult refresh(const session::Session& s, bool force = true);

  // Ends the session (every instance sees it), revokes its refresh token at the
  // provider when it has a revocation endpoint, and says where the browser goes: the
  // provider's logout (Auth0 /v2/logout or RP-Initiated Logout) so the next login asks
  // again. Fails only when the store cannot end it (503).
  Outcome<LogoutDone> logout(const session::Session& s);
  // Where a signed-out browser goes, and the cookie that clears the session.
  std::string postLogoutTarget() const;
  core::SetCookie clearedSessionCookie() const;

  // OpenID Connect Back-Channel Logout 1.0: validates the logout token (signature, iss,
  // aud, iat, exp, typ, events, sid/sub, no nonce), refuses a replayed jti on every
  // instance, and ends the sessions it names. The number ended; failures are 400
  // (the token) or 503 (the store: a retry may deliver it again).
  Outcome<std::size_t> backchannelLogout(std::string_view logoutToken);

  // Revokes a refresh token at the provider (RFC 7009), when it has a revocation
  // endpoint. Best effort, for a token about to be forgotten.
  void revokeRefreshToken(const core::Secret& token);

  const RelyingPartySettings& settings() const { return settings_; }
  ProviderClient& provider() { return *provider_; }
  session::SessionManager& sessions() { return sessions_; }
  const core::Clock& clock() const { return clock_; }
  core::Random& random() { return random_; }

  // Counts a refused step by reason (authgate_auth_failures_total), when metrics are on.
  void countFailure(std::string_view step, std::string_view reason) const;
  // The registry counters go to, or nullptr without metrics.
  core::MetricsRegistry* metrics() const { return metrics_; }
  // A line to settings().log, if set.
  void log(LogLevel level, const std::string& text) const;

 private:
  RelyingPartySettings settings_;
  std::shared_ptr<ProviderClient> provider_;
  session::SessionManager& sessions_;
  const core::Clock& clock_;
  core::Random& random_;
  std::shared_ptr<RelyingPartyState> state_;
  core::MetricsRegistry* metrics_;
  std::unique_ptr<session::Subscription> ownSubscription_;  // when the state is our own
  std::unique_ptr<BearerVerifier> bearer_;                  // apiAudiences or trustedJwksUrls
};

}  // namespace authgate::rp
