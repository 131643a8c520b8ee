// Lookups in the event table generated from libs' driver/event_table.c (build/gen/capture/
// scap_event_table.h, see capture/gen_event_table.py): only the events of
// capture/event_params.golden.
#ifndef KILT_CAPTURE_SCAP_TABLE_H_
#define KILT_CAPTURE_SCAP_TABLE_H_

#include <cstdint>

#include "capture/scap_event_table.h"

namespace kilt::scap {

// The table entry of event type `code`, or nullptr if the capture does not know it.
inline const EventInfo* FindEvent(uint16_t code) {
  size_t lo = 0, hi = kNumEvents;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kEvents[mid].code < code) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < kNumEvents && kEvents[lo].code == code ? &kEvents[lo] : nullptr;
}

// Bytes per parameter length of an event type: 4 for EF_LARGE_PAYLOAD types, else 2 (also for types
// the table lacks: only plugin/async/container events are large, and the capture never reads
// those).
inline size_t ParamLenSize(uint16_t code) {
  const EventInfo* info = FindEvent(code);
  return info != nullptr && info->large ? 4 : 2;
}

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_TABLE_H_
