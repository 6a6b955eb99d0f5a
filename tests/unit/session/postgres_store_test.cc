// The PostgreSQL store beyond the conformance suites: the setting and libpq's URI,
// sslmode, the password kept out of every message, the schema migration, and what an
// outage looks like (a server stopped, restarted or hung). Every test runs a real
// postgres (postgres_server.h).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/session/postgres_store.h"
#include "authgate/session/store_factory.h"
#include "authgate/session/token_cipher.h"
#include "postgres_server.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;
using testing::PostgresServer;
using Clock = std::chrono::steady_clock;

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }

StoreRecord rec(const std::string& key) { return testing::minimalRecord(key); }

// One SQL statement outside the store, as an operator would run it.
void sql(const std::string& uri, const std::string& statement) {
  PGconn* c = PQconnectdb(uri.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, statement.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
      << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
}

Result<std::unique_ptr<SessionStore>> open(const std::string& uri, std::string* detail,
                                           std::chrono::milliseconds timeout = 2000ms) {
  static core::ManualClock clock;
  PostgresStoreOptions o;
  o.uri = uri;
  o.commandTimeout = timeout;
  return openPostgresStore(o, clock, detail);
}

TEST(PostgresUri, TheSettingNamesLibpqsUri) {
  for (const char* uri : {"postgres://app:pw@db.internal:5432/authgate?sslmode=verify-full",
                          "postgresql://db/authgate", "postgres://app@/authgate?host=/run/pg",
                          "postgres://h1:5432,h2:5432/authgate?target_session_attrs=read-write"}) {
    auto loc = parseStoreUri(uri);
    ASSERT_TRUE(loc) << uri;
    EXPECT_EQ(loc->kind, StoreKind::kPostgres) << uri;
    EXPECT_EQ(loc->postgresUri, uri);
    EXPECT_TRUE(isSharedStore(loc->kind));
  }
  // libpq's parser: unknown parameters and malformed text (a port is checked when it
  // connects).
  for (const char* bad :
       {"postgres://h/db?no_such_parameter=1", "postgres://h/db?sslmode", "postgres://[::1/db"}) {
    auto loc = parseStoreUri(bad);
    ASSERT_FALSE(loc) << bad;
    EXPECT_TRUE(isErr(loc.error(), Errc::kBadStoreUri)) << bad;
  }
}

TEST(PostgresUri, ASharedStoreNeedsAConfiguredKey) {
  auto& random = core::OpenSslRandom::instance();
  auto r = resolveKeys({}, "", *parseStoreUri("postgres://h/db"), random);
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kNoKey));
  auto given = resolveKeys({generateKey(random)}, "", *parseStoreUri("postgres://h/db"), random);
  EXPECT_TRUE(given);
}

TEST(PostgresUri, ThePasswordIsNeverInTheReason) {
  std::string detail;
  EXPECT_FALSE(checkPostgresUri("postgres://app:hunter2@h/db?hunter2=1", &detail));
  EXPECT_NE(detail.find("invalid URI query parameter"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("hunter2"), std::string::npos) << detail;

  core::ManualClock clock;
  detail.clear();
  auto s = openStore("postgres://app:hunter2@h/db?hunter2=1", clock, &detail);
  ASSERT_FALSE(s);
  EXPECT_NE(detail.find("PostgreSQL URI is not valid"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("hunter2"), std::string::npos) << detail;
}

TEST(PostgresStore, OpenFailsQuicklyAndSaysWhyWhenNothingListens) {
  std::string detail;
  const auto start = Clock::now();
  auto s = open("postgres://app:hunter2@127.0.0.1:" + std::to_string(testing::freePort()) +
                    "/db?connect_timeout=2",
                &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kStoreOpenFailed));
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_NE(detail.find("cannot connect to PostgreSQL"), std::string::npos) << detail;
  EXPECT_NE(detail.find("127.0.0.1"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("hunter2"), std::string::npos) << detail;
  EXPECT_EQ(detail.find('\n'), std::string::npos) << "one line: " << detail;
}

TEST(PostgresStore, AWrongPasswordIsRefusedAndNeverEchoed) {
  PostgresServer server;
  std::string detail;
  auto wrong =
      open("postgres://authgate:not-the-password@127.0.0.1:" + std::to_string(server.port()) +
               "/postgres?sslmode=disable",
           &detail);
  ASSERT_FALSE(wrong);
  EXPECT_NE(detail.find("password authentication failed"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("not-the-password"), std::string::npos) << detail;

  // Whatever libpq's message quotes, the password's text is replaced: here the password
  // is the user's name, which the message names.
  detail.clear();
  auto echoed = open("postgres://authgate:authgate@127.0.0.1:" + std::to_string(server.port()) +
                         "/postgres?sslmode=disable",
                     &detail);
  ASSERT_FALSE(echoed);
  EXPECT_NE(detail.find("for user \"[redacted]\""), std::string::npos) << detail;
  EXPECT_EQ(detail.find("authgate"), std::string::npos) << detail;

  EXPECT_TRUE(open(server.uri(), &detail)) << detail;
}

TEST(PostgresStore, SslmodeIsHonoured) {
  PostgresServer plain;
  std::string detail;
  auto refused = open(plain.uri("sslmode=require"), &detail);
  ASSERT_FALSE(refused) << "sslmode=require against a server without TLS";
  EXPECT_NE(detail.find("SSL"), std::string::npos) << detail;

  PostgresServer tls(PostgresServer::Options{.tls = true});
  auto verified = open(tls.uri("sslmode=verify-full&sslrootcert=" + tls.certFile()), &detail);
  ASSERT_TRUE(verified) << detail;
  EXPECT_TRUE((*verified)->put(rec("k1"), 60s, kMustNotExist));
  EXPECT_TRUE((*verified)->get("k1"));

  // verify-full checks the name: connect to 127.0.0.1 while expecting another host.
  detail.clear();
  auto mismatch = open(
      "postgres://authgate:" + tls.password() + "@wrong.invalid:" + std::to_string(tls.port()) +
          "/postgres?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=" + tls.certFile(),
      &detail);
  ASSERT_FALSE(mismatch);
  EXPECT_NE(detail.find("wrong.invalid"), std::string::npos) << detail;
  // verify-ca without the certificate's root: refused.
  detail.clear();
  auto noRoot = open(tls.uri("sslmode=verify-ca&sslrootcert=" + plain.certFile()), &detail);
  EXPECT_FALSE(noRoot) << "a root file that does not exist";
}

TEST(PostgresStore, MigratesOnceEvenWhenInstancesOpenTogether) {
  PostgresServer server;
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      std::string detail;
      auto s = open(server.uri(), &detail);
      EXPECT_TRUE(s) << detail;
      if (s) ++opened;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4);

  PGconn* c = PQconnectdb(server.uri().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK);
  PGresult* r = PQexec(c, "SELECT version FROM authgate_schema");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  ASSERT_EQ(PQntuples(r), 1) << "one migration recorded";
  EXPECT_EQ(std::atoi(PQgetvalue(r, 0, 0)), postgresSchemaVersion());
  PQclear(r);
  PQfinish(c);
}

TEST(PostgresStore, RefusesASchemaANewerAuthgateMigrated) {
  PostgresServer server;
  std::string detail;
  ASSERT_TRUE(open(server.uri(), &detail)) << detail;
  sql(server.uri(),
      "INSERT INTO authgate_schema VALUES (" + std::to_string(postgresSchemaVersion() + 1) + ")");
  auto s = open(server.uri(), &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kSchemaTooNew));
  EXPECT_NE(detail.find("newer than this authgate"), std::string::npos) << detail;
}

TEST(PostgresStore, UnavailableWhileStoppedAndRecoversAfterARestart) {
  PostgresServer server;
  std::string detail;
  auto s = open(server.uri("sslmode=disable&connect_timeout=2"), &detail);
  ASSERT_TRUE(s) << detail;
  auto& store = **s;
  ASSERT_TRUE(store.put(rec("k1"), 60s, kMustNotExist));

  server.stop();
  const auto start = Clock::now();
  auto down = store.get("k1");
  ASSERT_FALSE(down);
  EXPECT_TRUE(isErr(down.error(), Errc::kStoreUnavailable));
  EXPECT_TRUE(isErr(store.put(rec("k2"), 60s, kMustNotExist).error(), Errc::kStoreUnavailable));
  EXPECT_FALSE(store.ping());
  EXPECT_LT(Clock::now() - start, 3s);

  server.start();
  // The pooled connections died with the server: the next call connects again.
  ASSERT_TRUE(store.ping());
  EXPECT_TRUE(store.get("k1")) << "the record survived the restart";
  EXPECT_TRUE(store.put(rec("k2"), 60s, kMustNotExist));
}

TEST(PostgresStore, AHungServerTimesOutWithinTheCommandTimeout) {
  PostgresServer server;
  std::string detail;
  auto s = open(server.uri(), &detail, 300ms);
  ASSERT_TRUE(s) << detail;
  auto& store = **s;
  ASSERT_TRUE(store.put(rec("k1"), 60s, kMustNotExist));

  server.pause();  // SIGSTOP to every server process: connections stay open, nothing answers
  const auto start = Clock::now();
  auto r = store.get("k1");
  const auto took = Clock::now() - start;
  server.resume();
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kStoreUnavailable));
  EXPECT_LT(took, 1500ms);

  EXPECT_TRUE(store.get("k1")) << "recovers once the server answers again";
}

TEST(PostgresStore, TheListenerComesBackAfterARestartAndSaysEventsMayBeLost) {
  PostgresServer server;
  std::string detail;
  auto a = open(server.uri(), &detail);
  auto b = open(server.uri(), &detail);
  ASSERT_TRUE(a && b) << detail;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  auto sub = (*b)->subscribeRevoked([&](const std::string& k) {
    std::lock_guard lock(mu);
    got.push_back(k);
    cv.notify_all();
  });
  EXPECT_TRUE(sub->live()) << "LISTEN took effect before subscribeRevoked returned";
  ASSERT_TRUE((*a)->publishRevoked("before"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return !got.empty(); }));
    EXPECT_EQ(got.front(), "before");
  }

  server.stop();
  for (int i = 0; i < 50 && sub->live(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(sub->live()) << "a cache fed by it is not trusted while it is down";
  server.start();
  bool received = false;
  for (int i = 0; i < 100 && !received; ++i) {
    (void)(*a)->publishRevoked("after");
    std::unique_lock lock(mu);
    received = cv.wait_for(lock, 100ms,
                           [&] { return std::find(got.begin(), got.end(), "after") != got.end(); });
  }
  ASSERT_TRUE(received);
  std::lock_guard lock(mu);
  EXPECT_NE(std::find(got.begin(), got.end(), ""), got.end())
      << "after reconnecting, subscribers drop everything (events may have been lost)";
  EXPECT_TRUE(sub->live());
}

}  // namespace
}  // namespace authgate::session
