// What the authentication endpoints share: the immutable settings derived once from the
// Config, and the long-lived collaborators (provider client, session manager, stores,
// clock, randomness, metrics). Built by gateway::App for each Snapshot; read-only while
// serving.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/metrics.h"
#include "authgate/core/random.h"
#include "authgate/oidc/access.h"
#include "authgate/oidc/options.h"
#include "authgate/oidc/token.h"
#include "authgate/rp/provider_client.h"
#include "authgate/session/session_manager.h"
#include "config/config.h"
#include "gateway/pending_logins.h"
#include "gateway/refresh.h"

namespace authgate::gateway {

class BearerVerifier;

struct CookieNames {
  std::string session;      // "__Host-authgate" on https, "authgate" on http
  std::string transaction;  // browser binding for login transactions
  bool secure = false;      // public URL is https
  // server.cookie_domain: both cookies carry Domain=<it> and, on https, the __Secure-
  // prefix (__Host- forbids a Domain); "": host-only __Host- cookies.
  std::string domain;
};

struct AuthContext {
  const config::Config& config;
  oidc::RelyingPartyOptions rp;
  oidc::AccessPolicy access;
  CookieNames cookies;
  std::string prefix;                        // "/auth"
  std::string public_url;                    // scheme://host[:port], no trailing slash
  std::vector<std::string> allowed_origins;  // public origin + configured extra origins
  std::chrono::seconds transaction_ttl{600};

  rp::ProviderClient& provider;
  session::SessionManager& sessions;
  const core::Clock& clock;
  core::Random& random;
  core::MetricsRegistry& metrics;
  // Single-flight token refresh (gateway/refresh.h); its own state is internally locked.
  // Shared by the snapshots of one process.
  std::shared_ptr<Refresher> refresher = std::make_shared<Refresher>();
  // Bearer tokens for APIs (gateway/bearer.h); nullptr when api.audiences is empty.
  BearerVerifier* bearer = nullptr;
  // The bound on login transactions started and not completed (internally locked).
  // Shared by the snapshots of one process.
  std::shared_ptr<PendingLogins> pending_logins;

  // Counts a rejected login or callback by reason (the error's stable name).
  void countFailure(std::string_view step, std::string_view reason) const;

  // Revokes a refresh token at the provider's revocation_endpoint (RFC 7009), when it
  // has one. Best effort, for a token authgate is about to forget: whatever the
  // provider answers, the caller goes on.
  void revokeRefreshToken(const core::Secret& token) const;
};

// What token_type the token endpoint must answer (RFC 9449 s5 with provider.dpop).
inline oidc::TokenBinding tokenBinding(const config::ProviderSettings& p) {
  return p.dpop ? oidc::TokenBinding::kDpop : oidc::TokenBinding::kBearer;
}

}  // namespace authgate::gateway
