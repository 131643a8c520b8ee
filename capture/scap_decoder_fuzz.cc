// libFuzzer target: arbitrary bytes through the decoder, the JSON writer and the capture file
// writer's compatibility mode (which rebuilds enter events from decoded exits). `make
// fuzz-capture`.
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "capture/scap_decoder.h"
#include "capture/scap_file.h"
#include "capture/scap_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  kilt::scap::EventReader reader(in);
  kilt::scap::DecodedEvent ev;
  const char* err = nullptr;
  std::string json;
  while (reader.Next(&ev, &err)) {
    json.clear();
    kilt::scap::AppendEventJson(ev, &json);
  }
  int null_fd = open("/dev/null", O_WRONLY);
  if (null_fd >= 0) {
    kilt::scap::CaptureFileWriter w;
    std::string e;
    if (w.OpenFd(null_fd, kilt::scap::CaptureFileWriter::Options{}, &e)) {
      (void)w.Write(in, &e);
      (void)w.Close(&e);
    }
  }
  return 0;
}
