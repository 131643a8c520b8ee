// One HTTP/1.1 request read incrementally with Debian's libhttp-parser, which handles what kubectl and
// the apiserver send: chunked bodies without Content-Length, no Content-Type, keep-alive, pipelining.
// Limits are enforced while reading, so an oversized body is refused before it is buffered.
#ifndef KILT_WEBHOOK_HTTP_REQUEST_H_
#define KILT_WEBHOOK_HTTP_REQUEST_H_

#include <http_parser.h>

#include <cstddef>
#include <map>
#include <string>

namespace kilt::webhook {

// A request the webhook's server received. (The server side: the clients' types are net/http.h's.)
struct ServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // URL path without the query
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;
};

class RequestParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit RequestParser(size_t max_body_bytes);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Feeds bytes. Stops at the end of one request: *consumed is how many bytes belong to it (the rest
  // is the next pipelined request). After kDone, request() is complete; after kError, error_status()
  // is the HTTP status to answer with (400, 413, 431) and error() says why.
  State Feed(const char* data, size_t len, size_t* consumed);

  // Prepares for the next request on the same connection.
  void Reset();

  bool started() const { return started_; }
  const ServerRequest& request() const { return request_; }
  ServerRequest& mutable_request() { return request_; }
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }

 private:
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);
  void FlushHeader();

  const size_t max_body_;
  http_parser parser_;
  http_parser_settings settings_;
  ServerRequest request_;
  std::string url_, field_, value_;
  bool in_value_ = false;
  bool started_ = false;
  bool done_ = false;
  bool too_large_ = false;
  int error_status_ = 0;
  std::string error_;
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_HTTP_REQUEST_H_
