// The CloudFormation evaluator (Ref, Fn::Sub, Fn::Join/Select/Split, Conditions and Fn::If), alone and for image
// references through PatchTemplate / ListTemplateImageNeeds.
#include <catch2/catch.hpp>

#include "patcher/cfn_sub.h"
#include "patcher/json.h"
#include "patcher/patcher.h"
#include "patcher/test_util.h"

namespace kilt {
namespace {

using testing::Errors;
using testing::Input;
using testing::J;

const std::map<std::string, std::string> kParams = {
    {"AWS::Region", "eu-west-1"}, {"AWS::AccountId", "123456789012"}, {"Tag", "v7"}};

std::string Resolve(const std::string& json, const std::map<std::string, std::string>& params = kParams,
                    std::string* why = nullptr) {
  std::string out, ignored;
  rapidjson::Document d = J(json);
  if (!ResolveCfnString(d, params, &out, why ? why : &ignored)) return "<unresolved>";
  return out;
}

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_CASE("Fn::Sub string form over pseudo and stack parameters") {
  CHECK(Resolve("{'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Tag}'}") ==
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v7");
  CHECK(Resolve("{'Fn::Sub': 'plain'}") == "plain");
  CHECK(Resolve("{'Fn::Sub': 'a$b${ Tag }$'}") == "a$bv7$");
  CHECK(Resolve("{'Fn::Sub': 'open ${Tag'}") == "open ${Tag");
}

TEST_CASE("${!Literal} is the text ${Literal}, never a variable") {
  CHECK(Resolve("{'Fn::Sub': 'x${!Tag}-${Tag}'}") == "x${Tag}-v7");
  CHECK(Resolve("{'Fn::Sub': '${!Unknown}'}") == "${Unknown}");
}

TEST_CASE("Fn::Sub [string, {vars}] form: variables win over parameters, Refs inside resolve") {
  CHECK(Resolve("{'Fn::Sub': ['${Repo}:${Tag}', {'Repo': 'r.example/app', 'Tag': 'mine'}]}") == "r.example/app:mine");
  CHECK(Resolve("{'Fn::Sub': ['${Repo}:${Tag}', {'Repo': {'Ref': 'AWS::AccountId'}}]}") == "123456789012:v7");
  std::string why;
  CHECK(Resolve("{'Fn::Sub': ['${Repo}', {'Repo': {'Fn::ImportValue': 'X'}}]}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "variable Repo is"));
  CHECK(Resolve("{'Fn::Sub': ['${Repo}', {'Repo': {'Ref': 'Missing'}}]}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "variable Repo is"));
  CHECK(Contains(why, "Missing is not a stack parameter"));
  CHECK(Resolve("{'Fn::Sub': ['${R}', {'R': {'Fn::Sub': '${AWS::Region}'}}]}") == "eu-west-1");
  CHECK(Resolve("{'Fn::Sub': ['a', 'b']}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "Fn::Sub takes a string or [string, {variables}]"));
}

TEST_CASE("unknown variables, GetAtt and pseudo parameters are reasons, not guesses") {
  std::string why;
  CHECK(Resolve("{'Fn::Sub': '${Repo.RepositoryUri}:1'}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "${Repo.RepositoryUri} is a resource attribute (Fn::GetAtt)"));
  CHECK(Resolve("{'Fn::Sub': 'app:${Other}'}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "${Other} is not a stack parameter kilt was given"));
  CHECK(Contains(why, "--parameter Other=VALUE"));
  CHECK(Resolve("{'Fn::Sub': '${AWS::AccountId}.dkr'}", {}, &why) == "<unresolved>");
  CHECK(Contains(why, "${AWS::AccountId} is a pseudo parameter kilt was not given"));
  // A parameter whose name has a dot would be a GetAtt in Fn::Sub: never read as a parameter.
  CHECK(Resolve("{'Fn::Sub': '${A.B}'}", {{"A.B", "x"}}) == "<unresolved>");
  CHECK(Resolve("{'Fn::GetAtt': ['R', 'A']}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "known only once the stack is deployed"));
  CHECK(Resolve("{'Fn::FindInMap': ['M', 'a', 'b']}", kParams, &why) == "<unresolved>");
  CHECK(why.empty());  // a kind of value kilt does not evaluate
}

TEST_CASE("AWS::Partition and AWS::URLSuffix follow the region, and only a known region") {
  auto p = [](const std::string& region) {
    return Resolve("{'Fn::Sub': '${AWS::Partition} ${AWS::URLSuffix}'}", {{"AWS::Region", region}});
  };
  CHECK(p("us-east-1") == "aws amazonaws.com");
  CHECK(p("cn-north-1") == "aws-cn amazonaws.com.cn");
  CHECK(p("us-gov-west-1") == "aws-us-gov amazonaws.com");
  CHECK(Resolve("{'Fn::Sub': '${AWS::URLSuffix}'}", {}) == "<unresolved>");
  // Given values win over derived ones (the macro passes what the stack really has).
  CHECK(Resolve("{'Ref': 'AWS::Partition'}", {{"AWS::Region", "us-east-1"}, {"AWS::Partition", "aws-x"}}) == "aws-x");
}

TEST_CASE("Fn::Join, Fn::Select and Fn::Split over what kilt knows") {
  CHECK(Resolve("{'Fn::Join': ['', [{'Ref': 'AWS::AccountId'}, '.dkr.ecr.', {'Ref': 'AWS::Region'}, '.amazonaws.com/app:', {'Ref': 'Tag'}]]}") ==
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v7");
  CHECK(Resolve("{'Fn::Select': ['1', {'Fn::Split': [',', 'a,b,c']}]}") == "b");
  CHECK(Resolve("{'Fn::Select': [0, ['x', {'Ref': 'Tag'}]]}") == "x");
  std::string why;
  CHECK(Resolve("{'Fn::Select': ['5', ['x']]}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "outside the list of 1"));
  CHECK(Resolve("{'Fn::Join': ['-', ['a', {'Fn::GetAtt': ['Db', 'Endpoint.Address']}]]}", kParams, &why) ==
        "<unresolved>");
  CHECK(Contains(why, "known only once the stack is deployed"));
  CHECK(Resolve("{'Fn::ImportValue': 'Mesh'}", kParams, &why) == "<unresolved>");
  CHECK(Contains(why, "Fn::ImportValue \"Mesh\" is known only once the stack is deployed"));
  CHECK(Resolve("7") == "7");  // YAML writes `User: 1000` unquoted
}

TEST_CASE("Conditions decide Fn::If; what cannot be decided says why") {
  rapidjson::Document conditions = J(
      "{'HasProxy': {'Fn::Not': [{'Fn::Equals': [{'Ref': 'Proxy'}, '']}]},"
      " 'Prod': {'Fn::Equals': [{'Ref': 'Env'}, 'prod']},"
      " 'Both': {'Fn::And': [{'Condition': 'HasProxy'}, {'Condition': 'Prod'}]},"
      " 'Either': {'Fn::Or': [{'Condition': 'Prod'}, {'Condition': 'Unknowable'}]},"
      " 'Unknowable': {'Fn::Equals': [{'Ref': 'Missing'}, 'x']},"
      " 'Loop': {'Condition': 'Loop'}}");
  CfnParameters params = {{"Proxy", ""}, {"Env", "prod"}};
  CfnEvaluator ev(params, &conditions);
  bool b = false;
  std::string why;
  REQUIRE(ev.Condition(J("'HasProxy'"), &b, &why));
  CHECK_FALSE(b);
  REQUIRE(ev.Condition(J("'Both'"), &b, &why));
  CHECK_FALSE(b);
  REQUIRE(ev.Condition(J("'Either'"), &b, &why));  // a true in an Or decides it
  CHECK(b);
  CHECK_FALSE(ev.Condition(J("'Unknowable'"), &b, &why));
  CHECK(Contains(why, "Missing is not a stack parameter"));
  CHECK_FALSE(ev.Condition(J("'Loop'"), &b, &why));
  CHECK(Contains(why, "refers to itself"));
  CHECK_FALSE(ev.Condition(J("'Nope'"), &b, &why));
  CHECK(Contains(why, "not in the template's Conditions"));

  std::string s;
  REQUIRE(ev.String(J("{'Fn::If': ['Prod', 'big', 'small']}"), &s, &why));
  CHECK(s == "big");
  const rapidjson::Value* chosen = nullptr;
  rapidjson::Document sidecar = J("{'Fn::If': ['HasProxy', {'Name': 'proxy'}, {'Ref': 'AWS::NoValue'}]}");
  REQUIRE(ev.Choose(sidecar, &chosen, &why));
  CHECK(chosen == nullptr);  // the stack leaves the container out
  std::vector<std::string> list;
  REQUIRE(ev.StringList(J("['a', {'Fn::If': ['Prod', 'b', {'Ref': 'AWS::NoValue'}]}, {'Ref': 'AWS::NoValue'}]"),
                        &list, &why));
  CHECK(list == std::vector<std::string>{"a", "b"});
  REQUIRE(ev.StringList(J("{'Fn::Split': [',', 'x,,y']}"), &list, &why));
  CHECK(list == std::vector<std::string>{"x", "", "y"});
  // Without Conditions (the patcher's case) a Fn::If is another kind of value, as before.
  CHECK(Resolve("{'Fn::If': ['Prod', 'big', 'small']}", params, &why) == "<unresolved>");
  CHECK(why.empty());
}

rapidjson::Document SubTemplate(const std::string& image) {
  return J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', 'Properties': {"
           "'RequiresCompatibilities': ['FARGATE'], 'ContainerDefinitions': [{'Name': 'web', 'Image': " +
           image + "}]}}}}");
}

const char* kEcrSub = "{'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:${Tag}'}";
const char* kEcrImage = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v7";

TEST_CASE("an Fn::Sub image is listed resolved, matched against hints, and kept as written") {
  PatchInput in = Input();
  in.parameters = kParams;
  auto d = SubTemplate(kEcrSub);
  auto needs = ListTemplateImageNeeds(d, in);
  REQUIRE(needs.size() == 1);
  CHECK(needs[0].image == kEcrImage);
  CHECK(needs[0].platform == "linux/amd64");

  SECTION("a recipe hint for the resolved reference") {
    in.recipe.hints.push_back({kEcrImage, {"/app"}, {"serve"}});
  }
  SECTION("a lookup result for the resolved reference") {
    in.images[{kEcrImage, "linux/amd64"}] = ImageConfig{{"/app"}, {"serve"}, "sha256:1"};
  }
  PatchReport r = PatchTemplate(&d, in);
  REQUIRE(Errors(r) == "");
  const rapidjson::Value& c = d["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0];
  CHECK(ToJson(c["Command"]) == R"(["/app","serve"])");
  CHECK(ToJson(c["Image"]) == ToJson(J(kEcrSub)));  // the template keeps its Fn::Sub
}

TEST_CASE("an Fn::Sub image kilt cannot resolve is a clear error, or a hint on its text") {
  PatchInput in = Input();
  in.parameters = {{"AWS::Region", "eu-west-1"}};
  auto d = SubTemplate(kEcrSub);
  CHECK(ListTemplateImageNeeds(d, in).empty());
  PatchReport r = PatchTemplate(&d, in);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].resource == "Task");
  CHECK(r.errors[0].container == "web");
  CHECK(Contains(r.errors[0].message, "${AWS::AccountId} is a pseudo parameter kilt was not given"));
  CHECK(Contains(r.errors[0].message, "set EntryPoint and Command on the container"));
  CHECK(Contains(r.errors[0].message, "[[hints]]"));

  d = SubTemplate("{'Fn::Sub': '${Repo.RepositoryUri}:latest'}");
  r = PatchTemplate(&d, in);
  REQUIRE(r.errors.size() == 1);
  CHECK(Contains(r.errors[0].message, "${Repo.RepositoryUri} is a resource attribute"));

  // A hint naming the Fn::Sub text answers for it.
  in.recipe.hints.push_back({"${Repo.RepositoryUri}:latest", {"/app"}, {}});
  d = SubTemplate("{'Fn::Sub': '${Repo.RepositoryUri}:latest'}");
  r = PatchTemplate(&d, in);
  REQUIRE(Errors(r) == "");
  CHECK(ToJson(d["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0]["Command"]) == R"(["/app"])");
}

}  // namespace
}  // namespace kilt
