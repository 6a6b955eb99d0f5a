#include "gateway/router.h"

#include <stdexcept>

#include "gateway/pages.h"

namespace authgate::gateway {
namespace {

bool isExact(std::string_view pattern) {
  return pattern.find('{') == std::string_view::npos && (pattern.empty() || pattern.back() != '*');
}

// Next path segment of `s` starting at `pos` (after a '/'), and where the one after
// starts.
std::string_view segment(std::string_view s, std::size_t& pos) {
  auto end = s.find('/', pos);
  if (end == std::string_view::npos) end = s.size();
  auto seg = s.substr(pos, end - pos);
  pos = end;
  return seg;
}

}  // namespace

bool matchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>* params) {
  std::size_t pp = 0;
  std::size_t sp = 0;
  const auto mark = params ? params->size() : 0;
  auto fail = [&] {
    if (params) params->resize(mark);
    return false;
  };
  while (pp < pattern.size()) {
    if (pattern[pp] == '*' && pp + 1 == pattern.size()) {
      if (params) params->emplace_back("*", std::string(path.substr(sp)));
      return true;
    }
    if (pattern[pp] == '{') {
      auto close = pattern.find('}', pp);
      auto name = pattern.substr(pp + 1, close - pp - 1);
      pp = close + 1;
      auto value = segment(path, sp);
      if (value.empty()) return fail();
      if (params) params->emplace_back(std::string(name), std::string(value));
      continue;
    }
    if (sp >= path.size() || pattern[pp] != path[sp]) return fail();
    ++pp;
    ++sp;
  }
  return sp == path.size() ? true : fail();
}

Router& Router::push(net::Route route) {
  if (route.pattern.empty() || route.pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + route.pattern);
  }
  route.id = routes_.size();
  (isExact(route.pattern) ? exact_ : patterned_).push_back(route.id);
  routes_.push_back(std::move(route));
  return *this;
}

Router& Router::add(std::initializer_list<net::http::verb> methods, std::string pattern,
                    net::Handler handler, RouteOptions options) {
  net::Route r;
  r.pattern = std::move(pattern);
  r.methods = methods;
  r.admin = options.admin;
  // Every page a handler writes shows the request's id (gateway/pages.h).
  r.handler = [h = std::move(handler), blocking = options.blocking](const net::Request& req,
                                                                    net::RequestContext& ctx) {
    if (blocking && !ctx.may_block) {
      // Always the worker pool: defer before doing anything (net/http.h).
      ctx.defer();
      return net::Response{};
    }
    RequestIdScope scope(ctx.request_id);
    return h(req, ctx);
  };
  return push(std::move(r));
}

Router& Router::get(std::string pattern, net::Handler handler, RouteOptions options) {
  return add({net::http::verb::get}, std::move(pattern), std::move(handler), std::move(options));
}

Router& Router::post(std::string pattern, net::Handler handler, RouteOptions options) {
  return add({net::http::verb::post}, std::move(pattern), std::move(handler), std::move(options));
}

Router& Router::addForward(std::initializer_list<net::http::verb> methods, std::string pattern,
                           net::ForwardHandler handler) {
  net::Route r;
  r.pattern = std::move(pattern);
  r.methods = methods;
  r.forward = [h = std::move(handler)](const net::Request& head, net::RequestContext& ctx) {
    RequestIdScope scope(ctx.request_id);
    return h(head, ctx);
  };
  return push(std::move(r));
}

net::RouteMatch Router::match(net::http::verb method, std::string_view path,
                              net::RequestContext& ctx, std::shared_ptr<const void>&) const {
  net::RouteMatch result;
  // Exact patterns first: the hot endpoints (/healthz, /auth/check) are exact and this
  // loop is a few string compares, without allocation.
  for (auto id : exact_) {
    const auto& r = routes_[id];
    if (r.pattern != path || !r.servedOn(ctx.listener)) continue;
    if (r.allows(method)) return {&r, true};
    if (result.route == nullptr) result = {&r, false};
  }
  if (result.route != nullptr) return result;
  for (auto id : patterned_) {
    const auto& r = routes_[id];
    if (!r.servedOn(ctx.listener)) continue;
    const auto mark = ctx.params.size();
    if (!matchPattern(r.pattern, path, &ctx.params)) continue;
    if (r.allows(method)) return {&r, true};
    ctx.params.resize(mark);
    if (result.route == nullptr) result = {&r, false};
  }
  return result;
}

}  // namespace authgate::gateway
