// What crosses authgate towards an upstream, as rules on message heads (pure functions,
// unit-tested and fuzzed: fuzz/request_path_fuzz.cc). docs/PROTECT.md "Trust boundary"
// lists them for operators.
//
// The upstream request head is rebuilt from the authorised request head before any
// body byte is read, so nothing that arrives later (chunked trailers) can reach it.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "net/forwarded.h"
#include "net/http.h"

namespace authgate::net {

class Upstream;

struct ForwardPolicy {
  TrustedProxies trusted;              // server.trusted_proxies
  std::string public_scheme = "http";  // X-Forwarded-Proto unless a trusted proxy says
  // X-Forwarded-Host and Forwarded host= (server.public_url's host), unless a trusted
  // proxy passed its own X-Forwarded-Host or the route is for another configured host
  // (ForwardDecision::forwarded_host).
  std::string public_host;
  // Header families only authgate sets on upstream requests: every incoming field whose
  // name, lower-cased with '_' mapped to '-', equals one of `protected_names` or starts
  // with one of `protected_prefixes` is removed. Lower-case. Forwarded, X-Real-IP and
  // X-Forwarded-* are always protected (the engine writes its own).
  std::vector<std::string> protected_prefixes;
  std::vector<std::string> protected_names;
  // Cookies that are credentials for authgate, never for the upstream.
  std::vector<std::string> own_cookies;
  // Header names with '_' are dropped unless allowed (server.underscores_in_headers):
  // CGI, WSGI and PHP map '-' and '_' to the same variable, so X_Auth_Request_Email
  // would reach the app as the identity header it trusts.
  bool allow_underscores = false;
};

// Rewrites a parsed request head, in place, into the head sent upstream:
//  - hop-by-hop fields removed (RFC 9110 s7.6.1): Connection and every field it names
//    (never Host or Content-Length), Keep-Alive, Proxy-Connection, TE, Trailer,
//    Transfer-Encoding, Proxy-Authorization, Proxy-Authenticate, Upgrade (kept for an
//    upgrade), and Expect (authgate answers 100-continue itself);
//  - names with '_' dropped (unless allowed); protected families removed;
//  - Authorization removed unless `d.keep_authorization`;
//  - `policy.own_cookies` removed from Cookie (one line; gone when nothing is left);
//  - X-Forwarded-For / -Proto / -Host, Forwarded and X-Real-IP written from what
//    authgate saw (`ctx.remote`, `ctx.client` and their texts), the chains of a trusted peer
//    extended;
//  - `d.identity` set; Host kept (the upstream's authority when the client sent none);
//  - the target prefixed with the upstream's base path; HTTP/1.1; framing re-set:
//    `Transfer-Encoding: chunked` when `chunked`, Connection: Upgrade for an upgrade.
void prepareUpstreamRequest(http::request_header<>& h, const ForwardPolicy& policy,
                            const ForwardDecision& d, const Upstream& up, const RequestContext& ctx,
                            bool upgrade, bool chunked);

// Rewrites an upstream response head, in place, for the client: hop-by-hop fields
// removed (as above; Upgrade kept for a 101), then `version`, keep-alive and framing
// set: chunked when `chunked`, else the upstream's Content-Length stands.
void prepareClientResponse(http::response_header<>& h, unsigned version, bool keepAlive,
                           bool chunked);

// Connection has the "upgrade" token and Upgrade is present (RFC 9110 s7.8).
bool isUpgradeRequest(const http::fields& h);

// The Cookie header without the cookies named `names`; "" when nothing is left.
std::string removeCookies(std::string_view cookieHeader, const std::vector<std::string>& names);

// Lower-case, '_' mapped to '-': how CGI-style stacks see a header name.
std::string normalizedHeaderName(std::string_view name);

}  // namespace authgate::net
