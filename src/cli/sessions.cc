// authgate sessions list|revoke: the operator's view of the configured session store
// (SQLite file or Redis), built exactly as the server builds it (gateway::App), so
// the CLI and every running instance agree on keys, timeouts and record format.
// Revocations are writes to the shared store: every instance rejects the session on
// its next lookup (no instance caches sessions; see docs/SESSIONS.md).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "authgate/core/codec.h"
#include "authgate/core/metrics.h"
#include "authgate/session/errc.h"
#include "authgate/session/store_factory.h"
#include "cli/commands.h"
#include "config/field.h"
#include "gateway/app.h"
#include "gateway/session_json.h"

namespace authgate::cli {
namespace {

// Who the audit trail names as the actor of a CLI revocation.
constexpr std::string_view kCliActor = "cli";

// Everything the two commands need, opened from the settings like `serve` does.
struct StoreSession {
  config::LoadResult settings;
  core::MetricsRegistry metrics;
  std::unique_ptr<gateway::App> app;
};

// Diagnostics and audit lines go to stderr, so stdout stays the listing (--json
// output can be piped into jq).
void logToStderr() {
  auto err = spdlog::stderr_logger_mt("cli");
  spdlog::set_default_logger(err);
  if (!spdlog::get("audit")) spdlog::stderr_logger_mt("audit");
}

// The problems that stop a store command. Reading and revoking sessions needs the
// session settings only: an operator's shell without the provider's client secret (or
// with an unfinished provider section) can still list and revoke. A problem of any other
// setting, or of a variable that sets one, is left to check-config; file, env-file and
// session problems still stop the command.
std::vector<config::Problem> storeProblems(const std::vector<config::Problem>& all) {
  std::set<std::string, std::less<>> otherSettings;
  for (const auto& f : config::fields()) {
    if (!f.key.starts_with("session.")) {
      otherSettings.insert(std::string(f.key));
      otherSettings.insert(config::envName(f.key));
    }
  }
  const std::string_view otherFamilies[] = {"AUTH0_", "OIDC_", "AUTHENTICATION_", "AUTHORIZER_"};
  std::vector<config::Problem> out;
  for (const auto& p : all) {
    const bool other = otherSettings.contains(p.key) ||
                       std::any_of(std::begin(otherFamilies), std::end(otherFamilies),
                                   [&](std::string_view f) { return p.key.starts_with(f); });
    if (!other) out.push_back(p);
  }
  return out;
}

// 0 when opened; else the exit code after reporting each problem as `key: reason`.
int open(const CommonOptions& options, StoreSession& out) {
  logToStderr();
  out.settings = loadSettings(options, config::processEnvironment());
  const auto blocking = storeProblems(out.settings.problems);
  if (!blocking.empty()) {
    printProblems(blocking, std::cerr);
    return kExitProblems;
  }
  // The server creates a missing SQLite database (and its key file); an operator's
  // command must not: a mistyped path would list an empty new store, and leave it.
  if (auto where = session::parseStoreUri(out.settings.config.session.store);
      where && where->kind == session::StoreKind::kSqlite &&
      !std::filesystem::exists(where->sqlitePath)) {
    std::cerr << "session.store: no database at " << where->sqlitePath << '\n';
    return kExitProblems;
  }
  // A one-shot command reads the store directly: no cache (and no subscription).
  out.settings.config.session.cache_size = 0;
  std::vector<std::string> problems;
  out.app = gateway::App::create(out.settings.config, out.metrics, problems);
  if (!out.app) {
    for (const auto& p : problems) std::cerr << p << '\n';
    return kExitProblems;
  }
  return kExitOk;
}

int storeFailed(const error_code& e) {
  // The store URI is not echoed: a Redis URI may carry a password.
  std::cerr << "session.store: " << e.message() << " (" << core::errorName(e) << ")\n";
  return kExitProblems;
}

// --user takes a subject (indexed) or an email (emails are not indexed: matched over
// a scan, which is fine for an operator's command).
bool matchesUser(const session::Session& s, std::string_view user) {
  return s.subject == user || (!s.email.empty() && core::asciiIEquals(s.email, user));
}

Result<std::vector<session::Session>> allSessions(session::SessionManager& sessions) {
  std::vector<session::Session> out;
  std::string cursor;
  do {
    auto page = sessions.listAll(cursor, 500);
    if (!page) return page.error();
    for (auto& s : page->sessions) out.push_back(std::move(s));
    cursor = page->nextCursor;
  } while (!cursor.empty());
  return out;
}

Result<std::vector<session::Session>> sessionsOf(session::SessionManager& sessions,
                                                 std::string_view user) {
  auto bySubject = sessions.listBySubject(user);
  if (!bySubject) return bySubject.error();
  if (!bySubject->empty()) return bySubject;
  auto all = allSessions(sessions);
  if (!all) return all.error();
  std::vector<session::Session> out;
  for (auto& s : *all) {
    if (matchesUser(s, user)) out.push_back(std::move(s));
  }
  return out;
}

std::string utc(int64_t unixSeconds) {
  if (unixSeconds <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void printTable(const std::vector<session::Session>& list, std::ostream& out) {
  // Fixed columns, one session per line; the public id is what `revoke` takes.
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  size_t idW = 2;
  size_t userW = 4;
  for (const auto& s : list) {
    idW = std::max(idW, s.publicId.size());
    userW = std::max(userW, (s.email.empty() ? s.subject : s.email).size());
  }
  out << pad("ID", idW) << "  " << pad("USER", userW) << "  " << pad("STATE", 7) << "  "
      << pad("CREATED", 20) << "  " << pad("LAST SEEN", 20) << "  " << pad("EXPIRES", 20)
      << "  CLIENT IP\n";
  for (const auto& s : list) {
    std::string state(session::stateName(s.state));
    out << pad(s.publicId, idW) << "  " << pad(s.email.empty() ? s.subject : s.email, userW) << "  "
        << pad(state, 7) << "  " << pad(utc(s.createdAt), 20) << "  " << pad(utc(s.lastSeenAt), 20)
        << "  " << pad(utc(s.expiresAt()), 20) << "  " << (s.clientIp.empty() ? "-" : s.clientIp);
    if (s.state == session::SessionState::kRevoked) {
      out << "  (" << session::reasonName(s.revokeReason) << ")";
    }
    out << '\n';
  }
  out << list.size() << (list.size() == 1 ? " session\n" : " sessions\n");
}

}  // namespace

int runSessionsList(const CommonOptions& options, const SessionsListOptions& list) {
  StoreSession st;
  if (int rc = open(options, st); rc != kExitOk) return rc;
  auto& sessions = st.app->sessions();
  auto found = list.user.empty() ? allSessions(sessions) : sessionsOf(sessions, list.user);
  if (!found) return storeFailed(found.error());
  // The store pages in key order (random); people read sessions oldest first.
  std::stable_sort(found->begin(), found->end(),
                   [](const auto& a, const auto& b) { return a.createdAt < b.createdAt; });
  if (list.json) {
    boost::json::array arr;
    for (const auto& s : *found) arr.push_back(gateway::sessionJson(s));
    std::cout << boost::json::serialize(boost::json::object{{"sessions", std::move(arr)}}) << '\n';
  } else {
    printTable(*found, std::cout);
  }
  return kExitOk;
}

int runSessionsRevoke(const CommonOptions& options, const SessionsRevokeOptions& revoke) {
  StoreSession st;
  if (int rc = open(options, st); rc != kExitOk) return rc;
  auto& sessions = st.app->sessions();
  constexpr auto kReason = session::RevokeReason::kAdmin;

  if (!revoke.id.empty()) {
    auto before = sessions.findByPublicId(revoke.id);
    if (!before) {
      if (before.error() == session::Errc::kNotFound) {
        std::cerr << "authgate sessions revoke: no session " << revoke.id << '\n';
        return kExitProblems;
      }
      return storeFailed(before.error());
    }
    if (before->state != session::SessionState::kActive) {
      std::cout << "session " << revoke.id << " already ended ("
                << session::stateName(before->state) << ")\n";
      return kExitOk;
    }
    auto r = sessions.revokeByPublicId(revoke.id, kReason, kCliActor);
    if (!r) return storeFailed(r.error());
    std::cout << "revoked session " << revoke.id << '\n';
    return kExitOk;
  }

  size_t revoked = 0;
  if (revoke.all) {
    auto n = sessions.revokeAll(kReason, kCliActor);
    if (!n) return storeFailed(n.error());
    revoked = *n;
  } else {
    // An email may map to several subjects (one per identity provider connection).
    auto mine = sessionsOf(sessions, revoke.user);
    if (!mine) return storeFailed(mine.error());
    std::set<std::string> subjects;
    for (const auto& s : *mine) subjects.insert(s.subject);
    for (const auto& subject : subjects) {
      auto n = sessions.revokeBySubject(subject, kReason, kCliActor);
      if (!n) return storeFailed(n.error());
      revoked += *n;
    }
  }
  std::cout << "revoked " << revoked << (revoked == 1 ? " session\n" : " sessions\n");
  return kExitOk;
}

}  // namespace authgate::cli
