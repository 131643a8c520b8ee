#include "local/bundle.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "patcher/command.h"

namespace kilt {
namespace local {
namespace {

bool ParseId(const std::string& s, uint32_t* out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10)
    return false;
  unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
  if (v > 0xFFFFFFFFul) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// Finds NAME in a passwd/group style text; returns its fields split on ':'.
bool FindEntry(const std::string& text, const std::string& key, bool by_id, size_t id_field,
               std::vector<std::string>* fields) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string part;
    std::istringstream ls(line);
    while (std::getline(ls, part, ':')) f.push_back(part);
    if (f.size() <= id_field) continue;
    if ((by_id && f[id_field] == key) || (!by_id && f[0] == key)) {
      *fields = std::move(f);
      return true;
    }
  }
  return false;
}

// Docker's default capability set (what an ECS container gets without LinuxParameters).
const char* const kDefaultCaps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Strings(Writer& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (const auto& s : v) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

void Mount(Writer& w, const char* dest, const char* type, const char* source,
           std::vector<std::string> options) {
  w.StartObject();
  w.Key("destination");
  w.String(dest);
  w.Key("type");
  w.String(type);
  w.Key("source");
  w.String(source);
  w.Key("options");
  Strings(w, options);
  w.EndObject();
}

}  // namespace

bool EffectiveArgv(const ContainerSpec& c, const ImageSpec& image, std::vector<std::string>* argv,
                   std::string* err) {
  // The rule `kilt patch` composes Command by (patcher/command.h), so that both agree on what a container
  // runs.
  if (ComposeArgv(c.entry_point, c.command, &image, argv, err)) return true;
  *err = "container " + c.name + ": nothing to run: the task definition sets no EntryPoint/Command and image " +
         c.image + " has no ENTRYPOINT/CMD";
  return false;
}

std::vector<std::string> EffectiveEnv(const ContainerSpec& c, const ImageSpec& image,
                                      const std::string& home) {
  std::vector<std::string> env = image.env;
  auto set = [&env](const std::string& name, const std::string& value) {
    for (auto& e : env) {
      if (e.compare(0, name.size() + 1, name + "=") == 0) {
        e = name + "=" + value;
        return;
      }
    }
    env.push_back(name + "=" + value);
  };
  for (const auto& [name, value] : c.environment) set(name, value);
  auto has = [&env](const std::string& name) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
      return e.compare(0, name.size() + 1, name + "=") == 0;
    });
  };
  if (!has("PATH"))
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!has("HOME")) env.push_back("HOME=" + home);
  return env;
}

bool ResolveUser(const std::string& user, const std::string& passwd, const std::string& group,
                 uint32_t* uid, uint32_t* gid, std::string* home, std::string* err) {
  *uid = 0;
  *gid = 0;
  *home = "/root";
  if (user.empty()) {
    std::vector<std::string> f;
    if (FindEntry(passwd, "0", true, 2, &f) && f.size() > 5) *home = f[5];
    return true;
  }
  std::string u = user, g;
  size_t colon = user.find(':');
  if (colon != std::string::npos) {
    u = user.substr(0, colon);
    g = user.substr(colon + 1);
  }
  std::vector<std::string> f;
  bool numeric = ParseId(u, uid);
  bool found = FindEntry(passwd, numeric ? u : u, numeric, 2, &f);
  if (!numeric) {
    if (!found) {
      *err = "user '" + u +
             "' is not in the image's /etc/passwd; use a numeric UID or add the user to the image";
      return false;
    }
    if (!ParseId(f[2], uid)) {
      *err = "user '" + u + "' has a bad UID in /etc/passwd";
      return false;
    }
  }
  if (found && f.size() > 3) ParseId(f[3], gid);
  *home = found && f.size() > 5 && !f[5].empty() ? f[5] : "/";
  if (!g.empty()) {
    if (!ParseId(g, gid)) {
      std::vector<std::string> gf;
      if (!FindEntry(group, g, false, 2, &gf) || !ParseId(gf[2], gid)) {
        *err = "group '" + g + "' is not in the image's /etc/group; use a numeric GID";
        return false;
      }
    }
  }
  return true;
}

std::string RuntimeSpecJson(const ProcessSpec& p, const std::vector<BindMount>& binds,
                            const std::string& hostname, const std::vector<std::string>& cap_add) {
  std::vector<std::string> caps;
  if (p.uid == 0) {
    caps.assign(std::begin(kDefaultCaps), std::end(kDefaultCaps));
    for (const auto& c : cap_add) {
      std::string name = c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
      if (std::find(caps.begin(), caps.end(), name) == caps.end()) caps.push_back(name);
    }
  }
  std::vector<std::string> bounding(std::begin(kDefaultCaps), std::end(kDefaultCaps));
  for (const auto& c : cap_add) {
    std::string name = c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
    if (std::find(bounding.begin(), bounding.end(), name) == bounding.end())
      bounding.push_back(name);
  }

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("ociVersion");
  w.String("1.0.2");
  w.Key("process");
  w.StartObject();
  w.Key("terminal");
  w.Bool(false);
  w.Key("user");
  w.StartObject();
  w.Key("uid");
  w.Uint(p.uid);
  w.Key("gid");
  w.Uint(p.gid);
  w.EndObject();
  w.Key("args");
  Strings(w, p.args);
  w.Key("env");
  Strings(w, p.env);
  w.Key("cwd");
  w.String(p.cwd.c_str());
  w.Key("capabilities");
  w.StartObject();
  for (const char* set : {"bounding", "effective", "permitted"}) {
    w.Key(set);
    Strings(w, std::string(set) == "bounding" ? bounding : caps);
  }
  w.EndObject();
  w.Key("noNewPrivileges");
  w.Bool(false);
  w.EndObject();
  w.Key("root");
  w.StartObject();
  w.Key("path");
  w.String("rootfs");
  w.Key("readonly");
  w.Bool(false);
  w.EndObject();
  w.Key("hostname");
  w.String(hostname.c_str());
  w.Key("mounts");
  w.StartArray();
  Mount(w, "/proc", "proc", "proc", {"nosuid", "noexec", "nodev"});
  Mount(w, "/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
  Mount(w, "/dev/pts", "devpts", "devpts",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  Mount(w, "/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
  Mount(w, "/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"});
  Mount(w, "/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  for (const auto& b : binds) {
    std::vector<std::string> opts = {"rbind", "nosuid", "nodev"};
    opts.push_back(b.read_only ? "ro" : "rw");
    Mount(w, b.destination.c_str(), "bind", b.source.c_str(), opts);
  }
  w.EndArray();
  w.Key("linux");
  w.StartObject();
  w.Key("namespaces");
  w.StartArray();
  for (const char* ns : {"pid", "ipc", "uts", "mount"}) {
    w.StartObject();
    w.Key("type");
    w.String(ns);
    w.EndObject();
  }
  w.EndArray();
  w.Key("maskedPaths");
  Strings(w, {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
              "/proc/scsi"});
  w.Key("readonlyPaths");
  Strings(w, {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

}  // namespace local
}  // namespace kilt
