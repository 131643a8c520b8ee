#include "capture/feed_protocol.h"

#include <sys/socket.h>

#include <cstddef>

namespace kilt::feed {

size_t MakeUnixAddress(std::string_view address, struct sockaddr_un* out, std::string* err) {
  std::memset(out, 0, sizeof *out);
  out->sun_family = AF_UNIX;
  const bool abstract = !address.empty() && address[0] == '@';
  std::string_view name = abstract ? address.substr(1) : address;
  if (name.empty()) {
    *err = "empty capture socket address";
    return 0;
  }
  // Abstract names take the NUL at sun_path[0]; paths need room for their terminating NUL.
  if (name.size() + 1 > sizeof out->sun_path) {
    *err = "capture socket address longer than " + std::to_string(sizeof out->sun_path - 1) +
           " bytes: " + std::string(address);
    return 0;
  }
  std::memcpy(out->sun_path + (abstract ? 1 : 0), name.data(), name.size());
  // The extra byte is the leading NUL of an abstract name (whose length is exact: no terminator),
  // or the terminating NUL of a path.
  return offsetof(struct sockaddr_un, sun_path) + name.size() + 1;
}

}  // namespace kilt::feed
