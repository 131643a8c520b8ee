// The serving certificate and key, reloaded from disk when they change (cert-manager or the Secret
// volume's atomic symlink swap) without a restart. New connections get the newest SSL_CTX; connections
// already open keep theirs (each SSL holds a reference to its SSL_CTX).
#ifndef KILT_WEBHOOK_TLS_STORE_H_
#define KILT_WEBHOOK_TLS_STORE_H_

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

namespace kilt::webhook {

class TlsStore {
 public:
  enum class Reload { kUnchanged, kReloaded, kFailed };

  TlsStore(std::string cert_file, std::string key_file);

  // Loads the pair; false with *err (naming the file and OpenSSL's reason) if unusable.
  [[nodiscard]] bool Load(std::string* err);

  // Reloads if either file changed since the last attempt (mtime, size, inode). A pair that does not
  // load or does not match (cert written, key not yet) is kFailed and the previous context stays in
  // use; the next change is tried again.
  Reload MaybeReload(std::string* err);

  // The context for a new connection (never null after a successful Load).
  std::shared_ptr<SSL_CTX> Current() const;

 private:
  std::string Stamp() const;
  bool Build(std::shared_ptr<SSL_CTX>* out, std::string* err) const;

  const std::string cert_file_, key_file_;
  std::string stamp_;
  mutable std::mutex mu_;
  std::shared_ptr<SSL_CTX> current_;
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_TLS_STORE_H_
