// Counters and a latency histogram, rendered in the Prometheus text format (version 0.0.4).
// Lock-free: workers update atomics, /metrics reads them.
#ifndef KILT_WEBHOOK_METRICS_H_
#define KILT_WEBHOOK_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "webhook/admission.h"

namespace kilt::webhook {

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};

  void CountHttp(int status);
  void CountAdmission(AdmissionOutcome outcome, double seconds);
  void CountTlsReload(bool ok);
  void CountTimeout() { timeouts_++; }
  std::string Render() const;

 private:
  std::atomic<uint64_t> http_2xx_{0}, http_4xx_{0}, http_5xx_{0};
  std::atomic<uint64_t> patched_{0}, skipped_{0}, denied_{0}, allowed_on_error_{0}, bad_request_{0};
  std::atomic<uint64_t> tls_reloads_{0}, tls_reload_errors_{0}, timeouts_{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_METRICS_H_
