// A minimal in-cluster Kubernetes API client: GET a path on the apiserver with the pod's
// ServiceAccount token, trusting the cluster CA. The webhook uses it for one thing, reading the
// Secrets a pod names in spec.imagePullSecrets (webhook/pull_secrets.h); HTTP and TLS are net/'s.
#ifndef KILT_WEBHOOK_KUBE_CLIENT_H_
#define KILT_WEBHOOK_KUBE_CLIENT_H_

#include <string>

#include "net/http_client.h"

namespace kilt::webhook {

// Where a pod finds its ServiceAccount's credentials (automountServiceAccountToken).
inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubeClientConfig {
  std::string server;      // "https://10.96.0.1:443"
  std::string token_file;  // re-read on every request: kubelet rotates projected tokens
  std::string ca_file;     // the cluster CA (PEM)
};

// The in-cluster configuration: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, and
// `sa_dir`/token, `sa_dir`/ca.crt. Fails, saying what is missing and what to do, when the variables
// are unset or the files cannot be read.
[[nodiscard]] bool InClusterConfig(const std::string& sa_dir, KubeClientConfig* out,
                                   std::string* err);

class KubeClient {
 public:
  explicit KubeClient(KubeClientConfig config) : config_(std::move(config)) {}

  // GET `path` ("/api/v1/..."). True when the apiserver answered, whatever the status; *err names
  // the server and the step that failed otherwise. The token is sent, never logged.
  [[nodiscard]] bool Get(const std::string& path, net::Deadline deadline, net::HttpResponse* resp,
                         std::string* err) const;

  const KubeClientConfig& config() const { return config_; }

 private:
  KubeClientConfig config_;
};

// "HTTP 403 Forbidden: secrets \"x\" is forbidden: ..." — the status and the message of the
// apiserver's Status document when there is one (it names the object and the denied verb).
std::string DescribeKubeStatus(const net::HttpResponse& resp);

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_KUBE_CLIENT_H_
