// The default AuditSink: one JSON line per event at info level on a spdlog logger
// (target authgate_session_spdlog; the session library itself does not link spdlog).
#pragma once

#include <memory>
#include <string>

#include "authgate/session/audit.h"

namespace authgate::session {

// Uses the spdlog logger named `loggerName`, or the default logger when none has
// that name.
std::unique_ptr<AuditSink> makeSpdlogAuditSink(const std::string& loggerName = "audit");

}  // namespace authgate::session
