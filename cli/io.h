// File helpers for the kilt subcommands: whole-file reads and atomic writes (nothing half-written).
#ifndef KILT_CLI_IO_H_
#define KILT_CLI_IO_H_

#include <string>

namespace kilt {

// Reads `path` ("-" = stdin) into *out. Returns false and sets *err ("PATH: reason") on failure, also
// when the file holds more than `max_bytes` (reading stops there: memory follows the limit).
[[nodiscard]] bool ReadWholeFile(const std::string& path, std::string* out, std::string* err,
                                 size_t max_bytes = static_cast<size_t>(-1));

// Writes `data` to `path` through a temporary file in the same directory and rename(2), so readers see
// the old file or the new one, never a part.
[[nodiscard]] bool WriteFileAtomically(const std::string& path, const std::string& data, std::string* err);

// Runs `diff -u` between two texts labelled a/LABEL and b/LABEL, writing the diff to stdout.
// Returns false and sets *err when diff cannot run.
[[nodiscard]] bool PrintUnifiedDiff(const std::string& label, const std::string& before, const std::string& after,
                                    std::string* err);

}  // namespace kilt

#endif  // KILT_CLI_IO_H_
