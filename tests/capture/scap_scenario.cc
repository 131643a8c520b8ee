// Test tool: the synthetic capture of tests/capture/scenario.h, written out.
//   scap_scenario file OUT.scap [--exit-only]   a capture file (compatibility enter events unless
//                                               --exit-only)
//   scap_scenario json                          JSON lines on stdout
//   scap_scenario raw OUT                       the events back to back (a fuzzing seed)
#include <stdio.h>
#include <string.h>

#include <string>

#include "capture/scap_decoder.h"
#include "capture/scap_file.h"
#include "capture/scap_json.h"
#include "tests/capture/scenario.h"

namespace {

constexpr uint64_t kBaseTs = 1700000000000000000ull;

int WriteFile(const char* path, bool exit_only) {
  kilt::scap::CaptureFileWriter w;
  std::string err;
  kilt::scap::CaptureFileWriter::Options options;
  options.enter_events = !exit_only;
  bool ok = w.Open(path, options, &err);
  for (const std::string& ev : kilt::scap::scenario::Events(kBaseTs)) ok = ok && w.Write(ev, &err);
  ok = ok && w.Close(&err);
  if (!ok) fprintf(stderr, "scap_scenario: %s\n", err.c_str());
  return ok ? 0 : 1;
}

int WriteJson() {
  for (const std::string& ev : kilt::scap::scenario::Events(kBaseTs)) {
    kilt::scap::DecodedEvent d;
    const char* err = nullptr;
    if (!kilt::scap::DecodeEvent(ev, &d, &err)) return 1;
    std::string line;
    kilt::scap::AppendEventJson(d, &line);
    printf("%s\n", line.c_str());
  }
  return 0;
}

int WriteRaw(const char* path) {
  FILE* f = fopen(path, "wb");
  if (f == nullptr) return 1;
  for (const std::string& ev : kilt::scap::scenario::Events(kBaseTs)) fwrite(ev.data(), 1, ev.size(), f);
  return fclose(f) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "file") == 0) {
    return WriteFile(argv[2], argc >= 4 && strcmp(argv[3], "--exit-only") == 0);
  }
  if (argc == 2 && strcmp(argv[1], "json") == 0) return WriteJson();
  if (argc == 3 && strcmp(argv[1], "raw") == 0) return WriteRaw(argv[2]);
  fprintf(stderr, "usage: scap_scenario file OUT.scap [--exit-only] | json | raw OUT\n");
  return 2;
}
