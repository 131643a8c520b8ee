#!/usr/bin/env python3
"""Writes a small scap capture file of what a shell in a container does when it runs one command, for
Falco's replay engine (tests/falco/run.sh). A test fixture until the capture encoder (capture/) writes these
files from real programs: it knows only the four events it needs, in the exact layouts of
falcosecurity/libs 0.25.4 (driver/event_table.c; Falco 0.44.1's savefile reader rejects an exit event with
more parameters than its table and needs a conversion for fewer).

usage: mkscap.py OUT.scap -- COMMAND [ARGS...]

The stream: the container's shell (tid 100, /bin/sh) is introduced by an execve exit; it clones tid 101,
which execs COMMAND (its comm is basename(COMMAND), exe is argv[0], cwd /, uid 0, cgroups name an ECS
task); for cat/head/tail/less/more each non-option argument is opened read-only (openat, fd 3, 4, ...);
then 101 exits. Timestamps are 1 ms apart from a fixed origin.
"""
import os
import struct
import sys

# Event codes and parameter types of libs 0.25.4 (driver/ppm_events_public.h, event_table.c).
CLONE_20_X, EXECVE_19_X, OPENAT_2_X, PROCEXIT_1_E = 223, 293, 307, 186
U8, U32, U64, I64, STR, BUF = "B", "I", "Q", "q", "str", "buf"
PPM_AT_FDCWD = -100
PPM_O_RDONLY = 1 << 0

LAYOUTS = {
    # res exe args tid pid ptid cwd fdlimit pgft_maj pgft_min vm_size vm_rss vm_swap comm cgroups flags uid gid
    # vtid vpid pidns_init_start_ts
    CLONE_20_X: [I64, STR, BUF, I64, I64, I64, STR, I64, U64, U64, U32, U32, U32, STR, BUF, U32, U32, U32,
                 I64, I64, U64],
    # res exe args tid pid ptid cwd fdlimit pgft_maj pgft_min vm_size vm_rss vm_swap comm cgroups env tty vpgid
    # loginuid flags cap_inheritable cap_permitted cap_effective exe_ino exe_ino_ctime exe_ino_mtime uid
    # trusted_exepath pgid gid filename
    EXECVE_19_X: [I64, STR, BUF, I64, I64, I64, STR, U64, U64, U64, U32, U32, U32, STR, BUF, BUF, U32, I64,
                  U32, U32, U64, U64, U64, U64, U64, U64, U32, STR, I64, U32, STR],
    # fd dirfd name flags mode dev ino
    OPENAT_2_X: [I64, I64, STR, U32, U32, U32, U64],
    # status ret sig core reaper_tid
    PROCEXIT_1_E: [I64, I64, U8, U8, I64],
}

CGROUPS = b"cpuset=/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\0" \
          b"memory=/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\0"
ENV = b"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\0HOME=/root\0"
CAPS = 0xa80425fb  # Docker's default set, as Fargate grants it


def encode_param(kind, value):
    if kind == STR:
        return value.encode() + b"\0"
    if kind == BUF:
        return value
    return struct.pack("<" + kind, value)


def event(ts, tid, etype, values):
    kinds = LAYOUTS[etype]
    assert len(kinds) == len(values), (etype, len(kinds), len(values))
    params = [encode_param(k, v) for k, v in zip(kinds, values)]
    lens = b"".join(struct.pack("<H", len(p)) for p in params)
    body = lens + b"".join(params)
    # ppm_evt_hdr: ts u64, tid u64, len u32, type u16, nparams u32 (26 bytes, packed)
    hdr = struct.pack("<QQIHI", ts, tid, 26 + len(body), etype, len(params))
    return hdr + body


def block(block_type, payload):
    pad = b"\0" * (-len(payload) % 4)
    total = 8 + len(payload) + len(pad) + 4
    return struct.pack("<II", block_type, total) + payload + pad + struct.pack("<I", total)


def section_header():
    # section_header_block: magic, major 1, minor 2, section_length -1 (unknown)
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 2, -1))


def ev_block(evt):
    return block(0x216, struct.pack("<H", 0) + evt)  # EV_BLOCK_TYPE_V2: cpuid, event


def args_buf(args):
    return b"".join(a.encode() + b"\0" for a in args)


def execve(ts, tid, ptid, argv, exepath, comm):
    return event(ts, tid, EXECVE_19_X, [
        0, argv[0], args_buf(argv[1:]), tid, tid, ptid, "/", 1048576, 0, 0, 4096, 1024, 0, comm, CGROUPS, ENV,
        0, 100, 0xFFFFFFFF, 0, 0, CAPS, CAPS, 1000 + tid, ts - 10**9, ts - 10**9, 0, exepath, 100, 0,
        exepath])


def clone_parent(ts, tid, child, comm, exe, args):
    return event(ts, tid, CLONE_20_X, [
        child, exe, args_buf(args), tid, tid, 1, "/", 1048576, 0, 0, 4096, 1024, 0, comm, CGROUPS, 0, 0, 0,
        tid, tid, 0])


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: mkscap.py OUT.scap -- COMMAND [ARGS...]")
    out, argv = sys.argv[1], sys.argv[3:]
    comm = os.path.basename(argv[0])[:15]
    exepath = argv[0] if argv[0].startswith("/") else "/usr/bin/" + argv[0]
    ts = 1_700_000_000_000_000_000
    step = 1_000_000
    evts = [
        execve(ts, 100, 1, ["/bin/sh"], "/bin/sh", "sh"),
        clone_parent(ts + step, 100, 101, "sh", "/bin/sh", []),
        execve(ts + 2 * step, 101, 100, argv, exepath, comm),
    ]
    t = ts + 3 * step
    if comm in ("cat", "head", "tail", "less", "more"):
        fd = 3
        for a in argv[1:]:
            if a.startswith("-"):
                continue
            evts.append(event(t, 101, OPENAT_2_X, [fd, PPM_AT_FDCWD, a, PPM_O_RDONLY, 0, 0x803, 4242]))
            fd += 1
            t += step
    evts.append(event(t, 101, PROCEXIT_1_E, [0, 0, 0, 0, 100]))
    with open(out, "wb") as f:
        f.write(section_header())
        for e in evts:
            f.write(ev_block(e))


if __name__ == "__main__":
    main()
