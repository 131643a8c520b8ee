#include "local/task.h"

#include <dirent.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <set>

#include "base/file.h"
#include "base/strings.h"
#include "patcher/cfn_yaml.h"
#include "patcher/ecs.h"

using kilt::local::DependsCondition;
using kilt::local::ParseTask;
using kilt::local::StartOrder;
using kilt::local::TaskSpec;
using kilt::local::ValidateTask;

namespace {
TaskSpec Parse(const std::string& text, const std::string& resource = "",
               std::vector<std::pair<std::string, std::string>> params = {}) {
  TaskSpec t;
  std::string err;
  INFO(err);
  REQUIRE(ParseTask(text, "t.json", resource, params, &t, &err));
  return t;
}
std::string ParseError(const std::string& text, const std::string& resource = "") {
  TaskSpec t;
  std::string err;
  if (ParseTask(text, "t.json", resource, {}, &t, &err) && !ValidateTask(t, &err)) return err;
  return err;
}
}  // namespace

TEST_CASE("ECS JSON: fields, defaults and the unset/empty distinction") {
  TaskSpec t = Parse(R"({"family": "f", "containerDefinitions": [
    {"name": "app", "image": "nginx:1.25", "command": [], "environment": [{"name": "A", "value": "1"}],
     "volumesFrom": [{"sourceContainer": "kilt", "readOnly": true}], "user": "1000:1000", "stopTimeout": 5,
     "dependsOn": [{"containerName": "kilt", "condition": "SUCCESS"}],
     "linuxParameters": {"capabilities": {"add": ["SYS_PTRACE"]}}},
    {"name": "kilt", "image": "kilt:1", "essential": false}]})");
  REQUIRE(t.name == "f");
  REQUIRE(t.containers.size() == 2);
  const auto& app = t.containers[0];
  CHECK_FALSE(app.entry_point.has_value());  // unset: the image's ENTRYPOINT
  REQUIRE(app.command.has_value());          // set but empty
  CHECK(app.command->empty());
  CHECK(app.essential);  // ECS default
  CHECK(app.environment == std::vector<std::pair<std::string, std::string>>{{"A", "1"}});
  CHECK(app.volumes_from[0].source_container == "kilt");
  CHECK(app.volumes_from[0].read_only);
  CHECK(app.user == "1000:1000");
  CHECK(app.stop_timeout_s == 5);
  CHECK(app.depends_on[0].condition == DependsCondition::kSuccess);
  CHECK(app.cap_add == std::vector<std::string>{"SYS_PTRACE"});
  CHECK_FALSE(t.containers[1].essential);
  CHECK(t.containers[1].stop_timeout_s == 30);
  std::string err;
  CHECK(ValidateTask(t, &err));
  CHECK(StartOrder(t) == std::vector<size_t>{1, 0});
}

TEST_CASE("describe-task-definition output is accepted") {
  TaskSpec t = Parse(R"({"taskDefinition": {"family": "d", "revision": 3,
    "containerDefinitions": [{"name": "a", "image": "busybox"}]}})");
  CHECK(t.name == "d");
  CHECK(t.containers[0].image == "busybox");
}

TEST_CASE("CloudFormation YAML: Ref to a parameter Default, Fn::Sub, AWS::NoValue, --parameter") {
  const std::string yaml = R"(
Parameters:
  Tag: {Type: String, Default: "1.0"}
  Repo: {Type: String}
Resources:
  Logs: {Type: AWS::Logs::LogGroup}
  TD:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: app
          Image: !Sub "${Repo}/app:${Tag}"
          EntryPoint: !Ref AWS::NoValue
          Command: [a, !Ref Tag]
          Essential: true
          StopTimeout: 7
)";
  TaskSpec t = Parse(yaml, "", {{"Repo", "r.example"}});
  CHECK(t.name == "TD");
  CHECK(t.containers[0].image == "r.example/app:1.0");
  CHECK_FALSE(t.containers[0].entry_point.has_value());
  CHECK(*t.containers[0].command == std::vector<std::string>{"a", "1.0"});
  CHECK(t.containers[0].stop_timeout_s == 7);
  // No value for Repo: the template is read all the same, and a warning says how to give it.
  TaskSpec unknown = Parse(yaml);
  CHECK(unknown.containers[0].image == "${Repo}/app:${Tag}");
  REQUIRE(unknown.warnings.size() == 1);
  CHECK(unknown.warnings[0].find("TD/app: Image:") != std::string::npos);
  CHECK(unknown.warnings[0].find("--parameter Repo=VALUE") != std::string::npos);
}

TEST_CASE("CloudFormation: Conditions decide Fn::If containers and fields, as the stack would") {
  const std::string yaml = R"(
Parameters:
  ProxyImage: {Type: String, Default: ""}
  AppCommand: {Type: String, Default: "serve,--port,80"}
Conditions:
  HasProxy: !Not [!Equals [!Ref ProxyImage, ""]]
  HasCommand: !Not [!Equals [!Ref AppCommand, ""]]
Resources:
  TD:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - !If [HasProxy, {Name: proxy, Image: !Ref ProxyImage}, !Ref AWS::NoValue]
        - Name: app
          Image: app:1
          Command: !If [HasCommand, !Split [",", !Ref AppCommand], !Ref AWS::NoValue]
          Environment:
            - !If [HasProxy, {Name: PROXY, Value: on}, !Ref AWS::NoValue]
            - {Name: DB, Value: !GetAtt Db.Endpoint.Address}
)";
  TaskSpec t = Parse(yaml);
  REQUIRE(t.containers.size() == 1);
  CHECK(*t.containers[0].command == std::vector<std::string>{"serve", "--port", "80"});
  REQUIRE(t.containers[0].environment.size() == 1);
  CHECK(t.containers[0].environment[0].first == "DB");
  REQUIRE(t.warnings.size() == 1);
  CHECK(t.warnings[0].find("known only once the stack is deployed") != std::string::npos);
  TaskSpec with_proxy = Parse(yaml, "", {{"ProxyImage", "envoy:1"}});
  CHECK(with_proxy.containers.size() == 2);
  CHECK(with_proxy.containers[1].environment.size() == 2);
}

TEST_CASE("templates: choosing the task definition") {
  const std::string two = R"({"Resources": {
    "A": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Name": "a", "Image": "x"}]}},
    "B": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Name": "b", "Image": "y"}]}}}})";
  CHECK(ParseError(two).find("choose one with --resource ID") != std::string::npos);
  CHECK(Parse(two, "B").containers[0].name == "b");
  CHECK(ParseError(two, "C").find("no AWS::ECS::TaskDefinition named C (found: A, B)") !=
        std::string::npos);
  CHECK(ParseError(R"({"Resources": {}})").find("no AWS::ECS::TaskDefinition") !=
        std::string::npos);
}

TEST_CASE("values known only at deploy time are warnings naming container and field") {
  TaskSpec t = Parse(R"({"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
    "ContainerDefinitions": [{"Name": "app", "Image": {"Fn::GetAtt": ["Repo", "Uri"]}}]}}}})");
  REQUIRE(t.warnings.size() == 1);
  CHECK(t.warnings[0].find("T/app: Image: {\"Fn::GetAtt\":[\"Repo\",\"Uri\"]} is not known offline") !=
        std::string::npos);
}

TEST_CASE("validation: graph problems are reported with names") {
  CHECK(ParseError(R"({"containerDefinitions": [{"name": "a", "image": "x", "essential": false}]})")
            .find("no container is essential") != std::string::npos);
  CHECK(
      ParseError(
          R"({"containerDefinitions": [{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]})")
          .find("two containers are named a") != std::string::npos);
  CHECK(
      ParseError(
          R"({"containerDefinitions": [{"name": "a", "image": "x", "volumesFrom": [{"sourceContainer": "z"}]}]})")
          .find("VolumesFrom names z") != std::string::npos);
  CHECK(ParseError(R"({"containerDefinitions": [
      {"name": "a", "image": "x", "dependsOn": [{"containerName": "b"}]},
      {"name": "b", "image": "x", "dependsOn": [{"containerName": "a"}]}]})")
            .find("cycle among a, b") != std::string::npos);
  CHECK(
      ParseError(
          R"({"containerDefinitions": [{"name": "a", "image": "x", "dependsOn": [{"containerName": "a", "condition": "LATER"}]}]})")
          .find("\"LATER\" is not START") != std::string::npos);
  CHECK(ParseError(R"({"containerDefinitions": [{"name": "a", "image": "x", "stopTimeout": 500}]})")
            .find("between 0 and 120") != std::string::npos);
  CHECK(ParseError("{not json").find("t.json:1:2: invalid JSON") == 0);
}

TEST_CASE("HEALTHY is run as START with a warning") {
  TaskSpec t = Parse(R"({"containerDefinitions": [{"name": "a", "image": "x"},
    {"name": "b", "image": "x", "dependsOn": [{"containerName": "a", "condition": "HEALTHY"}]}]})");
  REQUIRE(t.warnings.size() == 1);
  CHECK(t.warnings[0].find("HEALTHY is treated as START") != std::string::npos);
}

// `kilt local run` reads every template and task definition of the shared corpus that `kilt patch` accepts
// (tests/patcher/corpus-expect.txt), with the parameters the patch test passes: one reader, one ECS
// model and one evaluator for both. Every one also passes ValidateTask but a patcher fixture whose
// VolumesFrom names a container the task does not have (ECS could not start it either).
TEST_CASE("corpus: every template kilt patch accepts is read, every task definition in it") {
  // Where tests/patcher/corpus.sh finds it: $KILT_CORPUS, else ../shared/corpus, else /work/shared/corpus.
  std::string corpus = std::getenv("KILT_CORPUS") ? std::getenv("KILT_CORPUS") : "../shared/corpus";
  if (DIR* probe = opendir(corpus.c_str())) closedir(probe);
  else corpus = "/work/shared/corpus";
  std::vector<std::pair<std::string, std::string>> params;
  std::map<std::string, std::string> expect;
  std::string text, err, line;
  REQUIRE(kilt::base::ReadFile("tests/patcher/corpus-params.txt", &text, &err));
  for (const std::string& l : kilt::base::Split(text, '\n')) {
    size_t eq = l.find('=');
    if (l[0] != '#' && eq != std::string::npos) params.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  REQUIRE(kilt::base::ReadFile("tests/patcher/corpus-expect.txt", &text, &err));
  for (const std::string& l : kilt::base::Split(text, '\n'))
    if (l[0] != '#') expect[l.substr(0, l.find(' '))] = l.substr(l.find(' ') + 1);
  const std::set<std::string> invalid_for_ecs = {
      "falcosecurity__kilt__runtimes__cloudformation__cfnpatcher__fixtures__patching__volumes_from.json"};
  int read = 0;
  for (const char* kind : {"cfn", "ecs"}) {
    const std::string dir = corpus + "/" + kind;
    DIR* d = opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] == '.' || expect[name].rfind("refused", 0) == 0) continue;
      INFO(name);
      REQUIRE(expect.count(name));
      REQUIRE(kilt::base::ReadFile(dir + "/" + name, &text, &err));
      rapidjson::Document doc;
      kilt::YamlStyle style;
      bool yaml;
      REQUIRE(kilt::ParseTemplate(text, &doc, &style, &yaml, &err));
      std::vector<kilt::PatchError> problems;
      std::vector<std::string> ids = {""};
      if (doc.HasMember("Resources")) {
        ids.clear();
        for (const auto& td : kilt::FindTaskDefinitions(&doc, &problems)) ids.push_back(td.id);
      }
      for (const std::string& id : ids) {
        INFO(id);
        TaskSpec t;
        REQUIRE(ParseTask(text, name, id, params, &t, &err));
        if (!invalid_for_ecs.count(name)) CHECK(ValidateTask(t, &err));
        ++read;
      }
    }
    closedir(d);
  }
  CHECK(read >= 45);
}
