#include "lambda/runtime_api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>

#include "net/http_client.h"

namespace kilt::lambda {
namespace {

net::HttpOptions ApiOptions(bool long_poll) {
  net::HttpOptions o;
  o.connect_timeout_ms = 5000;
  // `next` is a long poll: the API answers when an event arrives, which can be much later (and the
  // sandbox may be frozen in between), so no read timeout there.
  o.read_timeout_ms = long_poll ? 0 : 30000;
  // Lambda's own limit on an event is 6 MB; leave room, but never let a broken API fill memory.
  o.max_response_bytes = 16u << 20;
  return o;
}

}  // namespace

std::string ErrorBody(std::string_view type, std::string_view message) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("errorMessage");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("errorType");
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

RuntimeApi::RuntimeApi(const std::string& host_port)
    : base_("http://" + host_port + "/2018-06-01") {}

bool RuntimeApi::Next(Invocation* out, std::string* err) {
  net::HttpRequest req;
  req.url = base_ + "/runtime/invocation/next";
  net::HttpResponse resp;
  if (!net::HttpFetch(req, ApiOptions(/*long_poll=*/true), &resp, err)) return false;
  if (resp.status != 200) {
    *err = "Runtime API: next invocation: HTTP " + std::to_string(resp.status);
    return false;
  }
  out->request_id = resp.Header("Lambda-Runtime-Aws-Request-Id");
  if (out->request_id.empty() || out->request_id.find_first_of("/?# ") != std::string::npos) {
    *err = "Runtime API: next invocation has no usable Lambda-Runtime-Aws-Request-Id";
    return false;
  }
  out->deadline_ms = 0;
  const std::string deadline = resp.Header("Lambda-Runtime-Deadline-Ms");
  char* end = nullptr;
  long long v = deadline.empty() ? 0 : strtoll(deadline.c_str(), &end, 10);
  if (!deadline.empty() && end != nullptr && *end == '\0' && v > 0) out->deadline_ms = v;
  out->body = std::move(resp.body);
  return true;
}

bool RuntimeApi::Post(const std::string& path, std::string body, bool error_body,
                      std::string_view type, std::string* err) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.headers.emplace_back("Content-Type", "application/json");
  if (error_body) req.headers.emplace_back("Lambda-Runtime-Function-Error-Type", std::string(type));
  req.body = std::move(body);
  net::HttpResponse resp;
  if (!net::HttpFetch(req, ApiOptions(/*long_poll=*/false), &resp, err)) return false;
  if (resp.status / 100 != 2) {
    *err = "Runtime API: POST " + path + ": HTTP " + std::to_string(resp.status);
    // 413: the response is larger than Lambda accepts; the caller reports that as an error instead.
    if (resp.status == 413) *err += " (response too large)";
    return false;
  }
  return true;
}

bool RuntimeApi::PostResponse(const std::string& request_id, std::string body, std::string* err) {
  return Post("/runtime/invocation/" + request_id + "/response", std::move(body), false, "", err);
}

bool RuntimeApi::PostError(const std::string& request_id, std::string_view type,
                           std::string_view message, std::string* err) {
  return Post("/runtime/invocation/" + request_id + "/error", ErrorBody(type, message), true, type,
              err);
}

bool RuntimeApi::PostInitError(std::string_view type, std::string_view message, std::string* err) {
  return Post("/runtime/init/error", ErrorBody(type, message), true, type, err);
}

}  // namespace kilt::lambda
