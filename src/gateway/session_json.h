// One JSON shape for a session, shared by GET /auth/sessions and `authgate sessions
// list --json`, so operators' scripts read both the same way. Never tokens or cookie
// values: listings do not decrypt tokens at all.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "authgate/session/session.h"

namespace authgate::gateway {

// {id, sub, email, name, state, revoked_reason?, created_at, last_seen_at, expires_at,
//  idle_expires_at, absolute_expires_at, auth_time, client_ip, user_agent, refresh_count}
// Times are unix seconds; auth_time is null when the provider sent none.
boost::json::object sessionJson(const session::Session& s);

// The session's auth_time (unix seconds), or null when the provider sent none.
boost::json::value authTimeJson(const session::Session& s);

}  // namespace authgate::gateway
