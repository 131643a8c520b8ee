#!/usr/bin/env python3
"""Generates the capture's scap event table from falcosecurity/libs' own sources, and guards it.

Reads driver/event_table.c, driver/ppm_events_public.h and driver/flags_table.c straight out of the libs
source archive (the one the shipped Falco pins), keeps the events listed in capture/event_params.golden,
and checks that their layout in the archive is exactly the checked-in golden list: a parameter added,
removed or retyped upstream stops the build here, instead of making Falco die at run time on a missing
parameter (what ended pdig: falcosecurity/pdig#24). Then writes one C++ header with, per event, its code,
name, direction, length width and each parameter's name, PT_ type and flag-name table, plus the PPM_*
constants and the enter-from-exit mapping the capture file's compatibility mode uses.

Usage:
  gen_event_table.py --archive libs-X.tar.gz --golden event_params.golden --out scap_event_table.h
  gen_event_table.py --archive libs-X.tar.gz --golden event_params.golden --write-golden
"""
import argparse
import difflib
import os
import re
import sys
import tarfile

PARAM_RE = re.compile(r"^(PPME_\w+)$")


def die(msg):
    sys.stderr.write("gen_event_table: " + msg + "\n")
    sys.exit(1)


def read_archive(path):
    """Returns (libs version, {relative path: text}) for the driver files we need."""
    wanted = ("driver/event_table.c", "driver/ppm_events_public.h", "driver/flags_table.c",
              "driver/SCHEMA_VERSION")
    files = {}
    top = None
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/", 1)
                if len(parts) != 2:
                    continue
                if parts[1] in wanted and member.isfile():
                    top = parts[0]
                    files[parts[1]] = tar.extractfile(member).read().decode("utf-8")
    except (OSError, tarfile.TarError) as e:
        die("cannot read %s: %s" % (path, e))
    missing = [w for w in wanted if w not in files]
    if missing:
        die("%s lacks %s: is it a falcosecurity/libs source archive?" % (path, ", ".join(missing)))
    m = re.match(r"libs-(.+)$", top or "")
    version = m.group(1) if m else top
    return version, files


def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    return re.sub(r"//[^\n]*", " ", src)


def split_top(s):
    """Splits s on commas that are outside braces, parentheses and string literals."""
    parts, depth, cur, in_str, prev = [], 0, [], False, ""
    for c in s:
        if in_str:
            cur.append(c)
            if c == '"' and prev != "\\":
                in_str = False
        elif c == '"':
            in_str = True
            cur.append(c)
        elif c in "{(":
            depth += 1
            cur.append(c)
        elif c in "})":
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        prev = c
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def c_int(expr, macros):
    """Evaluates a C integer constant expression made of literals, PPM_* macros, (), |, <<, -."""
    e = expr.strip()
    for _ in range(10):
        new = re.sub(r"\b(PPM_\w+)\b", lambda m: "(" + macros[m.group(1)] + ")"
                     if m.group(1) in macros else m.group(0), e)
        if new == e:
            break
        e = new
    e = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", e)
    e = re.sub(r"\b0([0-7]+)\b", r"0o\1", e)  # C octal literals
    if not re.fullmatch(r"[\s0-9a-fA-FxXo()|<>&~+\-*]+", e):
        raise ValueError(expr)
    return int(eval(e, {"__builtins__": {}}))  # only digits and operators reach here


def parse_macros(header):
    macros = {}
    joined = re.sub(r"\\\s*\n", " ", strip_comments(header))  # line continuations
    for m in re.finditer(r"^#define\s+(PPM_\w+)\s+(.+?)\s*$", joined, re.M):
        macros[m.group(1)] = m.group(2)
    return macros


def parse_enum(header, enum_tail):
    """Returns [(name, value)] of a `typedef enum {...} enum_tail;` or `enum enum_tail {...};`."""
    src = strip_comments(header)
    m = re.search(r"typedef\s+enum\s*\{([^}]*)\}\s*" + enum_tail + r"\s*;", src) or \
        re.search(r"enum\s+" + enum_tail + r"\s*\{([^}]*)\}", src)
    if not m:
        die("ppm_events_public.h: enum %s not found" % enum_tail)
    out, nxt = [], 0
    for item in split_top(m.group(1)):
        if not item:
            continue
        name, _, val = item.partition("=")
        name = name.strip()
        value = c_int(val, {k: str(v) for k, v in out}) if val.strip() else nxt
        out.append((name, value))
        nxt = value + 1
    return out


def parse_event_table(src):
    """Returns {PPME symbol: (name, flags set, [(param name, PT type, info symbol or None)])}."""
    src = strip_comments(src)
    start = src.find("g_event_info[] = {")
    if start < 0:
        die("event_table.c: g_event_info[] not found (layout changed upstream?)")
    body = src[start + len("g_event_info[] = {"):]
    table = {}
    for m in re.finditer(r"\[(PPME_\w+)\]\s*=\s*\{", body):
        depth, j = 1, m.end()
        while depth:
            if body[j] == "{":
                depth += 1
            elif body[j] == "}":
                depth -= 1
            j += 1
        fields = split_top(body[m.end():j - 1])
        name = fields[0].strip('"')
        flags = set(f.strip() for f in re.split(r"\|", fields[2]))
        nparams = int(fields[3])
        params = []
        if len(fields) > 4:
            for p in split_top(fields[4].strip()[1:-1]):
                pf = split_top(p.strip()[1:-1])
                info = pf[3].strip() if len(pf) > 3 else None
                params.append((pf[0].strip('"'), pf[1].strip(), info))
        if len(params) != nparams:
            die("event_table.c: %s declares %d parameters but lists %d" % (m.group(1), nparams,
                                                                          len(params)))
        table[m.group(1)] = (name, flags, params)
    return table


def parse_flag_tables(src, macros):
    tables = {}
    for m in re.finditer(r"const\s+struct\s+ppm_name_value\s+(\w+)\[\]\s*=\s*\{(.*?)\};",
                         strip_comments(src), re.S):
        entries = []
        for item in split_top(m.group(2)):
            f = split_top(item.strip()[1:-1])
            if len(f) != 2 or f[0] == "0":
                continue
            try:
                entries.append((f[0].strip('"'), c_int(f[1], macros)))
            except (ValueError, KeyError, SyntaxError):
                entries = None  # not made of PPM_* constants; fails later only if an event uses it
                break
        tables[m.group(1)] = entries
    return tables


def read_golden(path):
    symbols, lines = [], []
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            lines.append(line)
            symbols.append(line.split()[0])
    return symbols, lines


def golden_line(sym, code, ev):
    name, flags, params = ev
    direction = "E" if code % 2 == 0 else "X"
    width = "len32" if "EF_LARGE_PAYLOAD" in flags else "len16"
    ps = " ".join("%s:%s" % (p[0], p[1][3:]) for p in params)
    return ("%s %d %s %s %s %d %s" % (sym, code, name, direction, width, len(params), ps)).rstrip()


def enter_exit_pairs(symbols, codes, table):
    """Enter events of the golden list whose exit (code + 1) is listed too: the capture file's
    compatibility mode writes them before the exit, built from the exit's parameters of the same
    name (old readers take some fields from enter events only)."""
    by_code = {codes[s]: s for s in symbols}
    pairs = []
    for s in symbols:
        c = codes[s]
        if c % 2 or (c + 1) not in by_code or table[s][0] != table[by_code[c + 1]][0]:
            continue
        x = by_code[c + 1]
        xparams = table[x][2]
        mapping = []
        for pname, ptype, _ in table[s][2]:
            idx = [i for i, p in enumerate(xparams) if p[0] == pname]
            if not idx:
                die("%s: parameter %s has no namesake in %s; the compatibility mode cannot build it"
                    % (s, pname, x))
            if xparams[idx[0]][1] != ptype and not (
                    {ptype, xparams[idx[0]][1]} <= {"PT_UINT32", "PT_INT32", "PT_FLAGS32",
                                                     "PT_ENUMFLAGS32", "PT_UID", "PT_GID"}):
                die("%s: parameter %s is %s but %s has it as %s" % (s, pname, ptype, x,
                                                                    xparams[idx[0]][1]))
            mapping.append(idx[0])
        pairs.append((s, x, mapping))
    return pairs


def fnv1a(text):
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def cident(s):
    return re.sub(r"\W", "_", s)


def render_header(version, schema, symbols, codes, table, pt_enum, macros, flag_tables, pairs,
                  golden_text):
    out = []
    w = out.append
    w("// GENERATED by capture/gen_event_table.py from falcosecurity/libs %s" % version)
    w("// (driver/event_table.c, ppm_events_public.h, flags_table.c). Do not edit: change")
    w("// capture/event_params.golden or the archive instead.")
    w("#ifndef KILT_CAPTURE_SCAP_EVENT_TABLE_H_")
    w("#define KILT_CAPTURE_SCAP_EVENT_TABLE_H_")
    w("")
    w("#include <cstddef>")
    w("#include <cstdint>")
    w("")
    w("namespace kilt::scap {")
    w("")
    w('inline constexpr char kLibsVersion[] = "%s";' % version)
    w('inline constexpr char kEventSchemaVersion[] = "%s";' % schema)
    w("// FNV-1a of the golden list: both ends of the live feed must have been built from the same one.")
    w("inline constexpr uint32_t kTableHash = 0x%08xu;" % fnv1a(golden_text))
    w("")
    w("enum ParamType : uint8_t {")
    for n, v in pt_enum:
        w("  %s = %d," % (n, v))
    w("};")
    w("")
    w("// PPM_* constants of ppm_events_public.h (scap's own flag and enum encodings).")
    for name in sorted(macros):
        try:
            v = c_int(macros[name], macros)
        except (ValueError, KeyError, SyntaxError):
            continue
        if v < 0:
            w("inline constexpr int64_t %s = %d;" % (name, v))
        elif v <= 0xFFFFFFFF:
            w("inline constexpr uint32_t %s = %du;" % (name, v))
        else:
            w("inline constexpr uint64_t %s = %dull;" % (name, v))
    w("")
    w("// Event codes the capture emits (the golden list).")
    for s in symbols:
        w("inline constexpr uint16_t %s = %d;" % (s, codes[s]))
    w("")
    w("struct FlagName {")
    w("  const char* name;")
    w("  uint32_t value;")
    w("};")
    w("")
    used = []
    for s in symbols:
        for _, ptype, info in table[s][2]:
            if info in flag_tables and info not in used:
                if flag_tables[info] is None:
                    die("flags_table.c: cannot evaluate the values of %s (used by %s)" % (info, s))
                used.append(info)
    for t in used:
        w("inline constexpr FlagName kFlags_%s[] = {" % t)
        for n, v in flag_tables[t]:
            w('    {"%s", %du},' % (n, v))
        w("};")
    w("")
    w("struct ParamInfo {")
    w("  const char* name;")
    w("  ParamType type;")
    w("  const FlagName* flags;  // flag/enum names for FLAGS*/ENUMFLAGS* parameters, else nullptr")
    w("  uint8_t nflags;")
    w("};")
    w("")
    w("struct EventInfo {")
    w("  uint16_t code;")
    w("  const char* name;")
    w("  bool exit;          // direction: the low bit of the code")
    w("  bool large;         // EF_LARGE_PAYLOAD: 4-byte parameter lengths instead of 2")
    w("  uint8_t nparams;")
    w("  const ParamInfo* params;")
    w("};")
    w("")
    for s in symbols:
        w("inline constexpr ParamInfo kParams_%s[] = {" % s)
        for pname, ptype, info in table[s][2]:
            if info in flag_tables:
                w('    {"%s", %s, kFlags_%s, %d},' % (pname, ptype, info, len(flag_tables[info])))
            else:
                w('    {"%s", %s, nullptr, 0},' % (pname, ptype))
        if not table[s][2]:
            w('    {"", PT_NONE, nullptr, 0},')
        w("};")
    w("")
    w("inline constexpr EventInfo kEvents[] = {  // sorted by code")
    for s in sorted(symbols, key=lambda x: codes[x]):
        name, flags, params = table[s]
        w('    {%s, "%s", %s, %s, %d, kParams_%s},' % (
            s, name, "true" if codes[s] % 2 else "false",
            "true" if "EF_LARGE_PAYLOAD" in flags else "false", len(params), s))
    w("};")
    w("inline constexpr size_t kNumEvents = sizeof(kEvents) / sizeof(kEvents[0]);")
    w("")
    w("// Enter events the capture file's compatibility mode writes before an exit event, built from")
    w("// the exit's parameters of the same name: exit_param[i] feeds the enter event's parameter i.")
    w("struct EnterFromExit {")
    w("  uint16_t exit_code;")
    w("  uint16_t enter_code;")
    w("  uint8_t nparams;")
    w("  uint8_t exit_param[8];")
    w("};")
    w("inline constexpr EnterFromExit kEnterFromExit[] = {")
    for enter, exit_, mapping in pairs:
        if len(mapping) > 8:
            die("%s: more than 8 parameters in a compatibility enter event" % enter)
        w("    {%s, %s, %d, {%s}}," % (exit_, enter, len(mapping), ", ".join(map(str, mapping))))
    w("};")
    w("")
    w("}  // namespace kilt::scap")
    w("")
    w("#endif  // KILT_CAPTURE_SCAP_EVENT_TABLE_H_")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--out")
    ap.add_argument("--write-golden", action="store_true",
                    help="rewrite the golden list from the archive (after updating the encoder)")
    args = ap.parse_args()

    if not os.path.isfile(args.archive):
        die("%s not found. The capture's event table is generated from the falcosecurity/libs source "
            "archive in ../shared/third_party (see its README.md)." % args.archive)
    version, files = read_archive(args.archive)
    header = files["driver/ppm_events_public.h"]
    macros = parse_macros(header)
    codes = dict(parse_enum(header, "ppm_event_code"))
    pt_enum = parse_enum(header, "ppm_param_type")
    table = parse_event_table(files["driver/event_table.c"])
    flag_tables = parse_flag_tables(files["driver/flags_table.c"], macros)

    symbols, golden_lines = read_golden(args.golden)
    for s in symbols:
        if s not in table or s not in codes:
            die("%s: %s is not an event of libs %s any more. This is the drift that killed pdig: "
                "update capture/ for the new table." % (args.golden, s, version))
    if len(set(symbols)) != len(symbols):
        die("%s lists an event twice" % args.golden)
    fresh = [golden_line(s, codes[s], table[s]) for s in symbols]

    if args.write_golden:
        with open(args.golden) as f:
            comments = [l for l in f.read().splitlines() if l.lstrip().startswith("#")]
        with open(args.golden, "w") as f:
            f.write("\n".join(comments + fresh) + "\n")
        print("gen_event_table: rewrote %s from libs %s" % (args.golden, version))
        return

    if fresh != golden_lines:
        diff = "\n".join(difflib.unified_diff(golden_lines, fresh, "checked-in " + args.golden,
                                              "libs " + version + " (" + args.archive + ")",
                                              lineterm=""))
        die("the event layouts in libs %s differ from %s.\n"
            "Falco stops on an event that lacks a parameter its parsers read (pdig died of this). "
            "Update the encoder (capture/scap_encoder.cc) for the new layout, then run "
            "`make capture-golden` to accept it.\n%s" % (version, args.golden, diff))

    pairs = enter_exit_pairs(symbols, codes, table)
    text = render_header(version, files["driver/SCHEMA_VERSION"].strip(), symbols, codes, table,
                         pt_enum, macros, flag_tables, pairs, "\n".join(golden_lines) + "\n")
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
