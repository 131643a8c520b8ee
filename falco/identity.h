/* identity.h — the container's identity for Falco's container plugin (static engine), as
 * /kilt/falco/start finds it before it execs Falco. See docs/falco.md, "The container's identity".
 *
 * Where it comes from, first match wins for each field:
 *  1. KILT_CONTAINER_ID / _NAME / _IMAGE, KILT_TASK, KILT_PLATFORM already in the environment (the EKS
 *     webhook sets the container's name and image this way; anyone may override);
 *  2. ECS: the task metadata endpoint v4 ($ECS_CONTAINER_METADATA_URI_V4, plain HTTP GET): DockerId, Name,
 *     Image and the label com.amazonaws.ecs.task-arn; if it cannot be read, the last path element of the
 *     URI (the DockerId on Fargate) and the hostname;
 *  3. EKS (KILT_POD_NAME or KILT_POD_UID set, through the Downward API): the container id from
 *     /proc/self/cgroup when it names one, else <pod uid>/<container name>; task = <namespace>/<pod>;
 *  4. elsewhere: the container id from /proc/self/cgroup, else the hostname.
 * Every field ends up non-empty (the container plugin's schema requires it; an empty output format stops
 * Falco; task is "none" when there is none) and free of '$', '%' and control characters ('$' would be
 * re-expanded by Falco's ${VAR} substitution, '%' read as a field in an output format; no legitimate value
 * has one).
 *
 * The parsing functions are pure (text in, struct out) and unit-tested (identity_test.cc); the HTTP GET
 * is tested against a loopback server. Nothing here allocates: fixed buffers, truncating.
 */
#ifndef KILT_FALCO_IDENTITY_H_
#define KILT_FALCO_IDENTITY_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILT_ID_FIELD 1024

typedef struct kilt_identity {
  char id[KILT_ID_FIELD];       /* container.id */
  char name[KILT_ID_FIELD];     /* container.name */
  char image[KILT_ID_FIELD];    /* container.image */
  char task[KILT_ID_FIELD];     /* ECS task ARN, or <namespace>/<pod> on EKS */
  char platform[16];            /* "ecs", "eks" or "none" */
  char source[64];              /* how the identity was found, for the one stderr line */
} kilt_identity;

/* Reads the ECS task metadata v4 *container* response (the JSON object served at
 * $ECS_CONTAINER_METADATA_URI_V4): DockerId, Name, Image and Labels["com.amazonaws.ecs.task-arn"] into
 * id, name, image, task (fields it does not find are left as they are). Strings are JSON-decoded (UTF-8).
 * Returns 0 when the text is one well-formed JSON object with a non-empty DockerId, else -1 with a reason
 * in err. */
int kilt_parse_ecs_metadata(const char* json, size_t len, kilt_identity* out, char* err, size_t errlen);

/* The container id named by a /proc/<pid>/cgroup text: the first 64-hex-digit run in the last element of a
 * cgroup path (docker, containerd, cri-o and systemd-style "docker-<id>.scope" forms), cut to the usual 12
 * characters. Returns 0 and writes id (>= 13 bytes), or -1 when no path names a container (cgroup v2 with
 * a private namespace shows "0::/"). */
int kilt_container_id_from_cgroup(const char* text, size_t len, char* id, size_t idcap);

/* The last non-empty path element of an URL ("http://169.254.170.2/v4/abc-123" -> "abc-123").
 * Returns 0, or -1 when there is none. */
int kilt_url_last_element(const char* url, char* out, size_t cap);

/* HTTP/1.0 GET of an http:// URL (no TLS: the ECS endpoint is plain HTTP on a link-local address), with
 * an overall deadline of timeout_ms. Only status 200 counts; chunked bodies are decoded. Writes the body
 * NUL-terminated into body (cap bytes including the NUL; a longer body is an error) and its length into
 * *len. Returns 0, or -1 with a reason in err ("connect 169.254.170.2:80: Connection refused", "timed out
 * after 1000 ms", "HTTP 404", ...). */
int kilt_http_get(const char* url, int timeout_ms, char* body, size_t cap, size_t* len, char* err,
                  size_t errlen);

/* Where the environment and the system are read from: the real ones in /kilt/falco/start, fakes in tests. */
typedef struct kilt_identity_env {
  const char* (*getenv)(const char* name);
  /* Reads a whole small file (/proc/self/cgroup) into buf; returns its length or -1. */
  long (*read_file)(const char* path, char* buf, size_t cap);
  /* gethostname(); returns 0 or -1. */
  int (*hostname)(char* buf, size_t cap);
  int metadata_timeout_ms;
  int metadata_attempts;
} kilt_identity_env;

/* Fills *out following the order above. Writes at most one line of explanation into note (empty when
 * everything came from where it should: warnings such as "ECS task metadata unavailable (...)"). */
void kilt_resolve_identity(const kilt_identity_env* env, kilt_identity* out, char* note, size_t notecap);

#ifdef __cplusplus
}
#endif

#endif /* KILT_FALCO_IDENTITY_H_ */
