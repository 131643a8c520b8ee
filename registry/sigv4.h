// AWS Signature Version 4 (header form), enough for Amazon ECR's GetAuthorizationToken, and the ECR
// token exchange built on it. Verified against AWS's published SigV4 test-suite vectors.
#ifndef KILT_REGISTRY_SIGV4_H_
#define KILT_REGISTRY_SIGV4_H_

#include <ctime>
#include <string>

#include "net/http.h"
#include "registry/lookup.h"
#include "registry/reference.h"

namespace kilt::registry {

struct SigningScope {
  std::string region;
  std::string service;
  std::string amz_date;  // "20150830T123600Z"
};

// "YYYYMMDDTHHMMSSZ" for a UTC time.
std::string AmzDate(std::time_t t);

struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
  std::string signature;
  std::string authorization;
};

// Signs `req` (its URL's path is taken unescaped and escaped per segment; the query's pairs are
// sorted). Signs Host, X-Amz-Date, X-Amz-Security-Token (when there is a session token) and every
// header already in req.headers. Does not modify req; see SignRequest.
SignedParts ComputeSignature(const net::HttpRequest& req, const AwsCredentials& creds,
                             const SigningScope& scope);

// Adds X-Amz-Date, X-Amz-Security-Token and Authorization to req.
void SignRequest(net::HttpRequest* req, const AwsCredentials& creds, const SigningScope& scope);

// The ECR API endpoint for a registry: `override` when set, else $AWS_ENDPOINT_URL_ECR, else
// https://api.ecr[-fips].REGION.amazonaws.com[.cn].
std::string EcrEndpoint(const EcrRegistry& ecr, const std::string& override_url);

// POST / with X-Amz-Target GetAuthorizationToken for the registry's account, signed.
net::HttpRequest EcrTokenRequest(const EcrRegistry& ecr, const std::string& endpoint,
                            const AwsCredentials& creds, std::time_t now);

// authorizationData[0]: authorizationToken (base64 "AWS:password") and expiresAt (epoch seconds).
[[nodiscard]] bool ParseEcrTokenResponse(std::string_view body, RegistryCredential* out,
                                         double* expires_at, std::string* err);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_SIGV4_H_
