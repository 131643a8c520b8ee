// Parses an AdmissionReview in place, scanning strings with SSE2 on x86-64 (every x86-64 CPU has it):
// about 4 % of a review's instructions (callgrind), the parse being a fifth of them. The limits are
// base/json_parse.h's (one reader for all of Kilt's JSON): a review nested deeper than
// base::kMaxJsonDepth is refused, not parsed into a stack overflow.
#ifndef KILT_WEBHOOK_REVIEW_PARSE_H_
#define KILT_WEBHOOK_REVIEW_PARSE_H_

#include <rapidjson/document.h>

#include "base/json_parse.h"

namespace kilt::webhook {

// Parses the NUL-terminated `text` (`size` bytes before the NUL) into *doc, in place (doc's strings
// point into text, which must outlive it). Duplicate member names are not looked for: the apiserver
// writes the review.
base::JsonParseResult ParseReviewInPlace(char* text, size_t size, rapidjson::Document* doc);

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_REVIEW_PARSE_H_
