#include "authgate/oidc/par.h"

#include <array>
#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "authgate/jose/json.h"
#include "authgate/jose/sign.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

// Authorize parameters Auth0 reads by their own names; any other configured extra
// parameter is "custom" to Auth0 and needs the ext- prefix at its PAR endpoint.
constexpr std::array<std::string_view, 11> kAuth0Known = {
    "invitation", "acr_values", "display",    "claims",      "resource",  "authorization_details",
    "audience",   "connection", "login_hint", "screen_hint", "ui_locales"};
constexpr std::string_view kExtPrefix = "ext-";

bool isAuth0Known(std::string_view name) {
  for (auto k : kAuth0Known) {
    if (detail::iequals(k, name)) return true;
  }
  return false;
}

bool isSuccess(int status) { return status == 200 || status == 201; }

// RFC 3986 characters only: visible ASCII, no space, quote, angle brackets or backslash.
bool isUriText(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  }
  return true;
}

}  // namespace

Result<bool> usePushedAuthorization(ParMode mode, const ProviderMetadata& m) {
  const bool advertised = !m.pushed_authorization_request_endpoint.empty();
  switch (mode) {
    case ParMode::kNever:
      return false;
    case ParMode::kAlways:
      if (!advertised) return Errc::kParNotAdvertised;
      return true;
    case ParMode::kAuto:
      break;
  }
  return advertised;
}

core::Params withAuth0ExtPrefix(const AuthorizeParams& built, const RelyingPartyOptions& rp) {
  core::Params out = built.params;
  if (!rp.auth0_issuer) return out;
  for (std::size_t i = built.first_extra; i < out.size(); ++i) {
    auto& name = out[i].first;
    if (name.starts_with(kExtPrefix) || isAuth0Known(name)) continue;
    name.insert(0, kExtPrefix);
  }
  return out;
}

Result<core::Secret> buildRequestObject(const RelyingPartyOptions& rp, const core::Params& params,
                                        const ClientAuthFreshness& fresh) {
  if (!rp.request_object_key || fresh.jti.empty()) return Errc::kRequestObjectFailed;
  boost::json::object claims;
  for (const auto& [k, v] : params) {
    // OIDC Core s6.1: claims keep their JSON types; max_age is a number.
    if (k == "max_age") {
      std::int64_t seconds = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
      if (ec != std::errc() || end != v.data() + v.size()) return Errc::kRequestObjectFailed;
      claims[k] = seconds;
      continue;
    }
    claims[k] = v;
  }
  // RFC 9101 s4 and s10.2: iss and aud bind the object to this client and this provider.
  claims["iss"] = rp.client_id;
  claims["aud"] = rp.issuer;
  claims["client_id"] = rp.client_id;
  claims["iat"] = fresh.now;
  claims["nbf"] = fresh.now;
  claims["exp"] = fresh.now + kRequestObjectLifetime;
  claims["jti"] = fresh.jti;
  boost::json::object header;
  // RFC 9101 s10.8: explicit typing, so it cannot pass for another kind of JWT.
  header["typ"] = kRequestObjectType;
  auto jwt = jose::signCompactJws(*rp.request_object_key, std::move(header), claims);
  if (!jwt) return Errc::kRequestObjectFailed;
  return core::Secret(std::move(*jwt));
}

Result<AuthorizationRequest> buildSignedAuthorizationRequest(std::string_view authorizationEndpoint,
                                                             const RelyingPartyOptions& rp,
                                                             const LoginTransaction& txn,
                                                             const AuthorizeHints& hints,
                                                             const ClientAuthFreshness& fresh) {
  auto built = authorizeParams(rp, txn, hints);
  auto object = buildRequestObject(rp, built.params, fresh);
  if (!object) return object.error();
  core::Params outside;
  for (const auto& p : built.params) {
    if (p.first == "client_id" || p.first == "response_type" || p.first == "scope") {
      outside.push_back(p);
    }
  }
  outside.emplace_back("request", object->reveal());
  AuthorizationRequest out;
  out.url = authorizationUrl(authorizationEndpoint, outside);
  out.ignored_params = std::move(built.ignored_params);
  return out;
}

Result<TokenEndpointRequest> buildPushedAuthorizationRequest(
    std::string_view parEndpoint, const RelyingPartyOptions& rp, const LoginTransaction& txn,
    const AuthorizeHints& hints, const ClientAuthFreshness& clientAuth,
    const ClientAuthFreshness& requestObject) {
  auto built = authorizeParams(rp, txn, hints);
  core::Params params = withAuth0ExtPrefix(built, rp);
  if (rp.signed_authorize_requests) {
    auto object = buildRequestObject(rp, params, requestObject);
    if (!object) return object.error();
    // RFC 9126 s3: with a request object, the other parameters are inside it.
    params = {{"client_id", rp.client_id}, {"request", object->reveal()}};
  }
  return buildClientAuthenticatedPost(parEndpoint, rp, std::move(params), clientAuth);
}

Result<PushedAuthorization> parsePushedAuthorizationResponse(int httpStatus,
                                                             std::string_view body) {
  if (!isSuccess(httpStatus)) {
    auto e = parseOAuthError(httpStatus, body);
    if ((e && e->error == "invalid_client") || (!e && httpStatus == 401)) {
      return Errc::kInvalidClient;
    }
    if (httpStatus == 429 || httpStatus >= 500) return Errc::kParUnavailable;
    return Errc::kParRejected;
  }
  if (body.size() > kMaxParResponseBytes) return Errc::kBadParResponse;
  // Strict JSON: a duplicated member is refused, not resolved to the last one.
  auto o = jose::parseStrictJsonObject(body, {.maxBytes = kMaxParResponseBytes, .maxDepth = 4});
  if (!o) return Errc::kBadParResponse;
  if (o->contains("error")) return Errc::kParRejected;
  if (detail::hasNonString(*o, "request_uri")) return Errc::kBadParResponse;
  auto uri = detail::getString(*o, "request_uri");
  if (!uri || uri->empty() || uri->size() > kMaxRequestUriBytes || !isUriText(*uri)) {
    return Errc::kBadParResponse;
  }
  if (!boost::urls::parse_absolute_uri(*uri)) return Errc::kBadParResponse;
  // An integer, not "60" nor 60.5 (getInt accepts 60.0, as for expires_in elsewhere).
  auto it = o->find("expires_in");
  if (it == o->end() ||
      !(it->value().is_int64() || it->value().is_uint64() || it->value().is_double())) {
    return Errc::kBadParResponse;
  }
  auto expiresIn = detail::getInt(*o, "expires_in");
  if (!expiresIn || *expiresIn <= 0 || *expiresIn > kMaxParExpiresIn) {
    return Errc::kBadParResponse;
  }
  return PushedAuthorization{.request_uri = std::move(*uri), .expires_in = *expiresIn};
}

std::string pushedAuthorizationUrl(std::string_view authorizationEndpoint,
                                   const RelyingPartyOptions& rp,
                                   const PushedAuthorization& pushed) {
  return authorizationUrl(authorizationEndpoint,
                          {{"client_id", rp.client_id}, {"request_uri", pushed.request_uri}});
}

}  // namespace authgate::oidc
