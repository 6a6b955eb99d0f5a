// GET /auth/login?return_to=  (and OpenMetadata's /api/v1/auth/login?redirectUri=)
//
// The adapter over rp::RelyingParty::startLogin (src/rp/login.cc): the request's query
// and cookies in, the redirect with the browser-binding cookie out, or a page that says
// what went wrong in plain words (the operator's detail goes to the log with the
// request id the page shows).
#include "gateway/auth_routes.h"
#include "gateway/current_session.h"
#include "gateway/failure_pages.h"

namespace authgate::gateway {

Response handleLogin(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                     std::string_view returnToParam) {
  auto params = queryParams(ctx.query);
  rp::LoginRequest in;
  in.returnTo = core::findParam(params, returnToParam).value_or("/");
  in.bindingCookie = cookieValue(req, auth.cookies.transaction);
  in.clientIp = clientIp(ctx);
  in.hints.login_hint = core::findParam(params, "login_hint").value_or("");
  in.hints.screen_hint = core::findParam(params, "screen_hint").value_or("");
  in.hints.ui_locales = core::findParam(params, "ui_locales").value_or("");
  auto out = auth.party.startLogin(in);
  if (auto* f = std::get_if<rp::Failure>(&out)) return loginFailurePage(auth, req, *f);
  auto& done = std::get<rp::LoginRedirect>(out);
  auto res = redirect(req, done.location);
  res.insert(http::field::set_cookie, core::formatSetCookie(done.bindingCookie));
  return res;
}

}  // namespace authgate::gateway
