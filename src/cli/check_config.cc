// authgate check-config [--print] [--offline]: every settings problem as `key: reason`,
// the deployment checks (cli/config_checks.h), then, unless --offline, the provider:
// discovery fetched and validated against the settings (a wrong issuer names the
// provider's own), the JWKS fetched and parsed, and the client credentials tried at the
// token endpoint with a code that cannot exist; under redis-sentinel://, the sentinels
// asked for the master with the sentinel credentials.
#include <boost/json/parse.hpp>

#include <iostream>

#include "authgate/core/errc.h"
#include "authgate/core/random.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/dpop.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/par.h"
#include "authgate/oidc/token.h"
#include "authgate/session/errc.h"
#include "authgate/session/redis_store.h"
#include "cli/commands.h"
#include "cli/config_checks.h"
#include "cli/provider_probe.h"
#include "config/print.h"
#include "gateway/app.h"

namespace authgate::cli {

namespace {

// The variable that set a provider value, for "fix this" hints: the highest layer wins
// (docs/CONFIGURATION.md "Precedence"), else the settings file.
std::string setBy(const config::Environment& env, std::string_view key,
                  std::initializer_list<const char*> variablesHighestFirst) {
  for (const char* name : variablesHighestFirst) {
    if (auto it = env.find(name); it != env.end() && !it->second.empty()) {
      return std::string(key) + " (set by " + name + ")";
    }
  }
  return std::string(key);
}

// Discovery's issuer differs from the configured one: say exactly what the provider uses.
std::string issuerMismatchReason(ProviderProbe& probe, const std::string& configured) {
  std::string reason = "the provider's discovery (" + probe.provider.discoveryUrl() +
                       ") names another issuer than \"" + configured + "\"";
  auto r = probe.http.send(rp::HttpRequest::get(probe.provider.discoveryUrl()));
  if (!r || r->status != 200) return reason + " (issuer_mismatch)";
  boost::system::error_code ec;
  auto doc = boost::json::parse(r->body, ec);
  const auto* issuer = !ec && doc.is_object() ? doc.as_object().if_contains("issuer") : nullptr;
  if (issuer == nullptr || !issuer->is_string()) return reason + " (issuer_mismatch)";
  const std::string actual(issuer->as_string());
  return "issuer_mismatch: the provider's issuer is exactly \"" + actual + "\", not \"" +
         configured + "\" (iss is compared byte for byte); set provider.issuer: " + actual;
}

void probeCredentials(const config::Config& c, const config::Environment& env, ProviderProbe& probe,
                      const oidc::ProviderMetadata& md, std::vector<config::Problem>& problems) {
  auto& random = core::OpenSslRandom::instance();
  const auto rp = gateway::relyingPartyOptions(c);
  // A code of 256 random bits: no provider has issued it.
  auto build = [&] {
    return oidc::buildCredentialProbeRequest(
        md.token_endpoint, rp, c.provider.callback_url,
        core::Secret("authgate-check-config-" + random.token(32)), core::Secret(random.token(32)),
        oidc::freshClientAuth(core::SystemClock::instance(), random));
  };
  auto request = build();
  if (!request) {
    problems.push_back({"provider.client_auth_method", "cannot build the client authentication: " +
                                                           core::errorName(request.error())});
    return;
  }
  auto response = probe.provider.post(*request, build);
  if (!response) {
    problems.push_back({"provider.client_secret", "could not reach the token endpoint " +
                                                      md.token_endpoint + ": " +
                                                      core::errorName(response.error())});
    return;
  }
  const auto result =
      oidc::classifyCredentialProbe(static_cast<int>(response->status), response->body);
  const auto providerSaid = [&] {
    std::string s = "HTTP " + std::to_string(response->status);
    if (result.error) {
      s += ", " + result.error->error;
      if (!result.error->error_description.empty()) {
        s += ": " + result.error->error_description;
      }
    }
    return s;
  };
  switch (result.outcome) {
    case oidc::CredentialProbe::kAccepted:
      std::cout << "client credentials: accepted by " << md.token_endpoint << "\n";
      return;
    case oidc::CredentialProbe::kRefused:
      if (rp.client_auth_method == oidc::ClientAuthMethod::kPrivateKeyJwt) {
        problems.push_back(
            {"provider.client_private_key_file",
             "the provider refused authgate's client assertion at " + md.token_endpoint + " (" +
                 providerSaid() +
                 "); check that the public key of provider.client_private_key_file (authgate "
                 "keys client-jwk) is registered for provider.client_id with "
                 "provider.client_signing_alg (" +
                 c.provider.client_signing_alg + ") and provider.client_key_id (" +
                 rp.client_key->kid + "), and this host's clock"});
        return;
      }
      problems.push_back(
          {"provider.client_secret",
           "the provider refused authgate's client credentials at " + md.token_endpoint + " (" +
               providerSaid() + "); fix " +
               setBy(env, "provider.client_secret",
                     {"AUTHGATE_PROVIDER_CLIENT_SECRET_FILE", "AUTHGATE_PROVIDER_CLIENT_SECRET",
                      "AUTH0_CLIENT_SECRET", "OIDC_CLIENT_SECRET"}) +
               " or " +
               setBy(env, "provider.client_id",
                     {"AUTHGATE_PROVIDER_CLIENT_ID", "AUTH0_CLIENT_ID", "OIDC_CLIENT_ID",
                      "AUTHENTICATION_CLIENT_ID"}) +
               ", and check that provider.client_auth_method (" +
               std::string(oidc::clientAuthMethodName(rp.client_auth_method)) +
               ") is the application's token endpoint authentication method"});
      return;
    case oidc::CredentialProbe::kGrantNotAllowed:
      problems.push_back({"provider.client_id",
                          "the provider does not let this application use the Authorization "
                          "Code grant (" +
                              providerSaid() + "); enable it in the application's grant types"});
      return;
    case oidc::CredentialProbe::kUnavailable:
    case oidc::CredentialProbe::kInconclusive:
      std::cout << "warning: provider.client_secret: the token endpoint's answer to a probe "
                   "does not say whether the credentials are right ("
                << providerSaid() << ")\n";
      return;
  }
}

std::vector<config::Problem> probeProvider(const config::Config& c,
                                           const config::Environment& env) {
  std::vector<config::Problem> problems;
  ProviderProbe probe(c.provider, c.provider.issuer, c.provider.discovery_url);
  auto md = probe.provider.metadata();
  if (!md) {
    if (md.error() == oidc::Errc::kIssuerMismatch) {
      problems.push_back({"provider.issuer", issuerMismatchReason(probe, c.provider.issuer)});
      return problems;
    }
    problems.push_back({"provider.issuer", "discovery at " + probe.provider.discoveryUrl() +
                                               " failed: " + core::errorName(md.error()) + " (" +
                                               md.error().message() + ")"});
    return problems;
  }
  auto jwks = probe.provider.jwks();
  auto keys = jwks ? (*jwks)->keys() : Result<std::shared_ptr<const jose::KeyStore>>(jwks.error());
  if (!keys) {
    problems.push_back({"provider.jwks", "JWKS at " + (*md)->jwks_uri +
                                             " failed: " + core::errorName(keys.error()) + " (" +
                                             keys.error().message() + ")"});
  }
  for (const auto& w : oidc::discoveryWarnings(**md, gateway::relyingPartyOptions(c))) {
    std::cout << "warning: " << w << "\n";
  }
  const auto rp = gateway::relyingPartyOptions(c);
  if (auto par = oidc::usePushedAuthorization(rp.pushed_authorization_requests, **md); !par) {
    problems.push_back({"provider.pushed_authorization_requests",
                        "always, but the provider's discovery (" + probe.provider.discoveryUrl() +
                            ") has no pushed_authorization_request_endpoint; enable PAR at the "
                            "provider or use auto"});
  } else {
    std::cout << "pushed authorization requests: "
              << (*par ? "used (" + (*md)->pushed_authorization_request_endpoint + ")"
                       : std::string("not used"))
              << (rp.signed_authorize_requests ? "; authorize requests signed (JAR)" : "") << "\n";
  }
  probeCredentials(c, env, probe, **md, problems);
  return problems;
}

// redis-sentinel://: the sentinels asked for the master once, with the sentinel
// credentials, as serve does at start. Credentials refused is a problem (serve refuses
// to start too); sentinels that do not answer are a warning (serve starts, and answers
// 503 until one names the master).
void probeSentinels(const config::Config& c, std::vector<config::Problem>& problems) {
  const std::string_view store = c.session.store;
  if (store.rfind("redis-sentinel://", 0) != 0) return;
  auto o = session::parseRedisSentinelUri(store);
  if (!o) return;  // a deployment-check problem already
  std::string why;
  auto master = session::probeRedisSentinels(*o, &why);
  if (master) {
    std::cout << "session store: the sentinels name " << o->masterName << " at " << master->host
              << ":" << master->port << "\n";
  } else if (master.error() == session::Errc::kStoreOpenFailed) {
    problems.push_back({"session.store", why});
  } else {
    std::cout << "warning: session.store: " << why
              << " (serve starts, and answers 503 until a sentinel names the master)\n";
  }
}

}  // namespace

int runCheckConfig(const CommonOptions& options, bool print, bool offline) {
  const auto environment = commandEnvironment(options, config::processEnvironment());
  const auto settings = loadSettings(options, config::processEnvironment());
  if (print) std::cout << config::printConfig(settings.config);
  if (!settings.ok()) {
    printProblems(settings.problems, std::cerr);
    return kExitProblems;
  }
  auto findings = deploymentChecks(settings.config);
  for (const auto& w : findings.warnings) std::cout << "warning: " << w.str() << "\n";
  auto problems = std::move(findings.problems);
  // private_key_jwt's key and JAR's request-object key load and are the algorithm's kind
  // and size (offline too).
  const auto& p = settings.config.provider;
  const auto checkKey = [&](const Result<std::shared_ptr<const jose::SigningKey>>& key,
                            const char* fileSetting, const char* algSetting, const std::string& alg,
                            const char* label) {
    if (!key) {
      problems.push_back({fileSetting, key.error().message() + " (" + core::errorName(key.error()) +
                                           ") for " + algSetting + " " + alg});
    } else if (*key) {
      std::cout << label << ": " << alg << ", kid " << (*key)->kid << "\n";
    }
  };
  checkKey(gateway::clientSigningKey(p), "provider.client_private_key_file",
           "provider.client_signing_alg", p.client_signing_alg, "client key");
  checkKey(gateway::requestObjectSigningKey(p), "provider.request_object_signing_key_file",
           "provider.request_object_signing_alg", p.request_object_signing_alg,
           "request object key");
  // provider.dpop_key_file: a P-256 key (offline too); without it a key is made at start.
  if (auto dpop = gateway::dpopSigningKey(settings.config.provider, nullptr);
      !dpop && !p.dpop_key.empty()) {
    problems.push_back({"provider.dpop_key_file", std::string(core::errorName(dpop.error())) +
                                                      " (" + dpop.error().message() +
                                                      "): DPoP signs with ES256, a P-256 key"});
  } else if (dpop && *dpop) {
    std::cout << "dpop key: ES256, jkt " << oidc::dpopJkt(**dpop) << "\n";
  } else if (p.dpop) {
    std::cout << "dpop key: ES256, made at start (one per instance)\n";
  }
  if (!offline) {
    auto online = probeProvider(settings.config, environment.env);
    problems.insert(problems.end(), online.begin(), online.end());
    probeSentinels(settings.config, problems);
  }
  if (!problems.empty()) {
    printProblems(problems, std::cerr);
    return kExitProblems;
  }
  std::cout << "configuration ok"
            << (offline ? " (offline: settings only; discovery, JWKS and the client credentials "
                          "were not checked)"
                        : " (online: discovery, JWKS and the client credentials checked at "
                          "the provider)")
            << "\n";
  return kExitOk;
}

}  // namespace authgate::cli
