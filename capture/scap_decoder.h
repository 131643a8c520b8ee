// Reads scap events back: the header, and each parameter's raw bytes with its name and PT_ type
// from the generated table. For tests, the JSON writer, the capture file writer's compatibility
// mode and the Falco plugin's checks. Validates every length against the bytes given, so hostile
// input is safe to pass (capture/scap_decoder_fuzz.cc). No allocation.
#ifndef KILT_CAPTURE_SCAP_DECODER_H_
#define KILT_CAPTURE_SCAP_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kilt::scap {

struct EventInfo;

struct DecodedEvent {
  static constexpr size_t kMaxParams = 32;  // PPM_MAX_EVENT_PARAMS

  uint64_t ts = 0;
  int64_t tid = 0;
  uint32_t len = 0;  // whole event, header included
  uint16_t type = 0;
  uint32_t nparams = 0;
  const EventInfo* info = nullptr;  // nullptr: a type outside the capture's table
  std::string_view params[kMaxParams];

  std::string_view bytes;  // the whole event

  // Typed reads of parameter i; false if it is absent or has another size.
  bool Int64(size_t i, int64_t* v) const;
  bool UInt32(size_t i, uint32_t* v) const;
  bool UInt16(size_t i, uint16_t* v) const;
  bool UInt8(size_t i, uint8_t* v) const;
  // A string parameter without its terminating NUL.
  std::string_view String(size_t i) const;
  // The table's name of parameter i ("" if unknown).
  const char* ParamName(size_t i) const;
};

// Decodes the event at the start of `bytes` (which may hold more events after it). Returns false
// and sets *err (a static string) when the bytes are not one well-formed event.
bool DecodeEvent(std::string_view bytes, DecodedEvent* ev, const char** err);

// Walks a run of back-to-back events, e.g. an EventBuffer or one frame of the live feed.
class EventReader {
 public:
  explicit EventReader(std::string_view events) : rest_(events) {}
  // False at the end (err == nullptr) or on a malformed event (*err set; the rest is not read).
  bool Next(DecodedEvent* ev, const char** err);

 private:
  std::string_view rest_;
};

// Calls fn(const DecodedEvent&) for each event of a run; fn returns false (with *err set) to stop.
// False also at a malformed event ("malformed event not written: reason"); the events before it
// were passed to fn.
template <typename Fn>
bool ForEachEvent(std::string_view events, std::string* err, Fn fn) {
  EventReader reader(events);
  DecodedEvent ev;
  const char* bad = nullptr;
  while (reader.Next(&ev, &bad)) {
    if (!fn(ev)) return false;
  }
  if (bad != nullptr) {
    *err = std::string("malformed event not written: ") + bad;
    return false;
  }
  return true;
}

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_DECODER_H_
