#include "webhook/http_request.h"

#include <catch2/catch.hpp>

namespace kilt::webhook {
namespace {

RequestParser::State FeedAll(RequestParser* p, const std::string& data, size_t* consumed) {
  return p->Feed(data.data(), data.size(), consumed);
}

TEST_CASE("a kubectl-style POST: chunked, no Content-Type, no Content-Length") {
  RequestParser p(1024);
  std::string req =
      "POST /mutate?timeout=10s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  size_t used = 0;
  REQUIRE(FeedAll(&p, req, &used) == RequestParser::State::kDone);
  CHECK(used == req.size());
  CHECK(p.request().method == "POST");
  CHECK(p.request().path == "/mutate");
  CHECK(p.request().query == "timeout=10s");
  CHECK(p.request().body == "hello world");
  CHECK(p.request().keep_alive);
  CHECK(p.request().headers.at("host") == "x");
}

TEST_CASE("byte-by-byte arrival and pipelined requests") {
  RequestParser p(1024);
  std::string two = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\nConnection: close\r\n\r\n";
  size_t pos = 0, used = 0;
  RequestParser::State st = RequestParser::State::kNeedMore;
  while (st == RequestParser::State::kNeedMore && pos < two.size()) {
    st = p.Feed(two.data() + pos, 1, &used);
    pos += used;
  }
  REQUIRE(st == RequestParser::State::kDone);
  CHECK(p.request().body == "hi");
  p.Reset();
  REQUIRE(p.Feed(two.data() + pos, two.size() - pos, &used) == RequestParser::State::kDone);
  CHECK(p.request().path == "/b");
  CHECK_FALSE(p.request().keep_alive);
}

TEST_CASE("limits: declared and streamed bodies over the limit are 413, garbage is 400") {
  RequestParser declared(10);
  size_t used;
  CHECK(FeedAll(&declared, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", &used) ==
        RequestParser::State::kError);
  CHECK(declared.error_status() == 413);

  RequestParser chunked(10);
  CHECK(FeedAll(&chunked, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n", &used) ==
        RequestParser::State::kError);
  CHECK(chunked.error_status() == 413);

  RequestParser garbage(10);
  CHECK(FeedAll(&garbage, "\x01\x02 nonsense\r\n\r\n", &used) == RequestParser::State::kError);
  CHECK(garbage.error_status() == 400);

  RequestParser headers(10);
  std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(100 * 1024, 'a') + "\r\n\r\n";
  CHECK(FeedAll(&headers, huge, &used) == RequestParser::State::kError);
  CHECK(headers.error_status() == 431);
}

}  // namespace
}  // namespace kilt::webhook
