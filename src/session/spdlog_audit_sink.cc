#include "authgate/session/spdlog_audit_sink.h"

#include <spdlog/spdlog.h>

namespace authgate::session {
namespace {

class SpdlogAuditSink final : public AuditSink {
 public:
  explicit SpdlogAuditSink(std::string name) : name_(std::move(name)) {}
  void write(const AuditEvent& e) override {
    auto logger = spdlog::get(name_);
    if (!logger) logger = spdlog::default_logger();
    logger->info("{}", auditEventJson(e));
  }

 private:
  std::string name_;
};

}  // namespace

std::unique_ptr<AuditSink> makeSpdlogAuditSink(const std::string& loggerName) {
  return std::make_unique<SpdlogAuditSink>(loggerName);
}

}  // namespace authgate::session
