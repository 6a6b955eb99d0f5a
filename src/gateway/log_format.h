// One log format per process (server.log_format): every line of every logger (the
// application log, the access log, audit events) is a JSON object, or every line is
// text with the same prefix. Access and audit payloads are already JSON objects; in
// json mode their members are merged into the line, in text mode they follow the prefix.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace authgate::gateway {

enum class LogFormat { kJson, kText };

// "json", "text", or "auto": json unless stderr is a terminal (containers, systemd and
// CI get JSON; a person at a shell gets text).
LogFormat resolveLogFormat(std::string_view setting, bool stderrIsTerminal);

// {"ts":"2026-12-02T19:35:46.123Z","level":"info","logger":"authgate","msg":"..."}; a
// message that is itself a JSON object ({"type":"access",...}) is merged:
// {"ts":...,"level":...,"logger":"access","type":"access",...}.
std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format);

// Applies the format to every logger registered now and to those made later.
void applyLogFormat(LogFormat format);

}  // namespace authgate::gateway
