#include "webhook/metrics.h"

#include <cstdio>

namespace kilt::webhook {

void Metrics::CountHttp(int status) {
  if (status >= 500)
    http_5xx_++;
  else if (status >= 400)
    http_4xx_++;
  else
    http_2xx_++;
}

void Metrics::CountAdmission(AdmissionOutcome outcome, double seconds) {
  switch (outcome) {
    case AdmissionOutcome::kPatched: patched_++; break;
    case AdmissionOutcome::kSkipped: skipped_++; break;
    case AdmissionOutcome::kDenied: denied_++; break;
    case AdmissionOutcome::kAllowedOnError: allowed_on_error_++; break;
    case AdmissionOutcome::kBadRequest: bad_request_++; break;
  }
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) i++;
  buckets_[i]++;
  count_++;
  sum_micros_ += static_cast<uint64_t>(seconds * 1e6);
}

void Metrics::CountTlsReload(bool ok) { (ok ? tls_reloads_ : tls_reload_errors_)++; }

std::string Metrics::Render() const {
  std::string out;
  char line[256];
  auto add = [&](const char* fmt, auto... args) {
    snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  out += "# HELP kilt_webhook_http_responses_total HTTP responses by status class.\n";
  out += "# TYPE kilt_webhook_http_responses_total counter\n";
  add("kilt_webhook_http_responses_total{code=\"2xx\"} %llu\n", (unsigned long long)http_2xx_.load());
  add("kilt_webhook_http_responses_total{code=\"4xx\"} %llu\n", (unsigned long long)http_4xx_.load());
  add("kilt_webhook_http_responses_total{code=\"5xx\"} %llu\n", (unsigned long long)http_5xx_.load());
  out += "# HELP kilt_webhook_admission_requests_total AdmissionReview requests by result.\n";
  out += "# TYPE kilt_webhook_admission_requests_total counter\n";
  add("kilt_webhook_admission_requests_total{result=\"patched\"} %llu\n", (unsigned long long)patched_.load());
  add("kilt_webhook_admission_requests_total{result=\"skipped\"} %llu\n", (unsigned long long)skipped_.load());
  add("kilt_webhook_admission_requests_total{result=\"denied\"} %llu\n", (unsigned long long)denied_.load());
  add("kilt_webhook_admission_requests_total{result=\"allowed_on_error\"} %llu\n",
      (unsigned long long)allowed_on_error_.load());
  add("kilt_webhook_admission_requests_total{result=\"bad_request\"} %llu\n",
      (unsigned long long)bad_request_.load());
  out += "# HELP kilt_webhook_errors_total Errors: pods admitted or denied because of an error, timeouts.\n";
  out += "# TYPE kilt_webhook_errors_total counter\n";
  add("kilt_webhook_errors_total{kind=\"admission\"} %llu\n",
      (unsigned long long)(denied_.load() + allowed_on_error_.load()));
  add("kilt_webhook_errors_total{kind=\"timeout\"} %llu\n", (unsigned long long)timeouts_.load());
  add("kilt_webhook_errors_total{kind=\"tls_reload\"} %llu\n", (unsigned long long)tls_reload_errors_.load());
  out += "# HELP kilt_webhook_tls_reloads_total Serving certificate reloads.\n";
  out += "# TYPE kilt_webhook_tls_reloads_total counter\n";
  add("kilt_webhook_tls_reloads_total %llu\n", (unsigned long long)tls_reloads_.load());
  out += "# HELP kilt_webhook_admission_duration_seconds Time to review one AdmissionReview.\n";
  out += "# TYPE kilt_webhook_admission_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); i++) {
    cumulative += buckets_[i].load();
    add("kilt_webhook_admission_duration_seconds_bucket{le=\"%g\"} %llu\n", kBuckets[i],
        (unsigned long long)cumulative);
  }
  cumulative += buckets_[kBuckets.size()].load();
  add("kilt_webhook_admission_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
  add("kilt_webhook_admission_duration_seconds_sum %.6f\n", sum_micros_.load() / 1e6);
  add("kilt_webhook_admission_duration_seconds_count %llu\n", (unsigned long long)count_.load());
  return out;
}

}  // namespace kilt::webhook
