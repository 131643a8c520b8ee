// kilt-webhook: the Kubernetes mutating admission webhook that makes pods run through /kilt/run.
// Usage and flags: kilt-webhook --help; docs/webhook.md.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "base/file.h"
#include "patcher/recipe.h"
#include "registry/lookup.h"
#include "webhook/admission.h"
#include "webhook/log.h"
#include "webhook/kube_client.h"
#include "webhook/metrics.h"
#include "webhook/pod_lookup.h"
#include "webhook/pull_secrets.h"
#include "webhook/server.h"
#include "webhook/tls_store.h"

namespace kilt::webhook {
namespace {

constexpr char kUsage[] = R"(usage: kilt-webhook --cert FILE --key FILE [options]

The Kilt mutating admission webhook: POST /mutate takes an AdmissionReview v1 for a Pod and answers
with a JSON patch that makes the pod's containers run through /kilt/run. Also GET /healthz, /readyz,
/metrics. Logs are JSON lines on stderr.

  --cert FILE              serving certificate (PEM chain); reloaded when it changes
  --key FILE               its private key (PEM); reloaded when it changes
  --recipe FILE            recipe (TOML, docs/recipe.md); default: the built-in recipe
  --kilt-image IMAGE       the kilt image (overrides the recipe's kilt_image)
  --listen ADDR:PORT       default 0.0.0.0:8443; port 0 picks a free port
  --port-file FILE         write the bound port to FILE once listening (tests, scripts)
  --failure-policy P       open (default): on an error admit the pod unpatched with a warning;
                           closed: deny the pod with the reason
  --unknown-image P        what to do with a container that sets no command when its image's
                           ENTRYPOINT/CMD is unknown: skip (default with open) or deny (default
                           with closed)
  --namespace NS           the webhook's own namespace, never patched (default: $POD_NAMESPACE)
  --lookup                 look image configs up in their registries (default: recipe hints only)
  --docker-config FILE     registry credentials (a mounted kubernetes.io/dockerconfigjson secret)
  --pull-secrets           also use the pod's spec.imagePullSecrets for lookups: reads those
                           Secrets from the apiserver with the webhook's ServiceAccount (needs
                           --lookup and RBAC `get` on secrets, see deploy/webhook/pull-secrets)
  --pull-secrets-ttl-s N   how long a Secret read is reused (default 60)
  --service-account-dir D  token and ca.crt for the apiserver (default
                           /var/run/secrets/kubernetes.io/serviceaccount)
  --registry-ca FILE       extra CA bundle for registries
  --insecure-registry HOST registry spoken to over plain http (repeatable; tests only)
  --lookup-timeout-ms N    budget for all lookups of one request (default 4000)
  --volume-size-limit Q    sizeLimit of the /kilt emptyDir (default 256Mi)
  --workers N              worker threads (default 8)
  --max-body-bytes N       largest request body accepted (default 3145728)
  --handshake-timeout-ms N a TLS handshake must be done this long after accept (default 5000)
  --request-timeout-ms N   a request must arrive whole within this, from its first byte (from the
                           handshake for a connection's first request), and an answer be taken
                           within this (default 10000)
  --idle-timeout-ms N      idle keep-alive connections are closed after this (default 90000)
  --max-connections N      connections open at once; at the cap new ones wait in the listen
                           backlog until one closes (default 1024)
  --shutdown-delay-ms N    after SIGTERM keep serving, not ready, this long (default 0)
  --shutdown-grace-ms N    then wait this long for requests in flight (default 25000)
)";

bool ParseInt(const std::string& flag, const std::string& v, long min, long* out, std::string* err) {
  char* end = nullptr;
  long n = strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || n < min) {
    *err = flag + " " + v + ": expected an integer >= " + std::to_string(min);
    return false;
  }
  *out = n;
  return true;
}

struct Flags {
  std::string cert, key, recipe_file, kilt_image, port_file, failure_policy = "open", unknown_image;
  std::string own_namespace, docker_config, registry_ca, volume_size_limit;
  std::string service_account_dir = kServiceAccountDir;
  std::vector<std::string> insecure_registries;
  bool lookup = false, pull_secrets = false;
  long lookup_timeout_ms = 4000, pull_secrets_ttl_s = 60;
  ServerConfig server;
};

// Returns 0 to run, 1 after --help, 2 on a usage error (message printed).
int ParseFlags(int argc, char** argv, Flags* f) {
  std::string err;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 1;
    }
    if (a == "--lookup") {
      f->lookup = true;
      continue;
    }
    if (a == "--pull-secrets") {
      f->pull_secrets = true;
      continue;
    }
    std::string v;
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      v = argv[++i];
    } else {
      fprintf(stderr, "kilt-webhook: %s needs a value (see --help)\n", a.c_str());
      return 2;
    }
    long n = 0;
    bool ok = true;
    if (a == "--cert") f->cert = v;
    else if (a == "--key") f->key = v;
    else if (a == "--recipe") f->recipe_file = v;
    else if (a == "--kilt-image") f->kilt_image = v;
    else if (a == "--listen") f->server.listen = v;
    else if (a == "--port-file") f->port_file = v;
    else if (a == "--failure-policy") f->failure_policy = v;
    else if (a == "--unknown-image") f->unknown_image = v;
    else if (a == "--namespace") f->own_namespace = v;
    else if (a == "--docker-config") f->docker_config = v;
    else if (a == "--registry-ca") f->registry_ca = v;
    else if (a == "--insecure-registry") f->insecure_registries.push_back(v);
    else if (a == "--volume-size-limit") f->volume_size_limit = v;
    else if (a == "--service-account-dir") f->service_account_dir = v;
    else if (a == "--pull-secrets-ttl-s") ok = ParseInt(a, v, 0, &f->pull_secrets_ttl_s, &err);
    else if (a == "--lookup-timeout-ms") ok = ParseInt(a, v, 1, &f->lookup_timeout_ms, &err);
    else if (a == "--workers") { ok = ParseInt(a, v, 1, &n, &err); f->server.workers = static_cast<int>(n); }
    else if (a == "--max-body-bytes") { ok = ParseInt(a, v, 1024, &n, &err); f->server.max_body_bytes = static_cast<size_t>(n); }
    else if (a == "--handshake-timeout-ms") { ok = ParseInt(a, v, 1, &n, &err); f->server.handshake_timeout_ms = static_cast<int>(n); }
    else if (a == "--max-connections") { ok = ParseInt(a, v, 1, &n, &err); f->server.max_connections = static_cast<int>(n); }
    else if (a == "--request-timeout-ms") { ok = ParseInt(a, v, 1, &n, &err); f->server.request_timeout_ms = static_cast<int>(n); }
    else if (a == "--idle-timeout-ms") { ok = ParseInt(a, v, 1, &n, &err); f->server.idle_timeout_ms = static_cast<int>(n); }
    else if (a == "--shutdown-delay-ms") { ok = ParseInt(a, v, 0, &n, &err); f->server.shutdown_delay_ms = static_cast<int>(n); }
    else if (a == "--shutdown-grace-ms") { ok = ParseInt(a, v, 0, &n, &err); f->server.shutdown_grace_ms = static_cast<int>(n); }
    else {
      fprintf(stderr, "kilt-webhook: unknown flag %s (see --help)\n", a.c_str());
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "kilt-webhook: %s\n", err.c_str());
      return 2;
    }
  }
  if (f->cert.empty() || f->key.empty()) {
    fprintf(stderr, "kilt-webhook: --cert and --key are required (see --help)\n");
    return 2;
  }
  if (f->failure_policy != "open" && f->failure_policy != "closed") {
    fprintf(stderr, "kilt-webhook: --failure-policy %s: expected open or closed\n", f->failure_policy.c_str());
    return 2;
  }
  if (f->unknown_image.empty()) f->unknown_image = f->failure_policy == "open" ? "skip" : "deny";
  if (f->unknown_image != "skip" && f->unknown_image != "deny") {
    fprintf(stderr, "kilt-webhook: --unknown-image %s: expected skip or deny\n", f->unknown_image.c_str());
    return 2;
  }
  if (f->pull_secrets && !f->lookup) {
    fprintf(stderr, "kilt-webhook: --pull-secrets needs --lookup (the Secrets serve registry lookups)\n");
    return 2;
  }
  if (f->own_namespace.empty() && getenv("POD_NAMESPACE")) f->own_namespace = getenv("POD_NAMESPACE");
  return 0;
}

ServerResponse Text(int status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body)}; }

// Each review allocates and frees a few hundred KiB (rapidjson documents, strings) on the worker's malloc
// arena. With glibc's defaults every free that empties the top of an arena gives the pages back (madvise),
// and the next request faults them in again, with TLB shoot-downs between the worker threads: profiling
// the bench showed about a fifth of the server's CPU there. Keep freed memory in the process instead
// (bounded by what concurrent requests use at their peak).
void KeepFreedMemory() {
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 1 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

// The recipe (--recipe, --kilt-image) and the pod options the flags give.
bool MakeAdmissionConfig(const Flags& flags, AdmissionConfig* config, std::string* err) {
  if (!flags.recipe_file.empty()) {
    std::string text;
    if (!base::ReadFile(flags.recipe_file, &text, err, kMaxRecipeBytes) ||
        !ParseRecipe(text, flags.recipe_file, &config->recipe, err))
      return false;
  }
  if (!flags.kilt_image.empty()) config->recipe.kilt_image = flags.kilt_image;
  if (config->recipe.kilt_image.empty()) {
    *err = "no kilt image: set --kilt-image or `image` in --recipe";
    return false;
  }
  if (!ValidateRecipe(config->recipe, err)) {
    *err = "recipe: " + *err + " (set --kilt-image or kilt_image in --recipe)";
    return false;
  }
  config->fail_open = flags.failure_policy == "open";
  config->own_namespace = flags.own_namespace;
  config->pod.unknown_image = flags.unknown_image == "skip" ? UnknownImagePolicy::kSkip : UnknownImagePolicy::kDeny;
  if (!flags.volume_size_limit.empty()) config->pod.volume_size_limit = flags.volume_size_limit;
  return true;
}

// With --pull-secrets: the pods' imagePullSecrets, read from the apiserver with the ServiceAccount's token.
bool MakePullSecretStore(const Flags& flags, std::shared_ptr<PullSecretStore>* out, std::string* err) {
  KubeClientConfig kc;
  if (!InClusterConfig(flags.service_account_dir, &kc, err)) {
    *err = "--pull-secrets: " + *err;
    return false;
  }
  auto kube = std::make_shared<KubeClient>(kc);
  *out = std::make_shared<PullSecretStore>(
      [kube](const std::string& ns, const std::string& name, PullSecretStore::Clock::time_point deadline,
             std::string* json, std::string* why) {
        net::HttpResponse resp;
        if (!kube->Get("/api/v1/namespaces/" + ns + "/secrets/" + name, deadline, &resp, why)) return false;
        if (resp.status != 200) {
          *why = "reading it from the apiserver: " + DescribeKubeStatus(resp);
          if (resp.status == 403)
            *why += " (bind the ClusterRole kilt-webhook-pull-secrets in this namespace: docs/webhook.md)";
          return false;
        }
        *json = std::move(resp.body);
        return true;
      },
      std::chrono::seconds(flags.pull_secrets_ttl_s));
  return true;
}

// With --lookup: the registry lookups for images whose command the pod leaves to the image.
bool MakeImageLookup(const Flags& flags, std::unique_ptr<PodImageLookup>* out, std::string* err) {
  registry::LookupOptions lo;
  lo.use_docker_config = !flags.docker_config.empty();
  lo.docker_config_path = flags.docker_config;
  lo.ca_file = flags.registry_ca;
  lo.insecure_http_registries = flags.insecure_registries;
  lo.request_timeout_ms = static_cast<int>(flags.lookup_timeout_ms);
  lo.overall_timeout_ms = static_cast<int>(flags.lookup_timeout_ms);
  std::shared_ptr<PullSecretStore> secrets;
  if (flags.pull_secrets && !MakePullSecretStore(flags, &secrets, err)) return false;
  *out = std::make_unique<PodImageLookup>(lo, secrets);
  return true;
}

// Every thread inherits this mask; the server takes the signals through a signalfd.
void BlockServerSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// POST /mutate (one AdmissionReview, counted and logged), /healthz, /readyz and /metrics.
// REQUIRES: config, metrics and *server outlive the handler; *server is set before it serves.
Server::Handler Routes(const AdmissionConfig& config, Metrics* metrics, Server* const* server) {
  return [&config, metrics, server](const ServerRequest& req) -> ServerResponse {
    if (req.path == "/mutate") {
      if (req.method != "POST") return Text(405, "POST an AdmissionReview to /mutate\n");
      auto start = std::chrono::steady_clock::now();
      AdmissionResult r = ReviewAdmission(req.body, config);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics->CountAdmission(r.outcome, secs);
      LogLine line(r.outcome == AdmissionOutcome::kPatched || r.outcome == AdmissionOutcome::kSkipped
                       ? "info"
                       : "warn",
                   "admission");
      line.Str("result", OutcomeName(r.outcome)).Str("uid", r.uid).Str("namespace", r.namespace_)
          .Str("pod", r.name).Str("operation", r.operation).Num("duration_ms", secs * 1000);
      if (!r.patched.empty()) line.List("patched", r.patched);
      if (!r.reason.empty()) line.Str("reason", r.reason);
      if (!r.warnings.empty()) line.List("warnings", r.warnings);
      if (r.http_status != 200) return Text(r.http_status, r.body);
      return {200, "application/json", std::move(r.body)};
    }
    if (req.path == "/healthz") return Text(200, "ok\n");
    if (req.path == "/readyz")
      return *server && (*server)->ready() ? Text(200, "ok\n") : Text(503, "shutting down\n");
    if (req.path == "/metrics") return {200, "text/plain; version=0.0.4", metrics->Render()};
    return Text(404, "not found: the webhook serves POST /mutate, /healthz, /readyz, /metrics\n");
  };
}

int Fail(const std::string& err) {
  fprintf(stderr, "kilt-webhook: %s\n", err.c_str());
  return 2;
}

}  // namespace

int Main(int argc, char** argv) {
  KeepFreedMemory();
  Flags flags;
  if (int r = ParseFlags(argc, argv, &flags)) return r == 1 ? 0 : 2;

  AdmissionConfig config;
  std::unique_ptr<PodImageLookup> lookup;
  std::string err;
  if (!MakeAdmissionConfig(flags, &config, &err)) return Fail(err);
  if (flags.lookup) {
    if (!MakeImageLookup(flags, &lookup, &err)) return Fail(err);
    config.lookup = lookup.get();
    config.lookup_budget_ms = static_cast<int>(flags.lookup_timeout_ms);
  }
  TlsStore tls(flags.cert, flags.key);
  if (!tls.Load(&err)) return Fail(err);

  BlockServerSignals();
  Metrics metrics;
  Server* server_ptr = nullptr;
  Server server(flags.server, &tls, &metrics, Routes(config, &metrics, &server_ptr));
  server_ptr = &server;
  if (!server.Listen(&err)) return Fail(err);
  // Written atomically, so a reader never sees a partial number.
  if (!flags.port_file.empty() &&
      !base::WriteFileAtomically(flags.port_file, std::to_string(server.port()) + "\n", &err))
    return Fail("cannot write the port file " + err);
  LogLine("info", "started").Str("kilt_image", config.recipe.kilt_image)
      .Str("failure_policy", flags.failure_policy).Str("unknown_image", flags.unknown_image)
      .Str("own_namespace", config.own_namespace).Int("lookup", flags.lookup ? 1 : 0)
      .Int("pull_secrets", flags.pull_secrets ? 1 : 0);
  return server.Run();
}

}  // namespace kilt::webhook

int main(int argc, char** argv) { return kilt::webhook::Main(argc, argv); }
