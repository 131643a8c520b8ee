#include "patcher/argv_expr.h"

#include <vector>

#include "patcher/patcher.h"

namespace kilt {

namespace {

using rapidjson::Value;

bool IsSetList(const Value* v) { return v != nullptr && !(v->IsArray() && v->Empty()); }

Value ArrayOf(const std::vector<std::string>& items, JsonAlloc& a) {
  Value arr(rapidjson::kArrayType);
  for (const std::string& s : items) arr.PushBack(Str(s, a), a);
  return arr;
}

// One operand of a concatenation: a literal list, or a list CloudFormation computes by splitting a string.
struct Part {
  const Value* literal = nullptr;    // a JSON array
  std::string delimiter;             // for a split list
  Value source;                      // the string being split (a copy)
};

bool Classify(const Value& v, bool allow_intrinsics, JsonAlloc& a, Part* p, std::string* err) {
  if (v.IsArray()) {
    for (const Value& e : v.GetArray()) {
      if (e.IsString()) continue;
      if (!allow_intrinsics || !IsIntrinsic(e)) {
        *err = "holds " + Describe(e) + " where a string is expected";
        return false;
      }
    }
    p->literal = &v;
    return true;
  }
  std::string_view fn = allow_intrinsics ? IntrinsicName(v) : std::string_view();
  if (fn == "Fn::Split") {
    const Value& args = v.MemberBegin()->value;
    if (args.IsArray() && args.Size() == 2 && args[0].IsString() && args[0].GetStringLength() > 0) {
      p->delimiter = args[0].GetString();
      p->source = Copy(args[1], a);
      return true;
    }
  } else if (fn == "Ref") {
    // A CommaDelimitedList (or List<...>) parameter: joining with "," and splitting again gives back the
    // same list, because such a parameter's items cannot contain a comma.
    p->delimiter = ",";
    Value join_args(rapidjson::kArrayType);
    join_args.PushBack(Str(",", a), a).PushBack(Copy(v, a), a);
    p->source = Value(rapidjson::kObjectType);
    p->source.AddMember("Fn::Join", join_args, a);
    return true;
  }
  *err = allow_intrinsics ? "is " + Describe(v) +
                                ", which kilt cannot extend exactly (it handles lists, Fn::If, Fn::Split and a "
                                "Ref to a list parameter); write EntryPoint and Command as lists"
                          : "is " + Describe(v) + ", not a list of strings";
  return false;
}

// Concatenates list-valued operands into one expression. Lists stay lists (intrinsic elements are copied
// exactly). A split list can only be extended inside its own string: Fn::Split[d, Fn::Join["", [...]]],
// which is exact only when every literal element is a plain string without the delimiter.
bool Concat(const std::vector<const Value*>& operands, bool allow_intrinsics, JsonAlloc& a, Value* out,
            std::string* err) {
  std::vector<Part> parts(operands.size());
  bool any_split = false;
  for (size_t i = 0; i < operands.size(); ++i) {
    if (!Classify(*operands[i], allow_intrinsics, a, &parts[i], err)) return false;
    any_split |= parts[i].literal == nullptr;
  }
  if (!any_split) {
    *out = Value(rapidjson::kArrayType);
    for (const Part& p : parts)
      for (const Value& e : p.literal->GetArray()) out->PushBack(Copy(e, a), a);
    return true;
  }
  std::string delim;
  for (const Part& p : parts) {
    if (p.literal != nullptr) continue;
    if (!delim.empty() && delim != p.delimiter) {
      *err = "joins lists split on different delimiters (\"" + delim + "\" and \"" + p.delimiter +
             "\"), which CloudFormation cannot concatenate; write EntryPoint and Command as lists";
      return false;
    }
    delim = p.delimiter;
  }
  size_t non_empty = 0;
  const Part* only = nullptr;
  for (const Part& p : parts)
    if (p.literal == nullptr || !p.literal->Empty()) ++non_empty, only = &p;
  if (non_empty == 1 && only->literal == nullptr) {
    Value args(rapidjson::kArrayType);
    args.PushBack(Str(delim, a), a).PushBack(Copy(only->source, a), a);
    *out = Value(rapidjson::kObjectType);
    out->AddMember("Fn::Split", args, a);
    return true;
  }
  Value pieces(rapidjson::kArrayType);
  std::string text;
  bool first = true;
  for (const Part& p : parts) {
    if (p.literal != nullptr && p.literal->Empty()) continue;
    if (!first) text += delim;
    first = false;
    if (p.literal != nullptr) {
      bool first_elem = true;
      for (const Value& e : p.literal->GetArray()) {
        if (!e.IsString() || std::string_view(e.GetString(), e.GetStringLength()).find(delim) != std::string_view::npos) {
          *err = "must be combined with a list split on \"" + delim + "\", but the element " + Describe(e) +
                 (e.IsString() ? " contains that delimiter" : " is not a plain string") +
                 "; write EntryPoint and Command as lists";
          return false;
        }
        if (!first_elem) text += delim;
        first_elem = false;
        text.append(e.GetString(), e.GetStringLength());
      }
    } else {
      if (!text.empty()) pieces.PushBack(Str(text, a), a);
      text.clear();
      pieces.PushBack(Copy(p.source, a), a);
    }
  }
  if (!text.empty()) pieces.PushBack(Str(text, a), a);
  Value join_args(rapidjson::kArrayType);
  join_args.PushBack(Str("", a), a).PushBack(pieces, a);
  Value joined(rapidjson::kObjectType);
  joined.AddMember("Fn::Join", join_args, a);
  Value split_args(rapidjson::kArrayType);
  split_args.PushBack(Str(delim, a), a).PushBack(joined, a);
  *out = Value(rapidjson::kObjectType);
  out->AddMember("Fn::Split", split_args, a);
  return true;
}

}  // namespace

bool ComposeArgvExpr(const Value* ep, const Value* cmd, bool allow_intrinsics, const ImageConfigSource& image,
                     JsonAlloc& a, Value* out, std::string* err) {
  if (allow_intrinsics) {
    if (ep != nullptr && IsNoValue(*ep)) ep = nullptr;
    if (cmd != nullptr && IsNoValue(*cmd)) cmd = nullptr;
    const Value *cond, *then_v, *else_v;
    // A conditional field: compose each branch on its own, so each deploy-time outcome is exact.
    if (ep != nullptr && SplitIf(*ep, &cond, &then_v, &else_v)) {
      Value t, e;
      if (!ComposeArgvExpr(then_v, cmd, true, image, a, &t, err) ||
          !ComposeArgvExpr(else_v, cmd, true, image, a, &e, err))
        return false;
      *out = MakeIf(*cond, std::move(t), std::move(e), a);
      return true;
    }
    if (cmd != nullptr && SplitIf(*cmd, &cond, &then_v, &else_v)) {
      Value t, e;
      if (!ComposeArgvExpr(ep, then_v, true, image, a, &t, err) ||
          !ComposeArgvExpr(ep, else_v, true, image, a, &e, err))
        return false;
      *out = MakeIf(*cond, std::move(t), std::move(e), a);
      return true;
    }
  }
  std::vector<const Value*> operands;
  Value image_ep, image_cmd;
  if (IsSetList(ep)) {
    // EntryPoint set in the task definition: Docker drops the image CMD.
    operands.push_back(ep);
    if (cmd != nullptr) operands.push_back(cmd);
  } else {
    const ImageConfig* config = image(!IsSetList(cmd), err);
    if (config == nullptr) return false;
    image_ep = ArrayOf(config->entrypoint, a);
    operands.push_back(&image_ep);
    if (IsSetList(cmd)) {
      operands.push_back(cmd);
    } else {
      image_cmd = ArrayOf(config->cmd, a);
      operands.push_back(&image_cmd);
    }
  }
  if (!Concat(operands, allow_intrinsics, a, out, err)) return false;
  if (out->IsArray() && out->Empty()) {
    *err = "would run nothing: EntryPoint, Command and the image's ENTRYPOINT/CMD are all empty";
    return false;
  }
  return true;
}

}  // namespace kilt
