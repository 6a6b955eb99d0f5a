#include "authgate/session/token_cipher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "authgate/core/base64url.h"
#include "test_support.h"

namespace authgate::session {
namespace {

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }

core::Random& rng() { return core::OpenSslRandom::instance(); }

TEST(TokenCipher, RoundTripsWithTheBinding) {
  auto c = TokenCipher::fromKeys({generateKey(rng())});
  ASSERT_TRUE(c);
  std::string ct = c->encrypt("secret-token", "record-a", rng());
  EXPECT_EQ(ct.find("secret-token"), std::string::npos);
  EXPECT_EQ(ct.substr(0, 3), "g1.");
  EXPECT_EQ(*c->decrypt(ct, "record-a"), "secret-token");
}

TEST(TokenCipher, SameInputEncryptsDifferentlyEachTime) {
  auto c = TokenCipher::fromKeys({generateKey(rng())});
  EXPECT_NE(c->encrypt("x", "b", rng()), c->encrypt("x", "b", rng()));
}

TEST(TokenCipher, RejectsCiphertextMovedToAnotherRecord) {
  auto c = TokenCipher::fromKeys({generateKey(rng())});
  std::string ct = c->encrypt("secret-token", "record-a", rng());
  auto r = c->decrypt(ct, "record-b");
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kDecryptFailed));
}

TEST(TokenCipher, RejectsEveryTamperedCharacter) {
  auto c = TokenCipher::fromKeys({generateKey(rng())});
  std::string ct = c->encrypt("secret-token", "rec", rng());
  for (size_t i = 0; i < ct.size(); ++i) {
    std::string t = ct;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(c->decrypt(t, "rec")) << "position " << i;
  }
  EXPECT_FALSE(c->decrypt(ct.substr(0, ct.size() - 4), "rec"));
  EXPECT_FALSE(c->decrypt("", "rec"));
  EXPECT_FALSE(c->decrypt("g1.00000000.", "rec"));
}

TEST(TokenCipher, NewestKeyEncryptsEveryKeyDecrypts) {
  core::Secret oldKey = generateKey(rng());
  core::Secret newKey = generateKey(rng());
  auto before = TokenCipher::fromKeys({oldKey});
  auto after = TokenCipher::fromKeys({newKey, oldKey});
  ASSERT_TRUE(before && after);
  std::string oldCt = before->encrypt("t", "rec", rng());
  EXPECT_EQ(*after->decrypt(oldCt, "rec"), "t");
  std::string newCt = after->encrypt("t", "rec", rng());
  EXPECT_EQ(newCt.substr(3, 8), after->currentKeyId());
  EXPECT_NE(after->currentKeyId(), before->currentKeyId());
  EXPECT_FALSE(before->decrypt(newCt, "rec")) << "a removed key no longer decrypts";
}

TEST(TokenCipher, RejectsBadKeys) {
  EXPECT_TRUE(isErr(TokenCipher::fromKeys({}).error(), Errc::kNoKey));
  for (std::string bad : {std::string("short"), core::base64urlEncode(std::string(31, 'k')),
                          core::base64urlEncode(std::string(33, 'k')), std::string(43, '*')}) {
    EXPECT_TRUE(isErr(TokenCipher::fromKeys({core::Secret(bad)}).error(), Errc::kBadKey)) << bad;
  }
}

TEST(KeyFile, CreatesOneKeyWithMode0600ThenReadsIt) {
  testing::TempDir dir;
  std::string path = defaultKeyFilePath(dir.file("authgate.db"));
  EXPECT_EQ(path, dir.file("authgate.db.key"));
  auto first = readOrCreateKeyFile(path, rng());
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->created);
  ASSERT_EQ(first->keys.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = readOrCreateKeyFile(path, rng());
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->keys, first->keys);
  EXPECT_TRUE(TokenCipher::fromKeys(second->keys));
}

TEST(KeyFile, ReadsKeysNewestFirstSkippingCommentsAndBlanks) {
  testing::TempDir dir;
  core::Secret a = generateKey(rng()), b = generateKey(rng());
  std::ofstream(dir.file("k")) << "# rotated 2026-01\n\n"
                               << a.reveal() << "\r\n  " << b.reveal() << "  \n";
  auto keys = readKeyFile(dir.file("k"));
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::vector<core::Secret>{a, b}));
}

TEST(KeyFile, RejectsBadOrEmptyFiles) {
  testing::TempDir dir;
  std::ofstream(dir.file("bad")) << "not-a-key\n";
  std::ofstream(dir.file("empty")) << "# nothing\n";
  EXPECT_TRUE(isErr(readKeyFile(dir.file("bad")).error(), Errc::kBadKey));
  EXPECT_TRUE(isErr(readKeyFile(dir.file("empty")).error(), Errc::kNoKey));
  EXPECT_TRUE(isErr(readKeyFile(dir.file("missing")).error(), Errc::kKeyFileError));
  EXPECT_TRUE(
      isErr(readOrCreateKeyFile(dir.file("no/such/dir/k"), rng()).error(), Errc::kKeyFileError));
}

TEST(KeyFile, GenerateWritesOneKeyMode0600AndNeverOverwrites) {
  testing::TempDir dir;
  const auto path = dir.file("session.key");
  auto key = createKeyFile(path, rng());
  ASSERT_TRUE(key);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*readKeyFile(path), std::vector<core::Secret>{*key});
  EXPECT_TRUE(isErr(createKeyFile(path, rng()).error(), Errc::kKeyFileExists));
  EXPECT_EQ(*readKeyFile(path), std::vector<core::Secret>{*key}) << "unchanged";
}

TEST(KeyFile, RotatePutsANewKeyFirstAndKeepsTheOldForReading) {
  testing::TempDir dir;
  const auto path = dir.file("session.key");
  auto first = createKeyFile(path, rng());
  ASSERT_TRUE(first);
  auto before = TokenCipher::fromKeys({*first});
  const auto sealed = before->encrypt("refresh-token", "sid", rng());
  ASSERT_EQ(*rotateKeyFile(path, rng()), 2u);
  ASSERT_EQ(*rotateKeyFile(path, rng()), 3u);
  auto keys = readKeyFile(path);
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[2], *first) << "oldest last";
  EXPECT_NE((*keys)[0], (*keys)[1]);
  auto after = TokenCipher::fromKeys(*keys);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after->decrypt(sealed, "sid"), "refresh-token") << "old ciphertext still reads";
  EXPECT_NE(after->currentKeyId(), before->currentKeyId()) << "new ciphertext uses the new key";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1)
      << "no temporary file left";
}

TEST(KeyFile, RotateRefusesAMissingOrBadFile) {
  testing::TempDir dir;
  EXPECT_TRUE(isErr(rotateKeyFile(dir.file("missing"), rng()).error(), Errc::kKeyFileError));
  std::ofstream(dir.file("bad")) << "not-a-key\n";
  EXPECT_TRUE(isErr(rotateKeyFile(dir.file("bad"), rng()).error(), Errc::kBadKey));
}

}  // namespace
}  // namespace authgate::session
