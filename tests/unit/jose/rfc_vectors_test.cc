// Published JWS examples: RFC 7515 appendix A and RFC 7520 section 4. Their payloads
// are not JWT claims, so only the signature is checked (verifyJwsSignature). Each
// vector is also checked to fail once tampered, so a verifier that accepts anything
// cannot pass.
#include <gtest/gtest.h>

#include <string>

#include "authgate/core/base64url.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/jwt.h"

namespace authgate::jose {
namespace {

const std::string kRfc7515Payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

// RFC 7515 A.1: HS256, key from the appendix's JWK "k".
const char* kA1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const char* kA1Key =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

// RFC 7515 A.2: RS256.
const char* kA2Token =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L"
    "07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUi"
    "pUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const char* kA2Jwk =
    R"({"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-)"
    R"(Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg)"
    R"(0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh)"
    R"(9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})";

// RFC 7515 A.3: ES256.
const char* kA3Token =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const char* kA3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

// RFC 7515 A.4: ES512 over the payload "Payload".
const char* kA4Token =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"
    ".AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8G"
    "aSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
const char* kA4Jwk =
    R"({"kty":"EC","crv":"P-521",)"
    R"("x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",)"
    R"("y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"})";

// RFC 7520 s4: the shared payload (U+2019 in "It's" and "there's").
const std::string kRfc7520Payload =
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You step onto the road, and "
    "if you don't keep your feet, there\xe2\x80\x99s no knowing where you might be swept off to.";
const std::string kRfc7520EncodedPayload =
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250by"
    "B0"
    "aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW"
    "91"
    "IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4";

// RFC 7520 s3.4 figure 3 (public part) and s3.1 figure 1.
const char* kBilboRsaJwks =
    R"({"keys":[{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig",)"
    R"("n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_)"
    R"(AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-)"
    R"(OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKw)"
    R"(uCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB"}]})";
const char* kBilboEcJwks =
    R"({"keys":[{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521",)"
    R"("x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",)"
    R"("y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"}]})";

const std::string k7520_41 =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9." +
    kRfc7520EncodedPayload +
    ".MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xugl"
    "II7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w"
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-"
    "ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
const std::string k7520_42 =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9." +
    kRfc7520EncodedPayload +
    ".cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TT"
    "B5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX"
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64Q"
    "QSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
const std::string k7520_43 =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9." +
    kRfc7520EncodedPayload +
    ".AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3"
    "mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";
const std::string k7520_44 =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9." +
    kRfc7520EncodedPayload + ".s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";
const char* k7520HmacKey = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg";

KeyStore storeOfJwk(const char* jwk) {
  auto k = parseJwk(jwk);
  EXPECT_TRUE(k) << k.error().message();
  return KeyStore({*k});
}

KeyStore storeOfJwks(const char* jwks) {
  auto s = parseJwks(jwks);
  EXPECT_TRUE(s) << s.error().message();
  return s ? *s : KeyStore{};
}

core::Secret secretFromB64(const char* k) { return core::Secret(*core::base64urlDecode(k)); }

// Changes one character of the signature segment (still valid base64url).
std::string tamperSignature(std::string token) {
  size_t i = token.rfind('.') + 1;
  token[i] = token[i] == 'A' ? 'B' : 'A';
  return token;
}

struct Vector {
  const char* name;
  std::string token;
  Alg alg;
  std::string expectedPayload;
};

class RfcVectors : public ::testing::Test {
 protected:
  Result<std::string> verify(const Vector& v) {
    const std::string name = v.name;
    if (name == "RFC7515_A1_HS256")
      return verifyJwsSignature(v.token, {}, {v.alg}, secretFromB64(kA1Key));
    if (name == "RFC7520_4_4_HS256")
      return verifyJwsSignature(v.token, {}, {v.alg}, secretFromB64(k7520HmacKey));
    if (name == "RFC7515_A2_RS256") return verifyJwsSignature(v.token, storeOfJwk(kA2Jwk), {v.alg});
    if (name == "RFC7515_A3_ES256") return verifyJwsSignature(v.token, storeOfJwk(kA3Jwk), {v.alg});
    if (name == "RFC7515_A4_ES512") return verifyJwsSignature(v.token, storeOfJwk(kA4Jwk), {v.alg});
    if (name == "RFC7520_4_3_ES512")
      return verifyJwsSignature(v.token, storeOfJwks(kBilboEcJwks), {v.alg});
    return verifyJwsSignature(v.token, storeOfJwks(kBilboRsaJwks), {v.alg});
  }
};

std::vector<Vector> vectors() {
  return {
      {"RFC7515_A1_HS256", kA1Token, Alg::kHS256, kRfc7515Payload},
      {"RFC7515_A2_RS256", kA2Token, Alg::kRS256, kRfc7515Payload},
      {"RFC7515_A3_ES256", kA3Token, Alg::kES256, kRfc7515Payload},
      {"RFC7515_A4_ES512", kA4Token, Alg::kES512, "Payload"},
      {"RFC7520_4_1_RS256", k7520_41, Alg::kRS256, kRfc7520Payload},
      {"RFC7520_4_2_PS384", k7520_42, Alg::kPS384, kRfc7520Payload},
      {"RFC7520_4_3_ES512", k7520_43, Alg::kES512, kRfc7520Payload},
      {"RFC7520_4_4_HS256", k7520_44, Alg::kHS256, kRfc7520Payload},
  };
}

TEST_F(RfcVectors, EachPublishedSignatureVerifies) {
  for (const auto& v : vectors()) {
    auto r = verify(v);
    ASSERT_TRUE(r) << v.name << ": " << r.error().message();
    EXPECT_EQ(*r, v.expectedPayload) << v.name;
  }
}

TEST_F(RfcVectors, EachTamperedSignatureFails) {
  for (auto v : vectors()) {
    v.token = tamperSignature(v.token);
    auto r = verify(v);
    ASSERT_FALSE(r) << v.name;
    EXPECT_EQ(r.error(), Errc::kBadSignature) << v.name << ": " << r.error().message();
  }
}

TEST_F(RfcVectors, EachVectorRefusedWhenItsAlgIsNotAllowed) {
  for (const auto& v : vectors()) {
    auto r = verifyJwsSignature(v.token, storeOfJwk(kA2Jwk), {Alg::kEdDSA});
    ASSERT_FALSE(r) << v.name;
    EXPECT_EQ(r.error(), Errc::kAlgNotAllowed) << v.name;
  }
}

TEST_F(RfcVectors, Rfc7515A5UnsecuredJwsIsRefused) {
  // RFC 7515 A.5: {"alg":"none"} with an empty signature.
  const char* a5 =
      "eyJhbGciOiJub25lIn0"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnV"
      "lfQ.";
  auto r = verifyJwsSignature(a5, storeOfJwk(kA2Jwk), {Alg::kRS256});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kAlgNone);
}

TEST_F(RfcVectors, Rfc7520RsaKeyUsedForPssCannotVerifyPkcs1Signature) {
  // Same key, same payload: the PS384 signature under an RS384 header must fail.
  std::string t = k7520_42;
  t.replace(0, t.find('.'),
            core::base64urlEncode(R"({"alg":"RS384","kid":"bilbo.baggins@hobbiton.example"})"));
  auto r = verifyJwsSignature(t, storeOfJwks(kBilboRsaJwks), {Alg::kRS384});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kBadSignature);
}

}  // namespace
}  // namespace authgate::jose
