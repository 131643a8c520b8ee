// The Lambda Runtime API (custom runtimes): GET next invocation, POST its response or error, POST
// an initialisation error. Base URL http://$AWS_LAMBDA_RUNTIME_API/2018-06-01.
#ifndef KILT_LAMBDA_RUNTIME_API_H_
#define KILT_LAMBDA_RUNTIME_API_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace kilt::lambda {

struct Invocation {
  std::string request_id;   // Lambda-Runtime-Aws-Request-Id
  int64_t deadline_ms = 0;  // Lambda-Runtime-Deadline-Ms (Unix epoch ms); 0 when absent or invalid
  std::string body;         // the event
};

class RuntimeApi {
 public:
  // `host_port` is $AWS_LAMBDA_RUNTIME_API ("127.0.0.1:9001").
  explicit RuntimeApi(const std::string& host_port);

  // Blocks until the next invocation arrives (no read timeout: Lambda freezes us meanwhile).
  // False when the API is unreachable or answers non-200: the caller should exit.
  [[nodiscard]] bool Next(Invocation* out, std::string* err);
  [[nodiscard]] bool PostResponse(const std::string& request_id, std::string body,
                                  std::string* err);
  [[nodiscard]] bool PostError(const std::string& request_id, std::string_view type,
                               std::string_view message, std::string* err);
  [[nodiscard]] bool PostInitError(std::string_view type, std::string_view message,
                                   std::string* err);

 private:
  bool Post(const std::string& path, std::string body, bool error_body, std::string_view type,
            std::string* err);
  std::string base_;
};

// {"errorMessage": message, "errorType": type}
std::string ErrorBody(std::string_view type, std::string_view message);

}  // namespace kilt::lambda

#endif  // KILT_LAMBDA_RUNTIME_API_H_
