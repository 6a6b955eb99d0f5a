#include "cli/commands.h"

namespace authgate::cli {

// To come: open the configured session store (settings.session.store) and list sessions,
// optionally of one user, as a table or JSON.
int runSessionsList(const CommonOptions&, const SessionsListOptions&) {
  return notAvailable("sessions list");
}

// To come: revoke one session, a user's sessions or all, in the shared store so every
// instance sees it on the next request.
int runSessionsRevoke(const CommonOptions&, const SessionsRevokeOptions&) {
  return notAvailable("sessions revoke");
}

}  // namespace authgate::cli
