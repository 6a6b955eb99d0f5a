#include "authgate/session/audit.h"

#include <boost/json.hpp>

namespace authgate::session {
namespace {

// User agents and IPs come from the client: keep them printable and bounded.
std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

std::string_view auditTypeName(AuditType t) {
  switch (t) {
    case AuditType::kLogin:
      return "session.login";
    case AuditType::kLoginFailure:
      return "session.login_failure";
    case AuditType::kRefresh:
      return "session.refresh";
    case AuditType::kRefreshFailure:
      return "session.refresh_failure";
    case AuditType::kLogout:
      return "session.logout";
    case AuditType::kBackchannelLogout:
      return "session.backchannel_logout";
    case AuditType::kRevokedByUser:
      return "session.revoked_by_user";
    case AuditType::kRevokedByAdmin:
      return "session.revoked_by_admin";
    case AuditType::kReplaced:
      return "session.replaced";
    case AuditType::kRefreshEnded:
      return "session.refresh_ended";
    case AuditType::kIdleExpiry:
      return "session.idle_expiry";
    case AuditType::kAbsoluteExpiry:
      return "session.absolute_expiry";
  }
  return "session.unknown";
}

AuditType endedEvent(RevokeReason reason) {
  switch (reason) {
    case RevokeReason::kLogout:
      return AuditType::kLogout;
    case RevokeReason::kBackchannel:
      return AuditType::kBackchannelLogout;
    case RevokeReason::kUser:
      return AuditType::kRevokedByUser;
    case RevokeReason::kMaxSessions:
    case RevokeReason::kReplaced:
      return AuditType::kReplaced;
    case RevokeReason::kRefreshFailed:
      return AuditType::kRefreshEnded;
    case RevokeReason::kAdmin:
    case RevokeReason::kNone:
      break;
  }
  // Nobody ends a session without a reason; were one added without its event, the
  // trail names the most privileged way rather than inventing a benign one.
  return AuditType::kRevokedByAdmin;
}

std::string sanitizeReason(std::string_view reason) {
  if (reason.empty() || reason.size() > 64) return reason.empty() ? "" : "other";
  for (char c : reason) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == ':' || c == '-';
    if (!ok) return "other";
  }
  return std::string(reason);
}

std::string auditEventJson(const AuditEvent& e) {
  boost::json::object o;
  o["event"] = auditTypeName(e.type);
  o["at"] = e.at;
  if (!e.publicId.empty()) o["session"] = e.publicId;
  if (!e.subject.empty()) o["sub"] = printable(e.subject, 256);
  if (!e.reason.empty()) o["reason"] = sanitizeReason(e.reason);
  if (!e.actor.empty()) o["actor"] = printable(e.actor, 256);
  if (!e.clientIp.empty()) o["ip"] = printable(e.clientIp, 64);
  if (!e.userAgent.empty()) o["ua"] = printable(e.userAgent, 256);
  return boost::json::serialize(o);
}

void StoreAuditSink::write(const AuditEvent& e) {
  (void)log_.appendAudit(auditEventJson(e));
  next_.write(e);
}

}  // namespace authgate::session
