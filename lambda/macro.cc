#include "lambda/macro.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <exception>
#include <set>

namespace kilt::lambda {
namespace {

using rapidjson::Value;

constexpr size_t kMaxErrorMessageBytes = 4000;

// A scalar (or list of scalars, comma-joined: CommaDelimitedList parameters, Compatibilities) as
// the string the recipe overrides and parameter table want. False for objects and nested lists.
bool ScalarText(const Value& v, std::string* out) {
  if (v.IsString()) {
    out->assign(v.GetString(), v.GetStringLength());
  } else if (v.IsBool()) {
    *out = v.GetBool() ? "true" : "false";
  } else if (v.IsInt64()) {
    *out = std::to_string(v.GetInt64());
  } else if (v.IsUint64()) {
    *out = std::to_string(v.GetUint64());
  } else if (v.IsNumber()) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    v.Accept(w);
    out->assign(b.GetString(), b.GetSize());
  } else if (v.IsArray()) {
    out->clear();
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      std::string item;
      if (v[i].IsArray() || !ScalarText(v[i], &item)) return false;
      if (i > 0) *out += ",";
      *out += item;
    }
  } else {
    return false;
  }
  return true;
}

// Builds the response; `fragment` may be null (the event had none worth echoing).
std::string Response(const std::string& request_id, bool success, const std::string& error_message,
                     const Value* fragment) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("requestId");
  w.String(request_id.data(), static_cast<rapidjson::SizeType>(request_id.size()));
  w.Key("status");
  w.String(success ? "success" : "failure");
  if (!success) {
    w.Key("errorMessage");
    w.String(error_message.data(), static_cast<rapidjson::SizeType>(error_message.size()));
  }
  if (fragment != nullptr) {
    w.Key("fragment");
    fragment->Accept(w);
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

// The event, read and checked. Holds the parsed document; fragment points into it.
class MacroEvent {
 public:
  // Returns false with a user-facing message on a malformed event; request_id is set when known.
  bool Parse(std::string_view json, std::string* err) {
    doc_.Parse(json.data(), json.size());
    if (doc_.HasParseError()) {
      *err = std::string("the macro event is not valid JSON (") +
             rapidjson::GetParseError_En(doc_.GetParseError()) + " at offset " +
             std::to_string(doc_.GetErrorOffset()) + ")";
      return false;
    }
    if (!doc_.IsObject()) {
      *err = "the macro event is not a JSON object";
      return false;
    }
    auto rid = doc_.FindMember("requestId");
    if (rid != doc_.MemberEnd() && rid->value.IsString()) request_id_ = rid->value.GetString();
    if (request_id_.empty()) {
      *err = "the macro event has no requestId (is this function invoked by CloudFormation?)";
      return false;
    }
    auto frag = doc_.FindMember("fragment");
    if (frag == doc_.MemberEnd() || !frag->value.IsObject()) {
      *err = "the macro event has no fragment object (the template to transform)";
      return false;
    }
    fragment_ = &frag->value;
    if (!ReadStringMap("templateParameterValues", &parameters_, err)) return false;
    AddPseudoParameters();
    if (!ReadStringMap("params", &params_, err)) return false;
    return true;
  }

  const std::string& request_id() const { return request_id_; }
  const std::map<std::string, std::string>& params() const { return params_; }
  const std::map<std::string, std::string>& parameters() const { return parameters_; }
  // The fragment moved into its own document (to patch in place).
  void TakeFragment(rapidjson::Document* out) {
    out->SetObject();
    out->CopyFrom(*fragment_, out->GetAllocator());
  }
  const Value* fragment() const { return fragment_; }

 private:
  // params / templateParameterValues: string values; lists become comma-joined; a {"Ref": P} param
  // is resolved against the template's parameter values (which are read first for this reason).
  bool ReadStringMap(const char* field, std::map<std::string, std::string>* out, std::string* err) {
    auto it = doc_.FindMember(field);
    if (it == doc_.MemberEnd() || it->value.IsNull()) return true;
    if (!it->value.IsObject()) {
      *err = std::string("the macro event's ") + field + " is not an object";
      return false;
    }
    for (auto& m : it->value.GetObject()) {
      std::string key(m.name.GetString(), m.name.GetStringLength());
      std::string text;
      if (ScalarText(m.value, &text)) {
        (*out)[key] = text;
        continue;
      }
      if (field == std::string("params") && m.value.IsObject() && m.value.MemberCount() == 1 &&
          m.value.HasMember("Ref") && m.value["Ref"].IsString()) {
        auto p = ReadParameterValue(m.value["Ref"].GetString());
        if (p.first) {
          (*out)[key] = p.second;
          continue;
        }
        *err = "Transform parameter " + key + ": {\"Ref\": \"" + m.value["Ref"].GetString() +
               "\"} names no stack parameter";
        return false;
      }
      *err = std::string(field == std::string("params") ? "Transform parameter "
                                                        : "stack parameter ") +
             key + ": expected a string, number, boolean or list of them";
      return false;
    }
    return true;
  }

  std::pair<bool, std::string> ReadParameterValue(const std::string& name) {
    auto it = parameters_.find(name);
    if (it == parameters_.end()) return {false, ""};
    return {true, it->second};
  }

  // AWS::Region, AWS::AccountId, AWS::Partition and AWS::URLSuffix from the event, so that a Ref to
  // them (in params, or where the patch needs a value) resolves like a stack parameter.
  void AddPseudoParameters() {
    auto text = [&](const char* field) -> std::string {
      auto it = doc_.FindMember(field);
      return it != doc_.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    const std::string region = text("region");
    const std::string account = text("accountId");
    if (!region.empty()) {
      const bool china = region.rfind("cn-", 0) == 0;
      const bool gov = region.rfind("us-gov-", 0) == 0;
      parameters_.emplace("AWS::Region", region);
      parameters_.emplace("AWS::Partition", china ? "aws-cn" : gov ? "aws-us-gov" : "aws");
      parameters_.emplace("AWS::URLSuffix", china ? "amazonaws.com.cn" : "amazonaws.com");
    }
    if (!account.empty()) parameters_.emplace("AWS::AccountId", account);
  }

  rapidjson::Document doc_;
  std::string request_id_;
  const Value* fragment_ = nullptr;
  std::map<std::string, std::string> params_;
  std::map<std::string, std::string> parameters_;
};

// What the fragment is: CloudFormation sends the whole template for a Transform-section macro, and
// the sibling nodes of the call for Fn::Transform: the resources map when it is placed under
// Resources, one resource's body when placed inside a resource.
enum class FragmentShape { kTemplate, kResources, kResource, kOther };

FragmentShape ShapeOf(const Value& f) {
  if (f.HasMember("Resources")) return FragmentShape::kTemplate;
  auto type = f.FindMember("Type");
  if (type != f.MemberEnd() && type->value.IsString()) return FragmentShape::kResource;
  if (f.MemberCount() == 0) return FragmentShape::kTemplate;  // nothing to do either way
  for (const auto& m : f.GetObject())
    if (!m.value.IsObject() || !m.value.HasMember("Type")) return FragmentShape::kOther;
  return FragmentShape::kResources;
}

// The failure response echoes the input fragment unchanged (the patch works on a copy).
MacroOutcome Failure(MacroOutcome o, const std::string& message, const Value* fragment) {
  o.success = false;
  o.response = Response(o.request_id, false, "Kilt: " + message, fragment);
  return o;
}

size_t DistinctResources(const std::vector<std::string>& patched) {
  std::set<std::string> ids;
  for (const std::string& p : patched) ids.insert(p.substr(0, p.find('/')));
  return ids.size();
}

// `request_id` is set as soon as it is known, for the error answer if something throws later.
MacroOutcome Handle(std::string_view event_json, const MacroConfig& config, lookup::ImageSource* lookup,
                    Deadline lookup_deadline, std::string* request_id) {
  MacroOutcome o;
  MacroEvent event;
  std::string err;
  const bool parsed = event.Parse(event_json, &err);
  o.request_id = event.request_id();
  *request_id = o.request_id;
  if (!parsed) {
    o.errors = 1;
    return Failure(o, err, event.fragment());
  }

  PatchInput in;
  in.recipe = config.recipe;
  in.parameters = event.parameters();
  bool image_lookup = config.image_lookup;
  std::map<std::string, std::string> overrides = event.params();
  std::string logical_id = "TaskDefinition";
  auto lid = overrides.find(std::string(kLogicalIdParam));
  if (lid != overrides.end()) {
    logical_id = lid->second;
    overrides.erase(lid);
  }
  auto il = overrides.find(std::string(kImageLookupParam));
  if (il != overrides.end()) {
    // "on"/"off" too: the installer's ImageLookup parameter spells it that way.
    const std::string& v = il->second;
    if (v != "true" && v != "false" && v != "on" && v != "off") {
      o.errors = 1;
      return Failure(o, "Transform parameter ImageLookup: \"" + v + "\" must be true or false",
                     event.fragment());
    }
    image_lookup = v == "true" || v == "on";
    overrides.erase(il);
  }
  if (!overrides.empty() && !ApplyRecipeOverrides(overrides, &in.recipe, &err)) {
    o.errors = 1;
    return Failure(o, "Transform " + err, event.fragment());
  }

  rapidjson::Document fragment;
  event.TakeFragment(&fragment);
  const FragmentShape shape = ShapeOf(fragment);
  if (shape == FragmentShape::kOther) {
    o.errors = 1;
    return Failure(
        o,
        "the fragment is neither a template, a Resources section nor a resource: use the "
        "macro in the template's Transform section, or Fn::Transform directly under "
        "Resources or inside an AWS::ECS::TaskDefinition resource",
        event.fragment());
  }
  if (shape != FragmentShape::kTemplate) {
    // Patched as a one-section template; the answer is unwrapped again below.
    rapidjson::Document wrapped;
    wrapped.SetObject();
    auto& a = wrapped.GetAllocator();
    Value resources(rapidjson::kObjectType);
    if (shape == FragmentShape::kResources) {
      resources.CopyFrom(fragment, a);
    } else {
      resources.AddMember(Value(logical_id.c_str(), a), Value(fragment, a), a);
    }
    wrapped.AddMember("Resources", resources, a);
    fragment.Swap(wrapped);
  }

  std::vector<std::string> lookup_errors;
  if (image_lookup && lookup != nullptr) {
    std::vector<ImageNeed> needs = ListTemplateImageNeeds(fragment, in);
    o.images_needed = needs.size();
    if (!needs.empty()) lookup_errors = lookup->Resolve(needs, {}, lookup_deadline, &in.images);
    o.lookup_errors = lookup_errors.size();
  }

  PatchReport report = PatchTemplate(&fragment, in);
  o.containers_patched = report.patched.size();
  o.resources_patched = DistinctResources(report.patched);
  o.skipped = report.skipped.size();
  o.errors = report.errors.size();
  if (!report.ok()) {
    std::vector<std::string> messages;
    for (const PatchError& e : report.errors) messages.push_back(e.ToString());
    // Lookup failures explain "no known entrypoint" errors; they are listed after the patch errors.
    for (const std::string& e : lookup_errors) messages.push_back("image lookup: " + e);
    return Failure(o, JoinErrors(messages), event.fragment());
  }
  o.success = true;
  const Value* out = &fragment;
  if (shape == FragmentShape::kResources) out = &fragment["Resources"];
  if (shape == FragmentShape::kResource) out = &fragment["Resources"][logical_id.c_str()];
  o.response = Response(o.request_id, true, "", out);
  return o;
}

}  // namespace

std::string JoinErrors(const std::vector<std::string>& errors) {
  std::string out =
      std::to_string(errors.size()) + (errors.size() == 1 ? " problem: " : " problems: ");
  for (size_t i = 0; i < errors.size(); ++i) {
    std::string next = (i > 0 ? "; " : "") + errors[i];
    if (out.size() + next.size() > kMaxErrorMessageBytes) {
      out += "; ... and " + std::to_string(errors.size() - i) + " more";
      break;
    }
    out += next;
  }
  return out;
}

MacroOutcome HandleMacroEvent(std::string_view event_json, const MacroConfig& config,
                              lookup::ImageSource* lookup, Deadline lookup_deadline) {
  // The patcher does not throw for bad input; this catches what is left (std::bad_alloc on a huge
  // event) so that CloudFormation gets a message instead of "the function crashed".
  std::string request_id;
  try {
    return Handle(event_json, config, lookup, lookup_deadline, &request_id);
  } catch (const std::exception& e) {
    MacroOutcome o;
    o.request_id = request_id;
    o.errors = 1;
    o.response =
        Response(request_id, false, std::string("Kilt: internal error: ") + e.what(), nullptr);
    return o;
  }
}

}  // namespace kilt::lambda
