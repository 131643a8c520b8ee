#include "launcher/line_framer.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using kilt::launcher::LineFramer;
using kilt::launcher::LogFormat;

namespace {
struct Collect : kilt::launcher::LineSink {
  std::vector<std::string> lines;
  void Line(const char* d, size_t n) override {
    REQUIRE(n <= kilt::launcher::kMaxFramedLine);
    REQUIRE(n > 0);
    REQUIRE(d[n - 1] == '\n');
    lines.emplace_back(d, n);
  }
};
}  // namespace

TEST_CASE("plain: whole lines tagged, partial line waits, flushed at the end") {
  LineFramer f("falco", "stdout", LogFormat::kPlain, true);
  Collect c;
  f.Feed("one\ntw", 6, &c);
  REQUIRE(c.lines == std::vector<std::string>{"[falco] one\n"});
  f.Feed("o\n\nthr", 6, &c);
  REQUIRE(c.lines == std::vector<std::string>{"[falco] one\n", "[falco] two\n", "[falco] \n"});
  f.Flush(&c);
  CHECK(c.lines.back() == "[falco] thr\n");
  f.Flush(&c);
  CHECK(c.lines.size() == 4);
}

TEST_CASE("plain: byte-at-a-time input gives the same lines") {
  LineFramer f("a", "stdout", LogFormat::kPlain, true);
  Collect c;
  std::string in = "hello world\nsecond\n";
  for (char ch : in) f.Feed(&ch, 1, &c);
  CHECK(c.lines == std::vector<std::string>{"[a] hello world\n", "[a] second\n"});
}

TEST_CASE("plain: an over-long line is split into marked pieces, nothing lost") {
  LineFramer f("agent", "stdout", LogFormat::kPlain, true);
  Collect c;
  std::string big(10000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::string in = big + "\nnext\n";
  f.Feed(in.data(), in.size(), &c);
  REQUIRE(c.lines.size() >= 4);
  std::string joined;
  for (size_t i = 0; i + 1 < c.lines.size(); ++i) {
    const std::string& l = c.lines[i];
    std::string pre = i == 0 ? "[agent] " : "[agent+] ";
    REQUIRE(l.rfind(pre, 0) == 0);
    joined += l.substr(pre.size(), l.size() - pre.size() - 1);
  }
  CHECK(joined == big);
  CHECK(c.lines.back() == "[agent] next\n");
}

TEST_CASE("plain: splitting never cuts a UTF-8 character") {
  LineFramer f("a", "stdout", LogFormat::kPlain, true);
  Collect c;
  std::string line;
  while (line.size() < 9000) line += "\xc3\xa9";  // é
  line += "\n";
  f.Feed(line.data(), line.size(), &c);
  for (const std::string& l : c.lines) {
    size_t start = l.find("] ") + 2;
    CHECK(static_cast<unsigned char>(l[start]) == 0xc3);
  }
}

TEST_CASE("json: escaped message with stream") {
  LineFramer f("falco", "stderr", LogFormat::kJson, true);
  Collect c;
  std::string in = "say \"hi\"\\ \t\x01 \xc3\xa9 \xff end\n";
  f.Feed(in.data(), in.size(), &c);
  REQUIRE(c.lines.size() == 1);
  CHECK(c.lines[0] ==
        "{\"kilt\":\"falco\",\"stream\":\"stderr\",\"msg\":\"say \\\"hi\\\"\\\\ \\t\\u0001 \xc3\xa9 \\ufffd end\"}\n");
  CHECK(kilt::launcher::IsJsonObject(c.lines[0]));
}

TEST_CASE("json: an object line is embedded, anything else is a string") {
  LineFramer f("falco", "stdout", LogFormat::kJson, true);
  Collect c;
  std::string in = "{\"output\":\"alert\",\"priority\":\"Warning\",\"n\":[1,2.5e3,null,true]}\n{not json}\n";
  f.Feed(in.data(), in.size(), &c);
  REQUIRE(c.lines.size() == 2);
  CHECK(c.lines[0] ==
        "{\"kilt\":\"falco\",\"stream\":\"stdout\",\"msg\":{\"output\":\"alert\",\"priority\":\"Warning\",\"n\":[1,"
        "2.5e3,null,true]}}\n");
  CHECK(c.lines[1] == "{\"kilt\":\"falco\",\"stream\":\"stdout\",\"msg\":\"{not json}\"}\n");
  LineFramer g("falco", "stdout", LogFormat::kJson, false);
  Collect d;
  g.Feed(in.data(), in.size(), &d);
  CHECK(d.lines[0].find("\"msg\":\"{\\\"output") != std::string::npos);
}

TEST_CASE("json: long escaped lines split into valid JSON pieces") {
  LineFramer f("a", "stdout", LogFormat::kJson, true);
  Collect c;
  std::string in(20000, '\x02');
  in += "\n";
  f.Feed(in.data(), in.size(), &c);
  REQUIRE(c.lines.size() >= 6);
  for (size_t i = 0; i < c.lines.size(); ++i) {
    CHECK(kilt::launcher::IsJsonObject(c.lines[i]));
    CHECK((c.lines[i].find("\"cont\":true") != std::string::npos) == (i > 0));
  }
}

TEST_CASE("IsJsonObject") {
  CHECK(kilt::launcher::IsJsonObject("{}"));
  CHECK(kilt::launcher::IsJsonObject(" {\"a\":{\"b\":[]}} "));
  CHECK(kilt::launcher::IsJsonObject("{\"u\":\"\\u00e9\"}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("[]"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("\"s\""));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\":1}x"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\":01}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\":\"\x01\"}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\":\"\xff\"}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\":tru}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\" 1}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject("{\"a\":1,}"));
  CHECK_FALSE(kilt::launcher::IsJsonObject(std::string(100, '{') + std::string(100, '}')));
}

namespace {
// Takes framed lines through the batch path (ReserveBatch/Commit), with a room that varies between
// reservations, so batches end at every kind of boundary.
struct BatchCollect : Collect {
  std::vector<char> buf;
  size_t next_room = 0;
  unsigned rng = 7;
  char* ReserveBatch(size_t* room) override {
    rng = rng * 1103515245 + 12345;
    next_room = kilt::launcher::kMaxFramedLine + kilt::launcher::kBatchSlack + (rng >> 8) % 9000;
    buf.assign(next_room, '\0');
    *room = next_room;
    return buf.data();
  }
  void Commit(size_t len) override {
    REQUIRE(len <= next_room);
    size_t o = 0;
    while (o < len) {
      const char* nl = static_cast<const char*>(memchr(buf.data() + o, '\n', len - o));
      REQUIRE(nl != nullptr);  // whole lines only
      size_t n = static_cast<size_t>(nl - (buf.data() + o)) + 1;
      Line(buf.data() + o, n);
      o += n;
    }
  }
};
}  // namespace

TEST_CASE("plain: the batch path frames exactly like the line-at-a-time path") {
  std::string in;
  unsigned r = 1;
  for (int i = 0; i < 3000; ++i) {
    r = r * 1103515245 + 12345;
    size_t len = (r >> 8) % 64 == 0 ? (r >> 4) % 9000 : (r >> 8) % 200;  // some over-long lines
    for (size_t k = 0; k < len; ++k) in.push_back(static_cast<char>(k % 7 == 6 ? 0xC3 : 'a' + (i + k) % 26));
    in.push_back('\n');
  }
  in += "unfinished";
  for (const char* tag : {"tag", "a-rather-long-agent-name"})  // prefix within / beyond 16 bytes
  for (size_t chunk : {1u, 15u, 16u, 17u, 100u, 4096u, 65536u, 1u << 20}) {
    LineFramer a(tag, "stdout", LogFormat::kPlain, true), b(tag, "stdout", LogFormat::kPlain, true);
    Collect ca;
    BatchCollect cb;
    for (size_t off = 0; off < in.size(); off += chunk) {
      size_t n = std::min(chunk, in.size() - off);
      a.Feed(in.data() + off, n, &ca);
      b.Feed(in.data() + off, n, &cb);
    }
    a.Flush(&ca);
    b.Flush(&cb);
    INFO("tag " << tag << ", chunk " << chunk);
    REQUIRE(cb.lines.size() == ca.lines.size());
    CHECK(cb.lines == ca.lines);
  }
}
