// Byte encodings and hashes the registry client needs (base64 for Basic auth and ECR tokens, SHA-256
// for content digests and SigV4, HMAC-SHA256 for SigV4). Backed by OpenSSL's libcrypto.
#ifndef KILT_REGISTRY_ENCODING_H_
#define KILT_REGISTRY_ENCODING_H_

#include <string>
#include <string_view>

namespace kilt::registry {

std::string Base64Encode(std::string_view bytes);
// Accepts standard base64 with or without padding; false on any other character.
[[nodiscard]] bool Base64Decode(std::string_view text, std::string* bytes);

std::string HexEncode(std::string_view bytes);       // lowercase
std::string Sha256(std::string_view bytes);          // raw 32 bytes
std::string Sha256Hex(std::string_view bytes);       // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_ENCODING_H_
