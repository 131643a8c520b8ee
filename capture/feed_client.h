// The live feed's client side (the Falco plugin, tests): connects to kilt-run's capture socket,
// does the handshake and returns the events of one EVENTS frame at a time.
#ifndef KILT_CAPTURE_FEED_CLIENT_H_
#define KILT_CAPTURE_FEED_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kilt::feed {

class FeedClient {
 public:
  enum class Result {
    kEvents,   // *events holds one frame of back-to-back scap events (valid until the next Next())
    kTimeout,  // nothing complete within the timeout
    kClosed,   // the server closed the connection (or refused it: see *err)
    kError,    // a protocol or socket error (*err); the connection is closed
  };

  FeedClient();
  ~FeedClient();
  FeedClient(const FeedClient&) = delete;
  FeedClient& operator=(const FeedClient&) = delete;

  // Connects ("@name" or a path) and sends our HELLO; the server's is checked by the first Next().
  [[nodiscard]] bool Connect(const std::string& address, std::string* err);
  void Close();
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Waits up to `timeout_ms` for the next EVENTS frame. Handshake and DROPS frames are handled on
  // the way (drops: see dropped_events()).
  Result Next(int timeout_ms, std::string_view* events, std::string* err);

  // kilt-run's cumulative drop counters, as last reported; TakeDropsChanged() is true once per
  // change.
  uint64_t dropped_events() const { return dropped_events_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }
  bool TakeDropsChanged() {
    bool c = drops_changed_;
    drops_changed_ = false;
    return c;
  }
  const std::string& server_libs_version() const { return server_libs_; }

 private:
  // Parses one complete frame at the front of the buffer; sets *handled if it consumed a frame.
  Result Parse(std::string_view* events, std::string* err, bool* handled);
  Result Fail(Result r, const std::string& msg, std::string* err);

  int fd_ = -1;
  bool hello_seen_ = false;
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0, start_ = 0, end_ = 0;
  uint64_t dropped_events_ = 0, dropped_bytes_ = 0;
  bool drops_changed_ = false;
  std::string server_libs_;
};

}  // namespace kilt::feed

#endif  // KILT_CAPTURE_FEED_CLIENT_H_
