#include "gateway/app.h"

#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/sign.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/return_to.h"
#include "authgate/session/session_purger.h"
#include "authgate/session/spdlog_audit_sink.h"
#include "authgate/session/store_factory.h"
#include "authgate/session/token_cipher.h"
#include "gateway/auth_routes.h"
#include "gateway/bearer.h"
#include "gateway/metrics_route.h"
#include "gateway/proxy.h"

namespace authgate::gateway {

namespace {
// How long a login may take, from /auth/login to its callback (docs/LOGIN.md).
constexpr std::chrono::seconds kTransactionTtl{600};
}  // namespace

std::string publicBaseUrl(const config::Config& config) {
  std::string url = config.server.public_url;
  if (url.empty()) url = "http://" + config.server.listen;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

namespace {
Result<std::shared_ptr<const jose::SigningKey>> loadConfiguredKey(const core::Secret& pem,
                                                                  const std::string& algName,
                                                                  const std::string& kid) {
  auto alg = jose::algFromName(algName);
  if (!alg) return jose::Errc::kUnsupportedAlg;
  auto key = jose::loadSigningKey(pem.reveal(), *alg, kid);
  if (!key) return key.error();
  return std::shared_ptr<const jose::SigningKey>(
      std::make_shared<jose::SigningKey>(std::move(*key)));
}
}  // namespace

Result<std::shared_ptr<const jose::SigningKey>> clientSigningKey(
    const config::ProviderSettings& p) {
  if (p.client_auth_method != "private_key_jwt") return std::shared_ptr<const jose::SigningKey>();
  return loadConfiguredKey(p.client_private_key, p.client_signing_alg, p.client_key_id);
}

Result<std::shared_ptr<const jose::SigningKey>> requestObjectSigningKey(
    const config::ProviderSettings& p) {
  if (p.request_object_signing_key_file.empty()) return std::shared_ptr<const jose::SigningKey>();
  return loadConfiguredKey(p.request_object_signing_key, p.request_object_signing_alg,
                           p.request_object_key_id);
}

Result<std::shared_ptr<const jose::SigningKey>> dpopSigningKey(
    const config::ProviderSettings& p, std::shared_ptr<const jose::SigningKey> generated) {
  if (!p.dpop) return std::shared_ptr<const jose::SigningKey>();
  if (p.dpop_key.empty()) {
    if (!generated) return jose::Errc::kCryptoFailure;
    return generated;
  }
  auto key = jose::loadSigningKey(p.dpop_key.reveal(), jose::Alg::kES256);
  if (!key) return key.error();
  return std::shared_ptr<const jose::SigningKey>(
      std::make_shared<jose::SigningKey>(std::move(*key)));
}

oidc::RelyingPartyOptions relyingPartyOptions(const config::Config& config) {
  const auto& p = config.provider;
  oidc::RelyingPartyOptions rp;
  rp.issuer = p.issuer;
  rp.client_id = p.client_id;
  rp.client_secret = p.client_secret;
  rp.client_auth_method =
      oidc::parseClientAuthMethod(p.client_auth_method).value_or(rp.client_auth_method);
  // A key that does not load leaves client_key empty: every assertion then fails
  // (kClientAssertionFailed), and App::build refuses such settings first.
  if (auto key = clientSigningKey(p)) rp.client_key = std::move(*key);
  rp.redirect_uri = p.callback_url.empty()
                        ? publicBaseUrl(config) + config.server.path_prefix + "/callback"
                        : p.callback_url;
  rp.scopes = p.scopes;
  rp.audience = p.audience;
  rp.organization = p.organization;
  rp.response_mode = oidc::parseResponseMode(p.response_mode).value_or(rp.response_mode);
  rp.prompt = p.prompt;
  if (p.max_age >= 0) rp.max_age = p.max_age;
  rp.extra_authorize_params = p.extra_authorize_params;
  rp.pushed_authorization_requests = oidc::parseParMode(p.pushed_authorization_requests)
                                         .value_or(rp.pushed_authorization_requests);
  rp.signed_authorize_requests = p.signed_authorize_requests;
  // As client_key: a key that does not load fails every request object, and App::build
  // refuses such settings first.
  if (auto key = requestObjectSigningKey(p)) rp.request_object_key = std::move(*key);
  if (auto u = boost::urls::parse_absolute_uri(p.issuer)) {
    rp.auth0_issuer = p.type == "auth0" || oidc::isAuth0Host(u->encoded_host());
  }
  rp.id_token_algs = p.id_token_algs;
  rp.clock_skew = p.clock_skew;
  rp.max_id_token_age = p.max_id_token_age;
  return rp;
}

oidc::AccessPolicy accessPolicy(const config::AccessSettings& a) {
  oidc::AccessPolicy policy;
  policy.allowed_email_domains = a.allowed_email_domains;
  policy.allowed_emails = a.allowed_emails;
  policy.require_email_verified = a.require_email_verified;
  policy.admin_emails = a.admin_emails;
  policy.required_claims = a.required_claims;
  return policy;
}

session::SessionOptions sessionOptions(const config::SessionSettings& s) {
  session::SessionOptions o;
  o.idleTimeout = s.idle_timeout;
  o.absoluteTimeout = s.absolute_timeout;
  o.maxPerUser = s.max_per_user;
  o.cacheCapacity = static_cast<size_t>(std::max(0, s.cache_size));
  o.cacheTtl = std::chrono::duration_cast<session::Millis>(s.cache_ttl);
  return o;
}

net::ClientOptions clientOptions(const config::ProviderSettings& p) {
  net::ClientOptions o;
  o.connect_timeout = p.connect_timeout;
  o.total_timeout = p.http_timeout;
  o.ca_file = p.ca_file;
  o.tls_client_certificate = p.tls_client_certificate;
  o.tls_client_key = p.tls_client_key;
  return o;
}

std::unique_ptr<App> App::create(const config::Config& config, core::MetricsRegistry& metrics,
                                 std::vector<std::string>& problems) {
  std::unique_ptr<App> app(new App(metrics));
  auto& clock = core::SystemClock::instance();
  auto& random = core::OpenSslRandom::instance();

  std::string detail;
  auto store = session::openStore(config.session.store, clock, &detail);
  if (!store) {
    problems.push_back("session.store: " + (detail.empty() ? store.error().message() : detail));
    return nullptr;
  }
  app->store_ = std::move(*store);

  // Keys for tokens at rest: configured keys, else the key file, else (SQLite only) a
  // generated key file beside the database.
  auto location = session::parseStoreUri(config.session.store);
  if (!location) {
    problems.push_back("session.store: " + location.error().message());
    return nullptr;
  }
  auto keys = session::resolveKeys(config.session.encryption_keys,
                                   config.session.encryption_key_file, *location, random);
  if (!keys) {
    problems.push_back("session.encryption_key_file: " + keys.error().message() +
                       (session::isSharedStore(location->kind)
                            ? " (a shared store needs the same key on every instance)"
                            : ""));
    return nullptr;
  }
  if (!keys->createdFile.empty()) {
    spdlog::warn(
        "created session encryption key file {} (mode 0600); back it up, or set "
        "session.encryption_key_file",
        keys->createdFile);
  }
  auto cipher = session::TokenCipher::fromKeys(keys->keys);
  if (!cipher) {
    problems.push_back("session.encryption_keys: " + cipher.error().message());
    return nullptr;
  }

  // Made whether or not DPoP is on (under a millisecond), so a reload that turns it on
  // has a key; it never leaves the process.
  if (auto dpop = jose::generateSigningKey(jose::Alg::kES256)) {
    app->generated_dpop_key_ = std::make_shared<jose::SigningKey>(std::move(*dpop));
  }

  // The manager composes the store's parts: every audit event goes to the store's
  // audit log (StoreAuditSink), then to the structured log.
  app->audit_ = session::makeSpdlogAuditSink();
  app->storeAudit_ = std::make_unique<session::StoreAuditSink>(*app->store_, *app->audit_);
  app->sessions_ = std::make_unique<session::SessionManager>(
      app->store_->parts(), std::move(*cipher), *app->storeAudit_, clock, random,
      sessionOptions(config.session));
  app->partyState_ = std::make_shared<rp::RelyingPartyState>(
      config.session.max_pending_logins, config.session.max_pending_logins_per_ip, kTransactionTtl);
  app->refreshEvents_ = app->partyState_->listen(*app->sessions_);
  return app;
}

std::shared_ptr<const Snapshot> App::build(config::Config settings,
                                           std::vector<std::string>& problems) const {
  auto snapshot = std::make_shared<Snapshot>(std::move(settings));
  auto& s = *snapshot;
  const auto& config = s.config;
  auto& clock = core::SystemClock::instance();
  auto& random = core::OpenSslRandom::instance();

  auto dpopKey = dpopSigningKey(config.provider, generated_dpop_key_);
  if (!dpopKey) {
    problems.push_back("provider.dpop_key_file: " + std::string(core::errorName(dpopKey.error())) +
                       " (" + dpopKey.error().message() + "; a P-256 PEM private key for ES256)");
    return nullptr;
  }
  s.http = std::make_unique<net::CurlHttpClient>(clientOptions(config.provider));
  s.provider = std::make_shared<rp::ProviderClient>(
      *s.http, clock,
      rp::ProviderClientOptions{
          .issuer = config.provider.issuer,
          .discovery_url = config.provider.discovery_url,
          .dpop_key = std::move(*dpopKey),
          .random = &random,
          .use_mtls_endpoint_aliases = !config.provider.tls_client_certificate.empty()});

  const std::string base = publicBaseUrl(config);
  if (auto key = clientSigningKey(config.provider); !key) {
    problems.push_back("provider.client_private_key_file: " +
                       std::string(core::errorName(key.error())) + " (" + key.error().message() +
                       ") for provider.client_signing_alg " + config.provider.client_signing_alg);
    return nullptr;
  }
  if (auto key = requestObjectSigningKey(config.provider); !key) {
    problems.push_back(
        "provider.request_object_signing_key_file: " + std::string(core::errorName(key.error())) +
        " (" + key.error().message() + ") for provider.request_object_signing_alg " +
        config.provider.request_object_signing_alg);
    return nullptr;
  }
  // pushed_authorization_requests: always refuses to serve a provider whose discovery
  // has no PAR endpoint. A provider that cannot be reached yet is not refused (logins
  // answer 502 until it is, and never fall back to a plain authorize request).
  if (config.provider.pushed_authorization_requests == "always") {
    if (auto md = s.provider->metadata();
        md && (*md)->pushed_authorization_request_endpoint.empty()) {
      problems.push_back(
          "provider.pushed_authorization_requests: always, but the provider's discovery (" +
          s.provider->discoveryUrl() +
          ") has no pushed_authorization_request_endpoint; enable PAR at the provider or use "
          "auto");
      return nullptr;
    } else if (!md) {
      spdlog::warn(
          "provider.pushed_authorization_requests: always, and the provider's discovery could "
          "not be loaded yet ({}); logins are refused until it names a PAR endpoint",
          core::errorName(md.error()));
    }
  }
  auto cookies =
      rp::CookieSettings::forSite(base, config.session.cookie_name, config.server.cookie_domain);

  std::vector<std::string> origins;
  if (auto o = oidc::normalizeOrigin(base)) origins.push_back(*o);
  for (const auto& extra : config.server.allowed_redirect_origins) {
    if (auto o = oidc::normalizeOrigin(extra)) origins.push_back(*o);
  }
  // The hosts routes serve are ours too: login may return to them.
  if (auto u = boost::urls::parse_absolute_uri(base)) {
    const std::string port = u->has_port() ? ":" + std::string(u->port()) : "";
    for (const auto& r : config.routes) {
      if (r.host.empty()) continue;
      if (auto o = oidc::normalizeOrigin(std::string(u->scheme()) + "://" + r.host + port)) {
        origins.push_back(*o);
      }
    }
  }

  rp::RelyingPartySettings party;
  party.client = relyingPartyOptions(config);
  party.access = accessPolicy(config.access);
  party.cookies = std::move(cookies);
  party.publicUrl = base;
  party.allowedOrigins = std::move(origins);
  party.client.transaction_ttl = kTransactionTtl;
  party.fetchUserinfo = config.provider.fetch_userinfo;
  party.refreshBeforeExpiry = config.session.refresh_before_expiry;
  party.providerTimeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.provider.http_timeout);
  party.idpLogout = config.logout.idp_logout;
  party.postLogoutRedirect = config.logout.post_logout_redirect_url;
  party.maxPendingLogins = config.session.max_pending_logins;
  party.maxPendingLoginsPerClient = config.session.max_pending_logins_per_ip;
  party.apiAudiences = config.api.audiences;
  party.trustedJwksUrls = config.provider.jwks_urls;
  party.log = [](rp::LogLevel level, const std::string& text) {
    switch (level) {
      case rp::LogLevel::kInfo:
        spdlog::info("{}", text);
        break;
      case rp::LogLevel::kWarn:
        spdlog::warn("{}", text);
        break;
      case rp::LogLevel::kError:
        spdlog::error("{}", text);
        break;
    }
  };
  s.party = std::make_unique<rp::RelyingParty>(std::move(party), s.provider, *sessions_, clock,
                                               random, partyState_, &metrics_);
  const auto& partySettings = s.party->settings();
  s.auth.reset(new AuthContext{
      .config = config,
      .party = *s.party,
      .rp = partySettings.client,
      .access = partySettings.access,
      .cookies = partySettings.cookies,
      .allowed_origins = partySettings.allowedOrigins,
      .public_url = partySettings.publicUrl,
      .prefix = config.server.path_prefix,
      .provider = *s.provider,
      .sessions = *sessions_,
      .clock = clock,
      .random = random,
      .metrics = metrics_,
  });

  // Bearer tokens for APIs (api.audiences) and the reverse proxy (upstream.url).
  s.auth->bearer = s.party->bearer();
  s.routes = RouteMap::build(config, base, problems);
  if (!s.routes) return nullptr;

  // The route table. Each module adds its endpoints with its own addXRoutes(router, ...)
  // function; readiness checks go to `readiness`.
  addHealthRoutes(s.router, s.readiness);
  addMetricsRoute(s.router, metrics_);
  addAuthRoutes(s.router, *s.auth);
  addForwardAuthRoutes(s.router, *s.auth);
  // The catch-all goes last: every /auth/*, /healthz and /metrics route wins over it.
  if (!s.routes->empty()) addProxyRoute(s.router, *s.auth, *s.routes);
  s.readiness->add("store", [store = store_.get()]() { return store->ping(); });
  s.readiness->add("provider", [provider = s.provider.get()]() -> Result<void> {
    auto md = provider->metadata();
    if (!md) return md.error();
    return {};
  });
  return snapshot;
}

App::~App() { stop(); }

void App::start(std::shared_ptr<const Snapshot> first) {
  // Load discovery early so the first login does not wait for it.
  discovery_ = std::thread([first = std::move(first)] {
    if (auto md = first->provider->metadata(); !md) {
      spdlog::warn("provider discovery not loaded yet: {}", core::errorName(md.error()));
    }
  });
  // Expired sessions are hidden by the store's TTL already; the purge writes their
  // audit events and frees space.
  purger_ = std::make_unique<session::SessionPurger>(
      *sessions_, std::chrono::seconds(60), [](const Result<size_t>& r) {
        if (!r) spdlog::warn("session purge failed: {}", core::errorName(r.error()));
      });
}

void App::stop() {
  purger_.reset();
  if (discovery_.joinable()) discovery_.join();
}

}  // namespace authgate::gateway
