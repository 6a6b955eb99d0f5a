// In-process store for tests and single-process experiments. Nothing survives a
// restart; nothing is shared between processes.
#pragma once

#include <memory>

#include "authgate/core/clock.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

// `auditCap`: newest audit lines kept.
std::unique_ptr<SessionStore> makeMemoryStore(const core::Clock& clock, size_t auditCap = 10000);

}  // namespace authgate::session
