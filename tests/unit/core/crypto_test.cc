#include "authgate/core/crypto.h"

#include <gtest/gtest.h>

#include "authgate/core/random.h"
#include "authgate/core/secret.h"

#include <sstream>

namespace authgate::core {
namespace {

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constantTimeEqual("abc", "abc"));
  EXPECT_TRUE(constantTimeEqual("", ""));
  EXPECT_FALSE(constantTimeEqual("abc", "abd"));
  EXPECT_FALSE(constantTimeEqual("abc", "abcd"));
  EXPECT_FALSE(constantTimeEqual("", "a"));
}

TEST(Sha256, MatchesKnownVector) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Random, TokensAreDistinctAndSized) {
  auto& r = OpenSslRandom::instance();
  auto a = r.token(32);
  auto b = r.token(32);
  EXPECT_EQ(a.size(), 43u);  // 256 bits in base64url
  EXPECT_NE(a, b);
}

TEST(Secret, NeverPrintsItsValue) {
  Secret s("hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_TRUE(s.matches("hunter2"));
  EXPECT_FALSE(s.matches("hunter3"));
}

}  // namespace
}  // namespace authgate::core
