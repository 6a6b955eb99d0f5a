// What the authentication endpoints share: the relying party (rp::RelyingParty, the
// library's facade that runs every protocol step), the settings the gateway adds around
// it (the path prefix, the pages), and views of the party's collaborators. Built by
// gateway::App for each Snapshot; read-only while serving.
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
#include "authgate/rp/bearer.h"
#include "authgate/rp/provider_client.h"
#include "authgate/rp/relying_party.h"
#include "authgate/session/session_manager.h"
#include "config/config.h"

namespace authgate::gateway {

// "__Host-authgate" / "authgate" for the session, the transaction cookie beside it, and
// server.cookie_domain (docs/SESSIONS.md).
using CookieNames = rp::CookieSettings;

struct AuthContext {
  const config::Config& config;
  // Every protocol step: login, callback, authenticate, refresh, logout, back-channel.
  rp::RelyingParty& party;
  // Views of the party's settings, as the endpoints read them.
  const oidc::RelyingPartyOptions& rp;
  const oidc::AccessPolicy& access;
  const CookieNames& cookies;
  const std::vector<std::string>& allowed_origins;  // public origin + configured extra origins
  const std::string& public_url;                    // scheme://host[:port], no trailing slash
  std::string prefix;                               // "/auth"

  rp::ProviderClient& provider;
  session::SessionManager& sessions;
  const core::Clock& clock;
  core::Random& random;
  core::MetricsRegistry& metrics;
  // Bearer tokens for APIs (the party's; gateway/bearer.h); nullptr when neither
  // api.audiences nor provider.jwks_urls is set.
  rp::BearerVerifier* bearer = nullptr;

  // Counts a rejected login or callback by reason (the error's stable name).
  void countFailure(std::string_view step, std::string_view reason) const {
    party.countFailure(step, reason);
  }
  // Revokes a refresh token at the provider (RFC 7009), best effort.
  void revokeRefreshToken(const core::Secret& token) const { party.revokeRefreshToken(token); }
};

}  // namespace authgate::gateway
