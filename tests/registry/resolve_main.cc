// kilt-resolve: drives ImageConfigResolver the way the Lambda and webhook do, for the end-to-end test.
// Reads batches from stdin, one per line: "IMAGE[,PLATFORM] IMAGE[,PLATFORM] ..."; for each batch
// resolves them all (in parallel, through the resolver's cache) and prints one line per image,
// sorted: "ok IMAGE PLATFORM DIGEST ENTRYPOINT|CMD" or "error MESSAGE", then "done".
// Options: --ca-file F, --docker-config F, --parallel N, --timeout-ms N (overall deadline per batch).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "registry/lookup.h"

int main(int argc, char** argv) {
  kilt::registry::LookupOptions opts;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--ca-file") opts.ca_file = argv[i + 1];
    else if (a == "--docker-config") opts.docker_config_path = argv[i + 1];
    else if (a == "--parallel") opts.parallelism = std::atoi(argv[i + 1]);
    else if (a == "--timeout-ms") opts.overall_timeout_ms = opts.request_timeout_ms = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "kilt-resolve: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  kilt::registry::ImageConfigResolver resolver(opts);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::vector<kilt::lookup::ImageNeed> needs;
    for (std::string w; words >> w;) {
      size_t comma = w.find(',');
      needs.push_back({w.substr(0, comma), comma == std::string::npos ? "linux/amd64" : w.substr(comma + 1)});
    }
    kilt::lookup::ImageConfigs out;
    std::vector<std::string> errors = resolver.Resolve(needs, &out);
    for (const auto& [need, cfg] : out) {
      std::string ep, cmd;
      for (const auto& s : cfg.entrypoint) ep += (ep.empty() ? "" : ",") + s;
      for (const auto& s : cfg.cmd) cmd += (cmd.empty() ? "" : ",") + s;
      std::printf("ok %s %s %s %s|%s\n", need.image.c_str(), need.platform.c_str(),
                  cfg.digest.c_str(), ep.c_str(), cmd.c_str());
    }
    for (const auto& e : errors) std::printf("error %s\n", e.c_str());
    std::printf("done\n");
    std::fflush(stdout);
  }
  return 0;
}
