// The benchmark's anchor: a custom-runtime bootstrap that does nothing but the Runtime API loop
// (next -> POST the event back as the response), with the same HTTP client and the same link as the
// real one. The difference to it is what parsing, patching and serialising cost.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "net/http_client.h"

int main() {
  const char* api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 2;
  const std::string base = std::string("http://") + api + "/2018-06-01/runtime/invocation/";
  for (;;) {
    kilt::net::HttpRequest next;
    next.url = base + "next";
    kilt::net::HttpOptions opts;
    opts.read_timeout_ms = 0;
    kilt::net::HttpResponse ev;
    std::string err;
    if (!kilt::net::HttpFetch(next, opts, &ev, &err) || ev.status != 200) return 1;
    kilt::net::HttpRequest resp;
    resp.method = "POST";
    resp.url = base + ev.Header("Lambda-Runtime-Aws-Request-Id") + "/response";
    resp.body = std::move(ev.body);
    kilt::net::HttpResponse ack;
    if (!kilt::net::HttpFetch(resp, opts, &ack, &err)) return 1;
  }
}
