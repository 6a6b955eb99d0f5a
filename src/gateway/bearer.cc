#include "gateway/bearer.h"

#include "authgate/core/codec.h"
#include "authgate/jose/errc.h"
#include "authgate/oidc/access_token.h"
#include "gateway/current_session.h"
#include "gateway/identity.h"
#include "gateway/web.h"

namespace authgate::gateway {

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
      auto r = auth.bearer->verify(header.token, /*memoryOnly=*/!ctx.may_block);
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
