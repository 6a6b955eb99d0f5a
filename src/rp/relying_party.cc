// rp::RelyingParty: construction, authenticate, refresh, logout and back-channel logout.
// startLogin and completeLogin are in login.cc; the refresh flight in refresher.cc.
#include "authgate/rp/relying_party.h"

#include <algorithm>

#include "authgate/jose/errc.h"
#include "authgate/oidc/access_token.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/logout.h"
#include "authgate/oidc/refresh_policy.h"
#include "authgate/oidc/return_to.h"
#include "authgate/oidc/token.h"
#include "authgate/session/errc.h"
#include "rp/pending_logins.h"
#include "rp/refresher.h"

namespace authgate::rp {

RelyingPartyState::RelyingPartyState(std::size_t maxPendingLogins,
                                     std::size_t maxPendingLoginsPerClient,
                                     std::chrono::seconds transactionTtl)
    : refresher_(std::make_shared<Refresher>()),
      pending_(std::make_unique<PendingLogins>(maxPendingLogins, maxPendingLoginsPerClient,
                                               transactionTtl)) {}

RelyingPartyState::~RelyingPartyState() = default;

std::unique_ptr<session::Subscription> RelyingPartyState::listen(
    session::SessionManager& sessions) {
  return Refresher::listen(sessions, refresher_);
}

CookieSettings CookieSettings::forSite(std::string_view publicUrl, std::string_view sessionName,
                                       std::string domain) {
  CookieSettings c;
  c.secure = publicUrl.starts_with("https://");
  c.domain = std::move(domain);
  // __Host- cookies are Secure, Path=/ and host-only; with a domain they can only be
  // __Secure- (Secure, any Domain).
  const std::string prefix = !c.secure ? "" : c.domain.empty() ? "__Host-" : "__Secure-";
  c.session = prefix + std::string(sessionName);
  c.transaction = prefix + oidc::transactionCookieName(false);
  return c;
}

namespace {

std::shared_ptr<ProviderClient> ownProvider(HttpClient& http, const core::Clock& clock,
                                            core::Random& random,
                                            const RelyingPartySettings& settings) {
  ProviderClientOptions o;
  o.issuer = settings.client.issuer;
  o.random = &random;
  return std::make_shared<ProviderClient>(http, clock, std::move(o));
}

}  // namespace

RelyingParty::RelyingParty(RelyingPartySettings settings, std::shared_ptr<ProviderClient> provider,
                           session::SessionManager& sessions, const core::Clock& clock,
                           core::Random& random, std::shared_ptr<RelyingPartyState> state,
                           core::MetricsRegistry* metrics)
    : settings_(std::move(settings)),
      provider_(std::move(provider)),
      sessions_(sessions),
      clock_(clock),
      random_(random),
      state_(std::move(state)),
      metrics_(metrics) {
  if (auto own = oidc::normalizeOrigin(settings_.publicUrl)) {
    if (std::find(settings_.allowedOrigins.begin(), settings_.allowedOrigins.end(), *own) ==
        settings_.allowedOrigins.end()) {
      settings_.allowedOrigins.insert(settings_.allowedOrigins.begin(), *own);
    }
  }
  if (!settings_.apiAudiences.empty() || !settings_.trustedJwksUrls.empty()) {
    // Access tokens are signed with the provider's asymmetric keys; the ID-token list
    // may hold HS256 (the client secret), which must never verify an API token.
    std::vector<std::string> algs;
    for (const auto& a : settings_.client.id_token_algs) {
      if (!a.starts_with("HS")) algs.push_back(a);
    }
    if (algs.empty()) algs.push_back("RS256");
    bearer_ = std::make_unique<BearerVerifier>(
        *provider_,
        oidc::accessTokenPolicy(settings_.client.issuer, settings_.apiAudiences, algs,
                                settings_.client.clock_skew),
        settings_.access, clock_, settings_.trustedJwksUrls);
  }
  if (!state_) {
    state_ = std::make_shared<RelyingPartyState>(settings_.maxPendingLogins,
                                                 settings_.maxPendingLoginsPerClient,
                                                 settings_.client.transaction_ttl);
    ownSubscription_ = state_->listen(sessions_);
  }
}

RelyingParty::RelyingParty(RelyingPartySettings settings, HttpClient& http,
                           session::SessionManager& sessions, const core::Clock& clock,
                           core::Random& random)
    : RelyingParty(settings, ownProvider(http, clock, random, settings), sessions, clock, random) {}

RelyingParty::~RelyingParty() = default;

void RelyingParty::log(LogLevel level, const std::string& text) const {
  if (settings_.log) settings_.log(level, text);
}

void RelyingParty::countFailure(std::string_view step, std::string_view reason) const {
  if (!metrics_) return;
  metrics_
      ->counter("authgate_auth_failures_total", "Rejected authentication steps by reason.",
                {{"step", std::string(step)}, {"reason", std::string(reason)}})
      .inc();
}

void RelyingParty::revokeRefreshToken(const core::Secret& token) {
  if (token.empty()) return;
  auto metadata = provider_->metadata();
  if (!metadata || (*metadata)->revocation_endpoint.empty()) return;
  auto build = [&] {
    return oidc::buildRevocationRequest((*metadata)->revocation_endpoint, settings_.client, token,
                                        oidc::freshClientAuth(clock_, random_));
  };
  auto request = build();
  if (!request) {
    log(LogLevel::kWarn,
        "refresh token revocation skipped: " + std::string(core::errorName(request.error())));
    return;
  }
  auto revoked = provider_->post(*request, build);
  if (!revoked) {
    log(LogLevel::kWarn, "refresh token revocation at the provider failed (" +
                             std::string(core::errorName(revoked.error())) + ")");
  } else if (revoked->status != 200) {
    log(LogLevel::kWarn,
        "refresh token revocation at the provider answered " + std::to_string(revoked->status));
  }
}

// --- authenticate ---

Authentication RelyingParty::authenticate(std::optional<std::string_view> sessionCookie,
                                          AuthenticateOptions options) {
  Authentication out;
  if (!sessionCookie || sessionCookie->empty()) return out;
  using Lookup = session::SessionManager::Lookup;
  auto s =
      sessions_.lookup(*sessionCookie, options.memoryOnly ? Lookup::kMemoryOnly : Lookup::kAny);
  if (!s) {
    out.error = s.error();
    const auto& e = s.error();
    if (e == session::Errc::kWouldBlock) {
      out.status = AuthStatus::kWouldBlock;
    } else if (e == session::Errc::kNotFound || e == session::Errc::kExpired ||
               e == session::Errc::kRevoked) {
      out.status = AuthStatus::kAnonymous;
    } else {
      // Unavailable, corrupt or undecryptable: reject, and say the service cannot
      // decide, rather than sending the browser to sign in again.
      out.status = AuthStatus::kUnavailable;
    }
    return out;
  }
  out.status = AuthStatus::kActive;
  if (!options.freshTokens) {
    out.session = std::move(*s);
    return out;
  }
  if (options.memoryOnly &&
      oidc::needsRefresh(s->tokens, clock_.unixSeconds(), settings_.refreshBeforeExpiry)) {
    out.status = AuthStatus::kWouldBlock;
    return out;
  }
  auto r = state_->refresher().ensureFresh(*this, *s);
  switch (r.status) {
    case RefreshStatus::kNotNeeded:
    case RefreshStatus::kRefreshed:
    case RefreshStatus::kDeferred:
    case RefreshStatus::kNoRefreshToken:
      out.session = r.session ? std::move(r.session) : std::move(s).value();
      return out;
    case RefreshStatus::kEnded:
      out.status = AuthStatus::kAnonymous;
      out.error = r.error;
      return out;
    case RefreshStatus::kUnavailable:
      out.status = AuthStatus::kUnavailable;
      out.error = r.error;
      out.retryAfter = r.retryAfter > 0 ? r.retryAfter : 1;
      return out;
    case RefreshStatus::kStoreUnavailable:
      out.status = AuthStatus::kUnavailable;
      out.error = r.error;
      return out;
  }
  return out;
}

BearerResult RelyingParty::verifyBearer(std::string_view token, bool memoryOnly) {
  if (!bearer_) {
    BearerResult off;
    off.error = jose::make_error_code(jose::Errc::kAudienceMismatch);
    return off;
  }
  return bearer_->verify(token, memoryOnly);
}

RefreshResult RelyingParty::refresh(const session::Session& s, bool force) {
  return force ? state_->refresher().refreshNow(*this, s)
               : state_->refresher().ensureFresh(*this, s);
}

// --- logout ---

std::string RelyingParty::postLogoutTarget() const {
  auto target =
      oidc::validatePostLogoutRedirect(settings_.postLogoutRedirect, settings_.allowedOrigins);
  return target ? *target : std::string("/");
}

core::SetCookie RelyingParty::clearedSessionCookie() const {
  core::SetCookie c;
  c.name = settings_.cookies.session;
  c.value = "";
  c.path = "/";
  c.maxAgeSeconds = 0;
  c.secure = settings_.cookies.secure;
  c.domain = settings_.cookies.domain;
  c.httpOnly = true;
  c.sameSite = "Lax";
  return c;
}

Outcome<LogoutDone> RelyingParty::logout(const session::Session& s) {
  if (auto revoked = sessions_.revoke(s, session::RevokeReason::kLogout,
                                      s.email.empty() ? s.subject : s.email);
      !revoked) {
    Failure f;
    f.error = revoked.error();
    f.status = 503;
    f.retryAfter = 5;
    f.operatorDetail = "the session store (session.store) cannot be reached";
    return f;
  }
  // The session is already gone locally whatever the provider says.
  revokeRefreshToken(s.tokens.refreshToken);
  LogoutDone done;
  done.clearedCookie = clearedSessionCookie();
  done.location = oidc::absolutize(postLogoutTarget(), settings_.publicUrl);
  if (auto metadata = provider_->metadata()) {
    oidc::LogoutRedirectParams p;
    p.post_logout_redirect_uri = done.location;
    p.id_token_hint = s.tokens.idToken.empty() ? nullptr : &s.tokens.idToken;
    p.sid = s.providerSid;
    auto style = oidc::chooseLogoutStyle(settings_.idpLogout, **metadata);
    auto url = oidc::buildLogoutRedirect(style, **metadata, settings_.client.client_id, p);
    if (url && *url) done.location = **url;
  }
  return done;
}

// --- back-channel logout ---

Outcome<std::size_t> RelyingParty::backchannelLogout(std::string_view logoutToken) {
  auto refuse = [&](const error_code& ec, int status) {
    Failure f;
    f.error = ec;
    f.status = status;
    if (status == 503) {
      f.retryAfter = 5;
      f.operatorDetail = "the session store (session.store) cannot be reached";
    }
    return f;
  };
  oidc::LogoutTokenRules rules;
  rules.clock_skew = settings_.client.clock_skew;
  auto facts = provider_->withKeys<oidc::LogoutTokenFacts>([&](const jose::KeyStore& keys) {
    return oidc::validateLogoutToken(logoutToken, keys, settings_.client, rules, clock_);
  });
  if (!facts) return refuse(facts.error(), 400);

  // s2.6 step 8 (jti): remember it until the token expires, plus the skew it was
  // accepted with. The store is shared, so a replay to another instance fails too.
  const auto now = clock_.unixSeconds();
  const int64_t until = std::max(facts->exp, now) + rules.clock_skew.count();
  auto fresh = sessions_.claimLogoutToken(settings_.client.issuer, facts->jti,
                                          std::chrono::seconds(until - now + 1));
  if (!fresh) return refuse(fresh.error(), 503);
  if (!*fresh) return refuse(make_error_code(Errc::kLogoutTokenReplayed), 400);

  // s2.7: sid names one provider session (end the sessions created from it); sub alone
  // means every session of the user at this RP.
  Result<size_t> ended =
      facts->sid ? sessions_.revokeBySid(*facts->sid, session::RevokeReason::kBackchannel)
                 : sessions_.revokeBySubject(*facts->sub, session::RevokeReason::kBackchannel);
  if (!ended) {
    // Nothing was ended for sure: let a retry through.
    (void)sessions_.releaseLogoutToken(settings_.client.issuer, facts->jti);
    return refuse(ended.error(), 503);
  }
  log(LogLevel::kInfo, "back-channel logout ended " + std::to_string(*ended) + " session(s) (by " +
                           (facts->sid ? "sid" : "sub") + ")");
  return *ended;
}

}  // namespace authgate::rp
