// Request limits against the real server on port 0: 431, 413 (Content-Length and
// chunked), 408, and idle keep-alive connections closed.
#include <gtest/gtest.h>

#include "server_test_support.h"

namespace authgate::net::testing {
namespace {

TEST(ServerLimits, HeaderBlockOver16KiBGets431) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(client.connected());
  std::string req =
      "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n";
  ASSERT_TRUE(client.send(req));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431);
  EXPECT_NE(res->body().find("header"), std::string::npos);
  EXPECT_FALSE(res->keep_alive());
}

TEST(ServerLimits, HeaderBlockJustUnderLimitIsServed) {
  TestServer server;
  Client client(server.port());
  std::string req =
      "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(15 * 1024, 'a') + "\r\n\r\n";
  ASSERT_TRUE(client.send(req));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
}

TEST(ServerLimits, ContentLengthOverLimitGets413) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(
      client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 2000000\r\n\r\n"));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_NE(res->body().find("1048576"), std::string::npos);
}

TEST(ServerLimits, ChunkedBodyOverLimitGets413) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(
      client.send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // 17 chunks of 64 KiB: more than 1 MiB in total, each chunk within the limit.
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  for (int i = 0; i < 17; ++i) {
    if (!client.send(chunk)) break;  // the server may stop reading once it answered
  }
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
}

TEST(ServerLimits, BodyWithinLimitIsDelivered) {
  TestServer server;
  Client client(server.port());
  const std::string body(100 * 1024, 'b');
  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), std::to_string(body.size()));
}

TEST(ServerLimits, RequestStalledMidHeadersGets408ThenClose) {
  TestServer server;  // read_timeout 1 s
  Client client(server.port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: te"));
  auto res = client.read();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 408);
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_TRUE(client.waitClosed());
}

TEST(ServerLimits, IdleKeepAliveConnectionIsClosed) {
  TestServer server;  // idle_timeout 1 s
  Client client(server.port());
  ASSERT_TRUE(client.send(get("/healthz")));
  auto res = client.read();
  ASSERT_TRUE(res);
  ASSERT_TRUE(res->keep_alive());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.waitClosed());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(800));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST(ServerLimits, MalformedRequestGets400) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"));
  auto res = client.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
}

}  // namespace
}  // namespace authgate::net::testing
