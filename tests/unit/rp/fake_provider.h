// A scripted OpenID provider behind the rp::HttpClient interface, for the facade's unit
// tests (tests/unit/rp/relying_party_test.cc): discovery, JWKS, the token endpoint
// (authorization_code with PKCE, refresh_token with rotation), UserInfo and revocation,
// with ID tokens and logout tokens signed by a generated RSA key. It is honest about what
// it is sent: it authenticates the client (client_secret_basic or _post), redeems a code
// once, within its lifetime, for the client and redirect_uri it was issued to and only
// with the code_verifier whose S256 challenge the authorize request carried, and accepts
// only live refresh and access tokens. Everything it received is recorded for the tests
// to assert on. The real provider (tests/tooling) runs in the integration suite.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../jose/test_signer.h"
#include "authgate/core/clock.h"
#include "authgate/core/codec.h"
#include "authgate/rp/http_client.h"

namespace authgate::rp::fake {

// Who signs in at the authorize endpoint, and the provider session it gets (sid).
struct User {
  std::string sub;
  std::string email;
  std::string name;
  std::string sid;
};

// One request the provider received, its form body decoded.
struct Received {
  std::string method;
  std::string url;
  std::string authorization;  // the Authorization header, "" when absent
  core::Params form;
};

struct ProviderConfig {
  std::string issuer = "https://op.example/";
  std::string clientId = "client";
  std::string clientSecret = "secret";
  std::string redirectUri = "https://app.example/auth/callback";
  std::int64_t codeLifetime = 60;           // seconds an authorization code may be redeemed in
  std::int64_t accessTokenLifetime = 3600;  // expires_in
};

class Provider final : public HttpClient {
 public:
  Provider(const core::Clock& clock, ProviderConfig config = {});

  Result<HttpResponse> send(const HttpRequest& request) override;

  // The browser at `location` (what startLogin returned): checks the authorization
  // request, signs `user` in and returns the parameters of the redirect back to the
  // client (code, state, iss), or error=invalid_request with the state when the request
  // is not one this provider accepts.
  core::Params authorize(std::string_view location, const User& user);

  // The claims of the next ID token the token endpoint issues pass through `edit`
  // (a wrong nonce, an old iat, ...); it is signed as usual.
  void editNextIdToken(std::function<void(boost::json::object&)> edit);
  // Discovery (the provider itself) answers, or the connection fails.
  void setReachable(bool reachable);
  // The provider ends every grant of `sub` (an administrator revoked the user's
  // sessions): its refresh tokens are refused with invalid_grant from now on.
  void endGrantsOf(const std::string& sub);

  // A compact JWS of `claims` with the provider's key (`key`: another one), typ
  // "logout+jwt" for logout tokens.
  std::string sign(const boost::json::object& claims, const jose::testing::TestKey* key = nullptr,
                   std::string_view typ = "JWT") const;

  // What it received.
  std::vector<Received> requests() const;
  // Token endpoint requests with this grant_type.
  std::vector<Received> tokenRequests(std::string_view grantType) const;
  // Requests to the revocation endpoint.
  std::vector<Received> revocations() const;
  // Whether the refresh token is still live at the provider.
  bool refreshTokenLive(const std::string& token) const;

  const ProviderConfig& config() const { return config_; }
  std::string endpoint(std::string_view path) const { return config_.issuer + std::string(path); }

 private:
  struct Code {
    std::string clientId;
    std::string redirectUri;
    std::string challenge;
    std::string nonce;
    User user;
    std::int64_t issuedAt = 0;
    bool redeemed = false;
  };
  struct Grant {
    User user;
    bool live = true;
  };

  HttpResponse discovery() const;
  HttpResponse token(const Received& r);
  HttpResponse userinfo(const Received& r);
  HttpResponse revocation(const Received& r);
  // The client the request authenticates as (Basic header or form credentials), if valid.
  bool clientAuthenticated(const Received& r) const;
  // New access and refresh tokens for `user`, with an ID token when `nonce` is set.
  HttpResponse issue(const User& user, const std::optional<std::string>& nonce);

  const core::Clock& clock_;
  const ProviderConfig config_;
  const jose::testing::TestKey& key_;

  mutable std::mutex mu_;
  bool reachable_ = true;
  std::vector<Received> received_;
  std::map<std::string, Code> codes_;
  std::map<std::string, Grant> refreshTokens_;
  std::map<std::string, User> accessTokens_;
  std::function<void(boost::json::object&)> editIdToken_;
  int issued_ = 0;
};

// The provider's signing key (kid "op-key-1") and a key it never published (kid
// "rogue-1"), generated once per test process.
const jose::testing::TestKey& providerKey();
const jose::testing::TestKey& foreignKey();

// The query of `url` (after '?'), decoded; empty when it has none or does not decode.
core::Params queryOf(std::string_view url);
// BASE64URL(SHA-256(verifier)), computed here rather than by the library under test.
std::string s256(std::string_view verifier);
// The client id and secret of an RFC 7617 Basic Authorization value (RFC 6749 s2.3.1
// form-encoding undone); nullopt when it is not one.
std::optional<std::pair<std::string, std::string>> basicCredentials(std::string_view value);

}  // namespace authgate::rp::fake
