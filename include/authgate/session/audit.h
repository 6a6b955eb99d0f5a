// Audit events of the session lifecycle. Each is kept in the store (capped) and
// written to an AuditSink as one structured (JSON) line. Events carry the session's
// public id, never its cookie value, and never a token: the types below have no field
// that could hold one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/errc.h"
#include "authgate/session/errc.h"
#include "authgate/session/session.h"

namespace authgate::session {

// One event per way a session ends, so the trail says how without reading the reason.
enum class AuditType {
  kLogin,
  kLoginFailure,
  kRefresh,
  kRefreshFailure,
  kLogout,             // RP-initiated logout from the session's own browser
  kBackchannelLogout,  // the provider's logout token (Back-Channel Logout 1.0)
  kRevokedByUser,      // the user ended it from the session list
  kRevokedByAdmin,     // an administrator (API) or an operator (CLI) ended it
  kReplaced,           // a new login replaced it (max per user, or the same browser)
  kRefreshEnded,       // the provider refused its refresh token, or the tokens could not be kept
  kIdleExpiry,         // idle timeout reached
  kAbsoluteExpiry,     // absolute timeout reached
};

std::string_view auditTypeName(AuditType t);

// The event that records a session ended for `reason`.
AuditType endedEvent(RevokeReason reason);

struct AuditEvent {
  AuditType type = AuditType::kLogin;
  int64_t at = 0;        // unix seconds
  std::string publicId;  // the session's public id; empty for login failures
  std::string subject;
  std::string reason;  // revoke reason or error name, see sanitizeReason()
  std::string actor;   // who ended it: subject of a user/admin; empty for system
  std::string clientIp;
  std::string userAgent;
};

// One-line JSON object: {"event":"session.revoked_by_admin","at":...,"session":"...",...}.
std::string auditEventJson(const AuditEvent& e);

// Reasons are machine names (`nonce_mismatch`, `invalid_grant`): lowercase letters,
// digits and `_ . : -`, at most 64 characters. Anything else becomes "other", so a
// caller that passes provider text by mistake cannot leak a token into the audit log.
std::string sanitizeReason(std::string_view reason);

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void write(const AuditEvent& e) = 0;
};

class NullAuditSink final : public AuditSink {
 public:
  void write(const AuditEvent&) override {}
};

// The audit part of the store contract: a capped list of already-redacted JSON lines
// shared by every instance (what `authgate sessions audit` and the admin API read).
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Appends one line; the store keeps the newest `cap` (a backend setting).
  virtual Result<void> appendAudit(std::string_view line) = 0;
  // Newest first.
  virtual Result<std::vector<std::string>> recentAudit(size_t limit) = 0;
};

// The store-backed sink: each event goes to `log` as one JSON line (best effort: a
// store outage already fails the request that caused the event), then to `next` (the
// structured log line, always written).
class StoreAuditSink final : public AuditSink {
 public:
  StoreAuditSink(AuditLog& log, AuditSink& next) : log_(log), next_(next) {}
  void write(const AuditEvent& e) override;

 private:
  AuditLog& log_;
  AuditSink& next_;
};

}  // namespace authgate::session
