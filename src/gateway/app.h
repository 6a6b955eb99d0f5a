// The running gateway's object graph, in two parts:
//   - App: what lives as long as the process (the session store and its keys, the
//     session manager, the audit sink, the bound on pending logins, single-flight
//     refresh, the session purge). serve() owns one App.
//   - Snapshot: everything built from one Config (the settings themselves, the HTTP and
//     provider clients, the auth context, bearer keys, the protected routes, the route
//     table). A reload (SIGHUP) builds a new one; each request keeps the one it started
//     on (gateway/live_routes.h).
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "authgate/core/metrics.h"
#include "authgate/jose/sign.h"
#include "authgate/rp/provider_client.h"
#include "authgate/session/audit.h"
#include "authgate/session/session_manager.h"
#include "authgate/session/session_purger.h"
#include "authgate/session/session_store.h"
#include "config/config.h"
#include "gateway/auth_context.h"
#include "gateway/bearer.h"
#include "gateway/health.h"
#include "gateway/proxy.h"
#include "gateway/router.h"
#include "gateway/routes.h"
#include "net/http_client.h"

namespace authgate::gateway {

// Everything built from one Config. Not copied or moved once built: its route table's
// handlers point at its members.
struct Snapshot {
  explicit Snapshot(config::Config c) : config(std::move(c)) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  const config::Config config;
  std::unique_ptr<rp::HttpClient> http;
  std::shared_ptr<rp::ProviderClient> provider;
  std::unique_ptr<rp::RelyingParty> party;  // every protocol step, over provider
  std::unique_ptr<AuthContext> auth;
  std::unique_ptr<RouteMap> routes;  // routes / upstream.url (empty: nothing proxied)
  std::shared_ptr<Readiness> readiness = std::make_shared<Readiness>();
  Router router;  // every endpoint: operator, auth, forward-auth, the proxy
};

class App {
 public:
  // Opens the session store and prepares what lives as long as the process. Problems
  // that make serving impossible (store cannot be opened, key file unreadable) come back
  // as `key: reason` lines and the binary exits 1.
  static std::unique_ptr<App> create(const config::Config& config, core::MetricsRegistry& metrics,
                                     std::vector<std::string>& problems);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Everything built from `config` (at start, and on each reload), its route table
  // complete. nullptr and `problems` when it cannot serve (a route's upstream URL).
  // `config`'s session settings must be the ones the App was created with.
  std::shared_ptr<const Snapshot> build(config::Config config,
                                        std::vector<std::string>& problems) const;
  // Starts the background work (session purge, `first`'s discovery fetch).
  void start(std::shared_ptr<const Snapshot> first);
  void stop();

  session::SessionManager& sessions() { return *sessions_; }

 private:
  explicit App(core::MetricsRegistry& metrics) : metrics_(metrics) {}

  core::MetricsRegistry& metrics_;
  std::unique_ptr<session::SessionStore> store_;
  std::unique_ptr<session::AuditSink> audit_;
  std::unique_ptr<session::StoreAuditSink> storeAudit_;  // store_'s audit log, then audit_
  std::unique_ptr<session::SessionManager> sessions_;
  // Shared by every snapshot's RelyingParty: a reload neither forgets logins in flight
  // nor starts a second refresh of a session that is being refreshed.
  std::shared_ptr<rp::RelyingPartyState> partyState_;
  // The store's session events that wake refreshes waiting for another instance;
  // destroyed before the manager and the store.
  std::unique_ptr<session::Subscription> refreshEvents_;

  // provider.dpop without provider.dpop_key_file: the key made at start, kept across
  // reloads (a new key would strand the DPoP-bound access tokens already issued).
  std::shared_ptr<const jose::SigningKey> generated_dpop_key_;

  std::unique_ptr<session::SessionPurger> purger_;
  std::thread discovery_;
};

// Settings -> library options (one place for each mapping).
oidc::RelyingPartyOptions relyingPartyOptions(const config::Config& config);
// private_key_jwt: provider.client_private_key_file parsed for provider.client_signing_alg
// (jose::loadSigningKey's errors); nullptr for the other methods.
Result<std::shared_ptr<const jose::SigningKey>> clientSigningKey(const config::ProviderSettings& p);
// JAR: provider.request_object_signing_key_file for provider.request_object_signing_alg;
// nullptr when no file is set.
Result<std::shared_ptr<const jose::SigningKey>> requestObjectSigningKey(
    const config::ProviderSettings& p);
// provider.dpop: provider.dpop_key_file parsed as an ES256 key, else `generated`;
// nullptr when DPoP is off.
Result<std::shared_ptr<const jose::SigningKey>> dpopSigningKey(
    const config::ProviderSettings& p, std::shared_ptr<const jose::SigningKey> generated);
oidc::AccessPolicy accessPolicy(const config::AccessSettings& access);
session::SessionOptions sessionOptions(const config::SessionSettings& s);
net::ClientOptions clientOptions(const config::ProviderSettings& p);
// The external base URL without a trailing slash: server.public_url, or http://listen.
std::string publicBaseUrl(const config::Config& config);

}  // namespace authgate::gateway
