#include "authgate/session/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "session/local_revocation_hub.h"

namespace authgate::session {
namespace {

constexpr int kSchemaVersion = 1;
constexpr const char* kChannel = "authgate_revoked";

// Schema 1. Times are unix milliseconds from the store's clock, like every backend.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE authgate_sessions (
  key text PRIMARY KEY,
  public_id text NOT NULL UNIQUE,
  subject text NOT NULL,
  sid text NOT NULL,
  created_at bigint NOT NULL,
  expires_ms bigint NOT NULL,
  version bigint NOT NULL,
  data bytea NOT NULL);
CREATE INDEX authgate_sessions_subject ON authgate_sessions (subject, created_at);
CREATE INDEX authgate_sessions_sid ON authgate_sessions (sid) WHERE sid <> '';
CREATE INDEX authgate_sessions_expiry ON authgate_sessions (expires_ms);
CREATE TABLE authgate_values (key text PRIMARY KEY, value bytea NOT NULL,
                              expires_ms bigint NOT NULL);
CREATE TABLE authgate_locks (name text PRIMARY KEY, owner text NOT NULL,
                             expires_ms bigint NOT NULL);
CREATE TABLE authgate_audit (id bigserial PRIMARY KEY, line text NOT NULL);
)sql";

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// One statement's parameters: text, except bytea values (binary).
struct Params {
  std::vector<std::string> values;
  std::vector<int> formats;
  Params& text(std::string_view v) {
    values.emplace_back(v);
    formats.push_back(0);
    return *this;
  }
  Params& number(int64_t v) { return text(std::to_string(v)); }
  Params& bytes(std::string_view v) {
    values.emplace_back(v);
    formats.push_back(1);
    return *this;
  }
};

std::string bytea(const PGresult* r, int row, int col) {
  size_t n = 0;
  auto* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col)), &n);
  if (!raw) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

int64_t number(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

constexpr const char* kRecordColumns = "key, public_id, subject, sid, created_at, expires_ms, "
                                       "version, data";

StoreRecord recordAt(const PGresult* r, int row) {
  StoreRecord rec;
  rec.key = PQgetvalue(r, row, 0);
  rec.publicId = PQgetvalue(r, row, 1);
  rec.subject = PQgetvalue(r, row, 2);
  rec.sid = PQgetvalue(r, row, 3);
  rec.createdAt = number(r, row, 4);
  rec.expiresAtMs = number(r, row, 5);
  rec.version = static_cast<uint64_t>(number(r, row, 6));
  rec.data = bytea(r, row, 7);
  return rec;
}

std::vector<StoreRecord> records(const PGresult* r) {
  std::vector<StoreRecord> out;
  for (int i = 0; i < PQntuples(r); ++i) out.push_back(recordAt(r, i));
  return out;
}

// The listener: its own connection LISTENing on kChannel, on its own thread. While it
// is disconnected live() is false; after it reconnects subscribers receive "" (events
// may have been lost meanwhile).
class Listener {
 public:
  Listener(std::string uri, detail::LocalRevocationHub& hub) : uri_(std::move(uri)), hub_(hub) {
    thread_ = std::thread([this] { run(); });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
  }
  bool live() const { return live_; }

 private:
  void run() {
    bool wasLive = false;
    while (!stop_) {
      PGconn* c = PQconnectdb(uri_.c_str());
      ResultPtr r(c && PQstatus(c) == CONNECTION_OK
                      ? PQexec(c, (std::string("LISTEN ") + kChannel).c_str())
                      : nullptr,
                  PQclear);
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        PQfinish(c);
        for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (wasLive) hub_.publish("");  // events may have been lost while down
      live_ = wasLive = true;
      pollfd p{PQsocket(c), POLLIN, 0};
      while (!stop_) {
        if (::poll(&p, 1, 100) < 0) break;
        if (PQconsumeInput(c) == 0) break;
        while (PGnotify* n = PQnotifies(c)) {
          std::string key = n->extra;
          PQfreemem(n);
          hub_.publish(key);
        }
        if (PQstatus(c) != CONNECTION_OK) break;
      }
      live_ = false;
      PQfinish(c);
    }
  }

  const std::string uri_;
  detail::LocalRevocationHub& hub_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> live_{false};
  std::thread thread_;
};

class PostgresStore final : public SessionStore {
 public:
  PostgresStore(PostgresStoreOptions o, const core::Clock& clock, PGconn* conn)
      : options_(std::move(o)), clock_(clock), conn_(conn) {}
  ~PostgresStore() override {
    listener_.reset();
    PQfinish(conn_);
  }

  // Runs one statement; on a broken connection reconnects once and retries (every
  // statement is one atomic step, so a retry of one that never ran is safe; one whose
  // answer was lost is answered as unavailable by the caller's second attempt at most).
  Result<ResultPtr> exec(const char* sql, const Params& p = {}) {
    std::lock_guard lock(mu_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (PQstatus(conn_) != CONNECTION_OK) {
        PQreset(conn_);
        if (PQstatus(conn_) != CONNECTION_OK) return Errc::kStoreUnavailable;
      }
      std::vector<const char*> values;
      std::vector<int> lengths;
      for (auto& v : p.values) {
        values.push_back(v.data());
        lengths.push_back(static_cast<int>(v.size()));
      }
      ResultPtr r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr,
                               values.data(), lengths.data(), p.formats.data(), 0),
                  PQclear);
      auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
      if (PQstatus(conn_) != CONNECTION_OK) continue;  // lost the connection: retry once
      const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
      if (state && std::string_view(state) == "23505") return Errc::kConflict;  // unique
      return Errc::kStoreUnavailable;
    }
    return Errc::kStoreUnavailable;
  }

  std::string_view backend() const override { return "postgres"; }
  Result<void> ping() override {
    auto r = exec("SELECT 1");
    if (!r) return r.error();
    return {};
  }

  // Records.
  Result<StoreRecord> get(std::string_view key) override {
    return one(std::string("SELECT ") + kRecordColumns +
                   " FROM authgate_sessions WHERE key = $1 AND expires_ms > $2",
               Params{}.text(key).number(nowMs()));
  }
  Result<StoreRecord> getByPublicId(std::string_view publicId) override {
    return one(std::string("SELECT ") + kRecordColumns +
                   " FROM authgate_sessions WHERE public_id = $1 AND expires_ms > $2",
               Params{}.text(publicId).number(nowMs()));
  }
  Result<uint64_t> put(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) override {
    const int64_t now = nowMs();
    Params p;
    p.text(rec.key).text(rec.publicId).text(rec.subject).text(rec.sid).number(rec.createdAt);
    p.number(now + ttl.count()).bytes(rec.data).number(now);
    const char* sql = nullptr;
    if (expectedVersion == kMustNotExist || expectedVersion == kAnyVersion) {
      // An expired record counts as absent; kAnyVersion writes over a live one too.
      sql = expectedVersion == kMustNotExist
                ? "INSERT INTO authgate_sessions VALUES ($1,$2,$3,$4,$5,$6,1,$7) "
                  "ON CONFLICT (key) DO UPDATE SET public_id=$2, subject=$3, sid=$4, "
                  "created_at=$5, expires_ms=$6, version=1, data=$7 "
                  "WHERE authgate_sessions.expires_ms <= $8 RETURNING version"
                : "INSERT INTO authgate_sessions VALUES ($1,$2,$3,$4,$5,$6,1,$7) "
                  "ON CONFLICT (key) DO UPDATE SET public_id=$2, subject=$3, sid=$4, "
                  "created_at=$5, expires_ms=$6, data=$7, version=CASE WHEN "
                  "authgate_sessions.expires_ms <= $8 THEN 1 ELSE authgate_sessions.version + 1 "
                  "END RETURNING version";
    } else {
      p.number(static_cast<int64_t>(expectedVersion));
      sql =
          "UPDATE authgate_sessions SET public_id=$2, subject=$3, sid=$4, created_at=$5, "
          "expires_ms=$6, data=$7, version=version + 1 "
          "WHERE key=$1 AND version=$9 AND expires_ms > $8 RETURNING version";
    }
    auto r = exec(sql, p);
    if (!r) return r.error();
    if (PQntuples(r->get()) != 1) return Errc::kConflict;
    return static_cast<uint64_t>(number(r->get(), 0, 0));
  }
  Result<void> erase(std::string_view key) override {
    return done(exec("DELETE FROM authgate_sessions WHERE key = $1", Params{}.text(key)));
  }
  Result<std::vector<StoreRecord>> purgeExpired(size_t limit) override {
    return many(std::string("DELETE FROM authgate_sessions WHERE key IN (SELECT key FROM "
                            "authgate_sessions WHERE expires_ms <= $1 ORDER BY expires_ms "
                            "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING ") +
                    kRecordColumns,
                Params{}.number(nowMs()).number(static_cast<int64_t>(limit)));
  }

  // Index.
  Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) override {
    return many(std::string("SELECT ") + kRecordColumns +
                    " FROM authgate_sessions WHERE subject = $1 AND expires_ms > $2 "
                    "ORDER BY created_at, key",
                Params{}.text(subject).number(nowMs()));
  }
  Result<std::vector<StoreRecord>> listBySid(std::string_view sid) override {
    if (sid.empty()) return std::vector<StoreRecord>{};
    return many(std::string("SELECT ") + kRecordColumns +
                    " FROM authgate_sessions WHERE sid = $1 AND expires_ms > $2 "
                    "ORDER BY created_at, key",
                Params{}.text(sid).number(nowMs()));
  }
  Result<RecordPage> listAll(std::string_view cursor, size_t limit) override {
    // The cursor is "pg:" and the last key of the previous page (key order).
    if (!cursor.empty() && cursor.substr(0, 3) != "pg:") return Errc::kNotFound;
    const std::string after(cursor.empty() ? "" : cursor.substr(3));
    auto recs = many(std::string("SELECT ") + kRecordColumns +
                         " FROM authgate_sessions WHERE key > $1 AND expires_ms > $2 "
                         "ORDER BY key LIMIT $3",
                     Params{}.text(after).number(nowMs()).number(static_cast<int64_t>(limit)));
    if (!recs) return recs.error();
    RecordPage page;
    page.records = std::move(*recs);
    if (limit > 0 && page.records.size() == limit) page.nextCursor = "pg:" + page.records.back().key;
    return page;
  }

  // Key-value.
  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent) override {
    const int64_t now = nowMs();
    auto r = exec(onlyIfAbsent ? "INSERT INTO authgate_values VALUES ($1,$2,$3) ON CONFLICT (key) "
                                 "DO UPDATE SET value=$2, expires_ms=$3 "
                                 "WHERE authgate_values.expires_ms <= $4 RETURNING 1"
                               : "INSERT INTO authgate_values VALUES ($1,$2,$3) ON CONFLICT (key) "
                                 "DO UPDATE SET value=$2, expires_ms=$3 WHERE $4 = $4 RETURNING 1",
                  Params{}.text(key).bytes(value).number(now + ttl.count()).number(now));
    if (!r) return failed(r.error());
    return PQntuples(r->get()) == 1;
  }
  Result<std::optional<std::string>> takeValue(std::string_view key) override {
    auto r = exec("DELETE FROM authgate_values WHERE key = $1 RETURNING value, expires_ms",
                  Params{}.text(key));
    if (!r) return r.error();
    std::optional<std::string> out;
    if (PQntuples(r->get()) == 1 && number(r->get(), 0, 1) > nowMs()) out = bytea(r->get(), 0, 0);
    return out;
  }
  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) override {
    const int64_t now = nowMs();
    return rowReturned(exec("INSERT INTO authgate_locks VALUES ($1,$2,$3) ON CONFLICT (name) "
                            "DO UPDATE SET owner=$2, expires_ms=$3 WHERE authgate_locks.owner=$2 "
                            "OR authgate_locks.expires_ms <= $4 RETURNING 1",
                            Params{}.text(name).text(owner).number(now + ttl.count()).number(now)));
  }
  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) override {
    const int64_t now = nowMs();
    return rowReturned(exec("UPDATE authgate_locks SET expires_ms=$3 WHERE name=$1 AND owner=$2 "
                            "AND expires_ms > $4 RETURNING 1",
                            Params{}.text(name).text(owner).number(now + ttl.count()).number(now)));
  }
  Result<void> unlock(std::string_view name, std::string_view owner) override {
    return done(exec("DELETE FROM authgate_locks WHERE name = $1 AND owner = $2",
                     Params{}.text(name).text(owner)));
  }

  // Audit.
  Result<void> appendAudit(std::string_view line) override {
    auto r = exec("WITH added AS (INSERT INTO authgate_audit (line) VALUES ($1) RETURNING id) "
                  "DELETE FROM authgate_audit WHERE id <= (SELECT id FROM added) - $2",
                  Params{}.text(line).number(static_cast<int64_t>(options_.auditCap)));
    return done(std::move(r));
  }
  Result<std::vector<std::string>> recentAudit(size_t limit) override {
    auto r = exec("SELECT line FROM authgate_audit ORDER BY id DESC LIMIT $1",
                  Params{}.number(static_cast<int64_t>(limit)));
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.emplace_back(PQgetvalue(r->get(), i, 0));
    return out;
  }

  // Revocation: NOTIFY reaches every LISTENing connection, this process's included.
  Result<void> publishRevoked(std::string_view key) override {
    return done(exec("SELECT pg_notify($1, $2)", Params{}.text(kChannel).text(key)));
  }
  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) override {
    {
      std::lock_guard lock(listenerMu_);
      if (!listener_) listener_ = std::make_unique<Listener>(options_.uri, hub_);
    }
    return std::make_unique<Live>(hub_.subscribe(std::move(onRevoked)), *listener_);
  }

  Result<void> migrate() {
    auto r = exec("CREATE TABLE IF NOT EXISTS authgate_schema (version int NOT NULL)");
    if (!r) return r.error();
    // One instance migrates at a time (the lock ends with the session's transaction).
    static constexpr const char* kBegin = "BEGIN";
    if (auto b = exec(kBegin); !b) return b.error();
    auto fail = [&](Errc e) -> Result<void> {
      (void)exec("ROLLBACK");
      return e;
    };
    if (!exec("SELECT pg_advisory_xact_lock(7216441516)")) return fail(Errc::kStoreOpenFailed);
    auto v = exec("SELECT coalesce(max(version), 0) FROM authgate_schema");
    if (!v) return fail(Errc::kStoreOpenFailed);
    const int64_t version = number(v->get(), 0, 0);
    if (version > kSchemaVersion) return fail(Errc::kSchemaTooNew);
    if (version < 1) {
      ResultPtr m(PQexec(conn_, kMigration1), PQclear);
      if (PQresultStatus(m.get()) != PGRES_COMMAND_OK) return fail(Errc::kStoreOpenFailed);
      if (!exec("INSERT INTO authgate_schema VALUES (1)")) return fail(Errc::kStoreOpenFailed);
    }
    if (!exec("COMMIT")) return Errc::kStoreOpenFailed;
    return {};
  }

  std::string lastError() const { return PQerrorMessage(conn_); }

 private:
  class Live final : public Subscription {
   public:
    Live(std::unique_ptr<Subscription> inner, const Listener& l)
        : inner_(std::move(inner)), listener_(l) {}
    bool live() const override { return listener_.live(); }

   private:
    std::unique_ptr<Subscription> inner_;
    const Listener& listener_;
  };

  static Result<bool> failed(const error_code& ec) { return {boost::system::in_place_error, ec}; }
  static Result<bool> rowReturned(Result<ResultPtr> r) {
    if (!r) return failed(r.error());
    return PQntuples(r->get()) == 1;
  }
  static Result<void> done(Result<ResultPtr> r) {
    if (!r) return r.error();
    return {};
  }
  Result<StoreRecord> one(const std::string& sql, const Params& p) {
    auto r = exec(sql.c_str(), p);
    if (!r) return r.error();
    if (PQntuples(r->get()) != 1) return Errc::kNotFound;
    return recordAt(r->get(), 0);
  }
  Result<std::vector<StoreRecord>> many(const std::string& sql, const Params& p) {
    auto r = exec(sql.c_str(), p);
    if (!r) return r.error();
    return records(r->get());
  }
  int64_t nowMs() const { return clock_.unixMillis(); }

  const PostgresStoreOptions options_;
  const core::Clock& clock_;
  std::mutex mu_;  // one statement at a time on conn_
  PGconn* conn_;
  detail::LocalRevocationHub hub_;
  std::mutex listenerMu_;
  std::unique_ptr<Listener> listener_;  // started by the first subscription
};

}  // namespace

int postgresSchemaVersion() { return kSchemaVersion; }

Result<std::unique_ptr<SessionStore>> openPostgresStore(const PostgresStoreOptions& options,
                                                        const core::Clock& clock,
                                                        std::string* detail) {
  PGconn* conn = PQconnectdb(options.uri.c_str());
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    if (detail) {
      *detail = "session store: cannot connect to PostgreSQL: " +
                std::string(conn ? PQerrorMessage(conn) : "out of memory");
      while (!detail->empty() && detail->back() == '\n') detail->pop_back();
    }
    PQfinish(conn);
    return Errc::kStoreOpenFailed;
  }
  auto store = std::make_unique<PostgresStore>(options, clock, conn);
  if (auto m = store->migrate(); !m) {
    if (detail) *detail = "session store: PostgreSQL schema migration failed: " + store->lastError();
    return m.error();
  }
  return std::unique_ptr<SessionStore>(std::move(store));
}

}  // namespace authgate::session
