// Liveness and readiness endpoints: GET /healthz and GET /readyz.
//
// /healthz answers 200 "ok" while the process serves. /readyz runs the named readiness
// checks that modules register (e.g. "store": the session store answers, "provider":
// discovery metadata is loaded) and answers 200 when all pass, else 503 with JSON naming
// the first failing check.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "authgate/core/error.h"
#include "gateway/router.h"

namespace authgate::gateway {

class Readiness {
 public:
  // A check returns an error when the dependency is not usable; it may block briefly
  // (it runs on the worker pool) and must bound its own time.
  using Check = std::function<Result<void>()>;

  // Thread-safe; may be called while serving (e.g. once discovery has loaded).
  void add(std::string name, Check check);

  struct Failure {
    std::string check;   // the check's name
    std::string reason;  // core::errorName() of its error: a stable code, no request data
  };
  // The first failing check, or nothing when all pass.
  std::optional<Failure> firstFailure() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Check>> checks_;
};

// GET /healthz and GET /readyz (blocking: checks may touch the store).
void addHealthRoutes(Router& router, std::shared_ptr<const Readiness> readiness);

}  // namespace authgate::gateway
