// A file of its own because RAPIDJSON_SSE2 changes rapidjson's code: defined here, before any rapidjson
// header, it reaches only the in-place reader this file instantiates (no other file parses in place),
// not rapidjson's Writer, whose SSE2 variant would otherwise differ between files using it. The
// sanitizer build leaves it out: the SIMD scanner reads a string's aligned 16-byte block past its end
// (harmless, the block never crosses a page, but ASan reports it).
// (g++ says __SANITIZE_ADDRESS__; clang, which builds the fuzzer, says __has_feature(address_sanitizer).)
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILT_REVIEW_PARSE_ASAN
#endif
#endif
#if defined(__SSE2__) && !defined(__SANITIZE_ADDRESS__) && !defined(KILT_REVIEW_PARSE_ASAN) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif

#include "webhook/review_parse.h"

namespace kilt::webhook {

base::JsonParseResult ParseReviewInPlace(char* text, size_t size, rapidjson::Document* doc) {
  base::JsonLimits limits;
  limits.max_bytes = size;  // the HTTP layer enforces the body limit (--max-body-bytes)
  limits.refuse_duplicate_keys = false;
  rapidjson::InsituStringStream is(text);
  return base::json_internal::ParseLimited<rapidjson::kParseInsituFlag>(is, size, limits, doc, text, nullptr);
}

}  // namespace kilt::webhook
