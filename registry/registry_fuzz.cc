// libFuzzer target for every parser that reads what a registry (or a user's file) sends us: the
// first byte picks the parser, the rest is its input. None may crash, hang or leak on any input.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "net/http.h"
#include "registry/auth.h"
#include "registry/manifest.h"
#include "registry/reference.h"
#include "registry/sigv4.h"

using namespace kilt::registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string err;
  switch (data[0] % 8) {
    case 0: {
      Reference r;
      if (ParseReference(in, &r, &err)) {
        Reference again;
        // What we print must parse back to the same reference.
        if (!ParseReference(r.String(), &again, &err) || again.String() != r.String()) __builtin_trap();
      }
      EcrRegistry e;
      (void)ParseEcrHost(in, &e);
      break;
    }
    case 1: {
      Manifest m;
      if (ParseManifest(in, "", &m, &err) && m.kind == Manifest::Kind::kIndex) {
        Descriptor d;
        (void)SelectPlatform(m, "linux/arm64", &d, &err);
        (void)SelectPlatform(m, "linux/amd64", &d, &err);
      }
      break;
    }
    case 2: {
      ImageConfigBlob c;
      (void)ParseImageConfig(in, &c, &err);
      break;
    }
    case 3: {
      Challenge c;
      if (ParseChallenge(in, &c, &err)) (void)TokenUrl(c, "library/nginx");
      break;
    }
    case 4: {
      std::map<std::string, kilt::registry::RegistryCredential> creds;
      (void)ParseDockerConfig(in, "fuzz.json", &creds, &err);
      break;
    }
    case 5: {
      std::string token;
      (void)ParseTokenResponse(in, &token, &err);
      kilt::registry::RegistryCredential c;
      double exp;
      (void)ParseEcrTokenResponse(in, &c, &exp, &err);
      break;
    }
    case 6: {
      std::string bytes;
      if (kilt::base::Base64Decode(in, &bytes)) {
        std::string back;
        if (!kilt::base::Base64Decode(kilt::base::Base64Encode(bytes), &back) || back != bytes) __builtin_trap();
      }
      break;
    }
    case 7: {
      kilt::net::Url u;
      if (kilt::net::ParseUrl(in, &u, &err)) (void)kilt::net::ResolveLocation(u, "../x?y");
      break;
    }
  }
  return 0;
}
