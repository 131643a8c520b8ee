// Byte encodings and hashes the registry client needs (base64 for Basic auth and ECR tokens, percent-
// encoding for token and SigV4 URLs, SHA-256
// for content digests and SigV4, HMAC-SHA256 for SigV4). Backed by OpenSSL's libcrypto.
#ifndef KILT_REGISTRY_ENCODING_H_
#define KILT_REGISTRY_ENCODING_H_

#include <string>
#include <string_view>

namespace kilt::registry {

std::string Base64Encode(std::string_view bytes);
// The same, appended to *out (the webhook writes the patch straight into its answer).
void Base64EncodeTo(std::string_view bytes, std::string* out);
// Accepts standard base64 with or without padding; false on any other character.
[[nodiscard]] bool Base64Decode(std::string_view text, std::string* bytes);

std::string HexEncode(std::string_view bytes);       // lowercase
// RFC 3986 percent-encoding: unreserved characters (ALPHA DIGIT - . _ ~) stay, every other byte is
// %XX (uppercase), except '/' when keep_slash (a URI path, as SigV4 wants it).
std::string PercentEncode(std::string_view s, bool keep_slash = false);
std::string Sha256(std::string_view bytes);          // raw 32 bytes
std::string Sha256Hex(std::string_view bytes);       // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_ENCODING_H_
