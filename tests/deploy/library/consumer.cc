// A program outside the authgate tree, built against the installed package only
// (deploy.library: once with find_package(authgate CONFIG), once with pkg-config).
// It signs an ES256 ID token, verifies it with the jose API (and refuses a tampered
// one and an expired one), creates a session in a MemoryStore and looks it up, then
// reads a provider's discovery document through rp::ProviderClient over an HttpClient
// of its own (what a server embedding the library supplies).
// Each line it prints is asserted by tests/deploy/library.test.mjs.
#include <boost/json/object.hpp>
#include <iostream>
#include <string>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/core/secret.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jwt.h"
#include "authgate/jose/sign.h"
#include "authgate/rp/http_client.h"
#include "authgate/rp/provider_client.h"
#include "authgate/session/audit.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/session_manager.h"
#include "authgate/session/token_cipher.h"

namespace jose = authgate::jose;
namespace session = authgate::session;
namespace core = authgate::core;
namespace rp = authgate::rp;

namespace {

// A throwaway P-256 key made for this test only.
constexpr const char* kPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzAiC4aui6uaRe+8g\n"
    "Vo2iLv72b8ZFdZs9x6Xjxg1yOj2hRANCAATc5QLyYpUjdgD78iuZ4ToivqI1F2cW\n"
    "afw8ZmXngjOz/yuVilFUi/WtHNk9ZuxelsbR4zNkoL8OFlBtsEPaOt/I\n"
    "-----END PRIVATE KEY-----\n";

int fail(const std::string& what, const authgate::error_code& ec) {
  std::cout << "FAILED " << what << ": " << core::errorName(ec) << '\n';
  return 1;
}

// The embedding server's HTTP client: here, a provider that answers discovery only.
class OneDocumentClient final : public rp::HttpClient {
 public:
  authgate::Result<rp::HttpResponse> send(const rp::HttpRequest& request) override {
    ++calls;
    if (request.url != "https://issuer.example/.well-known/openid-configuration") {
      return rp::Errc::kConnectFailed;
    }
    rp::HttpResponse r;
    r.status = 200;
    r.headers = {{"content-type", "application/json"}};
    r.body = R"({"issuer":"https://issuer.example/",)"
             R"("authorization_endpoint":"https://issuer.example/authorize",)"
             R"("token_endpoint":"https://issuer.example/oauth/token",)"
             R"("jwks_uri":"https://issuer.example/.well-known/jwks.json",)"
             R"("response_types_supported":["code"]})";
    return r;
  }
  int calls = 0;
};

}  // namespace

int main() {
  core::ManualClock clock(1'800'000'000);
  auto key = jose::loadSigningKey(kPem, jose::Alg::kES256, "consumer-key");
  if (!key) return fail("loadSigningKey", key.error());
  auto jwk = jose::parseJwk(key->publicJwk);
  if (!jwk) return fail("parseJwk", jwk.error());
  jose::KeyStore keys({*jwk});

  boost::json::object claims{{"iss", "https://issuer.example/"},
                             {"aud", "consumer-client"},
                             {"sub", "alice"},
                             {"iat", clock.unixSeconds()},
                             {"exp", clock.unixSeconds() + 300}};
  auto token = jose::signCompactJws(*key, {{"typ", "JWT"}}, claims);
  if (!token) return fail("signCompactJws", token.error());

  auto policy = jose::VerifyPolicy::idToken("https://issuer.example/", "consumer-client");
  policy.allowedAlgs = {jose::Alg::kES256};
  auto verified = jose::verifyJwt(*token, keys, policy, clock);
  if (!verified) return fail("verifyJwt", verified.error());
  std::cout << "verified sub=" << verified->stringClaim("sub").value_or("?")
            << " kid=" << verified->kid << '\n';

  std::string tampered = *token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  auto bad = jose::verifyJwt(tampered, keys, policy, clock);
  std::cout << "tampered: " << (bad ? "accepted" : core::errorName(bad.error())) << '\n';

  clock.advance(std::chrono::hours(1));
  auto late = jose::verifyJwt(*token, keys, policy, clock);
  std::cout << "an hour later: " << (late ? "accepted" : core::errorName(late.error())) << '\n';

  auto& random = core::OpenSslRandom::instance();
  auto store = session::makeMemoryStore(clock);
  auto cipher = session::TokenCipher::fromKeys({session::generateKey(random)});
  if (!cipher) return fail("TokenCipher::fromKeys", cipher.error());
  session::NullAuditSink audit;
  session::SessionManager sessions(*store, std::move(*cipher), audit, clock, random);
  session::LoginInfo login;
  login.subject = "alice";
  login.tokens.idToken = core::Secret(*token);
  auto created = sessions.create(login);
  if (!created) return fail("SessionManager::create", created.error());
  auto found = sessions.lookup(created->cookieValue.reveal());
  if (!found) return fail("SessionManager::lookup", found.error());
  std::cout << "session subject=" << found->subject
            << " id_token_kept=" << (found->tokens.idToken.reveal() == *token) << '\n';
  auto unknown = sessions.lookup("not-a-cookie-value");
  std::cout << "unknown cookie: " << (unknown ? "found" : core::errorName(unknown.error())) << '\n';

  OneDocumentClient http;
  rp::ProviderClient provider(http, clock, {.issuer = "https://issuer.example/"});
  auto md = provider.metadata();
  if (!md) return fail("ProviderClient::metadata", md.error());
  auto again = provider.metadata();  // cached: no second fetch
  std::cout << "discovery token_endpoint=" << (*md)->token_endpoint << " fetches=" << http.calls
            << (again ? "" : " (second call failed)") << '\n';
  return 0;
}
