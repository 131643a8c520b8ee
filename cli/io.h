// What the kilt subcommands read and show besides base/file.h: an input that may be stdin, and a diff.
#ifndef KILT_CLI_IO_H_
#define KILT_CLI_IO_H_

#include <cstddef>
#include <string>

#include "base/file.h"

namespace kilt::cli {

// Reads `path` ("-" = stdin) into *out. Returns false and sets *err ("PATH: reason") on failure, also
// when the input holds more than `max_bytes` ("PATH: larger than N bytes"; reading stops there).
[[nodiscard]] bool ReadInput(const std::string& path, std::string* out, std::string* err,
                             size_t max_bytes = base::kNoSizeLimit);

// Runs `diff -u` between two texts labelled a/LABEL and b/LABEL, writing the diff to stdout.
// Returns false and sets *err when diff cannot run.
[[nodiscard]] bool PrintUnifiedDiff(const std::string& label, const std::string& before, const std::string& after,
                                    std::string* err);

}  // namespace kilt::cli

#endif  // KILT_CLI_IO_H_
