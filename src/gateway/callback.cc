// GET|POST /auth/callback  (and OpenMetadata's /callback, /api/v1/auth/callback)
//
// The adapter over rp::RelyingParty::completeLogin (src/rp/login.cc): the callback's
// parameters (query, or the form_post body) and cookies in; the session cookie and the
// redirect to where the login started out, or a page for the failure.
#include "gateway/auth_routes.h"
#include "gateway/current_session.h"
#include "gateway/failure_pages.h"

namespace authgate::gateway {

Response handleCallback(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  // form_post carries the response in the body; a GET in the query (OAuth 2.0 Form Post
  // Response Mode s2).
  auto params = core::formDecode(req.method() == http::verb::post ? std::string_view(req.body())
                                                                  : std::string_view(ctx.query));
  if (!params) {
    auth.party.countFailure("callback", core::errorName(params.error()));
    ErrorPageExtras extras;
    extras.retry_url = auth.prefix + "/login";
    return errorPage(req, http::status::bad_request, core::errorName(params.error()),
                     "The sign-in response is malformed", {}, extras);
  }
  rp::CallbackRequest in;
  in.params = std::move(*params);
  in.bindingCookie = cookieValue(req, auth.cookies.transaction);
  in.sessionCookie = cookieValue(req, auth.cookies.session);
  in.clientIp = clientIp(ctx);
  in.userAgent = userAgent(req);
  auto out = auth.party.completeLogin(in);
  if (auto* f = std::get_if<rp::Failure>(&out)) return callbackFailurePage(auth, req, *f);
  auto& result = std::get<rp::CallbackResult>(out);
  if (auto* restart = std::get_if<rp::RestartLogin>(&result)) {
    return redirect(req,
                    auth.prefix + "/login?return_to=" + core::percentEncode(restart->returnTo));
  }
  auto& done = std::get<rp::LoginComplete>(result);
  auto res = redirect(req, done.returnTo);
  res.insert(http::field::set_cookie, core::formatSetCookie(done.sessionCookie));
  return res;
}

}  // namespace authgate::gateway
