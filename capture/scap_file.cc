#include "capture/scap_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "base/file.h"
#include "capture/scap_buffer.h"
#include "capture/scap_decoder.h"
#include "capture/scap_table.h"

namespace kilt::scap {
namespace {

// libs userspace/libscap/scap_savefile.h
constexpr uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kMajorVersion = 1, kMinorVersion = 2;
constexpr uint32_t kEventBlockV2 = 0x216;

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

const EnterFromExit* EnterFor(uint16_t exit_code) {
  for (const EnterFromExit& m : kEnterFromExit) {
    if (m.exit_code == exit_code) return &m;
  }
  return nullptr;
}

}  // namespace

CaptureFileWriter::CaptureFileWriter() : buf_(new uint8_t[kBufferSize]) {}

CaptureFileWriter::~CaptureFileWriter() {
  std::string ignored;
  if (fd_ >= 0) (void)CaptureFileWriter::Close(&ignored);
}

bool CaptureFileWriter::Open(const std::string& path, const Options& options, std::string* err) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = Errno(("cannot create " + path).c_str());
    return false;
  }
  return OpenFd(fd, options, err);
}

bool CaptureFileWriter::OpenFd(int fd, const Options& options, std::string* err) {
  if (fd_ >= 0) {
    close(fd);
    *err = "capture file already open";
    return false;
  }
  fd_ = fd;
  options_ = options;
  used_ = 0;
  events_ = 0;
  return Start(err);
}

bool CaptureFileWriter::Start(std::string* err) {
  const uint32_t total = 8 + 16 + 4;      // block header, section header, trailer
  const uint64_t section_length = ~0ull;  // unknown, as libs writes it
  return Append(&kSectionHeaderBlock, 4, err) && Append(&total, 4, err) &&
         Append(&kByteOrderMagic, 4, err) && Append(&kMajorVersion, 2, err) &&
         Append(&kMinorVersion, 2, err) && Append(&section_length, 8, err) &&
         Append(&total, 4, err);
}

bool CaptureFileWriter::Write(std::string_view events, std::string* err) {
  if (fd_ < 0) {
    *err = "capture file not open";
    return false;
  }
  return ForEachEvent(events, err, [&](const DecodedEvent& ev) {
    const EnterFromExit* enter = options_.enter_events ? EnterFor(ev.type) : nullptr;
    if (enter != nullptr && enter->nparams <= ev.nparams && !WriteEnterEvent(ev, *enter, err)) {
      return false;
    }
    return WriteEvent(ev.bytes, err);
  });
}

// Header, u16 lengths, then the exit's parameters of the same names.
bool CaptureFileWriter::WriteEnterEvent(const DecodedEvent& exit, const EnterFromExit& enter,
                                        std::string* err) {
  uint8_t e[8192];  // enter events carry a few short values and at most one path
  size_t off = kEventHeaderSize + 2 * enter.nparams;
  for (uint8_t i = 0; i < enter.nparams; ++i) {
    std::string_view p = exit.params[enter.exit_param[i]];
    if (off + p.size() > sizeof e) return true;  // no enter event rather than a cut one
    uint16_t l = static_cast<uint16_t>(p.size());
    std::memcpy(e + kEventHeaderSize + 2 * i, &l, 2);
    std::memcpy(e + off, p.data(), p.size());
    off += p.size();
  }
  const uint32_t len = static_cast<uint32_t>(off), n = enter.nparams;
  std::memcpy(e, &exit.ts, 8);
  std::memcpy(e + 8, &exit.tid, 8);
  std::memcpy(e + 16, &len, 4);
  std::memcpy(e + 20, &enter.enter_code, 2);
  std::memcpy(e + 22, &n, 4);
  return WriteEvent(std::string_view(reinterpret_cast<char*>(e), off), err);
}

bool CaptureFileWriter::WriteEvent(std::string_view event, std::string* err) {
  const uint16_t cpuid = 0;
  const size_t body = 2 + event.size();
  const size_t padded = (body + 3) & ~size_t{3};
  const uint32_t total = static_cast<uint32_t>(8 + padded + 4);
  static const uint8_t kZeros[4] = {0, 0, 0, 0};
  if (!Append(&kEventBlockV2, 4, err) || !Append(&total, 4, err) || !Append(&cpuid, 2, err) ||
      !Append(event.data(), event.size(), err) || !Append(kZeros, padded - body, err) ||
      !Append(&total, 4, err)) {
    return false;
  }
  ++events_;
  return true;
}

bool CaptureFileWriter::Append(const void* data, size_t n, std::string* err) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    if (used_ == kBufferSize && !Flush(err)) return false;
    size_t take = n < kBufferSize - used_ ? n : kBufferSize - used_;
    std::memcpy(buf_.get() + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
  }
  return true;
}

bool CaptureFileWriter::Flush(std::string* err) {
  if (!base::WriteAll(fd_, std::string_view(reinterpret_cast<char*>(buf_.get()), used_))) {
    *err = Errno("writing the capture file");
    return false;
  }
  used_ = 0;
  return true;
}

bool CaptureFileWriter::Close(std::string* err) {
  if (fd_ < 0) return true;
  bool ok = Flush(err);
  if (close(fd_) != 0 && ok) {
    *err = Errno("closing the capture file");
    ok = false;
  }
  fd_ = -1;
  return ok;
}

}  // namespace kilt::scap
