// The hot-path decoder must agree with core::base64urlDecode on every input: same
// accept/reject decision and same bytes.
#include "jose/strict_base64url.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "authgate/core/base64url.h"

namespace authgate::jose::detail {
namespace {

void expectSameAsCore(const std::string& in) {
  std::string fast;
  bool ok = strictBase64urlDecode(in, fast);
  auto ref = core::base64urlDecode(in);
  ASSERT_EQ(ok, static_cast<bool>(ref)) << "input: " << in;
  if (ok) {
    EXPECT_EQ(fast, *ref) << "input: " << in;
  }
}

TEST(StrictBase64url, AgreesWithCoreOnEveryLengthOfRandomBytes) {
  std::mt19937 rng(42);
  for (size_t n = 0; n < 200; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    expectSameAsCore(core::base64urlEncode(bytes));
  }
}

TEST(StrictBase64url, AgreesWithCoreOnRandomText) {
  std::mt19937 rng(7);
  const std::string chars = "ABCxyz019-_+/= \n.\x80";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 12, '\0');
    for (auto& c : s) c = chars[rng() % chars.size()];
    expectSameAsCore(s);
  }
}

TEST(StrictBase64url, RejectsPaddingWhitespaceAndNonCanonicalTails) {
  std::string out;
  EXPECT_TRUE(strictBase64urlDecode("QQ", out));
  EXPECT_EQ(out, "A");
  for (const char* bad : {"QQ==", "QR", "QUJ", "QUJ=", "Q Q", "QQ\n", "Q", "QUJD+A", "QUJD/w"}) {
    EXPECT_FALSE(strictBase64urlDecode(bad, out)) << bad;
  }
}

}  // namespace
}  // namespace authgate::jose::detail
