// kilt-http-fetch: a test tool around net::HttpFetch (not installed). Prints "STATUS\n" then the
// body to stdout; on failure prints the client's error to stderr and exits 1.
//   kilt-http-fetch [--ca FILE] [--method M] [--data BODY] [--max BYTES] [--timeout-ms N]
//                   [--header 'Name: value']... URL
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "net/http_client.h"

int main(int argc, char** argv) {
  kilt::net::HttpRequest req;
  kilt::net::HttpOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "kilt-http-fetch: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--ca") {
      opts.ca_file = next();
    } else if (a == "--method") {
      req.method = next();
    } else if (a == "--data") {
      req.body = next();
    } else if (a == "--max") {
      opts.max_response_bytes = std::stoul(next());
    } else if (a == "--timeout-ms") {
      opts.read_timeout_ms = opts.connect_timeout_ms = std::stoi(next());
    } else if (a == "--header") {
      std::string h = next();
      size_t colon = h.find(':');
      if (colon == std::string::npos) {
        fprintf(stderr, "kilt-http-fetch: --header wants 'Name: value'\n");
        return 2;
      }
      size_t v = h.find_first_not_of(' ', colon + 1);
      req.headers.emplace_back(h.substr(0, colon), v == std::string::npos ? "" : h.substr(v));
    } else {
      req.url = a;
    }
  }
  kilt::net::HttpResponse resp;
  std::string err;
  if (!kilt::net::HttpFetch(req, opts, &resp, &err)) {
    fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  printf("%d\n", resp.status);
  fwrite(resp.body.data(), 1, resp.body.size(), stdout);
  return 0;
}
