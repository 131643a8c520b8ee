// Byte encodings: base64 (Basic auth, ECR tokens, pull Secrets, the webhook's JSON Patch, the macro's
// recipe variable), lowercase hex, and RFC 3986 percent-encoding (token and SigV4 URLs). Hashes need
// OpenSSL and live with their only user, registry/digest.h.
#ifndef KILT_BASE_ENCODING_H_
#define KILT_BASE_ENCODING_H_

#include <string>
#include <string_view>

namespace kilt::base {

std::string Base64Encode(std::string_view bytes);
// The same, appended to *out (the webhook writes the patch straight into its answer).
void Base64EncodeTo(std::string_view bytes, std::string* out);
// Standard base64 with or without padding; false on any other character. With `skip_whitespace`,
// spaces, tabs and line breaks are ignored (text pasted into a CloudFormation parameter).
[[nodiscard]] bool Base64Decode(std::string_view text, std::string* bytes, bool skip_whitespace = false);

std::string HexEncode(std::string_view bytes);  // lowercase

// RFC 3986 percent-encoding: unreserved characters (ALPHA DIGIT - . _ ~) stay, every other byte is %XX
// (uppercase), except '/' when keep_slash (a URI path, as SigV4 wants it).
std::string PercentEncode(std::string_view s, bool keep_slash = false);

}  // namespace kilt::base

#endif  // KILT_BASE_ENCODING_H_
