#include "gateway/serve.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <memory>

#include "authgate/core/metrics.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/sqlite_store.h"
#include "gateway/app.h"
#include "gateway/live_routes.h"
#include "gateway/log_format.h"
#include "gateway/pages.h"
#include "gateway/proxy.h"
#include "net/server.h"

namespace authgate::gateway {
namespace {

spdlog::level::level_enum parseLevel(std::string_view name) {
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "fatal") return spdlog::level::critical;
  return spdlog::level::from_str(std::string(name));
}

// Access-log lines are whole JSON objects, one per line on stdout, so log shippers can
// parse them without knowing spdlog's pattern.
std::shared_ptr<spdlog::logger> accessLogger(spdlog::level::level_enum level) {
  auto logger = spdlog::get("access");
  if (!logger) {
    logger = spdlog::stdout_logger_mt("access");
    logger->set_pattern("%v");
  }
  logger->set_level(level);
  return logger;
}

net::ServerOptions serverOptions(const config::ServerSettings& s) {
  net::ServerOptions o;
  o.listen = s.listen;
  o.threads = s.threads;
  o.max_header_bytes = s.max_header_bytes;
  o.max_body_bytes = s.max_body_bytes;
  o.read_timeout = s.read_timeout;
  o.idle_timeout = s.idle_timeout;
  o.shutdown_grace = s.shutdown_grace;
  o.max_connections = s.max_connections;
  o.max_connections_per_ip = s.max_connections_per_ip;
  o.admin_listen = s.admin_listen;
  if (auto it = s.tls.find("cert_file"); it != s.tls.end()) o.tls_cert_file = it->second;
  if (auto it = s.tls.find("key_file"); it != s.tls.end()) o.tls_key_file = it->second;
  o.handle_signals = true;
  return o;
}

}  // namespace

int serve(const config::Config& config, std::function<config::LoadResult()> reload) {
  const auto level = parseLevel(config.server.log_level);
  spdlog::set_level(level);
  // One format for every line of this process, set before anything is logged.
  const auto format = resolveLogFormat(config.server.log_format, ::isatty(STDERR_FILENO) == 1);
  applyLogFormat(format);
  // SQLite says why a statement failed (a full disk, an I/O error); the store's
  // answer is only "unavailable". Notices (WAL recovery) and warnings at info.
  session::setSqliteErrorLog(
      [](session::SqliteLogSeverity severity, int code, std::string_view message) {
        switch (severity) {
          case session::SqliteLogSeverity::kNotice:
            spdlog::info("sqlite: {} (code {})", message, code);
            break;
          case session::SqliteLogSeverity::kExpected:
            spdlog::debug("sqlite: {} (code {})", message, code);
            break;
          case session::SqliteLogSeverity::kFailure:
            spdlog::warn("sqlite: {} (code {})", message, code);
            break;
        }
      });

  // What the Redis store does by itself under Sentinel: following +switch-master,
  // losing and regaining its sentinel (addresses and the master's name only).
  session::setRedisEventLog([](session::RedisLogSeverity severity, std::string_view message) {
    if (severity == session::RedisLogSeverity::kWarning) {
      spdlog::warn("{}", message);
    } else {
      spdlog::info("{}", message);
    }
  });

  core::MetricsRegistry metrics;
  std::vector<std::string> problems;
  // The pages with their brand and templates (validation parsed them already; this
  // only fails for a template changed since). A reload builds them again.
  auto pages = Pages::make(config.pages, &problems);
  if (!pages) {
    for (const auto& p : problems) spdlog::error("pages.templates_dir: {}", p);
    return 1;
  }
  installPages(std::move(pages));

  auto app = App::create(config, metrics, problems);
  std::shared_ptr<const Snapshot> first;
  if (app) first = app->build(config, problems);
  if (!first) {
    for (const auto& p : problems) spdlog::error("{}", p);
    return 1;
  }
  // The route table: the current snapshot's, replaced on reload.
  LiveRoutes routes(first);

  auto options = serverOptions(config.server);
  options.access_log = accessLogger(level);
  applyLogFormat(format);  // again: the access logger set its own pattern
  options.forward = forwardOptions(first->config, *first->auth);
  const bool tls = !options.tls_cert_file.empty();
  net::Server* running = nullptr;
  const bool reloadable = static_cast<bool>(reload);
  Reloader settings(*app, routes, std::move(reload));
  // SIGHUP: the settings are read again (a bad set is refused and the running one keeps
  // serving), and so is a renewed certificate (a bad one is refused, the old one stays).
  options.on_reload = [&running, &settings, tls, reloadable] {
    if (reloadable) settings.run();
    if (!tls || running == nullptr) return;
    std::string problem;
    if (auto r = running->reloadTls(&problem); !r) {
      spdlog::error("reload refused, the old certificate stays: {}", problem);
    } else {
      spdlog::info("server.tls: certificate and key reloaded");
    }
  };
  net::Server server(std::move(options), routes, metrics);
  running = &server;
  if (tls) {
    std::string problem;
    if (auto t = server.reloadTls(&problem); !t) {
      spdlog::error("{}", problem);
      return 1;
    }
  }
  if (auto started = server.start(); !started) {
    spdlog::error("server.listen: cannot listen on {} (or server.admin_listen {}): {}",
                  config.server.listen, config.server.admin_listen, started.error().message());
    return 1;
  }
  spdlog::info("authgate listening on {}://{}", tls ? "https" : "http", server.boundAddress());
  if (!config.server.admin_listen.empty()) {
    spdlog::info("operator endpoints (/healthz, /readyz, /metrics) on http://{}",
                 server.boundAdminAddress());
  } else if (!server.mainIsLoopback()) {
    spdlog::warn(
        "/metrics, /healthz and /readyz are served on {} to anyone who reaches it; set "
        "server.admin_listen (e.g. 127.0.0.1:9090) to serve them on a private address",
        config.server.listen);
  }
  app->start(std::move(first));  // from here on, a snapshot lives as long as it serves
  const int rc = server.run();
  app->stop();
  spdlog::info("authgate stopped");
  return rc;
}

}  // namespace authgate::gateway
