// Fuzzes application/x-www-form-urlencoded bodies and queries (core::formDecode, used by
// the callback, back-channel logout, the refresh and sessions endpoints) and the percent
// codec under it. Asserts: at most the pair limit; decode(encode(params)) gives the same
// params back; percentDecode(percentEncode(s)) == s; findParam finds the first pair.
#include <cstddef>
#include <cstdint>
#include <string>

#include "authgate/core/codec.h"
#include "fuzz_support.h"

using namespace authgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = fuzz::text(data, size);
  constexpr std::size_t kMaxPairs = 16;
  auto params = core::formDecode(input, kMaxPairs);
  if (params) {
    if (params->size() > kMaxPairs) fuzz::fail();
    auto round = core::formDecode(core::formEncode(*params), kMaxPairs);
    if (!round || *round != *params) fuzz::fail();
    if (!params->empty()) {
      auto first = core::findParam(*params, params->front().first);
      if (!first || *first != params->front().second) fuzz::fail();
    }
  }
  auto decoded = core::percentDecode(input);
  if (decoded) {
    // Decoding is the inverse of encoding, whatever bytes came out.
    auto back = core::percentDecode(core::percentEncode(*decoded));
    if (!back || *back != *decoded) fuzz::fail();
  }
  auto enc = core::percentDecode(core::percentEncode(input));
  if (!enc || *enc != input) fuzz::fail();
  return 0;
}
