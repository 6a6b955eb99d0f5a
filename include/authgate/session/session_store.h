// The store contract, in parts (each its own interface, each with its own conformance
// suite in tests/unit/session):
//   KeyValueStore   (kv_store.h)        values with a TTL, put-if-absent, take, locks
//   SessionRecords  (session_index.h)   session records with compare-and-set
//   SessionIndex    (session_index.h)   optional: by subject, by sid, paging
//   RevocationBus   (revocation_bus.h)  revocation events and externalVersion
//   AuditLog        (audit.h)           the capped audit trail a StoreAuditSink writes
// The manager composes them (StoreParts) and owns everything else: cookies,
// encryption, timeouts, login transactions, logout-token replay.
//
// A backend implements all five in one object (they share its connection), so a
// SessionStore is what the factory opens; parts() is how the manager sees it.
#pragma once

#include "authgate/session/audit.h"
#include "authgate/session/kv_store.h"
#include "authgate/session/revocation_bus.h"
#include "authgate/session/session_index.h"

namespace authgate::session {

// The parts the manager uses. Each may come from a different object; `index` may be
// null (no listings, no per-user cap, no revocation by subject or sid).
struct StoreParts {
  KeyValueStore& kv;
  SessionRecords& records;
  SessionIndex* index;
  RevocationBus& revocations;
  AuditLog& audit;
};

class SessionStore : public KeyValueStore,
                     public SessionRecords,
                     public SessionIndex,
                     public RevocationBus,
                     public AuditLog {
 public:
  StoreParts parts() { return StoreParts{*this, *this, this, *this, *this}; }
};

}  // namespace authgate::session
