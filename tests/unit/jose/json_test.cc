#include "authgate/jose/json.h"

#include <gtest/gtest.h>

#include <string>

#include "authgate/jose/errc.h"

namespace authgate::jose {
namespace {

struct JsonCase {
  const char* name;
  std::string text;
  Errc expected;  // kOk: accepted
};

class StrictJsonTable : public ::testing::TestWithParam<JsonCase> {};

TEST_P(StrictJsonTable, ParsesOrRejects) {
  const auto& c = GetParam();
  auto r = parseStrictJson(c.text);
  if (c.expected == Errc::kOk) {
    EXPECT_TRUE(r) << c.name << ": " << r.error().message();
  } else {
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error(), make_error_code(c.expected)) << c.name << ": " << r.error().message();
  }
}

std::string manyKeys(int n, bool duplicateLast) {
  std::string s = "{";
  for (int i = 0; i < n; ++i) {
    if (i) s += ",";
    int k = duplicateLast && i == n - 1 ? 0 : i;
    s += "\"k" + std::to_string(k) + "\":" + std::to_string(i);
  }
  return s + "}";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StrictJsonTable,
    ::testing::Values(
        JsonCase{"plain object", R"({"a":1,"b":[1,2],"c":{"d":null}})", Errc::kOk},
        JsonCase{"duplicate top-level member", R"({"a":1,"a":2})", Errc::kDuplicateJsonMember},
        JsonCase{"duplicate nested member", R"({"a":{"x":1,"x":1}})", Errc::kDuplicateJsonMember},
        JsonCase{"duplicate inside array element", R"({"a":[{"y":1},{"y":2,"y":3}]})",
                 Errc::kDuplicateJsonMember},
        JsonCase{"duplicate via escape", R"({"alg":"RS256","\u0061lg":"none"})",
                 Errc::kDuplicateJsonMember},
        JsonCase{"same key in sibling objects is fine", R"({"a":{"x":1},"b":{"x":2}})", Errc::kOk},
        JsonCase{"large object without duplicates", manyKeys(40, false), Errc::kOk},
        JsonCase{"large object with a duplicate", manyKeys(40, true), Errc::kDuplicateJsonMember},
        JsonCase{"comment", R"({"a":1 /* c */})", Errc::kBadJson},
        JsonCase{"trailing comma", R"({"a":1,})", Errc::kBadJson},
        JsonCase{"trailing garbage", R"({"a":1} x)", Errc::kBadJson},
        JsonCase{"invalid utf-8", std::string("{\"a\":\"\xff\"}"), Errc::kBadJson},
        JsonCase{"too deep", std::string(40, '[') + std::string(40, ']'), Errc::kBadJson},
        JsonCase{"empty", "", Errc::kBadJson}),
    [](const ::testing::TestParamInfo<JsonCase>& p) {
      std::string n = p.param.name;
      for (char& ch : n) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

TEST(StrictJson, DuplicateRejectedWhereBoostAloneKeepsTheLast) {
  // The reason this parser exists: boost::json::parse turns this into {"a":2}.
  auto r = parseStrictJsonObject(R"({"a":1,"a":2})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kDuplicateJsonMember);
}

TEST(StrictJson, ObjectRequiredForObjectParse) {
  auto r = parseStrictJsonObject("[1]");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kNotJsonObject);
}

TEST(StrictJson, SizeLimitApplies) {
  EXPECT_FALSE(parseStrictJson(R"({"a":"0123456789"})", JsonLimits{10, 8}));
  EXPECT_TRUE(parseStrictJson(R"({"a":"0123456789"})", JsonLimits{100, 8}));
}

}  // namespace
}  // namespace authgate::jose
