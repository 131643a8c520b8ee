// Golden bytes for every event the encoder writes. The expected events are spelled out by hand from
// the parameter lists of libs 0.25.4 (capture/event_params.golden) with literal codes and literal
// PPM_* values (ppm_events_public.h), so a mistake in the encoder or in the generated table shows
// here.
#include "capture/scap_encoder.h"

#include <catch2/catch.hpp>
#include <string>

#include "capture/scap_test_util.h"

using namespace kilt::scap;           // NOLINT
using namespace kilt::scap::testing;  // NOLINT

namespace {

constexpr uint64_t kTs = 1700000000123456789ull;
constexpr int64_t kTid = 4242;
const EventHeader kHdr{kTs, kTid};

template <typename E>
std::string Enc(const E& e) {
  OwnedEventBuffer buf(1 << 17);
  REQUIRE(Encode(kHdr, e, &buf) == EncodeStatus::kOk);
  REQUIRE(buf.events() == 1);
  return std::string(buf.bytes());
}

#define CHECK_BYTES(got, want)                         \
  do {                                                 \
    std::string g = (got), w = (want);                 \
    INFO("got:\n" << Hex(g) << "\nwant:\n" << Hex(w)); \
    CHECK(g == w);                                     \
  } while (0)

ProcessInfo SampleProcess() {
  ProcessInfo p;
  p.exe = "cat";
  p.args = std::string_view("/etc/shadow\0", 12);
  p.tid = 101;
  p.pid = 101;
  p.ptid = 100;
  p.cwd = "/root";
  p.fdlimit = 1024;
  p.pgft_maj = 1;
  p.pgft_min = 2;
  p.vm_size_kb = 3;
  p.vm_rss_kb = 4;
  p.vm_swap_kb = 5;
  p.comm = "cat";
  p.cgroups = std::string_view("cpuset=/ecs/t/c\0memory=/ecs/t/c\0", 32);
  p.uid = 1000;
  p.gid = 1001;
  p.env = std::string_view("PATH=/bin\0HOME=/root", 20);  // no final NUL: the encoder adds it
  p.tty = 34816;
  p.pgid = 90;
  p.vpgid = 91;
  p.loginuid = UINT32_MAX;
  p.exe_flags = 2;  // PPM_EXE_UPPER_LAYER
  p.cap_inheritable = 0;
  p.cap_permitted = 0xa80425fb;
  p.cap_effective = (1ull << 41) | 0x20;  // bit 41 is unknown to scap and dropped
  p.exe_ino = 777;
  p.exe_ino_ctime = 11;
  p.exe_ino_mtime = 12;
  p.trusted_exepath = "/usr/bin/cat";
  p.filename = "/bin/cat";
  p.vtid = 1;
  p.vpid = 1;
  p.pidns_init_start_ts = 99;
  return p;
}

}  // namespace

TEST_CASE("execve exit: 31 parameters of libs 0.25.4") {
  ExecveExit e{0, SampleProcess()};
  std::string want = Event(kTs, kTid, 293,
                           {I64(0),
                            Str("cat"),
                            Raw(std::string("/etc/shadow\0", 12)),
                            I64(101),
                            I64(101),
                            I64(100),
                            Str("/root"),
                            U64(1024),
                            U64(1),
                            U64(2),
                            U32(3),
                            U32(4),
                            U32(5),
                            Str("cat"),
                            Raw(std::string("cpuset=/ecs/t/c\0memory=/ecs/t/c\0", 32)),
                            Raw(std::string("PATH=/bin\0HOME=/root\0", 21)),
                            U32(34816),
                            I64(91),
                            U32(0xffffffff),
                            U32(2),
                            U64(0),
                            U64(0xa80425fb),
                            U64(0x20),
                            U64(777),
                            U64(11),
                            U64(12),
                            U32(1000),
                            Str("/usr/bin/cat"),
                            I64(90),
                            U32(1001),
                            Str("/bin/cat")});
  CHECK_BYTES(Enc(e), want);
}

TEST_CASE("execveat exit: 30 parameters, no filename") {
  ExecveatExit e{-2, SampleProcess()};
  std::string want = Event(kTs, kTid, 331,
                           {I64(-2),
                            Str("cat"),
                            Raw(std::string("/etc/shadow\0", 12)),
                            I64(101),
                            I64(101),
                            I64(100),
                            Str("/root"),
                            U64(1024),
                            U64(1),
                            U64(2),
                            U32(3),
                            U32(4),
                            U32(5),
                            Str("cat"),
                            Raw(std::string("cpuset=/ecs/t/c\0memory=/ecs/t/c\0", 32)),
                            Raw(std::string("PATH=/bin\0HOME=/root\0", 21)),
                            U32(34816),
                            I64(91),
                            U32(0xffffffff),
                            U32(2),
                            U64(0),
                            U64(0xa80425fb),
                            U64(0x20),
                            U64(777),
                            U64(11),
                            U64(12),
                            U32(1000),
                            Str("/usr/bin/cat"),
                            I64(90),
                            U32(1001)});
  CHECK_BYTES(Enc(e), want);
}

TEST_CASE("clone family exits: codes, 21 parameters, PPM_CL_* flags") {
  struct Case {
    CloneKind kind;
    uint16_t code;
  } cases[] = {{CloneKind::kClone, 223},
               {CloneKind::kFork, 225},
               {CloneKind::kVfork, 227},
               {CloneKind::kClone3, 335}};
  for (const Case& c : cases) {
    CloneExit e;
    e.kind = c.kind;
    e.res = 102;
    e.proc = SampleProcess();
    // CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|
    // CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID: what glibc's pthread_create passes.
    e.flags = 0x3d0f00;
    e.extra_scap_flags = 1u << 29;  // PPM_CL_CHILD_IN_PIDNS
    // PPM_CL_CLONE_FILES 1<<0 | FS 1<<1 | PARENT_SETTID 1<<9 | SIGHAND 1<<11 | SYSVSEM 1<<12 |
    // THREAD 1<<13 | VM 1<<15 | CHILD_CLEARTID 1<<23 | SETTLS 1<<25
    uint32_t ppm = (1u << 0) | (1u << 1) | (1u << 9) | (1u << 11) | (1u << 12) | (1u << 13) |
                   (1u << 15) | (1u << 23) | (1u << 25) | (1u << 29);
    std::string want =
        Event(kTs, kTid, c.code,
              {I64(102),     Str("cat"), Raw(std::string("/etc/shadow\0", 12)),
               I64(101),     I64(101),   I64(100),
               Str("/root"), I64(1024),  U64(1),
               U64(2),       U32(3),     U32(4),
               U32(5),       Str("cat"), Raw(std::string("cpuset=/ecs/t/c\0memory=/ecs/t/c\0", 32)),
               U32(ppm),     U32(1000),  U32(1001),
               I64(1),       I64(1),     U64(99)});
    CHECK_BYTES(Enc(e), want);
  }
}

TEST_CASE("procexit: wait status split into status, ret, sig, core") {
  CHECK_BYTES(Enc(ProcExit{3 << 8, 0}),
              Event(kTs, kTid, 186, {I64(0x300), I64(3), U8(0), U8(0), I64(0)}));
  CHECK_BYTES(Enc(ProcExit{9, 1}), Event(kTs, kTid, 186, {I64(9), I64(0), U8(9), U8(0), I64(1)}));
  CHECK_BYTES(Enc(ProcExit{0x80 | 11, 0}),
              Event(kTs, kTid, 186, {I64(0x8b), I64(0), U8(11), U8(1), I64(0)}));
}

TEST_CASE("open family: PPM_O_* flags, mode only when creating") {
  OpenatExit at;
  at.fd = 3;
  at.dirfd = -100;
  at.name = "/etc/shadow";
  at.flags = 02000000;  // O_RDONLY | O_CLOEXEC
  at.mode = 0644;       // ignored without O_CREAT
  at.dev = 0x801;
  at.ino = 1234;
  // PPM_O_RDONLY 1 | PPM_O_CLOEXEC 1<<12
  CHECK_BYTES(Enc(at), Event(kTs, kTid, 307,
                             {I64(3), I64(-100), Str("/etc/shadow"), U32(1 | (1 << 12)), U32(0),
                              U32(0x801), U64(1234)}));

  OpenExit o;
  o.fd = 4;
  o.name = "log.txt";
  o.flags = 01 | 0100 | 01000 | 02000;  // O_WRONLY|O_CREAT|O_TRUNC|O_APPEND
  o.mode = 0640;
  o.extra_scap_flags = 1u << 14;  // PPM_O_F_CREATED
  // PPM_O_WRONLY 2 | CREAT 4 | APPEND 8 | TRUNC 256 | F_CREATED 1<<14; mode: PPM_S_IRUSR 256 |
  // IWUSR 128 | IRGRP 32
  CHECK_BYTES(Enc(o), Event(kTs, kTid, 3,
                            {I64(4), Str("log.txt"), U32(2 | 4 | 8 | 256 | (1 << 14)),
                             U32(256 | 128 | 32), U32(0), U64(0)}));

  Openat2Exit o2;
  o2.fd = -2;  // ENOENT
  o2.dirfd = 5;
  o2.name = "x";
  o2.flags = 02;      // O_RDWR
  o2.resolve = 0x0c;  // RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH
  // PPM_O_RDWR 3; PPM_RESOLVE_NO_SYMLINKS 1<<3 | PPM_RESOLVE_BENEATH 1<<0
  CHECK_BYTES(Enc(o2),
              Event(kTs, kTid, 327,
                    {I64(-2), I64(5), Str("x"), U32(3), U32(0), U32(8 | 1), U32(0), U64(0)}));

  CreatExit c;
  c.fd = 6;
  c.name = "/tmp/a";
  c.mode = 04755;
  c.creat_flags = 1;  // PPM_FD_UPPER_LAYER_CREAT
  // PPM_S_ISUID 1<<11 | IRUSR|IWUSR|IXUSR 448 | IRGRP|IXGRP 40 | IROTH|IXOTH 5
  CHECK_BYTES(Enc(c),
              Event(kTs, kTid, 59,
                    {I64(6), Str("/tmp/a"), U32(2048 | 448 | 40 | 5), U32(0), U64(0), U16(1)}));
}

TEST_CASE("close exit, fully literal") {
  std::string want(
      "\x15\xcd\x5b\x07\x00\x00\x00\x00"   // ts 123456789
      "\x07\x00\x00\x00\x00\x00\x00\x00"   // tid 7
      "\x2e\x00\x00\x00"                   // len 46 = 26 + 2*2 + 8 + 8
      "\x05\x00"                           // PPME_SYSCALL_CLOSE_X
      "\x02\x00\x00\x00"                   // nparams
      "\x08\x00\x08\x00"                   // lengths
      "\x00\x00\x00\x00\x00\x00\x00\x00"   // res 0
      "\x03\x00\x00\x00\x00\x00\x00\x00",  // fd 3
      46);
  OwnedEventBuffer buf(1024);
  REQUIRE(Encode(EventHeader{123456789, 7}, CloseExit{0, 3}, &buf) == EncodeStatus::kOk);
  CHECK_BYTES(std::string(buf.bytes()), want);
}

TEST_CASE("socket exit: family, raw type, SOCK_* flags as PPM_O_*") {
  SocketExit s{5, 17 /*AF_PACKET*/, 3 | 04000 | 02000000 /*SOCK_RAW|NONBLOCK|CLOEXEC*/, 0x300};
  CHECK_BYTES(Enc(s), Event(kTs, kTid, 19,
                            {I64(5), U32(17), U32(3 | 04000 | 02000000), U32(0x300),
                             U32((1 << 6) | (1 << 12))}));
}

TEST_CASE("connect exit: IPv4 tuple local->remote, sockaddr, fd") {
  std::string local = SockaddrIn(10, 0, 0, 2, 45000), remote = SockaddrIn(93, 184, 216, 34, 443);
  ConnectExit c;
  c.res = 0;
  c.fd = 7;
  c.ends.local = local;
  c.ends.remote = remote;
  c.addr = remote;
  std::string tuple =
      std::string("\x02\x0a\x00\x00\x02", 5) + Le(45000, 2) + "\x5d\xb8\xd8\x22" + Le(443, 2);
  std::string addr = std::string("\x02") + "\x5d\xb8\xd8\x22" + Le(443, 2);
  CHECK_BYTES(Enc(c), Event(kTs, kTid, 23, {I64(0), Raw(tuple), I64(7), Raw(addr)}));

  SECTION("failed connect: no tuple, the address still") {
    c.res = -111;  // ECONNREFUSED
    CHECK_BYTES(Enc(c), Event(kTs, kTid, 23, {I64(-111), None(), I64(7), Raw(addr)}));
  }
  SECTION("EINPROGRESS keeps the tuple") {
    c.res = -115;
    CHECK_BYTES(Enc(c), Event(kTs, kTid, 23, {I64(-115), Raw(tuple), I64(7), Raw(addr)}));
  }
  SECTION("unknown local end: zeros") {
    c.ends.local = {};
    std::string t0 = std::string("\x02") + std::string(6, '\0') + "\x5d\xb8\xd8\x22" + Le(443, 2);
    CHECK_BYTES(Enc(c), Event(kTs, kTid, 23, {I64(0), Raw(t0), I64(7), Raw(addr)}));
  }
}

TEST_CASE("connect exit: IPv6 and AF_UNIX tuples") {
  const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::string l6 = SockaddrIn6(lo6, 40000), r6 = SockaddrIn6(lo6, 80);
  ConnectExit c;
  c.fd = 8;
  c.ends = {l6, r6};
  c.addr = r6;
  std::string ip(reinterpret_cast<const char*>(lo6), 16);
  std::string tuple = std::string("\x0a") + ip + Le(40000, 2) + ip + Le(80, 2);
  REQUIRE(tuple.size() == 37);
  CHECK_BYTES(Enc(c),
              Event(kTs, kTid, 23,
                    {I64(0), Raw(tuple), I64(8), Raw(std::string("\x0a") + ip + Le(80, 2))}));

  std::string path = SockaddrUn("/run/app.sock");
  std::string unnamed = SockaddrUn("", false).substr(0, 2);  // an unbound client socket
  ConnectExit u;
  u.fd = 9;
  u.ends.local = unnamed;
  u.ends.remote = path;
  u.ends.local_id = 0x1111;
  u.ends.remote_id = 0x2222;
  u.addr = path;
  // family | server id | client id | server path
  std::string ut = std::string("\x01") + Le(0x2222, 8) + Le(0x1111, 8) + "/run/app.sock" + '\0';
  CHECK_BYTES(Enc(u),
              Event(kTs, kTid, 23,
                    {I64(0), Raw(ut), I64(9), Raw(std::string("\x01/run/app.sock") + '\0')}));

  SECTION("abstract names lose their leading NUL") {
    std::string abs = SockaddrUn("kilt", true);
    uint8_t out[kMaxSockParamSize];
    size_t n = EncodeSockaddr(abs, out);
    CHECK(std::string(reinterpret_cast<char*>(out), n) == std::string("\x01kilt") + '\0');
  }
}

TEST_CASE("accept and accept4: tuple peer->local") {
  std::string local = SockaddrIn(127, 0, 0, 1, 8080), peer = SockaddrIn(127, 0, 0, 1, 50000);
  AcceptExit a;
  a.fd = 10;
  a.ends = {local, peer};
  a.queuepct = 5;
  a.queuelen = 1;
  a.queuemax = 20;
  std::string tuple = std::string("\x02\x7f\x00\x00\x01", 5) + Le(50000, 2) +
                      std::string("\x7f\x00\x00\x01", 4) + Le(8080, 2);
  CHECK_BYTES(Enc(a), Event(kTs, kTid, 247, {I64(10), Raw(tuple), U8(5), U32(1), U32(20)}));
  a.accept4 = true;
  a.flags = 02000000;  // SOCK_CLOEXEC
  CHECK_BYTES(Enc(a),
              Event(kTs, kTid, 389, {I64(10), Raw(tuple), U8(5), U32(1), U32(20), U32(1 << 12)}));
  a.fd = -11;  // EAGAIN: no tuple
  CHECK_BYTES(Enc(a),
              Event(kTs, kTid, 389, {I64(-11), None(), U8(5), U32(1), U32(20), U32(1 << 12)}));
}

TEST_CASE("bind, listen") {
  std::string any = SockaddrIn(0, 0, 0, 0, 22);
  CHECK_BYTES(
      Enc(BindExit{0, 3, any}),
      Event(kTs, kTid, 21, {I64(0), Raw(std::string("\x02\0\0\0\0", 5) + Le(22, 2)), I64(3)}));
  CHECK_BYTES(Enc(ListenExit{0, 3, 128}), Event(kTs, kTid, 25, {I64(0), I64(3), U32(128)}));
}

TEST_CASE("sendto and sendmsg: data, size, tuple") {
  std::string local = SockaddrIn(10, 0, 0, 2, 5353), dst = SockaddrIn(8, 8, 8, 8, 53);
  SendExit s;
  s.res = 4;
  s.fd = 6;
  s.data = "abcd";
  s.size = 4;
  s.ends = {local, dst};
  std::string tuple =
      std::string("\x02\x0a\x00\x00\x02", 5) + Le(5353, 2) + "\x08\x08\x08\x08" + Le(53, 2);
  CHECK_BYTES(Enc(s), Event(kTs, kTid, 31, {I64(4), Raw("abcd"), I64(6), U32(4), Raw(tuple)}));
  s.sendmsg = true;
  CHECK_BYTES(Enc(s), Event(kTs, kTid, 49, {I64(4), Raw("abcd"), I64(6), U32(4), Raw(tuple)}));
}

TEST_CASE("socketpair, pipe, pipe2") {
  CHECK_BYTES(
      Enc(SocketpairExit{0, 3, 4, 0xa, 0xb, 1, 1, 0}),
      Event(kTs, kTid, 43, {I64(0), I64(3), I64(4), U64(0xa), U64(0xb), U32(1), U32(1), U32(0)}));
  CHECK_BYTES(Enc(PipeExit{false, 0, 3, 4, 99, 0}),
              Event(kTs, kTid, 61, {I64(0), I64(3), I64(4), U64(99)}));
  // pipe2(O_CLOEXEC|O_NONBLOCK) -> PPM_O_CLOEXEC | PPM_O_NONBLOCK
  CHECK_BYTES(Enc(PipeExit{true, 0, 3, 4, 99, 02000000 | 04000}),
              Event(kTs, kTid, 393, {I64(0), I64(3), I64(4), U64(99), U32((1 << 12) | (1 << 6))}));
}

TEST_CASE("dup, dup2, dup3") {
  CHECK_BYTES(Enc(DupExit{DupKind::kDup, 5, 3, -1, 0}), Event(kTs, kTid, 367, {I64(5), I64(3)}));
  CHECK_BYTES(Enc(DupExit{DupKind::kDup2, 1, 3, 1, 0}),
              Event(kTs, kTid, 363, {I64(1), I64(3), I64(1)}));
  CHECK_BYTES(Enc(DupExit{DupKind::kDup3, 0, 3, 0, 02000000}),
              Event(kTs, kTid, 365, {I64(0), I64(3), I64(0), U32(1 << 12)}));
}

TEST_CASE("fcntl: command as PPM_FCNTL_*") {
  // F_DUPFD_CLOEXEC (1030) -> PPM_FCNTL_F_DUPFD_CLOEXEC 26
  CHECK_BYTES(Enc(FcntlExit{7, 3, 1030, 10}),
              Event(kTs, kTid, 151, {I64(7), I64(3), U8(26), U64(10)}));
  CHECK_BYTES(Enc(FcntlExit{0, 3, 12345, 0}),
              Event(kTs, kTid, 151, {I64(0), I64(3), U8(0), U64(0)}));
}

TEST_CASE("links, unlinks, renames, directories") {
  CHECK_BYTES(Enc(SymlinkExit{0, "/etc/shadow", "/tmp/s"}),
              Event(kTs, kTid, 179, {I64(0), Str("/etc/shadow"), Str("/tmp/s")}));
  CHECK_BYTES(Enc(SymlinkatExit{0, "/etc/passwd", -100, "p"}),
              Event(kTs, kTid, 181, {I64(0), Str("/etc/passwd"), I64(-100), Str("p")}));
  CHECK_BYTES(Enc(LinkExit{0, "/etc/shadow", "/tmp/h"}),
              Event(kTs, kTid, 309, {I64(0), Str("/etc/shadow"), Str("/tmp/h")}));
  // AT_SYMLINK_FOLLOW 0x400 -> PPM_AT_SYMLINK_FOLLOW 0x400
  CHECK_BYTES(Enc(LinkatExit{0, -100, "a", 3, "b", 0x400}),
              Event(kTs, kTid, 311, {I64(0), I64(-100), Str("a"), I64(3), Str("b"), U32(0x400)}));
  CHECK_BYTES(Enc(UnlinkExit{-2, "/nope"}), Event(kTs, kTid, 301, {I64(-2), Str("/nope")}));
  CHECK_BYTES(Enc(UnlinkatExit{0, 4, "d", 0x200}),
              Event(kTs, kTid, 303, {I64(0), I64(4), Str("d"), U32(0x200)}));
  CHECK_BYTES(Enc(RenameExit{0, "a", "b"}), Event(kTs, kTid, 175, {I64(0), Str("a"), Str("b")}));
  CHECK_BYTES(Enc(RenameatExit{false, 0, -100, "a", -100, "b", 0}),
              Event(kTs, kTid, 177, {I64(0), I64(-100), Str("a"), I64(-100), Str("b")}));
  CHECK_BYTES(Enc(RenameatExit{true, 0, -100, "a", -100, "b", 2 /*RENAME_EXCHANGE*/}),
              Event(kTs, kTid, 319, {I64(0), I64(-100), Str("a"), I64(-100), Str("b"), U32(2)}));
  CHECK_BYTES(Enc(MkdirExit{0, "/tmp/d", 0755}),
              Event(kTs, kTid, 277, {I64(0), Str("/tmp/d"), U32(0755)}));
  CHECK_BYTES(Enc(MkdiratExit{0, -100, "d", 0700}),
              Event(kTs, kTid, 305, {I64(0), I64(-100), Str("d"), U32(0700)}));
  CHECK_BYTES(Enc(RmdirExit{0, "d"}), Event(kTs, kTid, 279, {I64(0), Str("d")}));
}

TEST_CASE("chmod family: PPM_S_* modes") {
  CHECK_BYTES(Enc(ChmodExit{0, "/bin/x", 04755}),
              Event(kTs, kTid, 315, {I64(0), Str("/bin/x"), U32(2048 | 448 | 40 | 5)}));
  CHECK_BYTES(Enc(FchmodExit{0, 3, 0600}), Event(kTs, kTid, 317, {I64(0), I64(3), U32(256 | 128)}));
  CHECK_BYTES(Enc(FchmodatExit{0, -100, "f", 01777}),
              Event(kTs, kTid, 313, {I64(0), I64(-100), Str("f"), U32(512 | 511)}));
}

TEST_CASE("credentials and sessions") {
  CHECK_BYTES(Enc(SetuidExit{0, 0}), Event(kTs, kTid, 199, {I64(0), U32(0)}));
  CHECK_BYTES(Enc(SetgidExit{-1, 5}), Event(kTs, kTid, 201, {I64(-1), U32(5)}));
  CHECK_BYTES(Enc(SetresuidExit{0, 1, 2, UINT32_MAX}),
              Event(kTs, kTid, 193, {I64(0), U32(1), U32(2), U32(0xffffffff)}));
  CHECK_BYTES(Enc(SetresgidExit{0, 3, 4, 5}),
              Event(kTs, kTid, 195, {I64(0), U32(3), U32(4), U32(5)}));
  CHECK_BYTES(Enc(SetreuidExit{0, 6, 7}), Event(kTs, kTid, 427, {I64(0), U32(6), U32(7)}));
  CHECK_BYTES(Enc(SetregidExit{0, 8, 9}), Event(kTs, kTid, 429, {I64(0), U32(8), U32(9)}));
  CHECK_BYTES(Enc(SetsidExit{77}), Event(kTs, kTid, 275, {I64(77)}));
  CHECK_BYTES(Enc(SetpgidExit{0, 0, 0}), Event(kTs, kTid, 295, {I64(0), I64(0), I64(0)}));
}

TEST_CASE("cwd and root changes, memfd_create") {
  CHECK_BYTES(Enc(ChdirExit{0, "/tmp"}), Event(kTs, kTid, 95, {I64(0), Str("/tmp")}));
  CHECK_BYTES(Enc(FchdirExit{0, 3}), Event(kTs, kTid, 97, {I64(0), I64(3)}));
  CHECK_BYTES(Enc(ChrootExit{0, "/jail"}), Event(kTs, kTid, 267, {I64(0), Str("/jail")}));
  CHECK_BYTES(Enc(MemfdCreateExit{3, "x", 3 /*MFD_CLOEXEC|MFD_ALLOW_SEALING*/}),
              Event(kTs, kTid, 405, {I64(3), Str("x"), U32(3)}));
}

TEST_CASE("ptrace: request as PPM_PTRACE_*, addr/data as PT_DYN") {
  // PTRACE_ATTACH (16) -> PPM_PTRACE_ATTACH 11; data as u64 (index 0)
  CHECK_BYTES(Enc(PtraceExit{-1, 16, 55, 0x10, 0x20}),
              Event(kTs, kTid, 169,
                    {I64(-1), Raw(std::string("\0", 1) + Le(0, 8)),
                     Raw(std::string("\0", 1) + Le(0, 8)), U16(11), I64(55)}));
  // PTRACE_CONT (7) with signal 15 -> PPM_PTRACE_CONT 8; data as SIGTYPE (index 1)
  CHECK_BYTES(
      Enc(PtraceExit{0, 7, 55, 0x10, 15}),
      Event(kTs, kTid, 169,
            {I64(0), Raw(std::string("\0", 1) + Le(0x10, 8)), Raw("\x01\x0f"), U16(8), I64(55)}));
  // PTRACE_TRACEME (0) -> 1
  CHECK_BYTES(Enc(PtraceExit{0, 0, 0, 0, 0}),
              Event(kTs, kTid, 169,
                    {I64(0), Raw(std::string("\0", 1) + Le(0, 8)),
                     Raw(std::string("\0", 1) + Le(0, 8)), U16(1), I64(0)}));
}

TEST_CASE("prctl, mount, umount2, unshare, setns") {
  PrctlExit p;
  p.option = 15;  // PR_SET_NAME
  p.arg2_str = "worker";
  CHECK_BYTES(Enc(p), Event(kTs, kTid, 401, {I64(0), U32(15), Str("worker"), I64(0)}));
  p.option = 36;  // PR_SET_CHILD_SUBREAPER
  p.arg2_str = {};
  p.arg2_int = 1;
  CHECK_BYTES(Enc(p), Event(kTs, kTid, 401, {I64(0), U32(36), None(), I64(1)}));

  // MS_MGC_VAL | MS_RDONLY | MS_BIND: the magic is dropped
  CHECK_BYTES(Enc(MountExit{-1, "/dev/x", "/mnt", "ext4", 0xC0ED0000u | 1 | 4096}),
              Event(kTs, kTid, 257, {I64(-1), Str("/dev/x"), Str("/mnt"), Str("ext4"), U32(4097)}));
  CHECK_BYTES(Enc(Umount2Exit{0, "/mnt", 2 /*MNT_DETACH*/}),
              Event(kTs, kTid, 391, {I64(0), Str("/mnt"), U32(2)}));
  // CLONE_NEWNS 0x20000 | CLONE_NEWUSER 0x10000000 -> PPM_CL_CLONE_NEWNS 1<<5 | NEWUSER 1<<20
  CHECK_BYTES(Enc(UnshareExit{0, 0x10020000}),
              Event(kTs, kTid, 285, {I64(0), U32((1 << 5) | (1 << 20))}));
  // CLONE_NEWNET 0x40000000 -> PPM_CL_CLONE_NEWNET 1<<4
  CHECK_BYTES(Enc(SetnsExit{0, 3, 0x40000000}),
              Event(kTs, kTid, 241, {I64(0), I64(3), U32(1 << 4)}));
}

TEST_CASE("init_module, finit_module") {
  CHECK_BYTES(Enc(InitModuleExit{-1,
                                 "\x7f"
                                 "ELF",
                                 4096, "debug=1"}),
              Event(kTs, kTid, 411,
                    {I64(-1),
                     Raw("\x7f"
                         "ELF"),
                     U64(4096), Str("debug=1")}));
  CHECK_BYTES(Enc(FinitModuleExit{-1, 3, "", 2}),
              Event(kTs, kTid, 413, {I64(-1), I64(3), Str(""), U32(2)}));
}

TEST_CASE("strings: null view = empty parameter, \"\" = empty string, cut at NUL, capped") {
  ChdirExit c;
  c.path = {};
  CHECK_BYTES(Enc(c), Event(kTs, kTid, 95, {I64(0), None()}));
  c.path = "";
  CHECK_BYTES(Enc(c), Event(kTs, kTid, 95, {I64(0), Str("")}));
  c.path = std::string_view("/a\0b", 4);
  CHECK_BYTES(Enc(c), Event(kTs, kTid, 95, {I64(0), Str("/a")}));
  std::string long_path(10000, 'p');
  c.path = long_path;
  CHECK_BYTES(Enc(c), Event(kTs, kTid, 95, {I64(0), Str(long_path.substr(0, 4095))}));
}

TEST_CASE("argv and envp are capped at 4096 bytes and stay NUL-terminated") {
  std::string args;
  for (int i = 0; i < 1000; ++i) args += "argument" + std::to_string(i) + '\0';
  ExecveExit e{0, SampleProcess()};
  e.proc.args = args;
  e.proc.env = args;
  OwnedEventBuffer buf(1 << 17);
  REQUIRE(Encode(kHdr, e, &buf) == EncodeStatus::kOk);
  std::string ev(buf.bytes());
  // Parameter 2 (args) and 15 (env): lengths at 26 + 2*i.
  auto len = [&](int i) {
    return static_cast<uint8_t>(ev[26 + 2 * i]) | (static_cast<uint8_t>(ev[27 + 2 * i]) << 8);
  };
  CHECK(len(2) == 4096);
  CHECK(len(15) == 4096);
  size_t off = 26 + 2 * 31;
  for (int i = 0; i < 2; ++i) off += len(i);
  CHECK(ev.substr(off, 4095) == args.substr(0, 4095));
  CHECK(ev[off + 4095] == '\0');
}

TEST_CASE("an oversized event is shortened to the 64 KiB limit, never over") {
  std::string big(100000, 'd');
  SendExit s;
  s.res = 100000;
  s.fd = 3;
  s.data = big;
  s.size = 100000;
  OwnedEventBuffer buf(1 << 17);
  REQUIRE(Encode(kHdr, s, &buf) == EncodeStatus::kOk);
  CHECK(buf.size() == kMaxEventSize);
  uint32_t len;
  std::memcpy(&len, buf.data() + 16, 4);
  CHECK(len == kMaxEventSize);
}

TEST_CASE("a full buffer takes nothing and says so") {
  uint8_t storage[60];
  EventBuffer buf(storage, sizeof storage);
  REQUIRE(Encode(kHdr, CloseExit{0, 3}, &buf) == EncodeStatus::kOk);  // 46 bytes
  CHECK(Encode(kHdr, CloseExit{0, 4}, &buf) == EncodeStatus::kFull);
  CHECK(buf.size() == 46);
  CHECK(buf.events() == 1);
  buf.Clear();
  CHECK(Encode(kHdr, CloseExit{0, 4}, &buf) == EncodeStatus::kOk);
}
