// authgate healthcheck [--url URL]: GET the running server's /healthz and exit 0 on
// 200, 1 otherwise. Made for container HEALTHCHECKs and probes, so an image needs no
// curl: it reads the same settings as `serve` (-c FILE and the environment) to find
// the listen address, and asks it over loopback when the server listens on every
// address. /healthz lives on server.admin_listen when that is set (always plain HTTP),
// else on server.listen (HTTPS when server.tls is set; the certificate must then verify
// for the address asked, or --url names one that does).
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "net/http_client.h"

namespace authgate::cli {

std::string healthUrlFor(std::string_view listen, std::string_view scheme) {
  // listen is host:port or [v6]:port (validated by config). A wildcard host is not an
  // address to connect to: use loopback of the same family.
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return {};
  std::string host(listen.substr(0, colon));
  const std::string port(listen.substr(colon + 1));
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return std::string(scheme) + "://" + host + ":" + port + "/healthz";
}

int runHealthcheck(const CommonOptions& options, const std::string& url) {
  std::string target = url;
  if (target.empty()) {
    // Settings problems are serve's to report; the listen address is all we need here.
    const auto settings = loadSettings(options, config::processEnvironment());
    const auto& server = settings.config.server;
    const bool admin = !server.admin_listen.empty();
    target = admin ? healthUrlFor(server.admin_listen, "http")
                   : healthUrlFor(server.listen, server.tls.empty() ? "http" : "https");
    if (target.empty()) {
      std::cerr << "authgate healthcheck: " << (admin ? "server.admin_listen" : "server.listen")
                << " is not host:port\n";
      return kExitProblems;
    }
  }
  // The server is local: a proxy from the environment (libcurl reads http_proxy) must
  // not be asked. This process does nothing else, so changing its environment is safe.
  ::setenv("no_proxy", "*", 1);
  ::setenv("NO_PROXY", "*", 1);
  net::ClientOptions client_options;
  client_options.connect_timeout = std::chrono::milliseconds(2000);
  client_options.total_timeout = std::chrono::milliseconds(5000);
  client_options.max_retries = 0;
  client_options.max_response_bytes = 4096;
  client_options.user_agent = "authgate-healthcheck";
  net::CurlHttpClient client(client_options);
  const auto response = client.send(rp::HttpRequest::get(target));
  if (!response) {
    std::cerr << "authgate healthcheck: " << target << ": " << response.error().message() << "\n";
    return kExitProblems;
  }
  if (response->status != 200) {
    std::cerr << "authgate healthcheck: " << target << ": HTTP " << response->status << "\n";
    return kExitProblems;
  }
  std::cout << "ok\n";
  return kExitOk;
}

}  // namespace authgate::cli
