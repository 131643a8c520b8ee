#include "capture/scap_event_builder.h"

#include <cstring>

#include "capture/scap_table.h"

namespace kilt::scap {

EventBuilder& EventBuilder::Begin(uint16_t type, uint64_t ts_ns, int64_t tid) {
  type_ = type;
  ts_ = ts_ns;
  tid_ = tid;
  nparams_ = 0;
  overflow_ = false;
  return *this;
}

EventBuilder::Param* EventBuilder::Next() {
  if (nparams_ == kMaxParams) {
    overflow_ = true;
    return nullptr;
  }
  Param* p = &params_[nparams_++];
  p->add_nul = false;
  p->ptr = nullptr;
  p->len = 0;
  return p;
}

EventBuilder& EventBuilder::Fixed(Kind kind, const void* v, uint32_t n) {
  if (Param* p = Next()) {
    p->kind = kind;
    p->len = n;
    std::memcpy(p->value, v, n);
  }
  return *this;
}

EventBuilder& EventBuilder::String(std::string_view s) {
  Param* p = Next();
  if (p == nullptr) return *this;
  p->kind = kString;
  if (s.data() == nullptr) return *this;  // empty parameter
  if (const void* nul = std::memchr(s.data(), '\0', s.size())) {
    s = s.substr(0, static_cast<const char*>(nul) - s.data());
  }
  if (s.size() > kMaxStringSize - 1) s = s.substr(0, kMaxStringSize - 1);
  p->ptr = reinterpret_cast<const uint8_t*>(s.data());
  p->len = static_cast<uint32_t>(s.size());
  p->add_nul = true;
  return *this;
}

EventBuilder& EventBuilder::StringList(std::string_view s, size_t cap) {
  Param* p = Next();
  if (p == nullptr) return *this;
  p->kind = kList;
  if (s.empty()) return *this;
  if (cap > kMaxParamSize) cap = kMaxParamSize;
  // Truncating at the cap cuts the last string short; it still ends in a NUL, as the drivers do.
  if (s.size() + (s.back() == '\0' ? 0 : 1) > cap) s = s.substr(0, cap - 1);
  p->ptr = reinterpret_cast<const uint8_t*>(s.data());
  p->len = static_cast<uint32_t>(s.size());
  p->add_nul = s.empty() || s.back() != '\0';
  return *this;
}

EventBuilder& EventBuilder::Bytes(std::string_view s) {
  Param* p = Next();
  if (p == nullptr) return *this;
  p->kind = kBytes;
  if (s.size() > kMaxParamSize) s = s.substr(0, kMaxParamSize);
  p->ptr = reinterpret_cast<const uint8_t*>(s.data());
  p->len = static_cast<uint32_t>(s.size());
  return *this;
}

EventBuilder& EventBuilder::Encoded(std::string_view s) {
  Param* p = Next();
  if (p == nullptr) return *this;
  p->kind = kEncoded;
  p->ptr = reinterpret_cast<const uint8_t*>(s.data());
  p->len = static_cast<uint32_t>(s.size() > kMaxParamSize ? kMaxParamSize : s.size());
  return *this;
}

EventBuilder& EventBuilder::Empty() {
  if (Param* p = Next()) p->kind = kEmpty;
  return *this;
}

// Which PT_ types a value of each builder kind may fill.
bool EventBuilder::KindFits(Kind kind, uint8_t type) {
  switch (type) {
    case PT_INT64:
    case PT_UINT64:
    case PT_ERRNO:
    case PT_FD:
    case PT_PID:
    case PT_RELTIME:
    case PT_ABSTIME:
    case PT_DOUBLE:
      return kind == kWidth8;
    case PT_INT32:
    case PT_UINT32:
    case PT_UID:
    case PT_GID:
    case PT_FLAGS32:
    case PT_ENUMFLAGS32:
    case PT_MODE:
    case PT_BOOL:
    case PT_SIGSET:
    case PT_FD32:
    case PT_PID32:
    case PT_IPV4ADDR:
      return kind == kWidth4;
    case PT_INT16:
    case PT_UINT16:
    case PT_FLAGS16:
    case PT_ENUMFLAGS16:
    case PT_PORT:
    case PT_SYSCALLID:
      return kind == kWidth2;
    case PT_INT8:
    case PT_UINT8:
    case PT_FLAGS8:
    case PT_ENUMFLAGS8:
    case PT_SIGTYPE:
    case PT_L4PROTO:
    case PT_SOCKFAMILY:
      return kind == kWidth1;
    case PT_CHARBUF:
    case PT_FSPATH:
    case PT_FSRELPATH:
      return kind == kString;
    case PT_BYTEBUF:
      return kind == kList || kind == kBytes;
    default:  // SOCKADDR, SOCKTUPLE, DYN, FDLIST and the other composite types
      return kind == kEncoded;
  }
}

bool EventBuilder::TypesMatch(const EventInfo& info) const {
  if (overflow_ || nparams_ != info.nparams) return false;
  for (uint32_t i = 0; i < nparams_; ++i) {
    if (params_[i].kind != kEmpty && !KindFits(params_[i].kind, info.params[i].type)) return false;
  }
  return true;
}

// Shortens the variable-size parameters, largest first, until the event fits kMaxEventSize. With
// the per-parameter caps only raw byte buffers (sendto data, module images) can get there.
bool EventBuilder::ShrinkToFit(size_t* total) {
  while (*total > kMaxEventSize) {
    Param* largest = nullptr;
    for (uint32_t i = 0; i < nparams_; ++i) {
      Param& p = params_[i];
      if ((p.kind == kString || p.kind == kList || p.kind == kBytes) && p.len > 0 &&
          (largest == nullptr || p.len > largest->len)) {
        largest = &p;
      }
    }
    if (largest == nullptr) return false;
    size_t excess = *total - kMaxEventSize;
    uint32_t cut = static_cast<uint32_t>(excess < largest->len ? excess : largest->len);
    largest->len -= cut;
    *total -= cut;
    if (largest->kind == kList) {
      bool had_nul = largest->add_nul;
      largest->add_nul = largest->len == 0 || largest->ptr[largest->len - 1] != '\0';
      if (largest->add_nul && !had_nul) ++*total;
    }
  }
  return true;
}

EncodeStatus EventBuilder::Finish() {
  const EventInfo* info = FindEvent(type_);
  if (info == nullptr || !TypesMatch(*info)) return EncodeStatus::kInvalid;
  const size_t len_size = info->large ? 4 : 2;
  size_t total = kEventHeaderSize + nparams_ * len_size;
  for (uint32_t i = 0; i < nparams_; ++i) total += params_[i].size();
  if (!ShrinkToFit(&total)) return EncodeStatus::kInvalid;

  uint8_t* dst = out_->Reserve(total);
  if (dst == nullptr) return EncodeStatus::kFull;
  uint32_t len32 = static_cast<uint32_t>(total);
  std::memcpy(dst, &ts_, 8);
  std::memcpy(dst + 8, &tid_, 8);
  std::memcpy(dst + 16, &len32, 4);
  std::memcpy(dst + 20, &type_, 2);
  std::memcpy(dst + 22, &nparams_, 4);
  uint8_t* lens = dst + kEventHeaderSize;
  uint8_t* data = lens + nparams_ * len_size;
  for (uint32_t i = 0; i < nparams_; ++i) {
    const Param& p = params_[i];
    uint32_t size = p.size();
    if (len_size == 2) {
      uint16_t l16 = static_cast<uint16_t>(size);
      std::memcpy(lens + 2 * i, &l16, 2);
    } else {
      std::memcpy(lens + 4 * i, &size, 4);
    }
    if (p.len > 0) std::memcpy(data, p.ptr != nullptr ? p.ptr : p.value, p.len);
    if (p.add_nul) data[p.len] = 0;
    data += size;
  }
  out_->Commit(total);
  return EncodeStatus::kOk;
}

}  // namespace kilt::scap
