#include "webhook/tls_store.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>

namespace kilt::webhook {
namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return e ? buf : "unknown OpenSSL error";
}

}  // namespace

TlsStore::TlsStore(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

std::string TlsStore::Stamp() const {
  std::string s;
  for (const std::string* f : {&cert_file_, &key_file_}) {
    struct stat st;
    if (stat(f->c_str(), &st) != 0) return "missing";
    s += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return s;
}

bool TlsStore::Build(std::shared_ptr<SSL_CTX>* out, std::string* err) const {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    *err = "SSL_CTX_new: " + OpenSslError();
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file_.c_str()) != 1) {
    *err = "certificate " + cert_file_ + ": " + OpenSslError() + " (expected a PEM certificate chain)";
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file_.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      *err = "key " + key_file_ + " does not match certificate " + cert_file_ +
             ": install the key the certificate was issued for";
    } else {
      *err = "key " + key_file_ + ": " + OpenSslError() + " (expected a PEM private key)";
    }
    return false;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    *err = "key " + key_file_ + " does not match certificate " + cert_file_ + ": " + OpenSslError();
    return false;
  }
  *out = std::move(ctx);
  return true;
}

bool TlsStore::Load(std::string* err) {
  stamp_ = Stamp();
  std::shared_ptr<SSL_CTX> ctx;
  if (!Build(&ctx, err)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(ctx);
  return true;
}

TlsStore::Reload TlsStore::MaybeReload(std::string* err) {
  std::string stamp = Stamp();
  if (stamp == stamp_) return Reload::kUnchanged;
  stamp_ = stamp;
  std::shared_ptr<SSL_CTX> ctx;
  if (!Build(&ctx, err)) return Reload::kFailed;
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(ctx);
  return Reload::kReloaded;
}

std::shared_ptr<SSL_CTX> TlsStore::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

}  // namespace kilt::webhook
