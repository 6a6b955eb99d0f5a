#include "session/session_codec.h"

#include <boost/json.hpp>

namespace authgate::session {

namespace json = boost::json;

std::string_view stateName(SessionState s) {
  switch (s) {
    case SessionState::kActive:
      return "active";
    case SessionState::kRevoked:
      return "revoked";
    case SessionState::kExpired:
      return "expired";
  }
  return "active";
}

std::string_view reasonName(RevokeReason r) {
  switch (r) {
    case RevokeReason::kNone:
      return "";
    case RevokeReason::kUser:
      return "user";
    case RevokeReason::kAdmin:
      return "admin";
    case RevokeReason::kBackchannel:
      return "backchannel";
    case RevokeReason::kLogout:
      return "logout";
    case RevokeReason::kMaxSessions:
      return "max_sessions";
    case RevokeReason::kReplaced:
      return "replaced";
    case RevokeReason::kRefreshFailed:
      return "refresh_failed";
  }
  return "";
}

std::optional<SessionState> parseState(std::string_view s) {
  for (auto v : {SessionState::kActive, SessionState::kRevoked, SessionState::kExpired}) {
    if (stateName(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<RevokeReason> parseReason(std::string_view s) {
  for (auto v : {RevokeReason::kNone, RevokeReason::kUser, RevokeReason::kAdmin,
                 RevokeReason::kBackchannel, RevokeReason::kLogout, RevokeReason::kMaxSessions,
                 RevokeReason::kReplaced, RevokeReason::kRefreshFailed}) {
    if (reasonName(v) == s) return v;
  }
  return std::nullopt;
}

namespace detail {
namespace {

constexpr int64_t kRecordFormat = 1;

// Strict field readers: a record with a missing or mistyped field is corrupt.
bool readString(const json::object& o, std::string_view k, std::string& out) {
  auto* v = o.if_contains(k);
  if (!v || !v->is_string()) return false;
  out = std::string(v->as_string());
  return true;
}
bool readInt(const json::object& o, std::string_view k, int64_t& out) {
  auto* v = o.if_contains(k);
  if (!v || !v->is_int64()) return false;
  out = v->as_int64();
  return true;
}

Result<json::object> parseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Errc::kCorruptRecord;
  return std::move(v.as_object());
}

}  // namespace

std::string encodeTokens(const core::TokenSet& t, std::string_view idTokenClaims) {
  json::object o;
  o["at"] = t.accessToken.reveal();
  o["ate"] = t.accessTokenExpiresAt;
  o["rt"] = t.refreshToken.reveal();
  o["it"] = t.idToken.reveal();
  o["claims"] = idTokenClaims;
  return json::serialize(o);
}

Result<TokenPlaintext> decodeTokens(std::string_view text) {
  auto o = parseObject(text);
  if (!o) return o.error();
  TokenPlaintext p;
  std::string at, rt, it;
  if (!readString(*o, "at", at) || !readInt(*o, "ate", p.tokens.accessTokenExpiresAt) ||
      !readString(*o, "rt", rt) || !readString(*o, "it", it) ||
      !readString(*o, "claims", p.idTokenClaims)) {
    return Errc::kCorruptRecord;
  }
  p.tokens.accessToken = core::Secret(std::move(at));
  p.tokens.refreshToken = core::Secret(std::move(rt));
  p.tokens.idToken = core::Secret(std::move(it));
  return p;
}

StoreRecord encodeRecord(const Session& s, const std::string& tokenCiphertext) {
  json::object o;
  o["f"] = kRecordFormat;
  o["email"] = s.email;
  o["name"] = s.name;
  o["pu"] = s.preferredUsername;
  o["created"] = s.createdAt;
  o["seen"] = s.lastSeenAt;
  o["idle_exp"] = s.idleExpiresAt;
  o["abs_exp"] = s.absoluteExpiresAt;
  o["auth_time"] = s.authTime;
  o["ip"] = s.clientIp;
  o["ua"] = s.userAgent;
  o["refreshes"] = static_cast<int64_t>(s.refreshCount);
  o["state"] = stateName(s.state);
  o["reason"] = reasonName(s.revokeReason);
  o["ended"] = s.endedAt;
  o["tok"] = tokenCiphertext;
  StoreRecord r;
  r.key = s.key;
  r.publicId = s.publicId;
  r.subject = s.subject;
  r.sid = s.providerSid;
  r.createdAt = s.createdAt;
  r.data = json::serialize(o);
  return r;
}

Result<Session> decodeRecord(const StoreRecord& r, std::string* tokenCiphertext) {
  auto o = parseObject(r.data);
  if (!o) return o.error();
  Session s;
  s.key = r.key;
  s.publicId = r.publicId;
  s.subject = r.subject;
  s.providerSid = r.sid;
  s.version = r.version;
  int64_t format = 0, refreshes = 0;
  std::string state, reason, tok;
  bool ok = readInt(*o, "f", format) && format == kRecordFormat &&
            readString(*o, "email", s.email) && readString(*o, "name", s.name) &&
            readString(*o, "pu", s.preferredUsername) && readInt(*o, "created", s.createdAt) &&
            readInt(*o, "seen", s.lastSeenAt) && readInt(*o, "idle_exp", s.idleExpiresAt) &&
            readInt(*o, "abs_exp", s.absoluteExpiresAt) && readInt(*o, "auth_time", s.authTime) &&
            readString(*o, "ip", s.clientIp) && readString(*o, "ua", s.userAgent) &&
            readInt(*o, "refreshes", refreshes) && readString(*o, "state", state) &&
            readString(*o, "reason", reason) && readInt(*o, "ended", s.endedAt) &&
            readString(*o, "tok", tok);
  if (!ok || refreshes < 0) return Errc::kCorruptRecord;
  auto st = parseState(state);
  auto rs = parseReason(reason);
  if (!st || !rs) return Errc::kCorruptRecord;
  s.state = *st;
  s.revokeReason = *rs;
  s.refreshCount = static_cast<uint32_t>(refreshes);
  if (tokenCiphertext) *tokenCiphertext = std::move(tok);
  return s;
}

}  // namespace detail
}  // namespace authgate::session
