// Diagnostics: the one-line messages a program writes about itself to stderr ("kilt-local: cannot
// create ...: No such file or directory"), and the text of errno.
#ifndef KILT_BASE_DIAG_H_
#define KILT_BASE_DIAG_H_

#include <cstdarg>
#include <string>
#include <string_view>

namespace kilt::base {

// Writes "PREFIX: " + printf(fmt, ...) + "\n" to stderr with one write(2), so that lines stay whole when
// containers, agents and the program share the stream. Allocates nothing (a 2 KiB buffer on the stack;
// a longer message is cut), so PID-1 code may call it.
void Say(const char* prefix, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void VSay(const char* prefix, const char* fmt, va_list ap);

// `what` + ": " + strerror(errno), e.g. ErrnoMessage("pipe2") == "pipe2: Too many open files".
std::string ErrnoMessage(std::string_view what);

}  // namespace kilt::base

#endif  // KILT_BASE_DIAG_H_
