// `kilt image-config [--platform linux/arm64] IMAGE`: what the registry says the image runs, as JSON
// {"digest": "sha256:...", "config": {...the image config's `config` object as stored...}}.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/file.h"
#include "base/json.h"
#include "cli/commands.h"
#include "registry/auth.h"
#include "registry/lookup.h"
#include "registry/reference.h"

namespace kilt::cli {
namespace {

constexpr char kUsage[] =
    "usage: kilt image-config [OPTIONS] IMAGE\n"
    "\n"
    "Looks IMAGE up in its registry and prints {\"digest\": ..., \"config\": {...}}: the digest the\n"
    "reference resolves to and the image config's `config` object (Entrypoint, Cmd, Env, ...).\n"
    "\n"
    "options:\n"
    "  --platform P          linux/amd64 (default), linux/arm64, or an ECS CpuArchitecture (ARM64)\n"
    "  --credentials FILE    {\"username\": ..., \"password\": ...} for IMAGE's registry (the content\n"
    "                        of an ECS RepositoryCredentials secret)\n"
    "  --docker-config FILE  docker config.json with `auths` (default: $DOCKER_CONFIG/config.json,\n"
    "                        else ~/.docker/config.json)\n"
    "  --ca-file FILE        extra PEM CAs to trust (the system store and SSL_CERT_FILE always are)\n"
    "  --timeout SECONDS     give up after this long (default 60; each request: min(10, this))\n"
    "  --insecure-http HOST  speak plain http to registry HOST[:PORT] (local mirrors, tests)\n"
    "\n"
    "Amazon ECR registries are authenticated with the standard AWS credential variables\n"
    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). See docs/image-lookup.md.\n";

}  // namespace

int RunImageConfig(int argc, char** argv) {
  registry::LookupOptions opts;
  std::string platform = "linux/amd64", image, credentials_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kilt image-config: %s needs a value\n%s", a.c_str(), kUsage);
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--platform") {
      if (!value(&platform)) return 2;
      if (platform.find('/') == std::string::npos) {
        std::string p = registry::PlatformFromEcsArchitecture(platform);
        if (p.empty()) {
          std::fprintf(stderr, "kilt image-config: unknown platform '%s' (use linux/amd64 or "
                               "linux/arm64)\n", platform.c_str());
          return 2;
        }
        platform = p;
      }
    } else if (a == "--credentials") {
      if (!value(&credentials_file)) return 2;
    } else if (a == "--docker-config") {
      if (!value(&opts.docker_config_path)) return 2;
    } else if (a == "--ca-file") {
      if (!value(&opts.ca_file)) return 2;
    } else if (a == "--timeout") {
      if (!value(&v)) return 2;
      char* end = nullptr;
      double secs = std::strtod(v.c_str(), &end);
      if (!end || *end || secs <= 0) {
        std::fprintf(stderr, "kilt image-config: --timeout wants a positive number of seconds\n");
        return 2;
      }
      opts.overall_timeout_ms = static_cast<int>(secs * 1000);
      opts.request_timeout_ms = std::min(opts.request_timeout_ms, opts.overall_timeout_ms);
    } else if (a == "--insecure-http") {
      if (!value(&v)) return 2;
      opts.insecure_http_registries.push_back(v);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "kilt image-config: unknown option '%s'\n%s", a.c_str(), kUsage);
      return 2;
    } else if (image.empty()) {
      image = a;
    } else {
      std::fprintf(stderr, "kilt image-config: one IMAGE only (got '%s' and '%s')\n",
                   image.c_str(), a.c_str());
      return 2;
    }
  }
  if (image.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!credentials_file.empty()) {
    std::string text, err;
    registry::RegistryCredential cred;
    if (!base::ReadFile(credentials_file, &text, &err, registry::kMaxCredentialsFileBytes)) {
      std::fprintf(stderr, "kilt image-config: cannot read %s\n", err.c_str());
      return 2;
    }
    if (!registry::ParseRepositoryCredentialsSecret(text, &cred, &err)) {
      std::fprintf(stderr, "kilt image-config: %s: %s\n", credentials_file.c_str(), err.c_str());
      return 2;
    }
    registry::Reference ref;
    if (!registry::ParseReference(image, &ref, &err)) {
      std::fprintf(stderr, "kilt image-config: %s\n", err.c_str());
      return 2;
    }
    opts.credentials[ref.registry] = cred;
  }
  registry::ImageConfigResolver resolver(opts);
  registry::ResolvedImage r;
  std::string err;
  if (!resolver.ResolveOne(lookup::ImageNeed{image, platform}, &r, &err)) {
    std::fprintf(stderr, "kilt image-config: %s\n", err.c_str());
    return 1;
  }
  std::string out = "{\"digest\": ";
  base::AppendJsonString(&out, r.digest);
  out += ", \"config\": " + r.config_json + "}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace kilt::cli
