// Benchmark: patch a generated ~1 MiB CloudFormation template holding 200 Fargate task definitions, side by
// side with the anchor, a bare RapidJSON parse + serialize of the same bytes. Each mode runs in a child
// process so its peak RSS (wait4's ru_maxrss) is its own. Writes a markdown section to stdout.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "patcher/patcher.h"

namespace {

std::string Template(int tasks) {
  std::string t = "{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Parameters\": {\"Cmd\": {\"Type\": "
                  "\"CommaDelimitedList\"}}, \"Resources\": {";
  for (int i = 0; i < tasks; ++i) {
    std::string n = std::to_string(i);
    if (i) t += ",";
    t += "\"Task" + n + "\": {\"Type\": \"AWS::ECS::TaskDefinition\", \"Properties\": {\"Family\": \"family-" + n +
         "\", \"RequiresCompatibilities\": [\"FARGATE\"], \"NetworkMode\": \"awsvpc\", \"Cpu\": \"512\", \"Memory\": "
         "\"1024\", \"ContainerDefinitions\": [";
    for (int c = 0; c < 4; ++c) {
      std::string cn = "container-" + std::to_string(c);
      if (c) t += ",";
      t += "{\"Name\": \"" + cn + "\", \"Image\": \"123456789012.dkr.ecr.us-east-1.amazonaws.com/app-" + n +
           ":v1.2.3\", \"EntryPoint\": [\"/usr/local/bin/entrypoint.sh\"], \"Command\": {\"Fn::If\": [\"Debug\", "
           "[\"--debug\"], [\"serve\", \"--port\", {\"Ref\": \"Port\"}]]}, \"Essential\": true, \"Environment\": [";
      for (int e = 0; e < 11; ++e)
        t += std::string(e ? "," : "") + "{\"Name\": \"VAR_" + std::to_string(e) + "\", \"Value\": \"value-" + n +
             "-" + std::to_string(e) + "-abcdefghijklmnopqrstuvwxyz\"}";
      t += "], \"PortMappings\": [{\"ContainerPort\": 8080, \"Protocol\": \"tcp\"}], \"LogConfiguration\": "
           "{\"LogDriver\": \"awslogs\", \"Options\": {\"awslogs-group\": {\"Ref\": \"LogGroup\"}, \"awslogs-region\": "
           "{\"Ref\": \"AWS::Region\"}, \"awslogs-stream-prefix\": \"" + cn + "\"}}}";
    }
    t += "]}}";
  }
  return t + "}}";
}

std::string Serialize(const rapidjson::Document& d) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// One run of a mode; returns the output size so nothing is optimised away.
size_t RunOnce(const std::string& text, bool patch) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (patch) {
    kilt::PatchInput in;
    in.recipe.kilt_image = "public.ecr.aws/kilt/kilt:0.1.0";
    kilt::PatchReport r = kilt::PatchTemplate(&d, in);
    if (!r.ok() || r.patched.size() != 800) {
      std::fprintf(stderr, "bench: patch failed: %s\n", r.ok() ? "wrong count" : r.errors[0].ToString().c_str());
      std::exit(1);
    }
  }
  return Serialize(d).size();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Peak RSS (KiB) of one run of `patch` mode in a child.
long ChildPeakRss(const std::string& text, bool patch) {
  pid_t pid = fork();
  if (pid == 0) {
    RunOnce(text, patch);
    _exit(0);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(1);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  std::string text = Template(200);
  std::vector<double> anchor, patch;
  size_t sink = 0;
  for (int i = 0; i < rounds; ++i) {  // interleaved, so machine noise hits both alike
    auto t0 = std::chrono::steady_clock::now();
    sink += RunOnce(text, false);
    auto t1 = std::chrono::steady_clock::now();
    sink += RunOnce(text, true);
    auto t2 = std::chrono::steady_clock::now();
    anchor.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    patch.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  long rss_anchor = ChildPeakRss(text, false), rss_patch = ChildPeakRss(text, true);
  double a = Median(anchor), p = Median(patch);
  std::printf("## Patcher: a 1 MiB template with 200 task definitions\n\n");
  std::printf("Input: %.2f MiB of CloudFormation JSON, 200 Fargate task definitions x 4 containers (800 patched), "
              "each with Fn::If / Ref in Command. %d interleaved rounds; medians. The anchor is RapidJSON parsing and "
              "serializing the same bytes; kilt's run is parse + PatchTemplate + serialize. Target: <= 3x.\n\n",
              text.size() / 1048576.0, rounds);
  std::printf("| run | median (ms) | ratio to anchor | peak RSS (MiB) |\n|---|---|---|---|\n");
  std::printf("| anchor: RapidJSON parse + serialize | %.1f | 1.00 | %.1f |\n", a, rss_anchor / 1024.0);
  std::printf("| kilt: parse + PatchTemplate + serialize | %.1f | %.2f | %.1f |\n", p, p / a, rss_patch / 1024.0);
  std::fprintf(stderr, "(%zu)\n", sink);
  return 0;
}
