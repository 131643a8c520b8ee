// bootstrap: the CloudFormation macro's custom-runtime Lambda (provided.al2023). Loops over the
// Runtime API: next -> HandleMacroEvent -> response. See docs/lambda.md.
//
// Exit status: 0 never in Lambda (the loop ends only on error); 1 when the Runtime API is
// unreachable or start-up failed (reported to /runtime/init/error first); 2 on usage errors outside
// Lambda.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "base/strings.h"
#include "lambda/config.h"
#include "lambda/macro.h"
#include "lambda/runtime_api.h"
#include "registry/lookup.h"

namespace kilt::lambda {
namespace {

using Clock = std::chrono::steady_clock;

// Time kept back from the invocation's deadline for patching and posting the response after
// lookups.
constexpr int64_t kReserveMs = 2000;
// Without a deadline header (never in Lambda), lookups get this long.
constexpr int64_t kDefaultLookupMs = 60000;

registry::LookupOptions LambdaLookupOptions() {
  registry::LookupOptions o;
  o.use_docker_config = false;  // no ~/.docker in Lambda; credentials come from the execution role
  if (const char* ca = getenv("KILT_REGISTRY_CA_FILE")) o.ca_file = ca;
  // Plain-http registries: only for tests and private mirrors, named one by one.
  if (const char* insecure = getenv("KILT_INSECURE_REGISTRIES"))
    o.insecure_http_registries = base::Split(insecure, ',');
  return o;
}

int64_t EpochMs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Deadline LookupDeadline(int64_t deadline_epoch_ms) {
  const Clock::time_point now = Clock::now();
  int64_t budget = kDefaultLookupMs;
  const int64_t now_ms = EpochMs();
  // Lambda's deadline is a Unix time in ms, always ahead of now. Emulators (@vercel/fun sends the
  // constant 5000) may send something implausible; that is treated as "no deadline" rather than as
  // "already late", which would skip every lookup.
  if (deadline_epoch_ms > now_ms - 3600 * 1000) budget = deadline_epoch_ms - now_ms - kReserveMs;
  if (budget < 0) budget = 0;
  return now + std::chrono::milliseconds(budget);
}

// One line per invocation: ids and counts only. Never the template, parameters or environment: they
// may hold secrets (the original kilt logged whole templates with plaintext environment values).
void LogInvocation(const Invocation& inv, const MacroOutcome& o, int64_t duration_ms) {
  printf(
      "kilt-macro request=%s invocation=%s status=%s resources=%zu containers=%zu skipped=%zu "
      "errors=%zu images=%zu lookup_errors=%zu event_bytes=%zu duration_ms=%lld\n",
      o.request_id.empty() ? "-" : o.request_id.c_str(), inv.request_id.c_str(),
      o.success ? "success" : "failure", o.resources_patched, o.containers_patched, o.skipped,
      o.errors, o.images_needed, o.lookup_errors, inv.body.size(),
      static_cast<long long>(duration_ms));
  fflush(stdout);
}

int Run() {
  const char* api_host = getenv("AWS_LAMBDA_RUNTIME_API");
  if (api_host == nullptr || *api_host == '\0') {
    fprintf(stderr,
            "kilt-macro: AWS_LAMBDA_RUNTIME_API is not set: this program is the macro's Lambda "
            "(runtime provided.al2023); deploy it with lambda/installer.yaml (docs/lambda.md)\n");
    return 2;
  }
  RuntimeApi api(api_host);
  std::string err;

  MacroConfig config;
  if (!LoadMacroConfig([](const char* n) { return static_cast<const char*>(getenv(n)); }, &config,
                       &err)) {
    fprintf(stderr, "kilt-macro: start-up failed: %s\n", err.c_str());
    std::string post_err;
    if (!api.PostInitError("Kilt.InvalidConfiguration", "Kilt macro start-up failed: " + err,
                           &post_err))
      fprintf(stderr, "kilt-macro: %s\n", post_err.c_str());
    return 1;
  }
  std::unique_ptr<registry::ImageConfigResolver> lookup;
  if (config.image_lookup) lookup = std::make_unique<registry::ImageConfigResolver>(LambdaLookupOptions());

  for (;;) {
    Invocation inv;
    if (!api.Next(&inv, &err)) {
      fprintf(stderr, "kilt-macro: %s; exiting\n", err.c_str());
      return 1;
    }
    const Clock::time_point start = Clock::now();
    MacroOutcome o =
        HandleMacroEvent(inv.body, config, lookup.get(), LookupDeadline(inv.deadline_ms));
    const int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    LogInvocation(inv, o, ms);
    if (!api.PostResponse(inv.request_id, std::move(o.response), &err)) {
      fprintf(stderr, "kilt-macro: request=%s: %s\n", inv.request_id.c_str(), err.c_str());
      // The API is up but refused the response (too large): tell the caller instead of going
      // silent.
      std::string post_err;
      if (err.find("HTTP ") == std::string::npos ||
          !api.PostError(inv.request_id, "Kilt.ResponseRejected", err, &post_err)) {
        if (!post_err.empty()) fprintf(stderr, "kilt-macro: %s\n", post_err.c_str());
        return 1;
      }
    }
  }
}

}  // namespace
}  // namespace kilt::lambda

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--print-default-recipe") == 0) {
    // Used by `make package` to bundle the default recipe, so the zip always matches the code.
    std::string_view t = kilt::DefaultRecipeToml();
    fwrite(t.data(), 1, t.size(), stdout);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: bootstrap [--print-default-recipe]  (runs inside AWS Lambda)\n");
    return 2;
  }
  return kilt::lambda::Run();
}
