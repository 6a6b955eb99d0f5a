// In-process fan-out of revocation events, for backends without a cross-process
// channel (memory, SQLite). Internal to the session module.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "authgate/session/session_store.h"

namespace authgate::session::detail {

class LocalRevocationHub {
 public:
  using Callback = std::function<void(const std::string&)>;

  void publish(const std::string& key) {
    std::map<uint64_t, Callback> copy;
    {
      std::lock_guard lock(state_->mu);
      copy = state_->subscribers;
    }
    for (auto& [id, cb] : copy) cb(key);
  }

  std::unique_ptr<Subscription> subscribe(Callback cb) {
    std::lock_guard lock(state_->mu);
    uint64_t id = state_->next++;
    state_->subscribers.emplace(id, std::move(cb));
    return std::make_unique<Handle>(state_, id);
  }

 private:
  struct State {
    std::mutex mu;
    uint64_t next = 1;
    std::map<uint64_t, Callback> subscribers;
  };
  class Handle final : public Subscription {
   public:
    Handle(std::shared_ptr<State> s, uint64_t id) : state_(std::move(s)), id_(id) {}
    ~Handle() override {
      std::lock_guard lock(state_->mu);
      state_->subscribers.erase(id_);
    }

   private:
    std::shared_ptr<State> state_;
    uint64_t id_;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace authgate::session::detail
