#include "session/redis/redis_subscription.h"

#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace authgate::session::detail {

namespace {

class RedisSubscription final : public Subscription {
 public:
  RedisSubscription(ChannelSource source, std::function<void(const std::string&)> cb)
      : source_(std::move(source)), cb_(std::move(cb)) {
    thread_ = std::thread([this] { loop(); });
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, source_.firstSubscribeWait, [this] { return subscribed_; });
  }
  ~RedisSubscription() override {
    stop_ = true;
    thread_.join();
  }
  bool live() const override { return live_; }

 private:
  void loop() {
    while (!stop_) {
      const uint64_t generation = source_.generation();
      Context c = source_.connect();
      if (c) {
        Reply r = runArgv(c.get(), {"SUBSCRIBE", source_.channel});
        if (r && r->type == REDIS_REPLY_ARRAY) {
          // Events published while not subscribed are lost: caches start over.
          cb_("");
          live_ = true;
          {
            std::lock_guard lock(mu_);
            subscribed_ = true;
          }
          cv_.notify_all();
          listen(c.get(), generation);
          live_ = false;
          cb_("");
        }
      }
      // Back off before reconnecting, staying responsive to stop.
      for (int i = 0; i < 4 && !stop_; ++i) std::this_thread::sleep_for(Millis(50));
    }
  }

  void listen(redisContext* c, uint64_t generation) {
    while (!stop_) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return;
      if (raw == nullptr) {
        // Sentinel: the master changed; this connection may be on the old one.
        if (source_.generation() != generation) return;
        pollfd pfd{c->fd, POLLIN, 0};
        int n = ::poll(&pfd, 1, 100);
        if (n < 0) return;
        if (n == 0) continue;
        if (redisBufferRead(c) != REDIS_OK) return;
        continue;
      }
      Reply r(static_cast<redisReply*>(raw));
      // ["message", channel, payload] (Redis pub/sub protocol)
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && str(r->element[0]) == "message") {
        cb_(str(r->element[2]));
      }
    }
  }

  ChannelSource source_;
  std::function<void(const std::string&)> cb_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> live_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Subscription> subscribeRedisChannel(ChannelSource source,
                                                    std::function<void(const std::string&)> cb) {
  return std::make_unique<RedisSubscription>(std::move(source), std::move(cb));
}

}  // namespace authgate::session::detail
