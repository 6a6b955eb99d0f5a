#include "net/framing.h"

#include "authgate/core/codec.h"

namespace authgate::net {

namespace {

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A line break followed by a space or tab inside the header block. The block ends with
// the empty line, so a fold can only be a line that starts with whitespace.
bool hasObsFold(std::string_view raw) {
  for (std::size_t i = raw.find('\n'); i != std::string_view::npos; i = raw.find('\n', i + 1)) {
    if (i + 1 < raw.size() && (raw[i + 1] == ' ' || raw[i + 1] == '\t')) return true;
  }
  return false;
}

}  // namespace

FramingError checkRequestFraming(const http::request_header<>& h, std::string_view rawHeader) {
  if (hasObsFold(rawHeader)) return FramingError::kObsFold;
  const auto te = h.equal_range(http::field::transfer_encoding);
  const auto cl = h.equal_range(http::field::content_length);
  const auto teCount = std::distance(te.first, te.second);
  const auto clCount = std::distance(cl.first, cl.second);
  if (teCount > 0 && clCount > 0) return FramingError::kBothLengths;
  if (teCount > 0) {
    // Only "chunked" is a coding authgate decodes; anything else (gzip, "chunked,
    // identity", a second line) would leave the body's end to guesswork.
    if (teCount != 1 || !core::asciiIEquals(core::trimOws(te.first->value()), "chunked")) {
      return FramingError::kTransferEncoding;
    }
    if (h.version() < 11) return FramingError::kHttp10Chunked;
  }
  if (clCount > 0 && (clCount != 1 || !allDigits(core::trimOws(cl.first->value())))) {
    return FramingError::kContentLength;
  }
  return FramingError::kNone;
}

std::string_view framingErrorName(FramingError e) {
  switch (e) {
    case FramingError::kNone:
      return "ok";
    case FramingError::kObsFold:
      return "obs_fold";
    case FramingError::kTransferEncoding:
      return "bad_transfer_encoding";
    case FramingError::kContentLength:
      return "bad_content_length";
    case FramingError::kBothLengths:
      return "transfer_encoding_with_content_length";
    case FramingError::kHttp10Chunked:
      return "chunked_http10";
  }
  return "bad_framing";
}

}  // namespace authgate::net
