// The pages for a refused login or callback (rp::Failure from the library): plain words
// for the person in front of the browser, chosen by the failure's error; the stable
// error name as the page's code; the operator's detail to the log with the request id
// the page shows. The words live here, the decisions in the library.
#pragma once

#include "authgate/rp/relying_party.h"
#include "gateway/auth_context.h"
#include "gateway/web.h"

namespace authgate::gateway {

Response loginFailurePage(const AuthContext& auth, const Request& req, const rp::Failure& f);
Response callbackFailurePage(const AuthContext& auth, const Request& req, const rp::Failure& f);

}  // namespace authgate::gateway
