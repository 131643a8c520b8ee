// A file of its own because RAPIDJSON_SSE2 changes rapidjson's code: defined here, before any rapidjson
// header, it reaches only the in-place reader this file instantiates (no other file parses in place),
// not rapidjson's Writer, whose SSE2 variant would otherwise differ between files using it. The
// sanitizer build leaves it out: the SIMD scanner reads a string's aligned 16-byte block past its end
// (harmless, the block never crosses a page, but ASan reports it).
#if defined(__SSE2__) && !defined(__SANITIZE_ADDRESS__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif

#include "webhook/review_parse.h"

namespace kilt::webhook {

bool ParseReviewInPlace(char* text, rapidjson::Document* doc) {
  doc->ParseInsitu(text);
  return !doc->HasParseError();
}

}  // namespace kilt::webhook
