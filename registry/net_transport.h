// HttpTransport over the shared net/ client (plain TCP or TLS with OpenSSL).
#ifndef KILT_REGISTRY_NET_TRANSPORT_H_
#define KILT_REGISTRY_NET_TRANSPORT_H_

#include <string>

#include "registry/http.h"

namespace kilt::registry {

class NetTransport : public HttpTransport {
 public:
  // `ca_file`: extra PEM bundle trusted besides the system store (empty: none).
  explicit NetTransport(std::string ca_file) : ca_file_(std::move(ca_file)) {}
  bool RoundTrip(const HttpRequest& req, std::chrono::milliseconds timeout, HttpResponse* resp,
                 std::string* err) override;

 private:
  std::string ca_file_;
};

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_NET_TRANSPORT_H_
