// Connection behaviour against the real server: pipelining, keep-alive, routing
// outcomes and the SIGTERM drain.
#include <gtest/gtest.h>

#include <csignal>

#include "server_test_support.h"

namespace authgate::net::testing {
namespace {

TEST(ServerConnection, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server;
  Client client(server.port());
  // The first request is a slow blocking route: the two fast ones behind it must still
  // be answered after it.
  ASSERT_TRUE(client.send(get("/slow/200/first") + get("/echo/second") + get("/echo/third")));
  std::vector<std::string> bodies;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto res = client.read();
    ASSERT_TRUE(res) << "response " << i;
    EXPECT_EQ(res->result_int(), 200);
    bodies.push_back(res->body());
    ids.emplace_back((*res)["X-Request-Id"]);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(ids[0].size(), 16U);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
}

TEST(ServerConnection, KeepAliveConnectionIsReused) {
  TestServer server;
  Client client(server.port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.send(get("/echo/r" + std::to_string(i))));
    auto res = client.read();
    ASSERT_TRUE(res) << "request " << i;
    EXPECT_EQ(res->body(), "r" + std::to_string(i));
    EXPECT_TRUE(res->keep_alive());
  }
}

TEST(ServerConnection, ConnectionCloseIsHonoured) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(client.send(get("/healthz", /*close=*/true)));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(client.waitClosed());
}

TEST(ServerConnection, UnknownPathGets404AndWrongMethod405) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(
      client.send(get("/nope") + "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
  auto a = client.read();
  auto b = client.read();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->result_int(), 404);
  EXPECT_EQ(b->result_int(), 405);
}

TEST(ServerConnection, HealthzAnswersOk) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(client.send(get("/healthz")));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "ok");
}

TEST(ServerConnection, HeadAnswersWithoutBody) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(client.send("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n" + get("/echo/after")));
  // The client's parser does not know the first response answers a HEAD, so it takes
  // Content-Length (2) bytes as the body: they must be the start of the next response
  // ("HT"), not "ok".
  auto head = client.read();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->result_int(), 200);
  EXPECT_EQ((*head)[boost::beast::http::field::content_length], "2");
  EXPECT_EQ(head->body(), "HT");
}

TEST(ServerDrain, SigtermLetsInFlightRequestFinishAndRefusesNewConnections) {
  auto options = TestServer::defaults();
  options.handle_signals = true;
  TestServer server(options);
  const auto port = server.port();

  Client idle(port);  // an idle keep-alive connection: closed by the drain
  ASSERT_TRUE(idle.send(get("/healthz")));
  ASSERT_TRUE(idle.read());

  Client slow(port);
  ASSERT_TRUE(slow.send(get("/slow/1000/done")));
  // Wait until the slow request is being handled.
  auto& in_flight = server.metrics().gauge("authgate_http_requests_in_flight", "");
  for (int i = 0; i < 200 && in_flight.value() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(in_flight.value(), 1);

  ASSERT_EQ(std::raise(SIGTERM), 0);

  // New connections are refused once the acceptor is closed.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    Client late(port);
    refused = !late.connected();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(idle.waitClosed());

  auto res = slow.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "done");
  EXPECT_FALSE(res->keep_alive());  // Connection: close during the drain

  EXPECT_EQ(server.join(), 0);
}

}  // namespace
}  // namespace authgate::net::testing
