#include "webhook/admission.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <exception>

#include "base/encoding.h"
#include "webhook/pull_secrets.h"
#include "webhook/review_parse.h"

namespace kilt::webhook {
namespace {

using rapidjson::Value;

std::string Str(const Value& obj, const char* key) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : "";
}

// Writes the AdmissionReview response. `patch` empty ⇒ no patch; `deny` non-empty ⇒ allowed false.
std::string ResponseJson(const std::string& uid, const std::string& patch, const std::string& deny,
                         const std::vector<std::string>& warnings) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("apiVersion");
  w.String("admission.k8s.io/v1");
  w.Key("kind");
  w.String("AdmissionReview");
  w.Key("response");
  w.StartObject();
  w.Key("uid");
  w.String(uid.c_str(), static_cast<rapidjson::SizeType>(uid.size()));
  w.Key("allowed");
  w.Bool(deny.empty());
  if (!deny.empty()) {
    w.Key("status");
    w.StartObject();
    w.Key("code");
    w.Int(403);
    w.Key("message");
    w.String(deny.c_str(), static_cast<rapidjson::SizeType>(deny.size()));
    w.EndObject();
  }
  if (!warnings.empty()) {
    w.Key("warnings");
    w.StartArray();
    for (const auto& s : warnings) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  std::string out(sb.GetString(), sb.GetSize());
  if (!patch.empty()) {
    // The patch (the bulk of the answer) is base64-encoded straight into the answer before its
    // closing "}}" rather than passed through the writer, which would copy and scan the base64 text
    // (no escaping needed) per character: that showed up in the bench's profile.
    static constexpr std::string_view kKeys = ",\"patchType\":\"JSONPatch\",\"patch\":\"";
    out.resize(out.size() - 2);
    out.reserve(out.size() + kKeys.size() + (patch.size() + 2) / 3 * 4 + 3);
    out += kKeys;
    base::Base64EncodeTo(patch, &out);
    out += "\"}}";
  }
  return out;
}

AdmissionResult BadRequest(const std::string& why) {
  AdmissionResult r;
  r.http_status = 400;
  r.outcome = AdmissionOutcome::kBadRequest;
  r.reason = why;
  r.body = why + "\n";
  return r;
}

// The patching proper; may throw std::bad_alloc, which the caller turns into the failure policy.
// `pod` is the review's own parsed pod, patched in place (`alloc` is the review document's
// allocator): the patcher records its changes, and those are the JSON Patch of the answer.
void Patch(Value& pod, rapidjson::Document::AllocatorType& alloc, const AdmissionConfig& config,
           AdmissionResult* r) {
  // The apiserver sends namespaced pods without metadata.namespace when the client left it out; set
  // it (outside the change log: not part of the patch) so that messages name it.
  if (!r->namespace_.empty() && pod.IsObject()) {
    auto md = pod.FindMember("metadata");
    if (md != pod.MemberEnd() && md->value.IsObject() && !md->value.HasMember("namespace"))
      md->value.AddMember("namespace", Value(r->namespace_.c_str(), alloc), alloc);
  }
  PatchInput in;
  in.recipe = config.recipe;
  PodOptions opt = config.pod;
  std::vector<std::string> warnings;
  // Without a lookup only recipe hints apply, and PatchPodWithOptions finds those itself.
  std::vector<ImageNeed> needs;
  if (config.lookup) needs = ListPodImageNeedsWithOptions(pod, in, opt);
  if (!needs.empty()) {
    // Secrets are read only here, when some container's command depends on its image.
    const lookup::LookupContext who{r->namespace_, PodPullSecretNames(pod)};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.lookup_budget_ms);
    for (const auto& e : config.lookup->Resolve(needs, who, deadline, &in.images)) warnings.push_back("kilt: " + e);
  }
  ChangeLog changes;
  PatchReport report = PatchPodWithOptions(&pod, alloc, in, opt, &changes);
  for (const auto& s : report.skipped) {
    // "already patched" and opt-outs are normal; say only what the user may want to fix.
    if (s.find(": already patched") != std::string::npos) continue;
    if (s.find("unknown") != std::string::npos) warnings.push_back("kilt: skipped " + s);
  }
  r->warnings = warnings;
  if (!report.ok()) {
    std::string msg;
    for (const auto& e : report.errors)
      msg += (msg.empty() ? "" : "; ") + e.resource + (e.container.empty() ? "" : "/" + e.container) +
             ": " + e.message;
    r->reason = msg;
    if (config.fail_open) {
      warnings.insert(warnings.begin(), "kilt: pod admitted without the Kilt agent: " + msg);
      r->outcome = AdmissionOutcome::kAllowedOnError;
      r->body = ResponseJson(r->uid, "", "", warnings);
    } else {
      r->outcome = AdmissionOutcome::kDenied;
      r->body = ResponseJson(r->uid, "", "kilt: " + msg, warnings);
    }
    return;
  }
  r->patched = report.patched;
  if (!report.changed) {
    r->outcome = AdmissionOutcome::kSkipped;
    r->reason = report.skipped.empty() ? "nothing to patch" : report.skipped.front();
    r->body = ResponseJson(r->uid, "", "", warnings);
    return;
  }
  r->outcome = AdmissionOutcome::kPatched;
  r->body = ResponseJson(r->uid, changes.Write(pod), "", warnings);
}

}  // namespace

const char* OutcomeName(AdmissionOutcome o) {
  switch (o) {
    case AdmissionOutcome::kPatched: return "patched";
    case AdmissionOutcome::kSkipped: return "skipped";
    case AdmissionOutcome::kDenied: return "denied";
    case AdmissionOutcome::kAllowedOnError: return "allowed_on_error";
    case AdmissionOutcome::kBadRequest: return "bad_request";
  }
  return "unknown";
}

AdmissionResult ReviewAdmission(std::string_view body, const AdmissionConfig& config) {
  // Parsed in place, in a copy of the body that outlives every use of the document: its strings then
  // point into `text` instead of being copied one by one.
  std::string text(body);
  rapidjson::Document review;
  if (!ParseReviewInPlace(text.data(), &review) || !review.IsObject())
    return BadRequest("the body is not a JSON object (expected an AdmissionReview)");
  if (Str(review, "apiVersion") != "admission.k8s.io/v1" || Str(review, "kind") != "AdmissionReview")
    return BadRequest("expected apiVersion admission.k8s.io/v1, kind AdmissionReview (set "
                      "admissionReviewVersions: [v1] in the MutatingWebhookConfiguration)");
  auto req = review.FindMember("request");
  if (req == review.MemberEnd() || !req->value.IsObject())
    return BadRequest("the AdmissionReview has no request");
  Value& request = req->value;
  AdmissionResult r;
  r.uid = Str(request, "uid");
  if (r.uid.empty()) return BadRequest("the AdmissionReview request has no uid");
  r.namespace_ = Str(request, "namespace");
  r.operation = Str(request, "operation");
  r.name = Str(request, "name");
  auto obj = request.FindMember("object");
  const bool has_object = obj != request.MemberEnd() && obj->value.IsObject();
  if (r.name.empty() && has_object) {
    auto md = obj->value.FindMember("metadata");
    if (md != obj->value.MemberEnd()) {
      r.name = Str(md->value, "name");
      if (r.name.empty() && !Str(md->value, "generateName").empty())
        r.name = Str(md->value, "generateName") + "*";
    }
  }
  std::string kind;
  if (auto k = request.FindMember("kind"); k != request.MemberEnd()) kind = Str(k->value, "kind");
  std::string sub = Str(request, "subResource");

  auto skip = [&](const std::string& why) {
    r.outcome = AdmissionOutcome::kSkipped;
    r.reason = why;
    r.body = ResponseJson(r.uid, "", "", {});
    return r;
  };
  if (kind != "Pod" || !sub.empty()) return skip("not a pod (kind " + kind + ")");
  if (r.operation != "CREATE") return skip("operation " + r.operation + " (only CREATE is patched)");
  if (!config.own_namespace.empty() && r.namespace_ == config.own_namespace)
    return skip("the webhook's own namespace");
  if (!has_object) return skip("no object in the request");
  try {
    Patch(obj->value, review.GetAllocator(), config, &r);
  } catch (const std::exception& e) {
    r.reason = std::string("internal error: ") + e.what();
    r.patched.clear();
    if (config.fail_open) {
      r.outcome = AdmissionOutcome::kAllowedOnError;
      r.body = ResponseJson(r.uid, "", "", {"kilt: pod admitted without the Kilt agent: " + r.reason});
    } else {
      r.outcome = AdmissionOutcome::kDenied;
      r.body = ResponseJson(r.uid, "", "kilt: " + r.reason, {});
    }
  }
  return r;
}

}  // namespace kilt::webhook
