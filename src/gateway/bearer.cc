#include "gateway/bearer.h"

#include "authgate/core/codec.h"
#include "authgate/jose/errc.h"
#include "authgate/oidc/access_token.h"
#include "gateway/current_session.h"
#include "gateway/identity.h"
#include "gateway/web.h"

namespace authgate::gateway {

namespace {

bool isB64TokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 6750 s2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool isB64Token(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && isB64TokenChar(s[i])) ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

bool isTokenError(const error_code& ec) {
  // Every check on the token itself is a jose error; anything else (discovery or JWKS
  // fetch failures) means authgate cannot decide now.
  return ec.category() == error_code(jose::Errc::kBadSignature).category();
}

}  // namespace

AuthorizationHeader parseAuthorization(std::string_view value) {
  AuthorizationHeader out;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return out;
  auto sp = value.find(' ');
  auto scheme = value.substr(0, sp);
  if (!core::asciiIEquals(scheme, "Bearer")) {
    out.kind = AuthorizationKind::kOther;
    return out;
  }
  auto rest = sp == std::string_view::npos ? std::string_view{} : value.substr(sp);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!isB64Token(rest)) {
    out.kind = AuthorizationKind::kMalformedBearer;
    return out;
  }
  out.kind = AuthorizationKind::kBearer;
  out.token = rest;
  return out;
}

BearerVerifier::BearerVerifier(rp::ProviderClient& provider, jose::VerifyPolicy policy,
                               oidc::AccessPolicy access, const core::Clock& clock,
                               std::size_t cacheCapacity)
    : provider_(provider),
      policy_(std::move(policy)),
      access_(std::move(access)),
      clock_(clock),
      cache_(cacheCapacity) {}

std::unique_ptr<BearerVerifier> BearerVerifier::fromConfig(const config::Config& config,
                                                           rp::ProviderClient& provider,
                                                           oidc::AccessPolicy access,
                                                           const core::Clock& clock) {
  if (config.api.audiences.empty() && config.provider.jwks_urls.empty()) return nullptr;
  // Access tokens are signed with the provider's asymmetric keys; the ID-token list
  // may contain HS256 (client secret), which must never verify an API token.
  std::vector<std::string> algs;
  for (const auto& a : config.provider.id_token_algs) {
    if (!a.starts_with("HS")) algs.push_back(a);
  }
  if (algs.empty()) algs.push_back("RS256");
  auto policy = oidc::accessTokenPolicy(config.provider.issuer, config.api.audiences, algs,
                                        config.provider.clock_skew);
  auto verifier = std::make_unique<BearerVerifier>(provider, policy, std::move(access), clock);
  if (!config.provider.jwks_urls.empty()) {
    // Tokens of the listed sets are not RFC 9068 access tokens (OpenMetadata's carry no
    // typ, aud or client_id): only the algorithms, skew and exp rules carry over.
    jose::VerifyPolicy keySetPolicy;
    keySetPolicy.allowedAlgs = policy.allowedAlgs;
    keySetPolicy.leeway = policy.leeway;
    keySetPolicy.limits = policy.limits;
    keySetPolicy.requiredClaims = {"sub"};
    verifier->setTrustedKeySets(std::make_unique<TrustedKeySets>(
        config.provider.jwks_urls, provider.http(), clock, std::move(keySetPolicy)));
  }
  return verifier;
}

Result<jose::VerifiedJwt> BearerVerifier::verifyWithKeySets(std::string_view token,
                                                            const error_code& strict) {
  // Only a token whose key the provider does not have: one the provider signed is
  // judged by the access-token rules alone.
  const bool keyMiss = strict == jose::Errc::kUnknownKid || strict == jose::Errc::kNoMatchingKey;
  if (!keySets_ || !keyMiss) return strict;
  auto md = provider_.metadata();
  const std::string providerJwks = md ? (*md)->jwks_uri : std::string();
  return keySets_->verify(token, providerJwks, policy_.issuer);
}

BearerResult BearerVerifier::verify(std::string_view token, bool mayBlock) {
  BearerResult out;
  auto jwt = cache_.find(token, clock_);
  if (!jwt && !mayBlock) {
    out.outcome = BearerOutcome::kWouldBlock;
    return out;
  }
  if (!jwt) {
    auto r = provider_.withKeys<jose::VerifiedJwt>(
        [&](const jose::KeyStore& keys) { return jose::verifyJwt(token, keys, policy_, clock_); });
    if (!r) r = verifyWithKeySets(token, r.error());
    if (!r) {
      out.error = r.error();
      out.outcome =
          isTokenError(r.error()) ? BearerOutcome::kInvalidToken : BearerOutcome::kUnavailable;
      return out;
    }
    jwt = std::make_shared<const jose::VerifiedJwt>(std::move(*r));
    cache_.insert(token, jwt, clock_);
  }
  // API rules (scope, permissions) on the token's own claims.
  auto decision = oidc::evaluateApiAccess(access_, jwt->claims);
  if (!decision) {
    out.outcome = BearerOutcome::kInsufficientScope;
    out.error = decision.reason;
    return out;
  }
  out.outcome = BearerOutcome::kValid;
  out.jwt = std::move(jwt);
  return out;
}

std::string loginLocation(std::string_view prefix, std::string_view target) {
  std::string out(prefix);
  out += "/login?return_to=";
  out += core::percentEncode(target.empty() ? std::string_view("/") : target);
  return out;
}

std::optional<RequestAuth> authenticateBearer(const AuthContext& auth, const net::Request& req,
                                              net::RequestContext& ctx) {
  RequestAuth out;
  if (auth.bearer != nullptr) {
    auto header = parseAuthorization(req[http::field::authorization]);
    if (header.kind == AuthorizationKind::kMalformedBearer) {
      auth.countFailure("bearer", "malformed_bearer");
      out.denial = unauthorizedJson(req, "invalid_token", "malformed_bearer");
      return out;
    }
    if (header.kind == AuthorizationKind::kBearer) {
      auto r = auth.bearer->verify(header.token, ctx.may_block);
      switch (r.outcome) {
        case BearerOutcome::kWouldBlock:
          ctx.defer();
          out.kind = RequestAuth::Kind::kDeferred;
          return out;
        case BearerOutcome::kValid:
          out.kind = RequestAuth::Kind::kBearer;
          out.jwt = std::move(r.jwt);
          return out;
        case BearerOutcome::kInvalidToken:
          // RFC 6750 s3.1: the reason code only; the token is never echoed.
          auth.countFailure("bearer", core::errorName(r.error));
          out.denial = unauthorizedJson(req, "invalid_token", core::errorName(r.error));
          return out;
        case BearerOutcome::kInsufficientScope: {
          auth.countFailure("bearer", core::errorName(r.error));
          boost::json::object body{{"error", "insufficient_scope"},
                                   {"error_description", core::errorName(r.error)}};
          out.denial = jsonResponse(req, http::status::forbidden, body);
          out.denial.set(http::field::www_authenticate,
                         "Bearer realm=\"authgate\", error=\"insufficient_scope\"");
          return out;
        }
        case BearerOutcome::kUnavailable: {
          boost::json::object body{{"error", "temporarily_unavailable"},
                                   {"error_description", "provider_keys_unavailable"}};
          out.denial = jsonResponse(req, http::status::service_unavailable, body);
          out.denial.set(http::field::retry_after, "5");
          return out;
        }
      }
    }
  }
  return std::nullopt;
}

RequestAuth authenticateRequest(const AuthContext& auth, const net::Request& req,
                                net::RequestContext& ctx, bool redirectBrowsers,
                                std::string_view returnTo, bool freshTokens) {
  if (auto bearer = authenticateBearer(auth, req, ctx)) return std::move(*bearer);
  RequestAuth out;
  auto cur =
      freshTokens ? currentSessionWithFreshTokens(auth, req, ctx) : currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kDeferred) {
    out.kind = RequestAuth::Kind::kDeferred;
    return out;
  }
  if (cur.status == SessionStatus::kActive) {
    out.kind = RequestAuth::Kind::kSession;
    out.session = std::move(cur.session);
    return out;
  }
  if (cur.status == SessionStatus::kUnavailable) {
    out.denial = unavailableResponse(req, cur);
    return out;
  }
  if (redirectBrowsers && isBrowserNavigation(req)) {
    out.denial = redirect(
        req,
        loginLocation(auth.prefix, returnTo.empty() ? std::string_view(req.target()) : returnTo));
  } else {
    out.denial = unauthorizedJson(req);
  }
  return out;
}

namespace {

// 200 with the identity headers, or the denial.
Response checkAnswer(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                     bool redirectBrowsers, std::string_view returnTo) {
  // The session's access token goes out only with pass_access_token: only then must it
  // be fresh.
  const auto& up = auth.config.upstream;
  // A DPoP-bound token needs a proof for the request the proxy in front forwards,
  // which authgate does not see: it is never in a forward-auth answer (docs/PROTOCOL.md
  // "DPoP"; settings that rely on it alone are refused at load), so it need not be fresh.
  const bool passToken = up.pass_access_token && !auth.provider.dpop();
  auto a = authenticateRequest(auth, req, ctx, redirectBrowsers, returnTo, passToken);
  if (a.kind == RequestAuth::Kind::kDeferred) return {};
  if (a.kind == RequestAuth::Kind::kDenied) return std::move(a.denial);
  auto res = net::makeResponse(req, http::status::ok, "", "text/plain");
  res.set(http::field::cache_control, "no-store");
  if (a.kind == RequestAuth::Kind::kBearer) {
    setTokenIdentityHeaders(res, *a.jwt);
  } else {
    auto options = IdentityOptions::of(up);
    options.pass_access_token = passToken;
    setIdentityHeaders(res, *a.session, options);
  }
  return res;
}

}  // namespace

Response handleCheck(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  return checkAnswer(auth, req, ctx, /*redirectBrowsers=*/false, {});
}

Response handleCheckRedirect(const AuthContext& auth, const Request& req,
                             net::RequestContext& ctx) {
  // The original URI only ever becomes return_to, which /auth/login validates
  // (relative path or allowed origin), so a forged value cannot redirect off-site.
  std::string returnTo(req["X-Forwarded-Uri"]);
  if (returnTo.empty()) {
    returnTo = "/";
    auto rest = ctx.param("*");
    if (!rest.empty()) returnTo = rest.front() == '/' ? std::string(rest) : "/" + std::string(rest);
    if (!ctx.query.empty()) returnTo += "?" + std::string(ctx.query);
  }
  return checkAnswer(auth, req, ctx, /*redirectBrowsers=*/true, returnTo);
}

void addForwardAuthRoutes(Router& router, const AuthContext& auth) {
  // Forward-auth answers every request of the protected app: from memory on the I/O
  // thread when it can (authenticateRequest), else on the worker pool.
  router.get(auth.prefix + "/check", [&auth](const Request& req, net::RequestContext& ctx) {
    return handleCheck(auth, req, ctx);
  });
  router.get(auth.prefix + "/check/redirect*",
             [&auth](const Request& req, net::RequestContext& ctx) {
               return handleCheckRedirect(auth, req, ctx);
             });
}

}  // namespace authgate::gateway
