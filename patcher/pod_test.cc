#include "patcher/pod.h"

#include <dirent.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include "base/json.h"

namespace kilt {
namespace {

using rapidjson::Document;
using rapidjson::Value;

Document Parse(const std::string& json) {
  Document d;
  d.Parse(json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string Dump(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

// Applies a JSON Patch of "add" and "replace" operations (all the patcher records) as RFC 6902 says:
// an index equal to the size appends, "add" on an existing member replaces it, "replace" needs the
// target to exist.
void ApplyPatch(Document* doc, const std::string& patch) {
  Document ops;
  ops.Parse(patch.c_str());
  REQUIRE_FALSE(ops.HasParseError());
  REQUIRE(ops.IsArray());
  auto& a = doc->GetAllocator();
  for (const auto& op : ops.GetArray()) {
    const std::string kind = op["op"].GetString(), path = op["path"].GetString();
    INFO(kind << " " << path);
    REQUIRE((kind == "add" || kind == "replace"));
    const size_t slash = path.rfind('/');
    REQUIRE(slash != std::string::npos);
    Value* parent = rapidjson::Pointer(path.substr(0, slash).c_str()).Get(*doc);
    REQUIRE(parent != nullptr);
    std::string last;
    for (size_t i = slash + 1; i < path.size(); i++)
      last += path[i] == '~' ? (path[++i] == '0' ? '~' : '/') : path[i];
    Value value(op["value"], a);
    if (parent->IsArray()) {
      const rapidjson::SizeType index = static_cast<rapidjson::SizeType>(std::stoul(last));
      if (kind == "replace") {
        REQUIRE(index < parent->Size());
        (*parent)[index] = value;
        continue;
      }
      REQUIRE(index <= parent->Size());
      parent->PushBack(value, a);
      for (rapidjson::SizeType i = parent->Size() - 1; i > index; i--) (*parent)[i].Swap((*parent)[i - 1]);
    } else {
      REQUIRE(parent->IsObject());
      auto it = parent->FindMember(last.c_str());
      if (it != parent->MemberEnd()) {
        it->value = value;
      } else {
        REQUIRE(kind == "add");
        parent->AddMember(Value(last.c_str(), a), value, a);
      }
    }
  }
}

// Patches `pod` as the webhook does: in place, with its changes recorded. Checks that the recorded
// JSON Patch turns the pod as it was into the patched pod (the webhook sends nothing else), and
// that an unchanged pod records nothing.
PatchReport PatchRecorded(Document* pod, const PatchInput& in, const PodOptions& opt = PodOptions()) {
  Document original;
  original.CopyFrom(*pod, original.GetAllocator());
  ChangeLog changes;
  PatchReport r = PatchPodWithOptions(pod, pod->GetAllocator(), in, opt, &changes);
  if (!r.ok()) return r;
  const std::string patch = changes.Write(*pod);
  INFO("patch: " << patch);
  if (!r.changed) {
    CHECK(patch == "[]");
    CHECK(Dump(*pod) == Dump(original));
  }
  ApplyPatch(&original, patch);
  CHECK(Dump(original) == Dump(*pod));
  return r;
}

PatchInput Input() {
  PatchInput in;
  in.recipe.kilt_image = "registry.example/kilt:1.0";
  return in;
}

std::vector<std::string> Strings(const Value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.GetArray()) out.push_back(s.GetString());
  return out;
}

const Value& Container(const Document& pod, int i) { return pod["spec"]["containers"][i]; }

bool IsNumber(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digit = false, dot = false, exp = false;
  for (; i < s.size(); i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digit && !exp) {
      exp = true;
      digit = false;
      if (i + 1 < s.size() && (s[i + 1] == '-' || s[i + 1] == '+')) i++;
    } else {
      return false;
    }
  }
  return digit;
}

std::vector<std::string> Needs(const std::vector<ImageNeed>& needs) {
  std::vector<std::string> out;
  for (const auto& n : needs) out.push_back(n.image + "@" + n.platform);
  return out;
}

// YAML 1.2 core schema scalars → JSON, enough for Kubernetes manifests (quoted scalars stay strings).
Value YamlToJson(const YAML::Node& n, Document::AllocatorType& a) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Value o(rapidjson::kObjectType);
      for (const auto& kv : n)
        o.AddMember(Value(kv.first.Scalar().c_str(), a), YamlToJson(kv.second, a), a);
      return o;
    }
    case YAML::NodeType::Sequence: {
      Value arr(rapidjson::kArrayType);
      for (const auto& e : n) arr.PushBack(YamlToJson(e, a), a);
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "?") {
        if (s == "true" || s == "True") return Value(true);
        if (s == "false" || s == "False") return Value(false);
        if (s == "null" || s == "~") return Value();
        if (IsNumber(s)) {
          if (s.find_first_of(".eE") == std::string::npos)
            return Value(static_cast<int64_t>(std::stoll(s)));
          return Value(std::stod(s));
        }
      }
      return Value(s.c_str(), a);
    }
    default:
      return Value();
  }
}

std::vector<std::string> CorpusFiles() {
  const char* env = std::getenv("KILT_CORPUS");
  std::string dir = std::string(env ? env : "../shared/corpus") + "/k8s";
  std::vector<std::string> files;
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".yaml") files.push_back(dir + "/" + n);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

TEST_CASE("command set: args become command ++ args, image CMD dropped") {
  Document pod = Parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},
    "spec":{"containers":[{"name":"app","image":"busybox","command":["sh","-c"],"args":["echo hi"]}]}})");
  PatchReport r = PatchRecorded(&pod, Input());
  REQUIRE(r.ok());
  CHECK(r.changed);
  CHECK(r.patched == std::vector<std::string>{"ns/p/app"});
  CHECK(Strings(Container(pod, 0)["command"]) == std::vector<std::string>{"/kilt/run", "--"});
  CHECK(Strings(Container(pod, 0)["args"]) == std::vector<std::string>{"sh", "-c", "echo hi"});
  const Value& mount = Container(pod, 0)["volumeMounts"][0];
  CHECK(std::string(mount["mountPath"].GetString()) == "/kilt");
  CHECK(mount["readOnly"].GetBool());
  const Value& init = pod["spec"]["initContainers"][0];
  CHECK(std::string(init["name"].GetString()) == "kilt-init");
  CHECK(std::string(init["image"].GetString()) == "registry.example/kilt:1.0");
  const Value& vol = pod["spec"]["volumes"][0];
  CHECK(std::string(vol["emptyDir"]["sizeLimit"].GetString()) == "256Mi");
  const Value& ann = pod["metadata"]["annotations"];
  CHECK(std::string(ann[kPodStatusAnnotation].GetString()) == "injected");
  CHECK(std::string(ann[kSafeToEvictAnnotation].GetString()) == "kilt-payload");
  CHECK(Strings(Container(pod, 0)["securityContext"]["capabilities"]["add"]) ==
        std::vector<std::string>{"SYS_PTRACE"});
}

TEST_CASE("no command: image ENTRYPOINT (+ CMD unless args are set) from the lookup") {
  PatchInput in = Input();
  in.images[{"nginx:1.25", "linux/amd64"}] = {{"/docker-entrypoint.sh"}, {"nginx", "-g", "daemon off;"}, ""};
  in.images[{"arm:1", "linux/arm64"}] = {{"/arm-entry"}, {}, ""};
  Document pod = Parse(R"({"metadata":{"name":"p"},"spec":{"containers":[
    {"name":"a","image":"nginx:1.25"},
    {"name":"b","image":"nginx:1.25","args":["nginx","-T"]},
    {"name":"c","image":"nginx:1.25","command":[],"args":[]}]}})");
  CHECK(Needs(ListPodImageNeeds(pod, in)) == std::vector<std::string>{"nginx:1.25@linux/amd64"});
  PatchReport r = PatchRecorded(&pod, in);
  REQUIRE(r.ok());
  CHECK(Strings(Container(pod, 0)["args"]) ==
        std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"});
  CHECK(Strings(Container(pod, 1)["args"]) ==
        std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-T"});
  CHECK(Strings(Container(pod, 2)["args"]) ==
        std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"});

  Document arm = Parse(R"({"metadata":{"name":"p"},"spec":{"nodeSelector":{"kubernetes.io/arch":"arm64"},
    "containers":[{"name":"a","image":"arm:1"}]}})");
  CHECK(Needs(ListPodImageNeeds(arm, in)) == std::vector<std::string>{"arm:1@linux/arm64"});
  REQUIRE(PatchRecorded(&arm, in).ok());
  CHECK(Strings(Container(arm, 0)["args"]) == std::vector<std::string>{"/arm-entry"});
}

TEST_CASE("image values are escaped against kubelet's $(VAR) expansion; pod values are not") {
  PatchInput in = Input();
  in.images[{"x", "linux/amd64"}] = {{"sh", "-c", "echo $(date)"}, {}, ""};
  Document pod = Parse(R"J({"spec":{"containers":[{"name":"a","image":"x"},
    {"name":"b","image":"x","command":["echo","$(MODEL_ID)"]}]}})J");
  REQUIRE(PatchRecorded(&pod, in).ok());
  CHECK(Strings(Container(pod, 0)["args"]) == std::vector<std::string>{"sh", "-c", "echo $$(date)"});
  CHECK(Strings(Container(pod, 1)["args"]) == std::vector<std::string>{"echo", "$(MODEL_ID)"});
}

TEST_CASE("unknown image config: deny names pod, container and image; skip leaves it alone") {
  Document pod = Parse(R"({"metadata":{"name":"p","namespace":"ns"},"spec":{"containers":[
    {"name":"app","image":"private/app:3"},{"name":"side","image":"x","command":["run"]}]}})");
  Document copy;
  copy.CopyFrom(pod, copy.GetAllocator());
  PatchReport r = PatchRecorded(&pod, Input());
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].resource == "ns/p");
  CHECK(r.errors[0].container == "app");
  CHECK_THAT(r.errors[0].message, Catch::Contains("private/app:3") && Catch::Contains("ENTRYPOINT/CMD"));

  PodOptions skip;
  skip.unknown_image = UnknownImagePolicy::kSkip;
  r = PatchPodWithOptions(&copy, Input(), skip);
  REQUIRE(r.ok());
  CHECK(r.patched == std::vector<std::string>{"ns/p/side"});
  REQUIRE(r.skipped.size() == 1);
  CHECK_THAT(r.skipped[0], Catch::Contains("ns/p/app") && Catch::Contains("unknown"));
  CHECK_FALSE(Container(copy, 0).HasMember("command"));
}

TEST_CASE("an image with neither ENTRYPOINT nor CMD and no command is an error") {
  PatchInput in = Input();
  in.images[{"scratch", "linux/amd64"}] = {};
  Document pod = Parse(R"({"spec":{"containers":[{"name":"a","image":"scratch"}]}})");
  PatchReport r = PatchRecorded(&pod, in);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("nothing to run"));
}

TEST_CASE("idempotent: a second pass changes nothing; reinvocation patches only new containers") {
  Document pod = Parse(R"({"metadata":{"name":"p"},"spec":{"containers":[
    {"name":"a","image":"x","command":["run"]}]}})");
  REQUIRE(PatchRecorded(&pod, Input()).ok());
  std::string once = Dump(pod);
  PatchReport again = PatchRecorded(&pod, Input());
  REQUIRE(again.ok());
  CHECK_FALSE(again.changed);
  CHECK(again.patched.empty());
  CHECK(Dump(pod) == once);

  // Another webhook added a container after us.
  Value extra(rapidjson::kObjectType);
  auto& al = pod.GetAllocator();
  extra.AddMember("name", "proxy", al);
  extra.AddMember("image", "envoy", al);
  Value cmd(rapidjson::kArrayType);
  cmd.PushBack("envoy", al);
  extra.AddMember("command", cmd, al);
  pod["spec"]["containers"].PushBack(extra, al);
  PatchReport r = PatchRecorded(&pod, Input());
  REQUIRE(r.ok());
  CHECK(r.patched == std::vector<std::string>{"p/proxy"});
  CHECK(pod["spec"]["initContainers"].Size() == 1);
  CHECK(pod["spec"]["volumes"].Size() == 1);
  CHECK(std::string(pod["metadata"]["annotations"][kPodInjectedContainersAnnotation].GetString()) ==
        "a,proxy");
}

TEST_CASE("the recorded JSON Patch fills null and partial fields and keeps the user's init containers first-after-ours") {
  Document pod = Parse(R"({"metadata":{"name":"p","annotations":null},"spec":{"volumes":null,
    "initContainers":[{"name":"setup","image":"busybox"}],"containers":[
    {"name":"a","image":"x","command":["run"],"env":null,"volumeMounts":null,"securityContext":{}},
    {"name":"b","image":"x","command":["run"],"securityContext":{"capabilities":{"drop":["ALL"]}}},
    {"name":"c","image":"x","command":["run"],"args":null,"securityContext":{"capabilities":{"add":null}}}]}})");
  REQUIRE(PatchRecorded(&pod, Input()).changed);
  CHECK(pod["spec"]["initContainers"][1]["name"] == "setup");
  for (int i = 0; i < 3; i++)
    CHECK(Strings(Container(pod, i)["securityContext"]["capabilities"]["add"]) ==
          std::vector<std::string>{"SYS_PTRACE"});
  CHECK(Container(pod, 1)["securityContext"]["capabilities"]["drop"].Size() == 1);
  CHECK(Container(pod, 0)["env"].Size() == 6);  // KILT_TASK, KILT_CONTAINER_NAME, _IMAGE, KILT_POD_NAME, _NAMESPACE, _UID
  CHECK(pod["metadata"]["annotations"].IsObject());
}

TEST_CASE("EKS Fargate pods get no capabilities and an annotation saying why") {
  Document pod = Parse(R"({"metadata":{"name":"p","labels":{"eks.amazonaws.com/fargate-profile":"fp"}},
    "spec":{"containers":[{"name":"a","image":"x","command":["run"]}]}})");
  REQUIRE(PatchRecorded(&pod, Input()).ok());
  CHECK_FALSE(Container(pod, 0).HasMember("securityContext"));
  CHECK_THAT(pod["metadata"]["annotations"][kPodCapabilitiesAnnotation].GetString(),
             Catch::Contains("Fargate"));
}

TEST_CASE("capabilities are a union: existing entries kept, no duplicates") {
  Document pod = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["run"],
    "securityContext":{"capabilities":{"add":["IPC_LOCK","CAP_SYS_PTRACE"],"drop":["ALL"]}}}]}})");
  REQUIRE(PatchRecorded(&pod, Input()).ok());
  CHECK(Strings(Container(pod, 0)["securityContext"]["capabilities"]["add"]) ==
        std::vector<std::string>{"IPC_LOCK", "CAP_SYS_PTRACE"});
  CHECK(Container(pod, 0)["securityContext"]["capabilities"]["drop"].Size() == 1);

  // Names compare as the kubelet reads them: any case, "CAP_" optional; the recipe's own duplicates too.
  PatchInput in = Input();
  in.recipe.capabilities = {"SYS_PTRACE", "CAP_SYS_PTRACE", "NET_ADMIN"};
  Document bare = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["run"]},
    {"name":"b","image":"x","command":["run"],"securityContext":{"capabilities":{"add":["net_admin"]}}}]}})");
  REQUIRE(PatchRecorded(&bare, in).ok());
  CHECK(Strings(Container(bare, 0)["securityContext"]["capabilities"]["add"]) ==
        std::vector<std::string>{"SYS_PTRACE", "NET_ADMIN"});
  CHECK(Strings(Container(bare, 1)["securityContext"]["capabilities"]["add"]) ==
        std::vector<std::string>{"net_admin", "SYS_PTRACE"});
}

TEST_CASE("recipe and metadata env are added; the user's values win unless the recipe forces") {
  PatchInput in = Input();
  in.recipe.env = {{"FALCO_OPTS", "-A", false}, {"KILT_MODE", "strict", true}};
  Document pod = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["run"],
    "env":[{"name":"KILT_CONTAINER_IMAGE","value":"mine"},{"name":"FALCO_OPTS","value":"user"},
           {"name":"KILT_MODE","value":"lax"}]}]}})");
  REQUIRE(PatchRecorded(&pod, in).ok());
  std::map<std::string, std::string> env;
  for (const auto& e : Container(pod, 0)["env"].GetArray())
    env[e["name"].GetString()] = e.HasMember("value") ? e["value"].GetString()
                                                      : e["valueFrom"]["fieldRef"]["fieldPath"].GetString();
  CHECK(env["KILT_CONTAINER_IMAGE"] == "mine");
  CHECK(env["FALCO_OPTS"] == "user");
  CHECK(env["KILT_MODE"] == "strict");
  CHECK(env["KILT_CONTAINER_NAME"] == "a");
  // Pods of a Deployment have no name at admission: the downward API supplies it.
  CHECK(env["KILT_TASK"] == "metadata.name");
  // The pod's identity for /kilt/falco/start (docs/falco.md), resolved by the kubelet.
  CHECK(env["KILT_POD_NAME"] == "metadata.name");
  CHECK(env["KILT_POD_NAMESPACE"] == "metadata.namespace");
  CHECK(env["KILT_POD_UID"] == "metadata.uid");
  CHECK(Container(pod, 0)["env"].Size() == 8);
}

TEST_CASE("the user's own KILT_POD_* variables win over the downward API") {
  Document pod = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["run"],
    "env":[{"name":"KILT_POD_NAMESPACE","value":"shop"}]}]}})");
  REQUIRE(PatchRecorded(&pod, Input()).ok());
  int namespaces = 0;
  for (const auto& e : Container(pod, 0)["env"].GetArray()) {
    if (std::string(e["name"].GetString()) != "KILT_POD_NAMESPACE") continue;
    namespaces++;
    CHECK(std::string(e["value"].GetString()) == "shop");
  }
  CHECK(namespaces == 1);
}

TEST_CASE("opt-out annotation, per-container selection, unknown names in the selection") {
  Document out = Parse(R"({"metadata":{"annotations":{"kilt.io/inject":"false"}},
    "spec":{"containers":[{"name":"a","image":"x","command":["run"]}]}})");
  std::string before = Dump(out);
  PatchReport r = PatchRecorded(&out, Input());
  REQUIRE(r.ok());
  CHECK_FALSE(r.changed);
  CHECK(Dump(out) == before);
  REQUIRE(r.skipped.size() == 1);
  CHECK_THAT(r.skipped[0], Catch::Contains("kilt.io/inject"));

  Document sel = Parse(R"({"metadata":{"annotations":{"kilt.io/containers":"b, c",
    "kilt.io/exclude-containers":"c"}},"spec":{"containers":[
    {"name":"a","image":"x","command":["run"]},{"name":"b","image":"x","command":["run"]},
    {"name":"c","image":"x","command":["run"]}]}})");
  r = PatchRecorded(&sel, Input());
  REQUIRE(r.ok());
  CHECK(r.patched == std::vector<std::string>{"(unnamed pod)/b"});
  CHECK(Strings(Container(sel, 0)["command"]) == std::vector<std::string>{"run"});

  Document typo = Parse(R"({"metadata":{"annotations":{"kilt.io/containers":"ap"}},
    "spec":{"containers":[{"name":"app","image":"x","command":["run"]}]}})");
  r = PatchRecorded(&typo, Input());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("kilt.io/containers") && Catch::Contains("app"));
}

TEST_CASE("conflicts with the user's names and mounts are errors, not takeovers") {
  Document vol = Parse(R"({"spec":{"volumes":[{"name":"kilt-payload","configMap":{"name":"x"}}],
    "containers":[{"name":"a","image":"x","command":["run"]}]}})");
  PatchReport r = PatchRecorded(&vol, Input());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("kilt-payload"));

  Document mount = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["run"],
    "volumeMounts":[{"name":"v","mountPath":"/kilt"}]}]}})");
  r = PatchRecorded(&mount, Input());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("/kilt"));

  Document bad = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":"run"}]}})");
  r = PatchRecorded(&bad, Input());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("lists of strings"));

  Document none = Parse(R"({"spec":{}})");
  CHECK_FALSE(PatchRecorded(&none, Input()).ok());
  Document deploy = Parse(R"({"kind":"Deployment","spec":{"containers":[{"name":"a"}]}})");
  CHECK_FALSE(PatchRecorded(&deploy, Input()).ok());
}

TEST_CASE("Kilt's init container is known by more than its name: a user's kilt-init is a conflict") {
  // The user's own init container called kilt-init: taking it for the copier would leave /kilt empty.
  Document users = Parse(R"({"spec":{"initContainers":[{"name":"kilt-init","image":"busybox","command":["true"]}],
    "containers":[{"name":"a","image":"x","command":["run"]}]}})");
  PatchReport r = PatchRecorded(&users, Input());
  REQUIRE_FALSE(r.ok());
  CHECK(r.errors[0].container == "kilt-init");
  CHECK_THAT(r.errors[0].message, Catch::Contains("not Kilt's payload copier") && Catch::Contains("rename it"));

  // Kilt's own copier from an earlier pass is recognised (another image tag is still ours).
  Document pod = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["run"]}]}})");
  REQUIRE(PatchRecorded(&pod, Input()).ok());
  pod["spec"]["initContainers"][0]["image"].SetString("registry.example/kilt:0.9");
  Document b = Parse(R"({"name":"b","image":"x","command":["go"]})");
  pod["spec"]["containers"].PushBack(Value(b, pod.GetAllocator()), pod.GetAllocator());
  r = PatchRecorded(&pod, Input());
  REQUIRE(r.ok());
  CHECK(r.patched == std::vector<std::string>{"(unnamed pod)/b"});
  CHECK(pod["spec"]["initContainers"].Size() == 1);
}

TEST_CASE("a wrapped container always gets /kilt: a pod that lost its copier gets it back") {
  // Patched before, then the init container and volume were dropped (a spec copied by hand).
  Document pod = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["/kilt/run","--"],
    "args":["run"],"volumeMounts":[{"name":"kilt-payload","mountPath":"/kilt","readOnly":true}]}]}})");
  PatchReport r = PatchRecorded(&pod, Input());
  REQUIRE(r.ok());
  CHECK(r.changed);
  CHECK(r.patched.empty());
  CHECK(std::string(pod["spec"]["initContainers"][0]["name"].GetString()) == "kilt-init");
  CHECK(std::string(pod["spec"]["volumes"][0]["name"].GetString()) == "kilt-payload");
  CHECK(Strings(Container(pod, 0)["args"]) == std::vector<std::string>{"run"});  // not wrapped twice

  // Wrapped but without the mount: the mount is added, the command left alone.
  Document half = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["/kilt/run","--"],
    "args":["run"]}]}})");
  r = PatchRecorded(&half, Input());
  REQUIRE(r.ok());
  CHECK(r.patched == std::vector<std::string>{"(unnamed pod)/a"});
  CHECK(Strings(Container(half, 0)["command"]) == std::vector<std::string>{"/kilt/run", "--"});
  CHECK(Strings(Container(half, 0)["args"]) == std::vector<std::string>{"run"});
  CHECK(std::string(Container(half, 0)["volumeMounts"][0]["mountPath"].GetString()) == "/kilt");

  // Excluded by annotation, still wrapped: it needs the payload all the same.
  Document excluded = Parse(R"({"metadata":{"annotations":{"kilt.io/exclude-containers":"a"}},
    "spec":{"containers":[{"name":"a","image":"x","command":["/kilt/run","--"],"args":["run"],
    "volumeMounts":[{"name":"kilt-payload","mountPath":"/kilt","readOnly":true}]}]}})");
  r = PatchRecorded(&excluded, Input());
  REQUIRE(r.ok());
  CHECK(excluded["spec"].HasMember("initContainers"));
}

TEST_CASE("the launcher without its \"--\", or with nothing to run, is an error, not a second wrap") {
  Document foreign = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["/kilt/run"],
    "args":["run"]}]}})");
  PatchReport r = PatchRecorded(&foreign, Input());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("starts with /kilt/run but is not [/kilt/run --]"));

  Document empty = Parse(R"({"spec":{"containers":[{"name":"a","image":"x","command":["/kilt/run","--"]}]}})");
  r = PatchRecorded(&empty, Input());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].message, Catch::Contains("launcher with no args"));
}

TEST_CASE("absurd pods: thousands of containers are refused; many unknown names stay a short message") {
  std::string containers;
  for (int i = 0; i < 12000; i++) containers += std::string(i ? "," : "") + R"({"name":"c)" + std::to_string(i) + R"(","image":"x","command":["run"]})";
  Document pod = Parse(R"({"spec":{"containers":[)" + containers + "]}}");
  PatchReport r = PatchRecorded(&pod, Input());
  REQUIRE_FALSE(r.ok());
  CHECK(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::Contains("the pod has 12000 containers") && Catch::Contains("up to 500"));

  // Below the cap, many containers patch in one pass and the recorded patch reproduces the result.
  PodOptions many;
  many.max_containers = 20000;
  r = PatchRecorded(&pod, Input(), many);
  REQUIRE(r.ok());
  CHECK(r.patched.size() == 12000);

  std::string names;
  for (int i = 0; i < 5000; i++) names += "nope" + std::to_string(i) + ",";
  Document typos = Parse(R"({"metadata":{"annotations":{"kilt.io/containers":")" + names + R"("}},
    "spec":{"containers":[)" + containers.substr(0, containers.find(R"({"name":"c300")")) +
                       R"({"name":"last","image":"x","command":["run"]}]}})");
  r = PatchRecorded(&typos, Input());
  REQUIRE_FALSE(r.ok());
  CHECK(r.errors.size() == 10);
  CHECK(r.errors[0].message.size() < 400);
}

TEST_CASE("Windows pods are skipped") {
  Document pod = Parse(R"({"spec":{"nodeSelector":{"kubernetes.io/os":"windows"},
    "containers":[{"name":"a","image":"x","command":["run"]}]}})");
  PatchReport r = PatchRecorded(&pod, Input());
  REQUIRE(r.ok());
  CHECK_FALSE(r.changed);
}

// A pod template of a corpus manifest: `resource` names it ("Deployment/ns/name").
struct PodTemplate {
  std::string resource;
  Value* pod_spec = nullptr;
  Value* pod_metadata = nullptr;
};

// The pod templates of a manifest object: a Pod, a workload's spec.template, a CronJob's
// spec.jobTemplate.spec.template, or those of the items of a List. Other kinds hold none.
void FindPodTemplates(Value* object, std::vector<PodTemplate>* out) {
  const std::string kind(base::StringMember(*object, "kind"));
  const Value* md = base::Member(*object, "metadata");
  const std::string resource = kind + "/" + (md ? std::string(base::StringMember(*md, "name")) : "");
  if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) {
    Value* items = base::Member(*object, "items");
    REQUIRE((items && items->IsArray()));
    for (auto& item : items->GetArray()) FindPodTemplates(&item, out);
    return;
  }
  static const std::set<std::string> kWorkloads = {"Deployment", "ReplicaSet", "StatefulSet",
                                                   "DaemonSet",  "Job",        "ReplicationController"};
  auto at = [](Value* v, std::initializer_list<const char*> path) {
    for (const char* key : path) v = v ? base::Member(*v, key) : nullptr;
    return v;
  };
  Value* tmpl;
  if (kind == "Pod") tmpl = object;
  else if (kWorkloads.count(kind)) tmpl = at(object, {"spec", "template"});
  else if (kind == "CronJob") tmpl = at(object, {"spec", "jobTemplate", "spec", "template"});
  else return;  // a Service, a ConfigMap, ...: no pod
  INFO(resource);
  REQUIRE(at(tmpl, {"spec"}) != nullptr);
  out->push_back({resource, at(tmpl, {"spec"}), at(tmpl, {"metadata"})});
}

// Every pod template of every Kubernetes manifest in the corpus patches cleanly (with image configs for
// the images that need them, as the webhook's lookup provides), is idempotent, and composes command and
// args by Docker's rule.
TEST_CASE("corpus: every pod template patches, by Docker's rule, idempotently") {
  int templates = 0, containers = 0;
  for (const std::string& file : CorpusFiles()) {
    INFO(file);
    std::vector<YAML::Node> docs = YAML::LoadAllFromFile(file);
    for (const YAML::Node& node : docs) {
      if (!node.IsMap()) continue;
      Document manifest;
      Value converted = YamlToJson(node, manifest.GetAllocator());
      static_cast<Value&>(manifest) = converted;
      std::vector<PodTemplate> pods;
      FindPodTemplates(&manifest, &pods);
      for (const PodTemplate& t : pods) {
        INFO(t.resource);
        templates++;
        Document pod;
        auto& al = pod.GetAllocator();
        pod.SetObject();
        pod.AddMember("apiVersion", "v1", al);
        pod.AddMember("kind", "Pod", al);
        Value md(rapidjson::kObjectType);
        if (t.pod_metadata) md.CopyFrom(*t.pod_metadata, al);
        pod.AddMember("metadata", md, al);
        pod.AddMember("spec", Value(*t.pod_spec, al), al);
        Document original;
        original.CopyFrom(pod, original.GetAllocator());

        PatchInput in = Input();
        for (const ImageNeed& need : ListPodImageNeeds(pod, in))
          in.images[need] = {{"/entry-" + need.image}, {"cmd-of-" + need.image}, ""};
        PatchReport r = PatchRecorded(&pod, in);
        for (const auto& e : r.errors) UNSCOPED_INFO(e.container + ": " + e.message);
        REQUIRE(r.ok());
        REQUIRE(r.changed);
        const Value& before = original["spec"]["containers"];
        REQUIRE(r.patched.size() == before.Size());
        for (rapidjson::SizeType i = 0; i < before.Size(); i++) {
          containers++;
          const Value& b = before[i];
          std::vector<std::string> expect;
          bool has_cmd = b.HasMember("command") && b["command"].Size() > 0;
          bool has_args = b.HasMember("args") && b["args"].Size() > 0;
          std::string image = b["image"].GetString();
          if (has_cmd) {
            expect = Strings(b["command"]);
          } else {
            expect.push_back("/entry-" + image);
          }
          if (has_args) {
            for (auto& s : Strings(b["args"])) expect.push_back(s);
          } else if (!has_cmd) {
            expect.push_back("cmd-of-" + image);
          }
          CHECK(Strings(Container(pod, i)["args"]) == expect);
          CHECK(Strings(Container(pod, i)["command"]) == std::vector<std::string>{"/kilt/run", "--"});
        }
        // Init containers of the original are kept, after ours.
        size_t inits = original["spec"].HasMember("initContainers")
                           ? original["spec"]["initContainers"].Size()
                           : 0;
        CHECK(pod["spec"]["initContainers"].Size() == inits + 1);
        std::string once = Dump(pod);
        PatchReport again = PatchRecorded(&pod, in);
        REQUIRE(again.ok());
        CHECK_FALSE(again.changed);
        CHECK(Dump(pod) == once);
      }
    }
  }
  CHECK(templates >= 30);
  CHECK(containers >= 35);
}

}  // namespace
}  // namespace kilt
