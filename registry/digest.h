// The hashes the registry client needs: SHA-256 for content digests and SigV4, HMAC-SHA256 for SigV4.
// Backed by OpenSSL's libcrypto (the encodings around them are base/encoding.h).
#ifndef KILT_REGISTRY_DIGEST_H_
#define KILT_REGISTRY_DIGEST_H_

#include <string>
#include <string_view>

namespace kilt::registry {

std::string Sha256(std::string_view bytes);                           // raw 32 bytes
std::string Sha256Hex(std::string_view bytes);                        // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_DIGEST_H_
