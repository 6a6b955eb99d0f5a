// The running gateway's object graph, built once from the Config: HTTP client, provider
// client, session store and manager, the auth context, and a background purge of
// expired sessions. serve() owns one App for the life of the process.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "authgate/core/metrics.h"
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
#include "net/provider_client.h"

namespace authgate::gateway {

class App {
 public:
  // Opens the session store and prepares everything. Problems that make serving
  // impossible (store cannot be opened, key file unreadable) come back as
  // `key: reason` lines and the binary exits 1.
  static std::unique_ptr<App> create(const config::Config& config, core::MetricsRegistry& metrics,
                                     std::vector<std::string>& problems);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Registers the auth endpoints and the "store" and "provider" readiness checks.
  void addRoutes(Router& router, Readiness& readiness);
  // Starts the background work (session purge, first discovery fetch).
  void start();
  void stop();

  const AuthContext& auth() const { return *auth_; }
  // The engine's forwarding settings (trust rules, upstream timeouts, error page).
  net::ForwardOptions forwardOptions() const;
  session::SessionManager& sessions() { return *sessions_; }

 private:
  explicit App(const config::Config& config) : config_(config) {}

  const config::Config& config_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<net::ProviderClient> provider_;
  std::unique_ptr<session::SessionStore> store_;
  std::unique_ptr<session::AuditSink> audit_;
  std::unique_ptr<session::SessionManager> sessions_;
  std::unique_ptr<AuthContext> auth_;
  std::unique_ptr<BearerVerifier> bearer_;  // api.audiences set
  std::unique_ptr<RouteMap> routes_;        // routes / upstream.url (empty: nothing proxied)

  std::unique_ptr<session::SessionPurger> purger_;
  std::thread discovery_;
};

// Settings -> library options (one place for each mapping).
oidc::RelyingPartyOptions relyingPartyOptions(const config::Config& config);
oidc::AccessPolicy accessPolicy(const config::AccessSettings& access);
session::SessionOptions sessionOptions(const config::SessionSettings& s);
net::ClientOptions clientOptions(const config::ProviderSettings& p);
// The external base URL without a trailing slash: server.public_url, or http://listen.
std::string publicBaseUrl(const config::Config& config);

}  // namespace authgate::gateway
