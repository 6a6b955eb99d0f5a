// The lifecycle endpoints: refresh on request, the OpenMetadata aliases, back-channel
// logout. Each is an adapter over rp::RelyingParty (authgate/rp/relying_party.h); the
// single-flight refresh itself, and why it matters, is in src/rp/refresher.h.
#pragma once

#include <cstdint>

#include "authgate/rp/relying_party.h"
#include "gateway/web.h"

namespace authgate::gateway {

struct AuthContext;

// The browser says this request came from our own origin or from the user directly
// (Fetch Metadata: Sec-Fetch-Site same-origin or none). Without the header (old browser,
// script, another site's request stripped of it): false. A GET that changes state (the
// OpenMetadata logout alias) acts only when this holds.
bool isOwnOriginRequest(const Request& req);

// --- Lifecycle endpoints (registered by addAuthRoutes) ---

// POST /auth/refresh -> {expires_at, session_expires_at} (no tokens).
Response handleRefresh(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
// GET /api/v1/auth/refresh (OpenMetadata) -> {expires_at, expiryDuration} (no tokens).
Response handleOmRefresh(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
// GET /api/v1/auth/logout (OpenMetadata): logs out unless it is a cross-site navigation.
Response handleOmLogout(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
// POST /auth/backchannel-logout (OpenID Connect Back-Channel Logout 1.0).
Response handleBackchannelLogout(const AuthContext& auth, const Request& req,
                                 net::RequestContext& ctx);

// 503 for a request whose access token expired while the provider cannot refresh it.
Response providerUnavailable(const Request& req, int64_t retryAfterSeconds);

}  // namespace authgate::gateway
