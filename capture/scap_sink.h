// Where encoded events go once the tracer has them: a capture file, JSON lines, ... (`kilt capture`
// picks one). The live feed is not a sink: FeedServer::Push never fails, it drops and counts.
#ifndef KILT_CAPTURE_SCAP_SINK_H_
#define KILT_CAPTURE_SCAP_SINK_H_

#include <string>
#include <string_view>

namespace kilt::scap {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Takes a run of back-to-back encoded events (EventBuffer::bytes()).
  [[nodiscard]] virtual bool Write(std::string_view events, std::string* err) = 0;
  // Flushes and releases the output; reports the first error.
  [[nodiscard]] virtual bool Close(std::string* err) = 0;
};

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_SINK_H_
