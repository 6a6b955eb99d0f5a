#include "authgate/oidc/logout.h"

#include <boost/url/parse.hpp>

#include "authgate/core/codec.h"
#include "authgate/jose/jwt.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

std::string appendQuery(std::string_view base, const core::Params& params) {
  std::string url(base);
  auto hash = url.find('#');
  if (hash != std::string::npos) url.resize(hash);
  if (params.empty()) return url;
  if (url.find('?') == std::string::npos) {
    url.push_back('?');
  } else if (url.back() != '?' && url.back() != '&') {
    url.push_back('&');
  }
  return url + core::formEncode(params);
}

}  // namespace

std::string buildAuth0LogoutUrl(std::string_view issuer, std::string_view clientId,
                                std::string_view returnTo, bool federated) {
  std::string origin;
  if (auto u = boost::urls::parse_absolute_uri(issuer); u && u->has_authority()) {
    origin = std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port());
  }
  core::Params p{{"client_id", std::string(clientId)}};
  if (!returnTo.empty()) p.emplace_back("returnTo", std::string(returnTo));
  std::string url = appendQuery(origin + "/v2/logout", p);
  // Auth0 reads the bare `federated` flag; its value is ignored.
  if (federated) url += "&federated";
  return url;
}

Result<std::string> buildRpLogoutUrl(const ProviderMetadata& m, std::string_view clientId,
                                     const LogoutRedirectParams& p) {
  if (m.end_session_endpoint.empty()) return Errc::kNoLogoutEndpoint;
  core::Params q;
  // RP-Initiated Logout 1.0 s2: with post_logout_redirect_uri, client_id or id_token_hint
  // must be sent, and logout_hint names the session. client_id + logout_hint (the sid)
  // say everything the ID token would, without putting a token in a URL the browser
  // carries (and may keep in its history or a proxy's log). The ID token is sent only
  // when there is no sid to name the session by (docs/LIFECYCLE.md "Tokens in URLs").
  if (p.sid.empty() && p.id_token_hint != nullptr && !p.id_token_hint->empty()) {
    q.emplace_back("id_token_hint", p.id_token_hint->reveal());
  }
  if (!p.post_logout_redirect_uri.empty()) {
    q.emplace_back("post_logout_redirect_uri", p.post_logout_redirect_uri);
  }
  q.emplace_back("client_id", std::string(clientId));
  if (!p.sid.empty()) q.emplace_back("logout_hint", p.sid);
  if (!p.state.empty()) q.emplace_back("state", p.state);
  return appendQuery(m.end_session_endpoint, q);
}

Result<std::optional<std::string>> buildLogoutRedirect(LogoutStyle style, const ProviderMetadata& m,
                                                       std::string_view clientId,
                                                       const LogoutRedirectParams& p) {
  switch (style) {
    case LogoutStyle::kNone:
      return std::optional<std::string>();
    case LogoutStyle::kAuth0:
      return std::optional<std::string>(
          buildAuth0LogoutUrl(m.issuer, clientId, p.post_logout_redirect_uri, p.federated));
    case LogoutStyle::kOidc: {
      auto url = buildRpLogoutUrl(m, clientId, p);
      if (!url) return url.error();
      return std::optional<std::string>(std::move(*url));
    }
  }
  return Errc::kNoLogoutEndpoint;
}

Result<LogoutTokenFacts> checkLogoutTokenClaims(const boost::json::object& header,
                                                const boost::json::object& claims,
                                                const LogoutTokenRules& rules,
                                                const core::Clock& clock) {
  // s2.4: explicit typing "logout+jwt" is RECOMMENDED; Auth0 sends "JWT". RFC 7515
  // s4.1.9 lets the "application/" prefix be present or not.
  auto typ = detail::getString(header, "typ");
  if (!typ) return Errc::kBadLogoutTokenType;
  std::string t = detail::asciiLower(*typ);
  if (t.rfind("application/", 0) == 0) t = t.substr(12);
  if (t != "jwt" && t != "logout+jwt") return Errc::kBadLogoutTokenType;

  // s2.4: events MUST be a JSON object containing the back-channel member, whose value
  // MUST be a JSON object (an ID token or access token has no such claim, so this is what
  // stops one being replayed as a logout token).
  auto ev = claims.find("events");
  if (ev == claims.end() || !ev->value().is_object()) return Errc::kMissingLogoutEvent;
  auto member = ev->value().as_object().find(kBackchannelLogoutEvent);
  if (member == ev->value().as_object().end() || !member->value().is_object()) {
    return Errc::kMissingLogoutEvent;
  }
  // s2.6 item 5 / s2.4: nonce MUST NOT be present (again: not an ID token).
  if (claims.contains("nonce")) return Errc::kLogoutTokenHasNonce;

  LogoutTokenFacts f;
  f.sub = detail::getString(claims, "sub");
  f.sid = detail::getString(claims, "sid");
  if (f.sub && f.sub->empty()) f.sub.reset();
  if (f.sid && f.sid->empty()) f.sid.reset();
  if (!f.sub && !f.sid) return Errc::kMissingSubAndSid;

  auto jti = detail::getString(claims, "jti");
  if (!jti || jti->empty()) return Errc::kMissingJti;
  f.jti = std::move(*jti);

  auto iat = detail::getInt(claims, "iat");
  if (!iat) return Errc::kMissingIat;
  std::int64_t now = clock.unixSeconds();
  if (*iat > now + rules.clock_skew.count()) return Errc::kLogoutTokenFromFuture;
  // iat is untrusted and may be any int64: subtract only from our own values.
  if (*iat < now - rules.max_age.count() - rules.clock_skew.count()) {
    return Errc::kLogoutTokenTooOld;
  }
  f.iat = *iat;
  f.exp = detail::getInt(claims, "exp").value_or(*iat + rules.max_age.count());
  return f;
}

Result<LogoutTokenFacts> validateLogoutToken(std::string_view logoutToken,
                                             const jose::KeyStore& keys,
                                             const RelyingPartyOptions& rp,
                                             const LogoutTokenRules& rules,
                                             const core::Clock& clock) {
  auto policy = jose::VerifyPolicy::logoutToken(rp.issuer, rp.client_id);
  policy.typRequired = true;
  policy.leeway = rules.clock_skew;
  policy.sharedSecret = rp.client_secret;
  policy.allowedAlgs.clear();
  for (const auto& n : rp.id_token_algs) {
    if (auto a = jose::algFromName(n)) policy.allowedAlgs.push_back(*a);
  }
  auto verified = jose::verifyJwt(logoutToken, keys, policy, clock);
  if (!verified) return verified.error();
  return checkLogoutTokenClaims(verified->header, verified->claims, rules, clock);
}

}  // namespace authgate::oidc
