#include "registry/net_transport.h"

#include "net/http_client.h"

namespace kilt::registry {

bool NetTransport::RoundTrip(const HttpRequest& req, std::chrono::milliseconds timeout,
                             HttpResponse* resp, std::string* err) {
  net::HttpRequest nreq;
  nreq.method = req.method;
  nreq.url = req.url;
  nreq.headers = req.headers;
  nreq.body = req.body;
  net::HttpOptions opts;
  // One budget for the whole exchange: a registry that accepts and then never answers must fail
  // within it, whichever phase it stalls in.
  int ms = static_cast<int>(std::max<long long>(1, timeout.count()));
  opts.connect_timeout_ms = ms;
  opts.read_timeout_ms = ms;
  opts.deadline = std::chrono::steady_clock::now() + timeout;
  // Manifests are capped at 4 MiB by registries; configs are small. More is not a registry talking.
  opts.max_response_bytes = 16u << 20;
  opts.ca_file = ca_file_;
  net::HttpResponse nresp;
  if (!net::HttpFetch(nreq, opts, &nresp, err)) return false;
  resp->status = nresp.status;
  resp->reason.clear();
  resp->headers = std::move(nresp.headers);
  resp->body = std::move(nresp.body);
  return true;
}

}  // namespace kilt::registry
