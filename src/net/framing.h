// Strict message framing for requests (RFC 9112 s6): the checks Beast's parser leaves
// lenient, applied to every request header before anything acts on it. A request that
// fails them gets 400 and its connection is closed: when two parties can disagree on
// where a body ends, the bytes after it cannot be trusted to frame the next request
// (request smuggling; RFC 9112 s11.2).
#pragma once

#include <string_view>

#include "net/http.h"

namespace authgate::net {

enum class FramingError {
  kNone,
  kObsFold,           // a field line continued on the next line (RFC 9112 s5.2)
  kTransferEncoding,  // not exactly one Transfer-Encoding: chunked (s6.1, s6.3 item 4)
  kContentLength,     // not exactly one Content-Length of digits (s6.3 item 5)
  kBothLengths,       // Transfer-Encoding and Content-Length together (s6.1, s6.3 item 3)
  kHttp10Chunked,     // Transfer-Encoding on an HTTP/1.0 request (s6.1)
};

// `rawHeader`: the header block as received (start line through the empty line), for
// the obs-fold check, which cannot be made on the parsed fields (Beast unfolds them).
FramingError checkRequestFraming(const http::request_header<>& h, std::string_view rawHeader);

// A stable name for logs and the 400 page ("obs_fold", "bad_transfer_encoding", ...).
std::string_view framingErrorName(FramingError e);

}  // namespace authgate::net
