#include "authgate/session/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "authgate/core/secret.h"
#include "session/local_revocation_hub.h"

namespace authgate::session {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSchemaVersion = 1;
constexpr const char* kChannel = "authgate_revoked";
// Taken by the migrating instance for its transaction: "authgate" in ASCII.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7022344737911157861)";

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
INSERT INTO authgate_schema VALUES (1);
)sql";

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;
using ConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using OptionsPtr = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

ResultPtr noResult() { return ResultPtr(nullptr, PQclear); }

// The password as the URI spells it (user:PASSWORD@, ?password=PASSWORD) and as libpq
// reads it, for redaction: the raw text also when libpq cannot parse the URI.
std::vector<std::string> uriPasswords(const std::string& uri) {
  std::vector<std::string> out;
  const auto scheme = uri.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = std::min(uri.find_first_of("/?#", start), uri.size());
    const auto at = uri.rfind('@', end);
    const auto colon =
        at == std::string::npos || at < start ? std::string::npos : uri.find(':', start);
    if (colon != std::string::npos && colon < at)
      out.push_back(uri.substr(colon + 1, at - colon - 1));
    for (auto q = uri.find('?'); q != std::string::npos; q = uri.find('&', q + 1)) {
      constexpr std::string_view kKey = "password=";
      if (std::string_view(uri).substr(q + 1, kKey.size()) != kKey) continue;
      const auto value = q + 1 + kKey.size();
      out.push_back(
          uri.substr(value, std::min(uri.find_first_of("&#", value), uri.size()) - value));
    }
  }
  OptionsPtr opts(PQconninfoParse(uri.c_str(), nullptr), PQconninfoFree);
  for (auto* o = opts.get(); o && o->keyword; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val) out.emplace_back(o->val);
  }
  return out;
}

// libpq's message for a log line: one line, every spelling of the password replaced
// by [redacted].
std::string redacted(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + core::Secret::kRedacted.size())) {
      text.replace(at, secret.size(), core::Secret::kRedacted);
    }
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

// Notices (NOTICE, WARNING from the server) would go to stderr by default; the store
// has nothing to say with them.
void ignoreNotice(void*, const char*) {}

// Connects with authgate's defaults beneath what the URI says: the URI (dbname,
// expanded) comes last, so its connect_timeout or application_name wins.
ConnPtr connectTo(const std::string& uri) {
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "authgate", uri.c_str(), nullptr};
  ConnPtr c(PQconnectdbParams(keys, values, /*expand_dbname=*/1), PQfinish);
  if (c) PQsetNoticeProcessor(c.get(), ignoreNotice, nullptr);
  return c;
}

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

constexpr const char* kRecordColumns =
    "key, public_id, subject, sid, created_at, expires_ms, version, data";

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

// An idle pooled connection has nothing to read: anything readable is the server
// closing it (a restart, an idle timeout), so it is not used again.
bool stillOpen(PGconn* c) {
  if (PQstatus(c) != CONNECTION_OK) return false;
  pollfd p{PQsocket(c), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

// Runs one statement on `c`, waiting at most until `deadline`. nullptr (the connection
// is then unusable) when it did not answer in time or the connection broke.
ResultPtr runOn(PGconn* c, const std::string& sql, const Params& p, Clock::time_point deadline) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (auto& v : p.values) {
    values.push_back(v.data());
    lengths.push_back(static_cast<int>(v.size()));
  }
  if (PQsendQueryParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        lengths.data(), p.formats.data(), 0) == 0) {
    return noResult();
  }
  ResultPtr last = noResult();
  for (;;) {
    while (PQisBusy(c)) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return noResult();
      pollfd pfd{PQsocket(c), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left)) < 0 || PQconsumeInput(c) == 0) {
        return noResult();
      }
    }
    PGresult* r = PQgetResult(c);
    if (!r) break;
    last = ResultPtr(r, PQclear);
  }
  if (PQstatus(c) != CONNECTION_OK) return noResult();
  return last;
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
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool live() const { return live_; }
  // Until LISTEN took effect (a publish after it is delivered), at most `timeout`.
  void waitLive(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return live_.load() || stop_; });
  }

 private:
  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  void run() {
    bool wasLive = false;
    while (!stopping()) {
      ConnPtr c = connectTo(uri_);
      const auto listen = std::string("LISTEN ") + kChannel;
      ResultPtr r = PQstatus(c.get()) == CONNECTION_OK
                        ? runOn(c.get(), listen, Params{}, Clock::now() + std::chrono::seconds(5))
                        : noResult();
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; });
        continue;
      }
      if (wasLive) hub_.publish("");  // events may have been lost while down
      wasLive = true;
      {
        std::lock_guard lock(mu_);
        live_ = true;
      }
      cv_.notify_all();
      pollfd p{PQsocket(c.get()), POLLIN, 0};
      while (!stopping()) {
        if (::poll(&p, 1, 100) < 0) break;
        if (PQconsumeInput(c.get()) == 0) break;
        while (PGnotify* n = PQnotifies(c.get())) {
          std::string key = n->extra;
          PQfreemem(n);
          hub_.publish(key);
        }
        if (PQstatus(c.get()) != CONNECTION_OK) break;
      }
      live_ = false;
    }
  }

  const std::string uri_;
  detail::LocalRevocationHub& hub_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> live_{false};
  std::thread thread_;
};

class PostgresStore final : public SessionStore {
 public:
  PostgresStore(PostgresStoreOptions o, const core::Clock& clock)
      : options_(std::move(o)), passwords_(uriPasswords(options_.uri)), clock_(clock) {}
  ~PostgresStore() override {
    listener_.reset();
    for (auto* c : idle_) PQfinish(c);
  }
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  std::string_view backend() const override { return "postgres"; }
  Result<void> ping() override { return done(exec("SELECT 1")); }

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
    // An expired record counts as absent: kMustNotExist writes over it, kAnyVersion
    // writes over anything; otherwise the live record's version must match.
    const char* sql = nullptr;
    if (expectedVersion == kMustNotExist) {
      sql =
          "INSERT INTO authgate_sessions VALUES ($1,$2,$3,$4,$5,$6,1,$7) "
          "ON CONFLICT (key) DO UPDATE SET public_id=$2, subject=$3, sid=$4, created_at=$5, "
          "expires_ms=$6, version=1, data=$7 WHERE authgate_sessions.expires_ms <= $8 "
          "RETURNING version";
    } else if (expectedVersion == kAnyVersion) {
      sql =
          "INSERT INTO authgate_sessions VALUES ($1,$2,$3,$4,$5,$6,1,$7) "
          "ON CONFLICT (key) DO UPDATE SET public_id=$2, subject=$3, sid=$4, created_at=$5, "
          "expires_ms=$6, data=$7, version=CASE WHEN authgate_sessions.expires_ms <= $8 "
          "THEN 1 ELSE authgate_sessions.version + 1 END RETURNING version";
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
    // SKIP LOCKED: instances purging at once take disjoint rows, so each expiry is
    // reported (audited) once.
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
    if (limit > 0 && page.records.size() == limit) {
      page.nextCursor = "pg:" + page.records.back().key;
    }
    return page;
  }

  // Key-value.
  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent) override {
    const int64_t now = nowMs();
    if (!onlyIfAbsent) {
      return rowReturned(
          exec("INSERT INTO authgate_values VALUES ($1,$2,$3) ON CONFLICT (key) "
               "DO UPDATE SET value=$2, expires_ms=$3 RETURNING 1",
               Params{}.text(key).bytes(value).number(now + ttl.count())));
    }
    return rowReturned(exec(
        "INSERT INTO authgate_values VALUES ($1,$2,$3) ON CONFLICT (key) "
        "DO UPDATE SET value=$2, expires_ms=$3 WHERE authgate_values.expires_ms <= $4 RETURNING 1",
        Params{}.text(key).bytes(value).number(now + ttl.count()).number(now)));
  }
  Result<std::optional<std::string>> takeValue(std::string_view key) override {
    // Deleted either way; an expired value is never returned.
    auto r = exec("DELETE FROM authgate_values WHERE key = $1 RETURNING value, expires_ms",
                  Params{}.text(key));
    if (!r) return r.error();
    std::optional<std::string> out;
    if (PQntuples(r->get()) == 1 && number(r->get(), 0, 1) > nowMs()) out = bytea(r->get(), 0, 0);
    return out;
  }
  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) override {
    const int64_t now = nowMs();
    return rowReturned(
        exec("INSERT INTO authgate_locks VALUES ($1,$2,$3) ON CONFLICT (name) "
             "DO UPDATE SET owner=$2, expires_ms=$3 WHERE authgate_locks.owner=$2 "
             "OR authgate_locks.expires_ms <= $4 RETURNING 1",
             Params{}.text(name).text(owner).number(now + ttl.count()).number(now)));
  }
  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) override {
    const int64_t now = nowMs();
    return rowReturned(
        exec("UPDATE authgate_locks SET expires_ms=$3 WHERE name=$1 AND owner=$2 "
             "AND expires_ms > $4 RETURNING 1",
             Params{}.text(name).text(owner).number(now + ttl.count()).number(now)));
  }
  Result<void> unlock(std::string_view name, std::string_view owner) override {
    return done(exec("DELETE FROM authgate_locks WHERE name = $1 AND owner = $2",
                     Params{}.text(name).text(owner)));
  }

  // Audit.
  Result<void> appendAudit(std::string_view line) override {
    return done(
        exec("WITH added AS (INSERT INTO authgate_audit (line) VALUES ($1) RETURNING id) "
             "DELETE FROM authgate_audit WHERE id <= (SELECT id FROM added) - $2",
             Params{}.text(line).number(static_cast<int64_t>(options_.auditCap))));
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
    Listener* l = nullptr;
    {
      std::lock_guard lock(listenerMu_);
      if (!listener_) listener_ = std::make_unique<Listener>(options_.uri, hub_);
      l = listener_.get();
    }
    auto inner = hub_.subscribe(std::move(onRevoked));
    // Bounded: a publish right after this returns reaches the new subscriber.
    l->waitLive(options_.commandTimeout);
    return std::make_unique<Live>(std::move(inner), *l);
  }

  // Connects the first pooled connection and brings the schema to kSchemaVersion.
  Result<void> open(std::string* detail) {
    ConnPtr c = connectTo(options_.uri);
    if (PQstatus(c.get()) != CONNECTION_OK) {
      if (detail) *detail = "cannot connect to PostgreSQL: " + errorOf(c.get());
      return Errc::kStoreOpenFailed;
    }
    auto m = migrate(c.get(), detail);
    if (!m) return m;
    idle_.push_back(c.release());
    return {};
  }

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

  std::string errorOf(PGconn* c) const { return redacted(PQerrorMessage(c), passwords_); }

  // One transaction, serialised between instances by the advisory lock; a schema the
  // lock holder created is seen by the next holder.
  Result<void> migrate(PGconn* c, std::string* detail) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    auto step = [&](const std::string& sql, ExecStatusType want) -> ResultPtr {
      ResultPtr r = runOn(c, sql, Params{}, deadline);
      if (!r || PQresultStatus(r.get()) != want) return noResult();
      return r;
    };
    auto fail = [&](std::string_view what, Errc e) -> Result<void> {
      if (detail) *detail = std::string(what) + ": " + errorOf(c);
      (void)runOn(c, "ROLLBACK", Params{}, deadline);
      return e;
    };
    if (!step("BEGIN", PGRES_COMMAND_OK) || !step(kMigrationLock, PGRES_TUPLES_OK) ||
        !step("CREATE TABLE IF NOT EXISTS authgate_schema (version int NOT NULL)",
              PGRES_COMMAND_OK)) {
      return fail("PostgreSQL schema migration failed", Errc::kStoreOpenFailed);
    }
    auto v = step("SELECT coalesce(max(version), 0) FROM authgate_schema", PGRES_TUPLES_OK);
    if (!v) return fail("PostgreSQL schema migration failed", Errc::kStoreOpenFailed);
    const int64_t version = number(v.get(), 0, 0);
    if (version > kSchemaVersion) {
      if (detail) {
        *detail = "the PostgreSQL schema is version " + std::to_string(version) +
                  ", newer than this authgate (" + std::to_string(kSchemaVersion) + ")";
      }
      (void)runOn(c, "ROLLBACK", Params{}, deadline);
      return Errc::kSchemaTooNew;
    }
    // Multi-statement text goes by the simple protocol (PQexec), within this
    // transaction.
    if (version < 1) {
      ResultPtr m(PQexec(c, kMigration1), PQclear);
      if (!m || PQresultStatus(m.get()) != PGRES_COMMAND_OK) {
        return fail("PostgreSQL schema migration failed", Errc::kStoreOpenFailed);
      }
    }
    if (!step("COMMIT", PGRES_COMMAND_OK)) {
      return fail("PostgreSQL schema migration failed", Errc::kStoreOpenFailed);
    }
    return {};
  }

  ConnPtr acquire() {
    for (;;) {
      PGconn* c = nullptr;
      {
        std::lock_guard lock(mu_);
        if (idle_.empty()) break;
        c = idle_.back();
        idle_.pop_back();
      }
      if (stillOpen(c)) return ConnPtr(c, PQfinish);
      PQfinish(c);
    }
    ConnPtr c = connectTo(options_.uri);
    if (PQstatus(c.get()) != CONNECTION_OK) return ConnPtr(nullptr, PQfinish);
    return c;
  }
  void release(ConnPtr c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.maxIdleConnections) idle_.push_back(c.release());
  }

  // Runs one statement on a pooled connection. No retry after a failure: the statement
  // may have run (a put retried would report a conflict with itself); the caller fails
  // closed and the next call connects again.
  Result<ResultPtr> exec(const std::string& sql, const Params& p = {}) {
    ConnPtr c = acquire();
    if (!c) return Errc::kStoreUnavailable;
    ResultPtr r = runOn(c.get(), sql, p, Clock::now() + options_.commandTimeout);
    if (!r) return Errc::kStoreUnavailable;  // timed out or broken: c is not pooled
    const auto status = PQresultStatus(r.get());
    release(std::move(c));
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
    const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    if (state && std::string_view(state) == "23505") return Errc::kConflict;  // unique
    return Errc::kStoreUnavailable;
  }

  static Result<bool> rowReturned(Result<ResultPtr> r) {
    if (!r) return {boost::system::in_place_error, r.error()};
    return PQntuples(r->get()) == 1;
  }
  static Result<void> done(Result<ResultPtr> r) {
    if (!r) return r.error();
    return {};
  }
  Result<StoreRecord> one(const std::string& sql, const Params& p) {
    auto r = exec(sql, p);
    if (!r) return r.error();
    if (PQntuples(r->get()) != 1) return Errc::kNotFound;
    return recordAt(r->get(), 0);
  }
  Result<std::vector<StoreRecord>> many(const std::string& sql, const Params& p) {
    auto r = exec(sql, p);
    if (!r) return r.error();
    std::vector<StoreRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(recordAt(r->get(), i));
    return out;
  }
  int64_t nowMs() const { return clock_.unixMillis(); }

  const PostgresStoreOptions options_;
  const std::vector<std::string> passwords_;  // redacted from every message
  const core::Clock& clock_;
  std::mutex mu_;
  std::vector<PGconn*> idle_;
  detail::LocalRevocationHub hub_;
  std::mutex listenerMu_;
  std::unique_ptr<Listener> listener_;  // started by the first subscription
};

}  // namespace

int postgresSchemaVersion() { return kSchemaVersion; }

Result<void> checkPostgresUri(std::string_view uri, std::string* detail) {
  const std::string text(uri);
  char* err = nullptr;
  OptionsPtr opts(PQconninfoParse(text.c_str(), &err), PQconninfoFree);
  if (opts) return {};
  if (detail) *detail = redacted(err ? err : "out of memory", uriPasswords(text));
  if (err) PQfreemem(err);
  return Errc::kBadStoreUri;
}

Result<std::unique_ptr<SessionStore>> openPostgresStore(const PostgresStoreOptions& options,
                                                        const core::Clock& clock,
                                                        std::string* detail) {
  if (auto ok = checkPostgresUri(options.uri, detail); !ok) {
    if (detail) *detail = "session store: the PostgreSQL URI is not valid: " + *detail;
    return ok.error();
  }
  auto store = std::make_unique<PostgresStore>(options, clock);
  std::string why;
  if (auto opened = store->open(&why); !opened) {
    if (detail) *detail = "session store: " + why;
    return opened.error();
  }
  return std::unique_ptr<SessionStore>(std::move(store));
}

}  // namespace authgate::session
