#include "gateway/failure_pages.h"

#include "authgate/oidc/errc.h"
#include "authgate/rp/http_client.h"
#include "authgate/session/errc.h"
#include "gateway/current_session.h"

namespace authgate::gateway {

namespace {

struct Words {
  std::string_view title;
  std::string_view detail;
};

constexpr std::string_view kNotWorking = "Sign-in is not working on this site";
constexpr std::string_view kTellAdmin =
    "This site cannot start sign-in at the moment. Please tell its administrator the "
    "reference below.";

Response page(const AuthContext& auth, const Request& req, const rp::Failure& f,
              std::string_view code, Words w, bool retry = true) {
  ErrorPageExtras extras;
  if (retry) extras.retry_url = auth.prefix + "/login";
  extras.operator_detail = f.operatorDetail;
  auto res = errorPage(req, static_cast<http::status>(f.status), code, w.title, w.detail, extras);
  if (f.retryAfter > 0) res.set(http::field::retry_after, std::to_string(f.retryAfter));
  return res;
}

bool isStoreFailure(const rp::Failure& f) {
  return f.status == 503 &&
         f.error.category() ==
             session::make_error_code(session::Errc::kStoreUnavailable).category();
}

}  // namespace

Response loginFailurePage(const AuthContext& auth, const Request& req, const rp::Failure& f) {
  if (isStoreFailure(f)) return storeUnavailable(req);
  const auto& e = f.error;
  const auto code = core::errorName(e);
  if (e == oidc::Errc::kUnsafeReturnTo || e == oidc::Errc::kReturnToOriginNotAllowed) {
    return page(auth, req, f, code,
                {"This sign-in link is not valid",
                 "The address to return to after signing in is not allowed. Only paths on "
                 "this site and configured origins are accepted."},
                false);
  }
  if (e == rp::Errc::kProviderUnavailable) {
    return page(auth, req, f, code,
                {"Sign-in is not available right now",
                 "The sign-in service cannot be reached. Please try again in a few minutes."});
  }
  if (e == rp::Errc::kTooManyPendingLogins || e == rp::Errc::kTooManyPendingLoginsForClient) {
    return page(auth, req, f, "too_many_pending_logins",
                {"Too many sign-ins in progress",
                 "Finish or close the sign-in pages that are already open, then try again in a "
                 "few minutes."},
                false);
  }
  if (e == oidc::Errc::kParNotAdvertised) {
    return page(auth, req, f, code,
                {kNotWorking,
                 "This site requires a sign-in method the sign-in service does not offer. Please "
                 "tell the site's administrator the reference below."});
  }
  if (f.status == 503) {
    return page(auth, req, f, code,
                {"Sign-in is not available right now",
                 "The sign-in service did not answer. Please try again in a minute."});
  }
  if (f.status == 502) {
    return page(auth, req, f, code,
                {kNotWorking,
                 "The sign-in service does not accept this site's sign-in requests at the "
                 "moment. Please tell the site's administrator the reference below."});
  }
  return page(auth, req, f, code, {kNotWorking, kTellAdmin});
}

Response callbackFailurePage(const AuthContext& auth, const Request& req, const rp::Failure& f) {
  if (isStoreFailure(f)) return storeUnavailable(req);
  const auto& e = f.error;
  const auto code = core::errorName(e);
  if (e == oidc::Errc::kProviderError) {
    const auto status = static_cast<http::status>(f.status);
    if (wantsJson(req)) {
      return jsonResponse(
          req, status, {{"error", f.providerError}, {"error_description", f.providerDescription}});
    }
    ErrorPageExtras extras;
    extras.retry_url = auth.prefix + "/login";
    extras.operator_detail = f.operatorDetail;
    // The page shows none of the provider's text (its code included) unless the state
    // matched: the log still has the code, tied by the request id.
    if (f.matchedLogin) {
      extras.provider_error = f.providerError;
      extras.provider_description = f.providerDescription;
    }
    // PAR (RFC 9126 s4): an expired or reused request_uri. The state was inside the
    // pushed request, so the provider cannot say which login it was; "Try again" pushes
    // a new one. Nothing redirects by itself, so this cannot loop.
    if (f.providerError == "invalid_request_uri") {
      return errorPage(req, status, "request_uri_expired", "This sign-in request has expired",
                       "The sign-in page was opened too late or a second time. Start again: "
                       "a new sign-in request is made.",
                       extras);
    }
    return errorPage(req, status, "provider_error", "Sign-in was not completed",
                     "The sign-in service did not sign you in.", extras);
  }
  using oidc::Errc;
  Words w{"The sign-in response is not valid", {}};
  bool retry = true;
  if (e == Errc::kStateMismatch) {
    w = {"This sign-in attempt is unknown or was already used",
         "Start again from the application. Each sign-in link works once and for 10 minutes."};
  } else if (e == Errc::kBadTransaction) {
    w = {"This sign-in attempt is not valid", {}};
  } else if (e == Errc::kBrowserBindingMismatch) {
    w = {"This sign-in was started in another browser",
         "Start again from the application in this browser."};
  } else if (e == Errc::kClientAssertionFailed || e == Errc::kUnsupportedClientAuth) {
    w = {kNotWorking,
         "This site cannot complete sign-in at the moment. Please tell its administrator the "
         "reference below."};
  } else if (e == rp::Errc::kTlsFailure) {
    w = {kNotWorking,
         "This site cannot reach the sign-in service securely, so no one can sign in here "
         "until the site's administrator fixes it. Please tell them the reference below."};
  } else if (e == Errc::kDpopNotBound) {
    w = {kNotWorking,
         "The sign-in service answered in a way this site does not accept, so no one can sign "
         "in here until the site's administrator fixes it. Please tell them the reference "
         "below."};
  } else if (e == Errc::kInvalidClient) {
    // Not the user's doing and not fixed by trying again: say who must act.
    w = {kNotWorking,
         "The sign-in service does not accept this site at the moment, so no one can sign in "
         "here until the site's administrator fixes it. Please tell them the reference below."};
  } else if (e == Errc::kTokenEndpointUnavailable) {
    w = {"The sign-in provider did not accept this sign-in",
         "The provider is unavailable. Please try again."};
  } else if (e == Errc::kInvalidGrant || e == Errc::kTokenEndpointRejected ||
             e == Errc::kBadTokenResponse || e == Errc::kMissingAccessToken ||
             e == Errc::kMissingIdToken || e == Errc::kBadTokenType || e == Errc::kBadExpiresIn) {
    w = {"The sign-in provider did not accept this sign-in",
         "The authorization code was rejected or already used."};
  } else if (e == Errc::kIdTokenTooOld) {
    w = {"This sign-in is out of date",
         "The sign-in service sent proof of a sign-in that happened too long ago, so it was not "
         "accepted. Please sign in again."};
  } else if (e == Errc::kBadUserinfo) {
    w = {"The provider's user information could not be read", {}};
  } else if (e == Errc::kUserinfoSubjectMismatch) {
    w = {"The provider's user information does not match the sign-in", {}};
  } else if (f.status == 403) {
    w = {"You do not have access to this application",
         "You signed in, but this account is not allowed to use this application. Ask your "
         "administrator for access."};
    retry = false;
  } else if (f.status == 401) {
    w = {"The identity token from the provider is not valid", {}};
  } else if (f.status == 502) {
    w = {"The sign-in provider cannot be reached", {}};
  }
  return page(auth, req, f, code, w, retry);
}

}  // namespace authgate::gateway
