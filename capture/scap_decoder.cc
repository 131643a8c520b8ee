#include "capture/scap_decoder.h"

#include <cstring>

#include "capture/scap_buffer.h"
#include "capture/scap_table.h"

namespace kilt::scap {
namespace {

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
bool Fixed(const DecodedEvent& ev, size_t i, T* v) {
  if (i >= ev.nparams || ev.params[i].size() != sizeof(T)) return false;
  *v = Load<T>(ev.params[i].data());
  return true;
}

}  // namespace

bool DecodedEvent::Int64(size_t i, int64_t* v) const { return Fixed(*this, i, v); }
bool DecodedEvent::UInt32(size_t i, uint32_t* v) const { return Fixed(*this, i, v); }
bool DecodedEvent::UInt16(size_t i, uint16_t* v) const { return Fixed(*this, i, v); }
bool DecodedEvent::UInt8(size_t i, uint8_t* v) const { return Fixed(*this, i, v); }

std::string_view DecodedEvent::String(size_t i) const {
  if (i >= nparams) return {};
  std::string_view s = params[i];
  if (const void* nul = std::memchr(s.data(), '\0', s.size())) {
    s = s.substr(0, static_cast<const char*>(nul) - s.data());
  }
  return s;
}

const char* DecodedEvent::ParamName(size_t i) const {
  return info != nullptr && i < info->nparams ? info->params[i].name : "";
}

bool DecodeEvent(std::string_view bytes, DecodedEvent* ev, const char** err) {
  if (bytes.size() < kEventHeaderSize) {
    *err = "truncated event header";
    return false;
  }
  const char* p = bytes.data();
  ev->ts = Load<uint64_t>(p);
  ev->tid = Load<int64_t>(p + 8);
  ev->len = Load<uint32_t>(p + 16);
  ev->type = Load<uint16_t>(p + 20);
  ev->nparams = Load<uint32_t>(p + 22);
  if (ev->len < kEventHeaderSize || ev->len > bytes.size()) {
    *err = "event length out of bounds";
    return false;
  }
  if (ev->nparams > DecodedEvent::kMaxParams) {
    *err = "more than 32 parameters";
    return false;
  }
  ev->info = FindEvent(ev->type);
  const size_t len_size = ev->info != nullptr && ev->info->large ? 4 : 2;
  size_t offset = kEventHeaderSize + ev->nparams * len_size;
  if (offset > ev->len) {
    *err = "parameter lengths past the end of the event";
    return false;
  }
  for (uint32_t i = 0; i < ev->nparams; ++i) {
    const char* lp = p + kEventHeaderSize + i * len_size;
    size_t plen = len_size == 2 ? Load<uint16_t>(lp) : Load<uint32_t>(lp);
    if (plen > ev->len - offset) {
      *err = "parameter past the end of the event";
      return false;
    }
    ev->params[i] = std::string_view(p + offset, plen);
    offset += plen;
  }
  if (offset != ev->len) {
    *err = "event length does not match its parameters";
    return false;
  }
  for (uint32_t i = ev->nparams; i < DecodedEvent::kMaxParams; ++i) ev->params[i] = {};
  ev->bytes = bytes.substr(0, ev->len);
  return true;
}

bool EventReader::Next(DecodedEvent* ev, const char** err) {
  *err = nullptr;
  if (rest_.empty()) return false;
  if (!DecodeEvent(rest_, ev, err)) {
    rest_ = {};
    return false;
  }
  rest_.remove_prefix(ev->len);
  return true;
}

}  // namespace kilt::scap
