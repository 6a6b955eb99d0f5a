// Request ids and the access-log line: one of each per answered request, whatever
// answered it (a route, the engine's own limit errors, a forwarded exchange).
#pragma once

#include <string>
#include <string_view>

namespace authgate::net {

// A fresh request id (X-Request-Id, access log): 16 hex chars from a per-thread
// splitmix64 seeded from the CSPRNG. Ids identify requests in logs; they are not
// secrets.
void newRequestId(char (&out)[16]);

// One access-log line, JSON: {"type":"access","id","method","path","status",
// "duration_ms"[,"route"]}, written into `out` (reused, so a keep-alive connection does
// not allocate per request). Strings are escaped so the line is valid JSON whatever
// the client sent; `path` must already be without its query (it may carry codes).
void formatAccessLog(std::string& out, std::string_view id, std::string_view method,
                     std::string_view path, unsigned status, double seconds,
                     std::string_view route = {});

}  // namespace authgate::net
