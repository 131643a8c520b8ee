// libFuzzer target: what a client sends the webhook. The first byte picks the parser, the rest is its
// input: the HTTP request reader, fed in pieces as TLS records arrive; or the AdmissionReview handler
// (the limited JSON reader, the pod patcher, the JSON Patch writer). Nothing may crash, hang or leak;
// a 200 answer is an AdmissionReview whose patch, when there is one, is valid JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/encoding.h"
#include "webhook/admission.h"
#include "webhook/http_request.h"

namespace {

const kilt::webhook::AdmissionConfig& Config(bool fail_open) {
  static kilt::webhook::AdmissionConfig open = [] {
    kilt::webhook::AdmissionConfig c;
    c.recipe.kilt_image = "kilt:1";
    c.recipe.hints.push_back({"img", {"/e"}, {"c"}});
    return c;
  }();
  static kilt::webhook::AdmissionConfig closed = [] {
    kilt::webhook::AdmissionConfig c = open;
    c.fail_open = false;
    return c;
  }();
  return fail_open ? open : closed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    // Pieces of (data[0] / 2 % 7 + 1) bytes, and pipelined requests one after the other.
    const size_t piece = data[0] / 2 % 7 + 1;
    kilt::webhook::RequestParser p(4096);
    size_t at = 0;
    while (at < in.size()) {
      size_t used = 0;
      const size_t n = std::min(piece, in.size() - at);
      kilt::webhook::RequestParser::State st = p.Feed(in.data() + at, n, &used);
      if (used > n) __builtin_trap();
      at += used;
      if (st == kilt::webhook::RequestParser::State::kError) break;
      if (st == kilt::webhook::RequestParser::State::kDone) {
        if (p.request().body.size() > 4096) __builtin_trap();
        p.Reset();
      } else if (used < n) {
        __builtin_trap();  // more is needed, yet not all was taken
      }
    }
    return 0;
  }
  kilt::webhook::AdmissionResult r = kilt::webhook::ReviewAdmission(in, Config(data[0] % 4 == 1));
  if (r.http_status != 200) return 0;
  rapidjson::Document answer;
  answer.Parse(r.body.c_str(), r.body.size());
  if (answer.HasParseError() || !answer.IsObject() || !answer.HasMember("response")) __builtin_trap();
  const auto& resp = answer["response"];
  if (resp.HasMember("patch")) {
    std::string patch;
    if (!kilt::base::Base64Decode(resp["patch"].GetString(), &patch)) __builtin_trap();
    rapidjson::Document ops;
    ops.Parse(patch.c_str(), patch.size());
    if (ops.HasParseError() || !ops.IsArray()) __builtin_trap();
  }
  return 0;
}
