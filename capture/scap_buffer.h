// The byte buffer scap events are encoded into, and the format limits every encoder respects.
//
// An event (libs driver/ppm_events_public.h `ppm_evt_hdr`, packed, host byte order = little
// endian):
//   u64 ts (ns since the epoch) | u64 tid | u32 len (whole event) | u16 type | u32 nparams   (26
//   bytes) then nparams lengths (u16 each; u32 for EF_LARGE_PAYLOAD types, none of which the
//   capture emits) then the parameter bytes back to back.
// The buffer is memory the caller owns (or one allocation at setup with OwnedEventBuffer): encoding
// never allocates, and an event that does not fit is not written at all.
#ifndef KILT_CAPTURE_SCAP_BUFFER_H_
#define KILT_CAPTURE_SCAP_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace kilt::scap {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "scap events are written in host byte order");

inline constexpr size_t kEventHeaderSize = 26;
// Largest event written. Capture files frame each event in a block that readers load into a 64 KiB
// buffer (libs READER_BUF_SIZE) together with 8+2+4 bytes of framing and up to 3 of padding.
inline constexpr size_t kMaxEventSize = 65000;
// Per-parameter caps, as the kernel drivers apply them: argv/envp lists (SCAP_MAX_ARGS_SIZE,
// SCAP_MAX_ENV_SIZE) and strings/paths (PATH_MAX, the terminating NUL included).
inline constexpr size_t kMaxArgsEnvSize = 4096;
inline constexpr size_t kMaxStringSize = 4096;
inline constexpr size_t kMaxParamSize = 65535;  // u16 length

enum class EncodeStatus : uint8_t {
  kOk,
  kFull,     // not enough room left in the buffer: nothing was written; flush it and encode again
  kInvalid,  // the parameters do not match the event table (a bug in the encoder): nothing written
};

class EventBuffer {
 public:
  // `storage` must outlive the buffer. Size it >= kMaxEventSize so that any event fits when empty.
  EventBuffer(uint8_t* storage, size_t capacity) : data_(storage), capacity_(capacity) {}
  EventBuffer(const EventBuffer&) = delete;
  EventBuffer& operator=(const EventBuffer&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t available() const { return capacity_ - size_; }
  uint32_t events() const { return events_; }
  bool empty() const { return size_ == 0; }
  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }
  void Clear() {
    size_ = 0;
    events_ = 0;
  }

  // For encoders: room for `n` bytes at the end, or nullptr; Commit(n) then counts one event.
  uint8_t* Reserve(size_t n) { return n <= available() ? data_ + size_ : nullptr; }
  void Commit(size_t n) {
    size_ += n;
    ++events_;
  }

 private:
  uint8_t* data_;
  size_t capacity_;
  size_t size_ = 0;
  uint32_t events_ = 0;
};

// An EventBuffer with its own storage, allocated once here.
class OwnedEventBuffer : public EventBuffer {
 public:
  explicit OwnedEventBuffer(size_t capacity) : OwnedEventBuffer(new uint8_t[capacity], capacity) {}

 private:
  OwnedEventBuffer(uint8_t* p, size_t capacity) : EventBuffer(p, capacity), storage_(p) {}
  std::unique_ptr<uint8_t[]> storage_;
};

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_BUFFER_H_
