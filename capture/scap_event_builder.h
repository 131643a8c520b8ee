// Writes one scap event parameter by parameter, checked against the generated event table: the
// count must be the table's and each value must have the width of its PT_ type, otherwise nothing
// is written (EncodeStatus::kInvalid). The typed encoders (scap_encoder.h) are built on it; use it
// directly only for an event of the golden list that has no typed encoder yet.
//
//   EventBuilder b(&buffer);
//   b.Begin(PPME_SYSCALL_CHROOT_X, ts, tid).Int64(res).String(path);
//   if (b.Finish() == EncodeStatus::kFull) { flush buffer; encode again }
//
// Strings are copied at Finish(), so the views must stay valid until then. A string_view whose
// data() is nullptr (a default-constructed one) is written as an empty parameter (length 0), which
// libsinsp reads as "not available"; "" is written as an empty C string (length 1).
#ifndef KILT_CAPTURE_SCAP_EVENT_BUILDER_H_
#define KILT_CAPTURE_SCAP_EVENT_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/scap_buffer.h"

namespace kilt::scap {

struct EventInfo;

class EventBuilder {
 public:
  explicit EventBuilder(EventBuffer* out) : out_(out) {}
  EventBuilder(const EventBuilder&) = delete;
  EventBuilder& operator=(const EventBuilder&) = delete;

  EventBuilder& Begin(uint16_t type, uint64_t ts_ns, int64_t tid);

  // Fixed-width values: 8 bytes (ERRNO, FD, PID, INT64, UINT64, ABSTIME), 4 (INT32, UINT32, UID,
  // GID, FLAGS32, ENUMFLAGS32, MODE), 2 (UINT16, FLAGS16, ENUMFLAGS16), 1 (UINT8, FLAGS8,
  // SIGTYPE...).
  EventBuilder& Int64(int64_t v) { return Fixed(kWidth8, &v, 8); }
  EventBuilder& UInt64(uint64_t v) { return Fixed(kWidth8, &v, 8); }
  EventBuilder& Int32(int32_t v) { return Fixed(kWidth4, &v, 4); }
  EventBuilder& UInt32(uint32_t v) { return Fixed(kWidth4, &v, 4); }
  EventBuilder& UInt16(uint16_t v) { return Fixed(kWidth2, &v, 2); }
  EventBuilder& UInt8(uint8_t v) { return Fixed(kWidth1, &v, 1); }
  // CHARBUF, FSPATH, FSRELPATH: cut at an embedded NUL, capped at kMaxStringSize with its NUL.
  EventBuilder& String(std::string_view s);
  // BYTEBUF of NUL-terminated strings (argv, envp, cgroups): capped at `cap` bytes, always ending
  // in a NUL (one is added if missing); empty -> empty parameter.
  EventBuilder& StringList(std::string_view s, size_t cap = kMaxArgsEnvSize);
  // BYTEBUF of raw bytes (e.g. sendto data); the first to be shortened if the event is too large.
  EventBuilder& Bytes(std::string_view s);
  // Bytes already in a parameter's wire form (SOCKADDR, SOCKTUPLE, DYN): written as they are.
  EventBuilder& Encoded(std::string_view s);
  EventBuilder& Empty();

  // Appends the event to the buffer.
  [[nodiscard]] EncodeStatus Finish();

 private:
  enum Kind : uint8_t {
    kWidth8,
    kWidth4,
    kWidth2,
    kWidth1,
    kString,
    kList,
    kBytes,
    kEncoded,
    kEmpty
  };
  struct Param {
    Kind kind;
    bool add_nul;        // kString/kList: write a NUL after `len` bytes of `ptr`
    uint32_t len;        // bytes taken from ptr (or value)
    const uint8_t* ptr;  // nullptr for fixed-width values (in `value`)
    uint8_t value[8];
    uint32_t size() const { return len + (add_nul ? 1 : 0); }
  };
  static constexpr size_t kMaxParams = 32;  // PPM_MAX_EVENT_PARAMS

  EventBuilder& Fixed(Kind kind, const void* v, uint32_t n);
  Param* Next();
  static bool KindFits(Kind kind, uint8_t type);
  bool TypesMatch(const EventInfo& info) const;
  bool ShrinkToFit(size_t* total);

  EventBuffer* out_;
  uint16_t type_ = 0;
  uint64_t ts_ = 0;
  int64_t tid_ = 0;
  uint32_t nparams_ = 0;
  bool overflow_ = false;  // more than kMaxParams added
  Param params_[kMaxParams] = {};
};

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_EVENT_BUILDER_H_
