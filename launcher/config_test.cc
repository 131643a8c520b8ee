#include "launcher/config.h"

#include <signal.h>

#include <algorithm>

#include <catch2/catch.hpp>

using kilt::launcher::ParseRunConfig;
using kilt::launcher::RunConfig;

namespace {
std::string ErrorOf(const std::string& text) {
  RunConfig c;
  std::string err;
  if (ParseRunConfig(text, "run.cfg", &c, &err)) return "";
  return err;
}
}  // namespace

TEST_CASE("the Falco example parses with its fixed names") {
  RunConfig c;
  std::string err;
  REQUIRE(ParseRunConfig(R"([[agent]]
name = "falco"
path = "/kilt/falco/bin/falco"
args = ["-c", "/kilt/falco/falco.yaml"]
restart = "on-failure"
)", "run.cfg", &c, &err));
  REQUIRE(c.agents.size() == 1);
  CHECK(c.agents[0].name == "falco");
  CHECK(c.agents[0].path == "/kilt/falco/bin/falco");
  CHECK(c.agents[0].args == std::vector<std::string>{"-c", "/kilt/falco/falco.yaml"});
  CHECK(c.agents[0].restart == kilt::launcher::RestartPolicy::kOnFailure);
  CHECK(c.agents[0].on_failure == kilt::launcher::FailurePolicy::kContinue);
  CHECK(c.agents[0].ready.kind == kilt::launcher::ReadyKind::kNone);
  CHECK_FALSE(c.strict);
  CHECK(c.log_format == kilt::launcher::LogFormat::kPlain);
}

TEST_CASE("the shipped example launcher/run.cfg.example parses") {
  RunConfig c;
  std::string err;
  INFO(err);
  REQUIRE(kilt::launcher::LoadRunConfig("launcher/run.cfg.example", &c, &err));
  CHECK_FALSE(c.agents.empty());
}

TEST_CASE("every field of the schema") {
  RunConfig c;
  std::string err;
  bool ok = ParseRunConfig(R"(strict = true
[log]
format = "json"
embed_json = false
buffer = 65536
[shutdown]
agent_grace = "2s"
app_grace = 1.5
[[agent]]
name = "a"
path = "/bin/a"
env = { FOO = "bar", EMPTY = "" }
workdir = "/tmp"
restart = "always"
backoff_initial = "10ms"
backoff_max = "1m"
restart_limit = 3
restart_window = "30s"
on_failure = "stop-app"
ready = { fd = 5, timeout = "3s", on_timeout = "fail" }
[[agent]]
name = "b"
path = "/bin/b"
[agent.ready]
tcp = "[::1]:8080"
[[agent]]
name = "c"
path = "/bin/c"
ready.file = "/tmp/ready"
)", "run.cfg", &c, &err);
  INFO(err);
  REQUIRE(ok);
  CHECK(c.strict);
  CHECK(c.log_format == kilt::launcher::LogFormat::kJson);
  CHECK_FALSE(c.log_embed_json);
  CHECK(c.log_buffer_bytes == 65536);
  CHECK(c.agent_stop_grace_ms == 2000);
  CHECK(c.app_stop_grace_ms == 1500);
  REQUIRE(c.agents.size() == 3);
  const auto& a = c.agents[0];
  CHECK(a.env == std::vector<std::pair<std::string, std::string>>{{"EMPTY", ""}, {"FOO", "bar"}});
  CHECK(a.workdir == "/tmp");
  CHECK(a.restart == kilt::launcher::RestartPolicy::kAlways);
  CHECK(a.backoff_initial_ms == 10);
  CHECK(a.backoff_max_ms == 60000);
  CHECK(a.restart_limit == 3);
  CHECK(a.restart_window_ms == 30000);
  CHECK(a.on_failure == kilt::launcher::FailurePolicy::kStopApp);
  CHECK(a.ready.kind == kilt::launcher::ReadyKind::kNotifyFd);
  CHECK(a.ready.fd == 5);
  CHECK(a.ready.timeout_ms == 3000);
  CHECK(a.ready.on_timeout == kilt::launcher::ReadyTimeoutPolicy::kFail);
  CHECK(c.agents[1].ready.kind == kilt::launcher::ReadyKind::kTcp);
  CHECK(c.agents[1].ready.tcp_host == "::1");
  CHECK(c.agents[1].ready.tcp_port == 8080);
  CHECK(c.agents[2].ready.kind == kilt::launcher::ReadyKind::kFile);
  CHECK(c.agents[2].ready.file == "/tmp/ready");
}

TEST_CASE("an empty file is a valid configuration without agents") {
  RunConfig c;
  std::string err;
  REQUIRE(ParseRunConfig("", "run.cfg", &c, &err));
  CHECK(c.agents.empty());
}

TEST_CASE("errors name file, line and key") {
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\npath = \"/a\"\nrestart = \"sometimes\"\n") ==
        "run.cfg:4:11: agent \"x\".restart: \"sometimes\" is not one of \"never\", \"on-failure\", \"always\"");
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\npath = \"/a\"\nrestrat = \"always\"\n")
            .rfind("run.cfg:4:1: agent[0].restrat: unknown key", 0) == 0);
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\n").rfind("run.cfg:1:1: agent \"x\".path: missing", 0) == 0);
  CHECK(ErrorOf("[[agent]]\npath = \"/a\"\n").rfind("run.cfg:1:1: agent[0].name: missing", 0) == 0);
  CHECK(ErrorOf("strict = \"yes\"\n") == "run.cfg:1:10: strict: must be true or false");
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\npath = \"/a\"\n[[agent]]\nname = \"x\"\npath = \"/b\"\n")
            .rfind("run.cfg:5:8: agent \"x\".name: duplicate", 0) == 0);
  CHECK(ErrorOf("agent = 3\n").rfind("run.cfg:1:9: agent: must be an array of tables", 0) == 0);
}

TEST_CASE("syntax errors carry the parser's position") {
  std::string e = ErrorOf("[[agent]\nname = \"x\"\n");
  CHECK(e.rfind("run.cfg:1:", 0) == 0);
  CHECK(e.find("TOML syntax") != std::string::npos);
  // Found by fuzzing: toml++ asserted (or, with NDEBUG, assumed) a precondition this input breaks.
  CHECK(ErrorOf("[$og]\n").rfind("run.cfg:1:2: TOML syntax", 0) == 0);
}

TEST_CASE("non-ASCII outside strings is a syntax error, inside strings and comments it is text") {
  // Found by fuzzing: toml++ 3.3 reached __builtin_unreachable() on a bare "\xd0\xa7" ("Ч").
  CHECK(ErrorOf("strict = false\n\xd0\xa7\n").rfind("run.cfg:2:1: TOML syntax: a non-ASCII", 0) == 0);
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\npath = \"/a\" \xd0\xa7\n").rfind("run.cfg:3:", 0) == 0);
  RunConfig c;
  std::string err;
  REQUIRE(ParseRunConfig("# \xd0\xa7 comment\n[[agent]]\nname = \"x\"\npath = '/\xd0\xa7'\n"
                         "args = [\"\"\"a\\\"b\xd0\xa7\"\"\"]\n",
                         "run.cfg", &c, &err));
  REQUIRE(c.agents.size() == 1);
  CHECK(c.agents[0].path == "/\xd0\xa7");
  REQUIRE(c.agents[0].args.size() == 1);
  CHECK(c.agents[0].args[0] == "a\"b\xd0\xa7");
}

TEST_CASE("bad values") {
  auto bad = [](const std::string& line) {
    return ErrorOf("[[agent]]\nname = \"x\"\npath = \"/a\"\n" + line + "\n");
  };
  CHECK(bad("path2 = 1").find("unknown key") != std::string::npos);
  CHECK(bad("args = [1]").find("agent \"x\".args: must be an array of strings") != std::string::npos);
  CHECK(bad("env = { A = 1 }").find("agent \"x\".env.A: must be a string") != std::string::npos);
  CHECK(bad("backoff_initial = \"soon\"").find("not a duration") != std::string::npos);
  CHECK(bad("backoff_initial = -1").find("between 0 and 24h") != std::string::npos);
  CHECK(bad("backoff_initial = \"10s\"\nbackoff_max = \"1s\"").find("backoff_max") != std::string::npos);
  CHECK(bad("restart_limit = -1").find("restart_limit: must be between") != std::string::npos);
  CHECK(bad("on_failure = \"panic\"").find("on_failure") != std::string::npos);
  CHECK(bad("ready = { fd = 1 }").find("ready.fd: must be between 3") != std::string::npos);
  CHECK(bad("ready = { fd = 3, file = \"/x\" }").find("exactly one of fd, file, tcp") != std::string::npos);
  CHECK(bad("ready = { timeout = \"1s\" }").find("exactly one of fd, file, tcp") != std::string::npos);
  CHECK(bad("ready = { file = \"rel\" }").find("absolute path") != std::string::npos);
  CHECK(bad("ready = { tcp = \"localhost:80\" }").find("numeric address") != std::string::npos);
  CHECK(bad("ready = { tcp = \"127.0.0.1:0\" }").find("numeric address") != std::string::npos);
  CHECK(bad("ready = { fd = 3, on_timeout = \"maybe\" }").find("on_timeout") != std::string::npos);
  CHECK(ErrorOf("[[agent]]\nname = \"a b\"\npath = \"/a\"\n").find("must be 1-64 characters") !=
        std::string::npos);
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\npath = \"bin/a\"\n").find("absolute path") != std::string::npos);
  CHECK(ErrorOf("[log]\nformat = \"xml\"\n").find("log.format") != std::string::npos);
  CHECK(ErrorOf("[log]\nbuffer = 10\n").find("log.buffer: must be between") != std::string::npos);
  CHECK(ErrorOf("[shutdown]\ngrace = 1\n").find("shutdown.grace: unknown key") != std::string::npos);
}

TEST_CASE("strict is known even when another key is wrong") {
  RunConfig c;
  std::string err;
  REQUIRE_FALSE(ParseRunConfig("strict = true\nbogus = 1\n", "run.cfg", &c, &err));
  CHECK(c.strict);
}

TEST_CASE("missing file") {
  RunConfig c;
  std::string err;
  REQUIRE_FALSE(kilt::launcher::LoadRunConfig("/nonexistent/run.cfg", &c, &err));
  CHECK(err == "/nonexistent/run.cfg: cannot read: No such file or directory");
}

TEST_CASE("durations") {
  int64_t ms = 0;
  CHECK((kilt::launcher::ParseDurationMs("250ms", &ms) && ms == 250));
  CHECK((kilt::launcher::ParseDurationMs("1.5s", &ms) && ms == 1500));
  CHECK((kilt::launcher::ParseDurationMs("2m", &ms) && ms == 120000));
  CHECK((kilt::launcher::ParseDurationMs("1h", &ms) && ms == 3600000));
  CHECK((kilt::launcher::ParseDurationMs("3", &ms) && ms == 3000));
  CHECK_FALSE(kilt::launcher::ParseDurationMs("", &ms));
  CHECK_FALSE(kilt::launcher::ParseDurationMs("s", &ms));
  CHECK_FALSE(kilt::launcher::ParseDurationMs("5 s", &ms));
  CHECK_FALSE(kilt::launcher::ParseDurationMs("-5s", &ms));
}

TEST_CASE("[signals] and the leftover grace: defaults, values, and what is refused") {
  RunConfig c;
  std::string err;
  REQUIRE(ParseRunConfig("", "run.cfg", &c, &err));
  CHECK(c.signal_scope == kilt::launcher::SignalScope::kGroup);  // like dumb-init: sh -c and npm apps get SIGTERM
  CHECK(c.signal_rewrite.empty());
  CHECK(c.leftover_grace_ms == 2000);
  CHECK_FALSE(c.log_verbose);
  REQUIRE(ParseRunConfig(R"([log]
verbose = true
[signals]
scope = "app"
rewrite = { TERM = "QUIT", SIGUSR2 = "none", 10 = "WINCH" }
[shutdown]
leftover_grace = "500ms"
)", "run.cfg", &c, &err));
  CHECK(c.log_verbose);
  CHECK(c.signal_scope == kilt::launcher::SignalScope::kApp);
  std::sort(c.signal_rewrite.begin(), c.signal_rewrite.end());  // a TOML table has no order
  CHECK(c.signal_rewrite ==
        std::vector<std::pair<int, int>>{{SIGUSR1, SIGWINCH}, {SIGUSR2, 0}, {SIGTERM, SIGQUIT}});
  CHECK(c.leftover_grace_ms == 500);
  CHECK(ErrorOf("[signals]\nscope = \"all\"\n") ==
        "run.cfg:2:9: signals.scope: \"all\" is not one of \"group\", \"app\"");
  CHECK(ErrorOf("[signals]\nrewrite = { KILL = \"TERM\" }\n").find("not a signal kilt-run can receive") !=
        std::string::npos);
  CHECK(ErrorOf("[signals]\nrewrite = { CHLD = \"TERM\" }\n").find("not a signal kilt-run can receive") !=
        std::string::npos);
  CHECK(ErrorOf("[signals]\nrewrite = { TERM = \"NOPE\" }\n").find("\"NOPE\" is not a signal") != std::string::npos);
  CHECK(ErrorOf("[signals]\nrewrite = { TERM = 3 }\n").find("must be a signal name") != std::string::npos);
  CHECK(ErrorOf("[signals]\nrewrite = \"TERM:QUIT\"\n").find("must be a table") != std::string::npos);
  CHECK(ErrorOf("[shutdown]\nleftover_grace = \"soon\"\n").find("not a duration") != std::string::npos);
}

TEST_CASE("a NUL character in a string is an error, not a value cut short") {
  const std::string agent = "[[agent]]\nname = \"x\"\npath = \"/a\"\n";
  CHECK(ErrorOf(agent + "args = [\"--ok\", \"--rules=/a\\u0000/b\"]\n") ==
        "run.cfg:4:17: agent \"x\".args: contains a NUL character (\\u0000), which no path, argument or variable can hold");
  CHECK(ErrorOf("[[agent]]\nname = \"x\"\npath = \"/a\\u0000b\"\n").rfind("run.cfg:3:8: agent \"x\".path: contains a NUL", 0) == 0);
  CHECK(ErrorOf(agent + "env = { A = \"1\\u00002\" }\n").rfind("run.cfg:4:13: agent \"x\".env.A: contains a NUL", 0) == 0);
  CHECK(ErrorOf(agent + "env = { \"A\\u0000B\" = \"1\" }\n").rfind("run.cfg:4:22: agent \"x\".env: contains a NUL", 0) == 0);
}

TEST_CASE("nesting past toml++'s limit (256) is an error, not a stack overflow") {
  std::string deep = "x = " + std::string(300, '[') + std::string(300, ']') + "\n";
  CHECK(ErrorOf(deep).rfind("run.cfg:1:", 0) == 0);
  CHECK(ErrorOf(deep).find("nested") != std::string::npos);
}
