#include "webhook/http_request.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>

namespace kilt::webhook {

RequestParser::RequestParser(size_t max_body_bytes) : max_body_(max_body_bytes) {
  http_parser_settings_init(&settings_);
  settings_.on_url = OnUrl;
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_body = OnBody;
  settings_.on_message_complete = OnMessageComplete;
  Reset();
}

void RequestParser::Reset() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  request_ = ServerRequest();
  url_.clear();
  field_.clear();
  value_.clear();
  in_value_ = started_ = done_ = too_large_ = false;
  error_status_ = 0;
  error_.clear();
}

RequestParser::State RequestParser::Feed(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (len == 0) return State::kNeedMore;
  started_ = true;
  size_t n = http_parser_execute(&parser_, &settings_, data, len);
  *consumed = n;
  http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (done_) {
    // on_message_complete paused the parser so that pipelined bytes stay unconsumed.
    return State::kDone;
  }
  if (err != HPE_OK) {
    if (too_large_) {
      error_status_ = 413;
      error_ = "request body larger than " + std::to_string(max_body_) + " bytes";
    } else if (err == HPE_HEADER_OVERFLOW) {
      error_status_ = 431;
      error_ = "request headers too large";
    } else {
      error_status_ = 400;
      error_ = std::string("malformed HTTP request: ") + http_errno_description(err);
    }
    return State::kError;
  }
  return State::kNeedMore;
}

int RequestParser::OnUrl(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<RequestParser*>(p->data);
  if (self->url_.size() + len > 8192) return 1;
  self->url_.append(at, len);
  return 0;
}

void RequestParser::FlushHeader() {
  if (field_.empty()) return;
  std::string name = field_;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string& slot = request_.headers[name];
  slot = slot.empty() ? value_ : slot + ", " + value_;
  field_.clear();
  value_.clear();
}

int RequestParser::OnHeaderField(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<RequestParser*>(p->data);
  if (self->in_value_) {
    self->FlushHeader();
    self->in_value_ = false;
  }
  self->field_.append(at, len);
  return 0;
}

int RequestParser::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->in_value_ = true;
  self->value_.append(at, len);
  return 0;
}

int RequestParser::OnHeadersComplete(http_parser* p) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->FlushHeader();
  self->request_.method = http_method_str(static_cast<http_method>(p->method));
  const std::string& url = self->url_;
  size_t q = url.find('?');
  self->request_.path = url.substr(0, q);
  if (q != std::string::npos) self->request_.query = url.substr(q + 1);
  // A declared Content-Length over the limit is refused before any body byte is read.
  if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX &&
      p->content_length > self->max_body_) {
    self->too_large_ = true;
    return -1;  // 1 would mean "no body" to http_parser, not an error
  }
  // The body arrives in pieces (TLS records); one allocation instead of a growing string's copies.
  // Capped: a declared length is only a promise, and memory should follow the bytes that arrive.
  if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX)
    self->request_.body.reserve(static_cast<size_t>(std::min<uint64_t>(p->content_length, 256 << 10)));
  return 0;
}

int RequestParser::OnBody(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<RequestParser*>(p->data);
  if (self->request_.body.size() + len > self->max_body_) {
    self->too_large_ = true;
    return 1;
  }
  self->request_.body.append(at, len);
  return 0;
}

int RequestParser::OnMessageComplete(http_parser* p) {
  auto* self = static_cast<RequestParser*>(p->data);
  self->request_.keep_alive = http_should_keep_alive(p) != 0;
  self->done_ = true;
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace kilt::webhook
