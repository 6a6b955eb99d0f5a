#include "authgate/session/memory_store.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>

#include "session/local_revocation_hub.h"

namespace authgate::session {
namespace {

class MemoryStore final : public SessionStore {
 public:
  MemoryStore(const core::Clock& clock, size_t auditCap) : clock_(clock), auditCap_(auditCap) {}

  std::string_view backend() const override { return "memory"; }
  Result<void> ping() override { return {}; }

  Result<StoreRecord> get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = records_.find(std::string(key));
    if (it == records_.end() || expired(it->second)) return Errc::kNotFound;
    return it->second;
  }

  Result<StoreRecord> getByPublicId(std::string_view publicId) override {
    std::lock_guard lock(mu_);
    auto p = byPublicId_.find(std::string(publicId));
    if (p == byPublicId_.end()) return Errc::kNotFound;
    auto it = records_.find(p->second);
    if (it == records_.end() || expired(it->second)) return Errc::kNotFound;
    return it->second;
  }

  Result<uint64_t> put(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) override {
    std::lock_guard lock(mu_);
    auto it = records_.find(rec.key);
    uint64_t current = it == records_.end() ? 0 : it->second.version;
    if (expectedVersion != kAnyVersion && expectedVersion != current) return Errc::kConflict;
    if (auto p = byPublicId_.find(rec.publicId); p != byPublicId_.end() && p->second != rec.key) {
      return Errc::kConflict;
    }
    if (it != records_.end()) byPublicId_.erase(it->second.publicId);
    byPublicId_[rec.publicId] = rec.key;
    StoreRecord copy = rec;
    copy.version = current + 1;
    copy.expiresAtMs = nowMs() + ttl.count();
    records_[rec.key] = std::move(copy);
    return current + 1;
  }

  Result<void> erase(std::string_view key) override {
    std::lock_guard lock(mu_);
    if (auto it = records_.find(std::string(key)); it != records_.end()) {
      byPublicId_.erase(it->second.publicId);
      records_.erase(it);
    }
    return {};
  }

  Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) override {
    return filter([&](const StoreRecord& r) { return r.subject == subject; });
  }
  Result<std::vector<StoreRecord>> listBySid(std::string_view sid) override {
    if (sid.empty()) return std::vector<StoreRecord>{};
    return filter([&](const StoreRecord& r) { return r.sid == sid; });
  }

  Result<RecordPage> listAll(std::string_view cursor, size_t limit) override {
    std::lock_guard lock(mu_);
    RecordPage page;
    auto it = cursor.empty() ? records_.begin() : records_.upper_bound(std::string(cursor));
    for (; it != records_.end() && page.records.size() < limit; ++it) {
      if (!expired(it->second)) page.records.push_back(it->second);
    }
    if (it != records_.end() && !page.records.empty()) page.nextCursor = page.records.back().key;
    return page;
  }

  Result<std::vector<StoreRecord>> purgeExpired(size_t limit) override {
    std::lock_guard lock(mu_);
    std::erase_if(values_,
                  [now = nowMs()](const auto& kv) { return kv.second.expiresAtMs <= now; });
    std::vector<StoreRecord> out;
    for (auto it = records_.begin(); it != records_.end() && out.size() < limit;) {
      if (expired(it->second)) {
        byPublicId_.erase(it->second.publicId);
        out.push_back(std::move(it->second));
        it = records_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) override {
    std::lock_guard lock(mu_);
    auto& l = locks_[std::string(name)];
    if (!l.owner.empty() && l.owner != owner && l.expiresAtMs > nowMs()) return false;
    l.owner = std::string(owner);
    l.expiresAtMs = nowMs() + ttl.count();
    return true;
  }

  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) override {
    std::lock_guard lock(mu_);
    auto it = locks_.find(std::string(name));
    if (it == locks_.end() || it->second.owner != owner || it->second.expiresAtMs <= nowMs()) {
      return false;
    }
    it->second.expiresAtMs = nowMs() + ttl.count();
    return true;
  }

  Result<void> unlock(std::string_view name, std::string_view owner) override {
    std::lock_guard lock(mu_);
    auto it = locks_.find(std::string(name));
    if (it != locks_.end() && it->second.owner == owner) locks_.erase(it);
    return {};
  }

  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = values_.try_emplace(std::string(key));
    if (onlyIfAbsent && !inserted && it->second.expiresAtMs > nowMs()) return false;
    it->second.value = std::string(value);
    it->second.expiresAtMs = nowMs() + ttl.count();
    return true;
  }

  Result<std::optional<std::string>> takeValue(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = values_.find(std::string(key));
    if (it == values_.end()) return std::optional<std::string>{};
    std::optional<std::string> out;
    if (it->second.expiresAtMs > nowMs()) out = std::move(it->second.value);
    values_.erase(it);
    return out;
  }

  Result<void> appendAudit(std::string_view line) override {
    std::lock_guard lock(mu_);
    audit_.emplace_front(line);
    while (audit_.size() > auditCap_) audit_.pop_back();
    return {};
  }

  Result<std::vector<std::string>> recentAudit(size_t limit) override {
    std::lock_guard lock(mu_);
    size_t n = std::min(limit, audit_.size());
    return std::vector<std::string>(audit_.begin(), audit_.begin() + static_cast<long>(n));
  }

  Result<void> publishRevoked(std::string_view key) override {
    hub_.publish(std::string(key));
    return {};
  }
  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) override {
    return hub_.subscribe(std::move(onRevoked));
  }

 private:
  struct Lock {
    std::string owner;
    int64_t expiresAtMs = 0;
  };
  struct Value {
    std::string value;
    int64_t expiresAtMs = 0;
  };

  int64_t nowMs() const { return clock_.unixMillis(); }
  bool expired(const StoreRecord& r) const { return r.expiresAtMs <= nowMs(); }

  template <class Pred>
  std::vector<StoreRecord> filter(Pred pred) {
    std::lock_guard lock(mu_);
    std::vector<StoreRecord> out;
    for (auto& [k, r] : records_) {
      if (pred(r) && !expired(r)) out.push_back(r);
    }
    std::stable_sort(out.begin(), out.end(), [](const StoreRecord& a, const StoreRecord& b) {
      return a.createdAt < b.createdAt;
    });
    return out;
  }

  const core::Clock& clock_;
  size_t auditCap_;
  std::mutex mu_;
  std::map<std::string, StoreRecord> records_;
  std::map<std::string, std::string> byPublicId_;  // public id -> key
  std::map<std::string, Lock> locks_;
  std::map<std::string, Value> values_;
  std::deque<std::string> audit_;
  detail::LocalRevocationHub hub_;
};

}  // namespace

std::unique_ptr<SessionStore> makeMemoryStore(const core::Clock& clock, size_t auditCap) {
  return std::make_unique<MemoryStore>(clock, auditCap);
}

}  // namespace authgate::session
