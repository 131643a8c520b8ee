#include "webhook/kube_client.h"

#include <rapidjson/document.h>

#include <cstdlib>

#include "base/file.h"
#include "base/strings.h"

namespace kilt::webhook {
bool InClusterConfig(const std::string& sa_dir, KubeClientConfig* out, std::string* err) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    *err =
        "KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT are not set: --pull-secrets works only "
        "inside a pod (kubelet sets them)";
    return false;
  }
  std::string h = host;
  // An IPv6 service address needs brackets in a URL.
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  out->server = "https://" + h + ":" + port;
  out->token_file = sa_dir + "/token";
  out->ca_file = sa_dir + "/ca.crt";
  std::string probe;
  for (const std::string& f : {out->token_file, out->ca_file}) {
    if (!base::ReadFile(f, &probe, err)) {
      *err = "cannot read " + *err +
             ": mount the ServiceAccount token (automountServiceAccountToken: "
             "true, see deploy/webhook/pull-secrets)";
      return false;
    }
  }
  return true;
}

bool KubeClient::Get(const std::string& path, net::Deadline deadline, net::HttpResponse* resp,
                     std::string* err) const {
  std::string token, why;
  if (!base::ReadFile(config_.token_file, &token, &why, 64 << 10)) {
    *err = "cannot read the ServiceAccount token " + why;
    return false;
  }
  const std::string_view bearer = base::Trim(token);
  if (bearer.empty()) {
    *err = "the ServiceAccount token " + config_.token_file + " is empty";
    return false;
  }
  net::HttpRequest req;
  req.url = config_.server + path;
  req.headers = {{"Authorization", "Bearer " + std::string(bearer)}, {"Accept", "application/json"}};
  net::HttpOptions opts;
  opts.deadline = deadline;
  opts.ca_file = config_.ca_file;
  opts.max_response_bytes = 4u << 20;  // a Secret is at most 1 MiB
  return net::HttpFetch(req, opts, resp, err);
}

std::string DescribeKubeStatus(const net::HttpResponse& resp) {
  std::string out = "HTTP " + std::to_string(resp.status);
  switch (resp.status) {
    case 401:
      out += " Unauthorized";
      break;
    case 403:
      out += " Forbidden";
      break;
    case 404:
      out += " Not Found";
      break;
    default:
      break;
  }
  rapidjson::Document d;
  d.Parse(resp.body.data(), resp.body.size());
  if (!d.HasParseError() && d.IsObject()) {
    auto kind = d.FindMember("kind");
    auto msg = d.FindMember("message");
    // Only a Status document's message: any other body might be the object itself.
    if (kind != d.MemberEnd() && kind->value.IsString() &&
        std::string(kind->value.GetString()) == "Status" && msg != d.MemberEnd() &&
        msg->value.IsString()) {
      std::string m(msg->value.GetString(), msg->value.GetStringLength());
      if (m.size() > 300) m.replace(300, std::string::npos, "...");
      out += ": " + m;
    }
  }
  return out;
}

}  // namespace kilt::webhook
