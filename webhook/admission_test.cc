#include "webhook/admission.h"

#include <catch2/catch.hpp>

#include "lookup/fake_image_source.h"

namespace kilt::webhook {
namespace {

AdmissionConfig Config() {
  AdmissionConfig c;
  c.recipe.kilt_image = "kilt:1";
  c.own_namespace = "kilt-system";
  return c;
}

std::string Review(const std::string& ns, const std::string& op, const std::string& pod) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-7",)"
         R"("kind":{"group":"","version":"v1","kind":"Pod"},"namespace":")" + ns + R"(","operation":")" + op +
         R"(","object":)" + pod + "}}";
}

const char kPod[] = R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","command":["run"]}]}})";
const char kUnknownImage[] = R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"mystery"}]}})";

rapidjson::Document Json(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

TEST_CASE("a pod is patched: uid echoed, JSONPatch in base64, namespace not part of the patch") {
  AdmissionResult r = ReviewAdmission(Review("apps", "CREATE", kPod), Config());
  REQUIRE(r.outcome == AdmissionOutcome::kPatched);
  auto d = Json(r.body);
  CHECK(std::string(d["apiVersion"].GetString()) == "admission.k8s.io/v1");
  CHECK(std::string(d["response"]["uid"].GetString()) == "u-7");
  CHECK(d["response"]["allowed"].GetBool());
  CHECK(std::string(d["response"]["patchType"].GetString()) == "JSONPatch");
  CHECK(r.patched == std::vector<std::string>{"apps/p/a"});
  CHECK(r.namespace_ == "apps");
}

TEST_CASE("no patch for the own namespace, UPDATE, other kinds") {
  for (const std::string& review :
       {Review("kilt-system", "CREATE", kPod), Review("apps", "UPDATE", kPod),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",)"
                    R"("kind":{"kind":"Deployment"},"operation":"CREATE","object":{}}})")}) {
    AdmissionResult r = ReviewAdmission(review, Config());
    CHECK(r.outcome == AdmissionOutcome::kSkipped);
    auto d = Json(r.body);
    CHECK(d["response"]["allowed"].GetBool());
    CHECK_FALSE(d["response"].HasMember("patch"));
  }
}

TEST_CASE("failure policy: open admits with a warning, closed denies with the reason") {
  AdmissionConfig open = Config();
  open.pod.unknown_image = UnknownImagePolicy::kDeny;
  AdmissionResult r = ReviewAdmission(Review("apps", "CREATE", kUnknownImage), open);
  CHECK(r.outcome == AdmissionOutcome::kAllowedOnError);
  auto d = Json(r.body);
  CHECK(d["response"]["allowed"].GetBool());
  CHECK_THAT(d["response"]["warnings"][0].GetString(), Catch::Contains("mystery"));

  AdmissionConfig closed = open;
  closed.fail_open = false;
  r = ReviewAdmission(Review("apps", "CREATE", kUnknownImage), closed);
  CHECK(r.outcome == AdmissionOutcome::kDenied);
  auto e = Json(r.body);
  CHECK_FALSE(e["response"]["allowed"].GetBool());
  CHECK(e["response"]["status"]["code"].GetInt() == 403);
  CHECK_THAT(e["response"]["status"]["message"].GetString(), Catch::Contains("apps/p/a") && Catch::Contains("mystery"));
}

TEST_CASE("lookup results are used; lookup errors become warnings") {
  AdmissionConfig c = Config();
  c.pod.unknown_image = UnknownImagePolicy::kSkip;
  lookup::FakeImageSource images;
  images.known["mystery"] = {{"/entry"}, {"serve"}, ""};
  images.extra_problems = {"image lookup: other: 401 Unauthorized"};
  c.lookup = &images;
  AdmissionResult r = ReviewAdmission(Review("apps", "CREATE", kUnknownImage), c);
  CHECK(images.calls == 1);
  CHECK(images.asked == std::vector<std::string>{"mystery"});
  CHECK(images.last.namespace_ == "apps");
  CHECK(images.last.pull_secrets.empty());
  CHECK(r.outcome == AdmissionOutcome::kPatched);
  auto d = Json(r.body);
  CHECK(std::string(d["response"]["warnings"][0].GetString()) == "kilt: image lookup: other: 401 Unauthorized");
  CHECK(r.warnings == std::vector<std::string>{"kilt: image lookup: other: 401 Unauthorized"});
}

TEST_CASE("the lookup gets the pod's namespace and imagePullSecrets; secret problems become warnings") {
  AdmissionConfig c = Config();
  c.pod.unknown_image = UnknownImagePolicy::kSkip;
  lookup::FakeImageSource images;
  images.extra_problems = {"imagePullSecret shop/regcred: HTTP 403 Forbidden"};
  c.lookup = &images;
  const lookup::LookupContext& seen = images.last;
  const char pod[] = R"({"metadata":{"name":"p"},"spec":{"imagePullSecrets":[{"name":"regcred"},{"name":"other"},)"
                     R"({"name":"regcred"},{}],"containers":[{"name":"a","image":"mystery"}]}})";
  AdmissionResult r = ReviewAdmission(Review("shop", "CREATE", pod), c);
  CHECK(seen.namespace_ == "shop");
  CHECK(seen.pull_secrets == std::vector<std::string>{"regcred", "other"});
  CHECK(r.outcome == AdmissionOutcome::kSkipped);
  auto d = Json(r.body);
  CHECK(d["response"]["allowed"].GetBool());
  CHECK(std::string(d["response"]["warnings"][0].GetString()) == "kilt: imagePullSecret shop/regcred: HTTP 403 Forbidden");

  // A pod that says what to run needs no lookup, so no Secret is read.
  images.last = {};
  r = ReviewAdmission(Review("shop", "CREATE", kPod), c);
  CHECK(seen.namespace_.empty());
  CHECK(r.outcome == AdmissionOutcome::kPatched);
}

TEST_CASE("malformed reviews are 400 without a crash") {
  for (const char* body : {"", "{", "[]", R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"})",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}})",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":{"spec":5}}})"}) {
    AdmissionResult r = ReviewAdmission(body, Config());
    INFO(body);
    CHECK((r.http_status == 400 || r.outcome == AdmissionOutcome::kAllowedOnError));
  }
}

}  // namespace
}  // namespace kilt::webhook
