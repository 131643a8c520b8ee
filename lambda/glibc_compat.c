// Lets the bootstrap built on Debian 12 (glibc 2.36) run on Amazon Linux 2023 (glibc 2.34).
//
// GCC 12's static unwinder (libgcc_eh.a, pulled in by -static-libgcc) finds exception tables with
// _dl_find_object(), which glibc added in 2.35: linked as is, the binary needs GLIBC_2.35 and fails to
// start on provided.al2023. This definition in the executable wins at static link time, so no
// versioned reference remains. It does what glibc's does for the unwinder (the only caller): find the
// loaded object whose PT_LOAD segments contain the address and return its PT_GNU_EH_FRAME, using
// dl_iterate_phdr (GLIBC_2.2.5) the way the unwinder did before 2.35. tests/lambda/bootstrap_test.sh
// checks the symbol versions, and exceptions (toml++ parse errors) are exercised through it.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct find_ctx {
  uintptr_t pc;
  struct dl_find_object* out;
  int found;
};

static int find_object(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct find_ctx* ctx = data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  int contains = 0;
  void* eh_frame = NULL;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD) {
      uintptr_t end = start + ph->p_memsz;
      if (start < lo) lo = start;
      if (end > hi) hi = end;
      if (ctx->pc >= start && ctx->pc < end) contains = 1;
    } else if (ph->p_type == PT_GNU_EH_FRAME) {
      eh_frame = (void*)start;
    }
  }
  if (!contains) return 0;
  memset(ctx->out, 0, sizeof(*ctx->out));
  ctx->out->dlfo_map_start = (void*)lo;
  ctx->out->dlfo_map_end = (void*)hi;
  ctx->out->dlfo_eh_frame = eh_frame;
  ctx->found = 1;
  return 1;  // stop iterating
}

int _dl_find_object(void* address, struct dl_find_object* result) {
  struct find_ctx ctx = {(uintptr_t)address, result, 0};
  dl_iterate_phdr(find_object, &ctx);
  return ctx.found ? 0 : -1;
}
