// The shared change counter of the SQLite store (session/sqlite/change_counter.h): two
// objects on one file see each other's bumps and not their own, even while one of
// them bumps from another thread.
#include "session/sqlite/change_counter.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "test_support.h"

namespace authgate::session::detail {
namespace {

TEST(ChangeCounter, EachSeesTheOthersBumpsNotItsOwn) {
  testing::TempDir dir;
  auto a = ChangeCounter::open(dir.file("s.db.changes"), dir.file("s.db"));
  auto b = ChangeCounter::open(dir.file("s.db.changes"), dir.file("s.db"));
  ASSERT_TRUE(a && b);
  const uint64_t a0 = a->foreign(), b0 = b->foreign();
  a->bump();
  a->bump();
  b->bump();
  EXPECT_EQ(a->foreign(), a0 + 1);
  EXPECT_EQ(b->foreign(), b0 + 2);
  // A third object opened later counts everything bumped so far as foreign.
  auto c = ChangeCounter::open(dir.file("s.db.changes"), dir.file("s.db"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->foreign(), a0 + b0 + 3);
}

TEST(ChangeCounter, OwnBumpsFromAnotherThreadNeverShow) {
  testing::TempDir dir;
  auto a = ChangeCounter::open(dir.file("s.db.changes"), dir.file("s.db"));
  auto b = ChangeCounter::open(dir.file("s.db.changes"), dir.file("s.db"));
  ASSERT_TRUE(a && b);
  const uint64_t start = a->foreign();
  std::atomic<bool> done{false};
  std::atomic<int> moved{0};
  std::thread reader([&] {
    while (!done) {
      if (a->foreign() != start) ++moved;
    }
  });
  for (int i = 0; i < 200000; ++i) a->bump();
  done = true;
  reader.join();
  EXPECT_EQ(moved.load(), 0) << "a half-done bump of a's own was seen as another's";
  EXPECT_EQ(b->foreign(), 200000U);
}

TEST(ChangeCounter, ANewFileTakesTheDatabasesPermissions) {
  testing::TempDir dir;
  std::ofstream(dir.file("s.db")) << "x";
  ::chmod(dir.file("s.db").c_str(), 0640);
  const mode_t old = ::umask(077);  // a umask that would narrow it
  auto c = ChangeCounter::open(dir.file("s.db.changes"), dir.file("s.db"));
  ::umask(old);
  ASSERT_TRUE(c);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("s.db.changes").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640U);
}

TEST(ChangeCounter, UnusablePathsGiveNone) {
  testing::TempDir dir;
  EXPECT_EQ(ChangeCounter::open(dir.path().string(), dir.file("s.db")), nullptr) << "a directory";
  EXPECT_EQ(ChangeCounter::open(dir.file("missing/s.db.changes"), dir.file("s.db")), nullptr);
}

}  // namespace
}  // namespace authgate::session::detail
