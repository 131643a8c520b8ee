#include "local/task.h"

#include <catch2/catch.hpp>

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
  CHECK(ParseError(yaml).find("${Repo}") != std::string::npos);  // no value: a clear error
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

TEST_CASE("intrinsics kilt local cannot evaluate are errors naming container and field") {
  std::string err =
      ParseError(R"({"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
    "ContainerDefinitions": [{"Name": "app", "Image": {"Fn::GetAtt": ["Repo", "Uri"]}}]}}}})");
  CHECK(err.find("T/app: Image: kilt local cannot evaluate") != std::string::npos);
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
  CHECK(ParseError("{not json").find("t.json: invalid JSON") == 0);
}

TEST_CASE("HEALTHY is run as START with a warning") {
  TaskSpec t = Parse(R"({"containerDefinitions": [{"name": "a", "image": "x"},
    {"name": "b", "image": "x", "dependsOn": [{"containerName": "a", "condition": "HEALTHY"}]}]})");
  REQUIRE(t.warnings.size() == 1);
  CHECK(t.warnings[0].find("HEALTHY is treated as START") != std::string::npos);
}
