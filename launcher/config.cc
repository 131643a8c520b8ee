#include "launcher/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cmath>
#include <cstring>

// The payload is built without exceptions; toml++ then reports errors through parse_result.
#ifndef TOML_EXCEPTIONS
#define TOML_EXCEPTIONS 0
#endif
// toml++ 3.3 asserts internal preconditions that malformed input can break (found by fuzzing: a table
// header like "[$x]"), and with NDEBUG turns them into __builtin_assume — undefined behaviour on user input.
// Without the assert the parser goes on to report a proper syntax error, which is what we want for PID 1.
#ifdef NDEBUG
#undef NDEBUG
#endif
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>

#include "init/pid1.h"

namespace kilt::launcher {
namespace {

// Collects the first error with the position of the offending node.
class ErrorSink {
 public:
  ErrorSink(std::string_view source, std::string* err) : source_(source), err_(err) {}

  bool Fail(const toml::source_region& where, std::string_view key, std::string_view what) {
    *err_ = std::string(source_);
    if (where.begin.line > 0) {
      *err_ += ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
    }
    *err_ += ": ";
    if (!key.empty()) *err_ += std::string(key) + ": ";
    *err_ += std::string(what);
    return false;
  }

 private:
  std::string_view source_;
  std::string* err_;
};

bool IsKnown(std::string_view key, std::initializer_list<std::string_view> known) {
  for (auto k : known)
    if (k == key) return true;
  return false;
}

std::string KnownList(std::initializer_list<std::string_view> known) {
  std::string s;
  for (auto k : known) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
}

// Rejects keys the schema does not know: a typo ("restrat") must not silently mean the default.
bool CheckKeys(const toml::table& t, std::string_view prefix,
               std::initializer_list<std::string_view> known, ErrorSink* e) {
  for (auto&& [k, v] : t) {
    if (!IsKnown(k.str(), known)) {
      return e->Fail(k.source().begin.line ? k.source() : v.source(),
                     std::string(prefix) + std::string(k.str()),
                     "unknown key (known: " + KnownList(known) + ")");
    }
  }
  return true;
}

// TOML strings may hold "\u0000"; a path, an argument or an environment entry cannot (the C string
// would end there, silently cutting the value), so such a string is an error.
bool NoNul(const toml::node& n, std::string_view s, std::string_view full, ErrorSink* e) {
  if (s.find('\0') == std::string_view::npos) return true;
  return e->Fail(n.source(), full, "contains a NUL character (\\u0000), which no path, argument or variable can hold");
}

bool GetString(const toml::table& t, std::string_view key, std::string_view full, std::string* out,
               ErrorSink* e) {
  const toml::node* n = t.get(key);
  if (!n) return true;
  if (!n->is_string()) return e->Fail(n->source(), full, "must be a string");
  *out = n->as_string()->get();
  return NoNul(*n, *out, full, e);
}

bool GetBool(const toml::table& t, std::string_view key, std::string_view full, bool* out, ErrorSink* e) {
  const toml::node* n = t.get(key);
  if (!n) return true;
  if (!n->is_boolean()) return e->Fail(n->source(), full, "must be true or false");
  *out = n->as_boolean()->get();
  return true;
}

bool GetInt(const toml::table& t, std::string_view key, std::string_view full, int64_t lo, int64_t hi,
            int64_t* out, ErrorSink* e) {
  const toml::node* n = t.get(key);
  if (!n) return true;
  if (!n->is_integer()) return e->Fail(n->source(), full, "must be an integer");
  int64_t v = n->as_integer()->get();
  if (v < lo || v > hi) {
    return e->Fail(n->source(), full,
                   "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  *out = v;
  return true;
}

bool GetDuration(const toml::table& t, std::string_view key, std::string_view full, int64_t* out,
                 ErrorSink* e) {
  const toml::node* n = t.get(key);
  if (!n) return true;
  constexpr int64_t kMaxMs = 24LL * 3600 * 1000;
  double secs = -1;
  if (n->is_integer()) {
    secs = static_cast<double>(n->as_integer()->get());
  } else if (n->is_floating_point()) {
    secs = n->as_floating_point()->get();
  } else if (n->is_string()) {
    int64_t ms;
    if (!ParseDurationMs(n->as_string()->get(), &ms))
      return e->Fail(n->source(), full, "not a duration (examples: \"250ms\", \"5s\", \"2m\", 10)");
    secs = ms / 1000.0;
  } else {
    return e->Fail(n->source(), full, "must be a duration (\"250ms\", \"5s\", or a number of seconds)");
  }
  if (!(secs >= 0) || secs * 1000 > kMaxMs)
    return e->Fail(n->source(), full, "must be between 0 and 24h");
  *out = static_cast<int64_t>(std::llround(secs * 1000));
  return true;
}

template <typename Enum>
struct EnumName {
  std::string_view name;
  Enum value;
};

template <typename Enum, size_t N>
bool GetEnum(const toml::table& t, std::string_view key, std::string_view full,
             const EnumName<Enum> (&names)[N], Enum* out, ErrorSink* e) {
  const toml::node* n = t.get(key);
  if (!n) return true;
  std::string accepted;
  for (auto& nm : names) accepted += (accepted.empty() ? "\"" : ", \"") + std::string(nm.name) + "\"";
  if (!n->is_string()) return e->Fail(n->source(), full, "must be one of " + accepted);
  std::string_view v = n->as_string()->get();
  for (auto& nm : names) {
    if (nm.name == v) {
      *out = nm.value;
      return true;
    }
  }
  return e->Fail(n->source(), full, "\"" + std::string(v) + "\" is not one of " + accepted);
}

constexpr EnumName<RestartPolicy> kRestartNames[] = {
    {"never", RestartPolicy::kNever}, {"on-failure", RestartPolicy::kOnFailure},
    {"always", RestartPolicy::kAlways}};
constexpr EnumName<FailurePolicy> kFailureNames[] = {{"continue", FailurePolicy::kContinue},
                                                     {"stop-app", FailurePolicy::kStopApp}};
constexpr EnumName<ReadyTimeoutPolicy> kTimeoutNames[] = {
    {"start-app", ReadyTimeoutPolicy::kStartApp}, {"fail", ReadyTimeoutPolicy::kFail}};
constexpr EnumName<LogFormat> kFormatNames[] = {{"plain", LogFormat::kPlain}, {"json", LogFormat::kJson}};

// "HOST:PORT" or "[V6]:PORT" or a bare port (loopback).
bool ParseTcpTarget(std::string_view s, std::string* host, uint16_t* port) {
  std::string_view h = "127.0.0.1", p = s;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find("]:");
    if (close == std::string_view::npos) return false;
    h = s.substr(1, close - 1);
    p = s.substr(close + 2);
  } else if (size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    h = s.substr(0, colon);
    p = s.substr(colon + 1);
  }
  if (p.empty() || p.size() > 5) return false;
  unsigned v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v == 0 || v > 65535) return false;
  std::string hs(h);
  unsigned char buf[16];
  if (inet_pton(AF_INET, hs.c_str(), buf) != 1 && inet_pton(AF_INET6, hs.c_str(), buf) != 1) return false;
  *host = hs;
  *port = static_cast<uint16_t>(v);
  return true;
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool ParseReady(const toml::node& node, std::string_view prefix, ReadyGate* g, ErrorSink* e) {
  const toml::table* t = node.as_table();
  if (!t) return e->Fail(node.source(), prefix, "must be a table, e.g. { fd = 3 } or { file = \"/path\" }");
  if (!CheckKeys(*t, std::string(prefix) + ".", {"fd", "file", "tcp", "timeout", "on_timeout"}, e))
    return false;
  int kinds = 0;
  std::string p(prefix);
  if (const toml::node* n = t->get("fd")) {
    int64_t fd = -1;
    if (!GetInt(*t, "fd", p + ".fd", 3, 1023, &fd, e)) return false;
    g->kind = ReadyKind::kNotifyFd;
    g->fd = static_cast<int>(fd);
    ++kinds;
    (void)n;
  }
  if (t->get("file")) {
    if (!GetString(*t, "file", p + ".file", &g->file, e)) return false;
    if (g->file.empty() || g->file[0] != '/')
      return e->Fail(t->get("file")->source(), p + ".file", "must be an absolute path");
    g->kind = ReadyKind::kFile;
    ++kinds;
  }
  if (const toml::node* n = t->get("tcp")) {
    std::string s;
    if (!GetString(*t, "tcp", p + ".tcp", &s, e)) return false;
    if (!ParseTcpTarget(s, &g->tcp_host, &g->tcp_port))
      return e->Fail(n->source(), p + ".tcp",
                     "\"" + s + "\" is not ADDRESS:PORT with a numeric address (e.g. \"127.0.0.1:8765\")");
    g->kind = ReadyKind::kTcp;
    ++kinds;
  }
  if (kinds != 1)
    return e->Fail(node.source(), prefix, "needs exactly one of fd, file, tcp");
  if (!GetDuration(*t, "timeout", p + ".timeout", &g->timeout_ms, e)) return false;
  return GetEnum(*t, "on_timeout", p + ".on_timeout", kTimeoutNames, &g->on_timeout, e);
}

bool ParseAgent(const toml::table& t, size_t index, RunConfig* cfg, ErrorSink* e) {
  std::string p = "agent[" + std::to_string(index) + "]";
  if (!CheckKeys(t, p + ".",
                 {"name", "path", "args", "env", "workdir", "restart", "backoff_initial", "backoff_max",
                  "restart_limit", "restart_window", "on_failure", "ready", "capture"},
                 e))
    return false;
  AgentConfig a;
  if (!GetString(t, "name", p + ".name", &a.name, e)) return false;
  if (!t.get("name")) return e->Fail(t.source(), p + ".name", "missing (every [[agent]] needs a name)");
  if (!ValidName(a.name))
    return e->Fail(t.get("name")->source(), p + ".name",
                   "\"" + a.name + "\" must be 1-64 characters of A-Z a-z 0-9 - _ .");
  p = "agent \"" + a.name + "\"";
  for (const AgentConfig& other : cfg->agents)
    if (other.name == a.name) return e->Fail(t.get("name")->source(), p + ".name", "duplicate agent name");
  if (!GetString(t, "path", p + ".path", &a.path, e)) return false;
  if (!t.get("path")) return e->Fail(t.source(), p + ".path", "missing (the agent's executable)");
  if (a.path.empty() || a.path[0] != '/')
    return e->Fail(t.get("path")->source(), p + ".path", "must be an absolute path");
  if (const toml::node* n = t.get("args")) {
    const toml::array* arr = n->as_array();
    if (!arr) return e->Fail(n->source(), p + ".args", "must be an array of strings");
    for (const toml::node& el : *arr) {
      if (!el.is_string()) return e->Fail(el.source(), p + ".args", "must be an array of strings");
      if (!NoNul(el, el.as_string()->get(), p + ".args", e)) return false;
      a.args.push_back(el.as_string()->get());
    }
  }
  if (const toml::node* n = t.get("env")) {
    const toml::table* et = n->as_table();
    if (!et) return e->Fail(n->source(), p + ".env", "must be a table of strings, e.g. { FOO = \"bar\" }");
    for (auto&& [k, v] : *et) {
      std::string key(k.str());
      if (key.empty() || key.find('=') != std::string::npos)
        return e->Fail(v.source(), p + ".env", "\"" + key + "\" is not a valid variable name");
      if (!v.is_string()) return e->Fail(v.source(), p + ".env." + key, "must be a string");
      if (!NoNul(v, key, p + ".env", e) || !NoNul(v, v.as_string()->get(), p + ".env." + key, e)) return false;
      a.env.emplace_back(key, v.as_string()->get());
    }
  }
  if (!GetString(t, "workdir", p + ".workdir", &a.workdir, e)) return false;
  if (!GetEnum(t, "restart", p + ".restart", kRestartNames, &a.restart, e)) return false;
  if (!GetDuration(t, "backoff_initial", p + ".backoff_initial", &a.backoff_initial_ms, e)) return false;
  if (!GetDuration(t, "backoff_max", p + ".backoff_max", &a.backoff_max_ms, e)) return false;
  if (a.backoff_max_ms < a.backoff_initial_ms)
    return e->Fail(t.get("backoff_max") ? t.get("backoff_max")->source() : t.source(), p + ".backoff_max",
                   "must not be less than backoff_initial");
  int64_t limit = a.restart_limit;
  if (!GetInt(t, "restart_limit", p + ".restart_limit", 0, 1000000, &limit, e)) return false;
  a.restart_limit = static_cast<int>(limit);
  if (!GetDuration(t, "restart_window", p + ".restart_window", &a.restart_window_ms, e)) return false;
  if (!GetEnum(t, "on_failure", p + ".on_failure", kFailureNames, &a.on_failure, e)) return false;
  if (const toml::node* n = t.get("ready")) {
    if (!ParseReady(*n, p + ".ready", &a.ready, e)) return false;
  }
  if (!GetBool(t, "capture", p + ".capture", &a.capture, e)) return false;
  for (const AgentConfig& other : cfg->agents)
    if (a.capture && other.capture)
      return e->Fail(t.get("capture")->source(), p + ".capture",
                     "only one agent can consume the capture (\"" + other.name + "\" already does)");
  cfg->agents.push_back(std::move(a));
  return true;
}

// [capture]: see CaptureConfig.
bool ParseCapture(const toml::node& node, CaptureConfig* c, ErrorSink* e) {
  const toml::table* t = node.as_table();
  if (!t) return e->Fail(node.source(), "capture", "must be a table ([capture])");
  if (!CheckKeys(*t, "capture.",
                 {"enabled", "socket", "buffer", "consumer_timeout", "on_timeout", "on_failure", "max_tasks"}, e))
    return false;
  if (const toml::node* n = t->get("enabled")) {
    bool on = false;
    if (!GetBool(*t, "enabled", "capture.enabled", &on, e)) return false;
    c->enabled = on ? CaptureConfig::Enabled::kOn : CaptureConfig::Enabled::kOff;
    (void)n;
  }
  if (!GetString(*t, "socket", "capture.socket", &c->socket, e)) return false;
  if (c->socket.empty() || (c->socket[0] != '/' && c->socket[0] != '@') || c->socket.size() > 107)
    return e->Fail(t->get("socket")->source(), "capture.socket",
                   "must be an absolute path or @name (an abstract socket), at most 107 bytes");
  int64_t buf = static_cast<int64_t>(c->buffer_bytes);
  if (!GetInt(*t, "buffer", "capture.buffer", 65536, 1LL << 30, &buf, e)) return false;
  c->buffer_bytes = static_cast<size_t>(buf);
  if (!GetDuration(*t, "consumer_timeout", "capture.consumer_timeout", &c->consumer_timeout_ms, e)) return false;
  if (!GetEnum(*t, "on_timeout", "capture.on_timeout", kTimeoutNames, &c->on_timeout, e)) return false;
  if (!GetEnum(*t, "on_failure", "capture.on_failure", kFailureNames, &c->on_failure, e)) return false;
  int64_t max = static_cast<int64_t>(c->max_tasks);
  if (!GetInt(*t, "max_tasks", "capture.max_tasks", 16, 4194304, &max, e)) return false;
  c->max_tasks = static_cast<size_t>(max);
  return true;
}

constexpr EnumName<SignalScope> kScopeNames[] = {{"group", SignalScope::kGroup}, {"app", SignalScope::kApp}};

// [signals]: scope, and rewrite = { TERM = "QUIT", USR2 = "none" } (kilt-init's --rewrite).
bool ParseSignals(const toml::node& node, RunConfig* cfg, ErrorSink* e) {
  const toml::table* t = node.as_table();
  if (!t) return e->Fail(node.source(), "signals", "must be a table ([signals])");
  if (!CheckKeys(*t, "signals.", {"scope", "rewrite"}, e)) return false;
  if (!GetEnum(*t, "scope", "signals.scope", kScopeNames, &cfg->signal_scope, e)) return false;
  const toml::node* n = t->get("rewrite");
  if (!n) return true;
  const toml::table* rw = n->as_table();
  if (!rw) return e->Fail(n->source(), "signals.rewrite", "must be a table, e.g. { TERM = \"QUIT\" }");
  for (auto&& [k, v] : *rw) {
    std::string key = "signals.rewrite." + std::string(k.str());
    int from = kilt_pid1_parse_signal(std::string(k.str()).c_str());
    // SIGKILL/SIGSTOP never reach us; SIGCHLD is how we learn of exits.
    if (from < 0 || from == SIGKILL || from == SIGSTOP || from == SIGCHLD)
      return e->Fail(v.source(), key, "not a signal kilt-run can receive (e.g. TERM, USR1, 15)");
    if (!v.is_string()) return e->Fail(v.source(), key, "must be a signal name, or \"none\" to drop it");
    std::string to_name = v.as_string()->get();
    int to = to_name == "none" ? 0 : kilt_pid1_parse_signal(to_name.c_str());
    if (to < 0) return e->Fail(v.source(), key, "\"" + to_name + "\" is not a signal (e.g. \"QUIT\", or \"none\")");
    cfg->signal_rewrite.emplace_back(from, to);
  }
  return true;
}

}  // namespace

bool ParseDurationMs(std::string_view s, int64_t* ms) {
  size_t i = 0;
  double v = 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + (s[i++] - '0');
    digits = true;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    double scale = 0.1;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v += (s[i++] - '0') * scale;
      scale /= 10;
      digits = true;
    }
  }
  if (!digits) return false;
  std::string_view unit = s.substr(i);
  double mult;
  if (unit == "ms") mult = 1;
  else if (unit == "s" || unit.empty()) mult = 1000;
  else if (unit == "m") mult = 60000;
  else if (unit == "h") mult = 3600000;
  else return false;
  double r = v * mult;
  if (r > 1e15) return false;
  *ms = static_cast<int64_t>(std::llround(r));
  return true;
}

// toml++ 3.3 reaches __builtin_unreachable() on a non-ASCII byte outside a string or comment (found by
// fuzzing: the two bytes of "Ч" as a bare key) — undefined behaviour in PID 1. TOML allows such bytes only
// inside strings and comments anyway, so refuse them up front with the line number. Tracks just enough of
// the lexical structure: comments, basic/literal strings (single- and multi-line) and escapes.
static bool FindBareNonAscii(std::string_view text, size_t* line_out) {
  enum { kBare, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral } state = kBare;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool triple = i + 2 < text.size() && text[i + 1] == c && text[i + 2] == c;
    if (c == '\n') ++line;
    switch (state) {
      case kBare:
        if (static_cast<unsigned char>(c) >= 0x80) {
          *line_out = line;
          return true;
        }
        if (c == '#') state = kComment;
        else if (c == '"') { state = triple ? kMultiBasic : kBasic; if (triple) i += 2; }
        else if (c == '\'') { state = triple ? kMultiLiteral : kLiteral; if (triple) i += 2; }
        break;
      case kComment:
        if (c == '\n') state = kBare;
        break;
      case kBasic:
        if (c == '\\') ++i;  // the escaped character cannot end the string
        else if (c == '"' || c == '\n') state = kBare;
        break;
      case kLiteral:
        if (c == '\'' || c == '\n') state = kBare;
        break;
      case kMultiBasic:
        if (c == '\\') {
          if (i + 1 < text.size() && text[i + 1] == '\n') ++line;
          ++i;
        } else if (triple) { state = kBare; i += 2; }
        break;
      case kMultiLiteral:
        if (triple) { state = kBare; i += 2; }
        break;
    }
  }
  return false;
}

bool ParseRunConfig(std::string_view text, std::string_view source, RunConfig* out, std::string* err) {
  ErrorSink e(source, err);
  *out = RunConfig{};
  if (size_t line = 0; FindBareNonAscii(text, &line)) {
    return e.Fail(toml::source_region{{static_cast<toml::source_index>(line), 1}, {}, {}}, "",
                  "TOML syntax: a non-ASCII character outside a string or comment");
  }
  toml::parse_result res = toml::parse(text, source);
  if (!res) {
    const toml::parse_error& pe = res.error();
    return e.Fail(pe.source(), "", std::string("TOML syntax: ") + std::string(pe.description()));
  }
  const toml::table& root = res.table();
  // `strict` first: when a later key is wrong, the caller still knows whether to fail or degrade.
  if (!GetBool(root, "strict", "strict", &out->strict, &e)) return false;
  if (!CheckKeys(root, "", {"strict", "log", "signals", "shutdown", "capture", "agent"}, &e)) return false;
  if (const toml::node* n = root.get("log")) {
    const toml::table* t = n->as_table();
    if (!t) return e.Fail(n->source(), "log", "must be a table ([log])");
    if (!CheckKeys(*t, "log.", {"format", "embed_json", "buffer", "verbose"}, &e)) return false;
    if (!GetBool(*t, "verbose", "log.verbose", &out->log_verbose, &e)) return false;
    if (!GetEnum(*t, "format", "log.format", kFormatNames, &out->log_format, &e)) return false;
    if (!GetBool(*t, "embed_json", "log.embed_json", &out->log_embed_json, &e)) return false;
    int64_t buf = static_cast<int64_t>(out->log_buffer_bytes);
    if (!GetInt(*t, "buffer", "log.buffer", 8192, 1LL << 30, &buf, &e)) return false;
    out->log_buffer_bytes = static_cast<size_t>(buf);
  }
  if (const toml::node* n = root.get("capture")) {
    if (!ParseCapture(*n, &out->capture, &e)) return false;
  }
  if (const toml::node* n = root.get("signals")) {
    if (!ParseSignals(*n, out, &e)) return false;
  }
  if (const toml::node* n = root.get("shutdown")) {
    const toml::table* t = n->as_table();
    if (!t) return e.Fail(n->source(), "shutdown", "must be a table ([shutdown])");
    if (!CheckKeys(*t, "shutdown.", {"leftover_grace", "agent_grace", "app_grace"}, &e)) return false;
    if (!GetDuration(*t, "leftover_grace", "shutdown.leftover_grace", &out->leftover_grace_ms, &e))
      return false;
    if (!GetDuration(*t, "agent_grace", "shutdown.agent_grace", &out->agent_stop_grace_ms, &e)) return false;
    if (!GetDuration(*t, "app_grace", "shutdown.app_grace", &out->app_stop_grace_ms, &e)) return false;
  }
  if (const toml::node* n = root.get("agent")) {
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables())
      return e.Fail(n->source(), "agent", "must be an array of tables: write [[agent]] sections");
    size_t i = 0;
    for (const toml::node& el : *arr) {
      if (!ParseAgent(*el.as_table(), i++, out, &e)) return false;
    }
  }
  return true;
}

bool LoadRunConfig(const std::string& path, RunConfig* out, std::string* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = path + ": cannot read: " + strerror(errno);
    return false;
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = path + ": cannot read: " + strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1 << 20)) {
      *err = path + ": larger than 1 MiB; is this the right file?";
      close(fd);
      return false;
    }
  }
  close(fd);
  return ParseRunConfig(text, path, out, err);
}

}  // namespace kilt::launcher
