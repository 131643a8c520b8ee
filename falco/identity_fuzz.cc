// libFuzzer target for the parsers of /kilt/falco/start (identity.h): the ECS task metadata document and
// /proc/self/cgroup text come from outside Kilt. `make fuzz-falco` (FUZZ_SECONDS per run, default 60).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "falco/identity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  kilt_identity id;
  memset(&id, 0, sizeof id);
  char err[256];
  if (kilt_parse_ecs_metadata(text, size, &id, err, sizeof err) == 0) {
    // Every field stays NUL-terminated within its buffer.
    if (memchr(id.id, 0, sizeof id.id) == nullptr || memchr(id.name, 0, sizeof id.name) == nullptr ||
        memchr(id.image, 0, sizeof id.image) == nullptr || memchr(id.task, 0, sizeof id.task) == nullptr)
      __builtin_trap();
  }
  char cg[16];
  if (kilt_container_id_from_cgroup(text, size, cg, sizeof cg) == 0 && strlen(cg) != 12) __builtin_trap();
  return 0;
}
