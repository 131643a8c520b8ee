#include "capture/scap_event_builder.h"

#include <catch2/catch.hpp>

#include "capture/scap_table.h"
#include "capture/scap_test_util.h"

using namespace kilt::scap;  // NOLINT
using kilt::scap::testing::Event;
using kilt::scap::testing::I64;
using kilt::scap::testing::Str;

TEST_CASE("builder: an event that does not match the table is refused, nothing written") {
  OwnedEventBuffer buf(4096);
  EventBuilder b(&buf);
  SECTION("too few parameters") {
    b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2).Int64(0);
    CHECK(b.Finish() == EncodeStatus::kInvalid);
  }
  SECTION("too many") {
    b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2).Int64(0).String("/").Int64(1);
    CHECK(b.Finish() == EncodeStatus::kInvalid);
  }
  SECTION("wrong width") {
    b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2).UInt32(0).String("/");
    CHECK(b.Finish() == EncodeStatus::kInvalid);
  }
  SECTION("string where the table has an integer") {
    b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2).String("0").String("/");
    CHECK(b.Finish() == EncodeStatus::kInvalid);
  }
  SECTION("an event outside the golden list") {
    b.Begin(6 /* PPME_SYSCALL_READ_E */, 1, 2).Int64(0).UInt32(0);
    CHECK(b.Finish() == EncodeStatus::kInvalid);
  }
  SECTION("more than 32 parameters") {
    b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2);
    for (int i = 0; i < 40; ++i) b.Int64(i);
    CHECK(b.Finish() == EncodeStatus::kInvalid);
  }
  CHECK(buf.size() == 0);
}

TEST_CASE("builder: empty parameters fit any type; the builder is reusable") {
  OwnedEventBuffer buf(4096);
  EventBuilder b(&buf);
  b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2).Empty().Empty();
  REQUIRE(b.Finish() == EncodeStatus::kOk);
  b.Begin(PPME_SYSCALL_CHROOT_X, 1, 2).Int64(0).String("/jail");
  REQUIRE(b.Finish() == EncodeStatus::kOk);
  std::string want = Event(1, 2, 267, {{""}, {""}}) + Event(1, 2, 267, {I64(0), Str("/jail")});
  CHECK(std::string(buf.bytes()) == want);
  CHECK(buf.events() == 2);
}

TEST_CASE("table: generated from libs 0.25.4, sorted, lookups work") {
  CHECK(std::string(kLibsVersion) == "0.25.4");
  for (size_t i = 1; i < kNumEvents; ++i) CHECK(kEvents[i - 1].code < kEvents[i].code);
  const EventInfo* e = FindEvent(PPME_SYSCALL_EXECVE_19_X);
  REQUIRE(e != nullptr);
  CHECK(std::string(e->name) == "execve");
  CHECK(e->exit);
  CHECK(e->nparams == 31);
  CHECK(std::string(e->params[27].name) == "trusted_exepath");
  CHECK(e->params[27].type == PT_FSPATH);
  CHECK(FindEvent(6) == nullptr);
  CHECK(FindEvent(0xffff) == nullptr);
  for (const EnterFromExit& m : kEnterFromExit) {
    const EventInfo* x = FindEvent(m.exit_code);
    const EventInfo* n = FindEvent(m.enter_code);
    REQUIRE(x != nullptr);
    REQUIRE(n != nullptr);
    CHECK(n->nparams == m.nparams);
    for (int i = 0; i < m.nparams; ++i) {
      CHECK(std::string(n->params[i].name) == x->params[m.exit_param[i]].name);
    }
  }
}
