#include "session/sqlite/change_counter.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace authgate::session::detail {
namespace {

// A page: the whole file, so the mapping never reaches past its end.
constexpr size_t kFileBytes = 4096;

static_assert(std::atomic_ref<uint64_t>::is_always_lock_free,
              "a counter shared between processes must be lock-free");

}  // namespace

std::unique_ptr<ChangeCounter> ChangeCounter::open(const std::string& path,
                                                   const std::string& databasePath) {
  struct stat db {};
  const bool like = ::stat(databasePath.c_str(), &db) == 0;
  const mode_t mode = like ? (db.st_mode & 0666) | 0600 : 0600;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0) {
      // The umask may have narrowed the mode; the owner only matters under root.
      bool ok = ::fchmod(fd, mode) == 0;
      if (ok && like && ::geteuid() == 0) ok = ::fchown(fd, db.st_uid, db.st_gid) == 0;
      if (!ok) {
        ::close(fd);
        ::unlink(path.c_str());
        return nullptr;
      }
    } else if (errno == EEXIST) {
      fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);  // another process won
    }
  }
  if (fd < 0) return nullptr;
  struct stat st {};
  void* map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (st.st_size >= static_cast<off_t>(kFileBytes) ||
       ::ftruncate(fd, static_cast<off_t>(kFileBytes)) == 0)) {
    map = ::mmap(nullptr, kFileBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) return nullptr;
  return std::unique_ptr<ChangeCounter>(new ChangeCounter(map));
}

ChangeCounter::~ChangeCounter() { ::munmap(map_, kFileBytes); }

void ChangeCounter::bump() {
  local_.fetch_add(1);  // odd: in the middle
  std::atomic_ref<uint64_t>(shared()).fetch_add(1);
  own_.fetch_add(1);
  local_.fetch_add(1);  // even: both done
}

uint64_t ChangeCounter::foreign() const {
  for (;;) {
    const uint64_t before = local_.load();
    if (before % 2 == 0) {
      const uint64_t own = own_.load();
      const uint64_t all = std::atomic_ref<uint64_t>(shared()).load();
      if (local_.load() == before) return all - own;
    }
    std::this_thread::yield();  // a bump() of this object is half done
  }
}

}  // namespace authgate::session::detail
