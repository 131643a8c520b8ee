// The live feed's wire format, shared by kilt-run's FeedServer and the Falco plugin's FeedClient.
// docs/capture.md "The live feed" describes it for humans.
//
// One AF_UNIX stream connection (a path, or an abstract name written "@name"). Everything is a
// frame:
//   u32 payload length | u16 type | u16 reserved (0) | payload            (little endian)
// 1. The server sends HELLO as soon as it accepts; the client answers HELLO. Both carry the magic,
// the
//    protocol version, the libs version and the hash of the event table they were built with; a
//    mismatch closes the connection (server: ERROR frame with the reason first).
// 2. Then the server sends EVENTS frames (back-to-back scap events, whole events only, at most
//    max_frame bytes of payload) and, whenever its drop counter moved, a DROPS frame.
// 3. A second consumer while one is connected gets BUSY and is closed.
#ifndef KILT_CAPTURE_FEED_PROTOCOL_H_
#define KILT_CAPTURE_FEED_PROTOCOL_H_

#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kilt::feed {

inline constexpr uint32_t kProtocolVersion = 1;
// Where kilt-run listens unless run.cfg says otherwise, and where the plugin connects without
// open_params.
inline constexpr char kDefaultAddress[] = "@kilt-capture";
inline constexpr char kMagic[8] = {'K', 'I', 'L', 'T', 'C', 'A', 'P', '\0'};
inline constexpr size_t kFrameHeaderSize = 8;
// The largest EVENTS payload a server sends (it announces its own value in HELLO, never more).
inline constexpr uint32_t kMaxFrame = 1 << 20;

enum FrameType : uint16_t {
  kFrameHello = 1,   // Hello
  kFrameEvents = 2,  // scap events
  kFrameDrops = 3,   // Drops
  kFrameBusy = 4,    // text: why the server refuses this consumer; the connection closes
  kFrameError = 5,   // text: the handshake failed; the connection closes
};

#pragma pack(push, 1)
struct Hello {
  char magic[8];
  uint32_t version;
  uint32_t table_hash;    // kilt::scap::kTableHash of the sender's build
  uint32_t max_frame;     // server: the largest EVENTS payload it sends; client: what it accepts
  char libs_version[16];  // NUL-padded, e.g. "0.25.4"
};
struct Drops {
  uint64_t events;  // events dropped since the server started (cumulative)
  uint64_t bytes;
};
#pragma pack(pop)

inline void PutFrameHeader(uint8_t* out, uint32_t payload_len, uint16_t type) {
  const uint16_t reserved = 0;
  std::memcpy(out, &payload_len, 4);
  std::memcpy(out + 4, &type, 2);
  std::memcpy(out + 6, &reserved, 2);
}

// Parses "@name" (abstract) or "/path" into a sockaddr_un; returns its length, 0 (and *err) if
// invalid.
size_t MakeUnixAddress(std::string_view address, struct sockaddr_un* out, std::string* err);

}  // namespace kilt::feed

#endif  // KILT_CAPTURE_FEED_PROTOCOL_H_
