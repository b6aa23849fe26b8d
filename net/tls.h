/*
 * tls.h: echover's TLS glue over BearSSL, sans I/O.
 *
 * A context never touches a socket: the caller pushes the ciphertext it
 * received, pulls the ciphertext to send, pushes plaintext to protect and
 * pulls the plaintext that arrived. Contexts and buffers belong to the
 * caller (no allocation here).
 *
 * Policy (DESIGN.md section 3), enforced for both roles:
 *   - TLS 1.2 only (br_ssl_engine_set_versions(BR_TLS12, BR_TLS12));
 *   - cipher suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xC02B) and
 *     TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA9) only; the server
 *     enforces its own order: AES-GCM first when the CPU has AES-NI and
 *     PCLMUL, ChaCha20-Poly1305 first otherwise (both constant time);
 *   - ECDHE over X25519 or P-256 only; BearSSL's server picks X25519
 *     whenever the client offers it. An X25519 exchange whose shared secret
 *     is all zeros (a low-order point) is refused (RFC 7748 section 6.1):
 *     BearSSL 0.6 accepts it, and two sessions with a zero secret and the
 *     same randoms would share their master secret and thus their exporter
 *     values (the unknown key-share that RFC 7627 describes);
 *   - no renegotiation (BR_OPT_NO_RENEGOTIATION), no session resumption
 *     (no cache), no SNI, no client certificate;
 *   - the client does not validate any CA chain: it pins the server key,
 *     pin = SHA-256(SubjectPublicKeyInfo) (net/cert.h). With an expected pin
 *     any other key is refused with NT_TLS_PIN_MISMATCH; without one (trust
 *     on first use) any P-256 key is accepted and its pin is reported for
 *     the caller to store or to refuse (nt_tls_peer_pin, nt_tls_close).
 *
 * Exporter: RFC 5705 over the TLS 1.2 PRF. BearSSL 0.6 lacks the extended
 * master secret (RFC 7627), so an exporter value alone does not name the
 * server: a login bound to it must also sign the server's pin.
 *
 * Memory (x86-64, BearSSL 0.6): sizeof(nt_tls) is 5,096 bytes (a union of
 * the server context, 4,128, and the client context, 3,720, with its pinner,
 * 1,360); the I/O buffer is separate and sized by the caller. Its size sets
 * the largest record this side sends and accepts:
 *   NT_TLS_BUF_FULL  = 33,178 bytes: 16 KiB records, any TLS 1.2 peer;
 *   NT_TLS_BUF_SMALL =  8,602 bytes: 4 KiB records. A small client asks for
 *     4 KiB records with the max_fragment_length extension (RFC 6066), which
 *     BearSSL's server honours, so a full server talks to it. A small SERVER
 *     cannot ask anything (only clients send that extension): it serves small
 *     clients only, and a client that sends a larger record fails with
 *     NT_TLS_TOO_LARGE.
 * Per server connection: 38,274 bytes full, 13,698 small, 6,530 with
 * NT_TLS_BUF_MIN (512-byte records). The server loop sizes each
 * connection's buffer NT_TLS_BUF_LEN(frag) for the frag its client asks
 * for (net/tls_hello.h), so a small client costs the server little, and a
 * record above frag is refused (NT_TLS_TOO_LARGE).
 * Both directions keep their own buffer (full duplex). BearSSL's shared
 * buffer (BR_SSL_BUFSIZE_MONO, 16,709 bytes) cannot take outgoing data while
 * an incoming record is partly received, which would tie the server's pushes
 * to the client's sends; the small split buffer is smaller still and has no
 * such coupling.
 */
#ifndef ECHOVER_NT_TLS_H
#define ECHOVER_NT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "cert.h"
#include "cr_err.h"
#include "p256.h"
#include "rng.h"

/* Buffer for records up to frag bytes of plaintext (a power of two, 512 ..
 * 16384): BearSSL's worst-case record overheads, 325 bytes in, 85 out. */
#define NT_TLS_BUF_LEN(frag) (((size_t)(frag) + 325) + ((size_t)(frag) + 85))
#define NT_TLS_BUF_FULL NT_TLS_BUF_LEN(16384)
#define NT_TLS_BUF_SMALL NT_TLS_BUF_LEN(4096)
#define NT_TLS_BUF_MIN NT_TLS_BUF_LEN(512)

#define NT_TLS_PIN_LEN NT_CERT_PIN_LEN
#define NT_TLS_EXPORT_MAX 255   /* longest exporter output we hand out */
#define NT_TLS_CONTEXT_MAX 65535 /* RFC 5705: context length is a uint16 */

/* The server's key and certificate, made once and shared by all of its
 * connections (which point at it: it must outlive them). It points into
 * itself: never copy it, initialise it in place. */
typedef struct nt_tls_cred {
	uint8_t priv[CR_P256_PRIV_LEN];
	uint8_t pub[CR_P256_PUB_LEN];
	uint8_t cert[NT_CERT_MAX];
	size_t cert_len;
	br_ec_private_key sk;
	br_x509_certificate chain;
} nt_tls_cred;

/* Checks that cert carries priv's public key, then keeps copies of both. */
cr_err nt_tls_cred_init(nt_tls_cred *c, const uint8_t priv[CR_P256_PRIV_LEN],
			const uint8_t *cert, size_t cert_len) CR_MUST_CHECK;
void nt_tls_cred_wipe(nt_tls_cred *c);

/* The client's X.509 "validator": it decodes the end-entity certificate and
 * checks its key's pin. Internal; in the header only for its size. */
typedef struct nt_tls_pinner {
	const br_x509_class *vtable;
	br_x509_decoder_context dec;
	br_x509_pkey pkey;
	uint8_t q[CR_P256_PUB_LEN];
	uint8_t expected[NT_TLS_PIN_LEN];
	uint8_t seen[NT_TLS_PIN_LEN];
	bool have_expected;
	bool have_seen;
	bool mismatch;
	bool bad_cert;
	uint32_t certs; /* certificates in the chain so far */
} nt_tls_pinner;

typedef enum nt_tls_state {
	NT_TLS_HANDSHAKING, /* keep pumping bytes */
	NT_TLS_READY,       /* handshake done: application data flows */
	NT_TLS_CLOSED,      /* closed cleanly (close_notify) */
	NT_TLS_FAILED,      /* closed on an error: see nt_tls_reason() */
} nt_tls_state;

typedef enum nt_tls_reason {
	NT_TLS_OK = 0,
	NT_TLS_PIN_MISMATCH, /* the server's key is not the pinned one */
	NT_TLS_BAD_CERT,     /* the server's certificate did not decode, or not P-256 */
	NT_TLS_NO_COMMON,    /* no shared version, cipher suite or curve */
	NT_TLS_TAMPERED,     /* a record failed authentication */
	NT_TLS_TOO_LARGE,    /* a record larger than the buffer allows */
	NT_TLS_PEER_ALERT,   /* the peer sent a fatal alert */
	NT_TLS_PROTOCOL,     /* any other protocol violation */
	NT_TLS_LOCAL,        /* a local failure (bad parameter, random source) */
} nt_tls_reason;

typedef struct nt_tls {
	union {
		br_ssl_server_context server;
		struct {
			br_ssl_client_context cc;
			nt_tls_pinner pinner;
		} client;
	} u;
	br_ssl_engine_context *eng;
	bool is_client;
	bool ready_seen;
} nt_tls;

/* Initialises ctx as a server over buf[buf_len] (at least NT_TLS_BUF_MIN;
 * see NT_TLS_BUF_FULL / _SMALL). rng seeds BearSSL's generator (BearSSL also
 * mixes in the OS source). buf and cred must outlive ctx. */
cr_err nt_tls_server_init(nt_tls *ctx, const nt_tls_cred *cred, uint8_t *buf, size_t buf_len,
			  const cr_rng *rng) CR_MUST_CHECK;

/* Initialises ctx as a client. expected_pin: the pinned server key, or NULL
 * for trust on first use. The client starts its ClientHello at once. */
cr_err nt_tls_client_init(nt_tls *ctx, const uint8_t expected_pin[NT_TLS_PIN_LEN], uint8_t *buf,
			  size_t buf_len, const cr_rng *rng) CR_MUST_CHECK;

/* After a fatal error BearSSL may still have an alert to send: the status
 * turns FAILED once it is pulled, so keep pulling while nt_tls_want_write. */

/* Received ciphertext in: returns how many bytes were taken (fewer than n
 * when the engine first needs its plaintext pulled or its ciphertext sent;
 * 0 once closed or failed). */
size_t nt_tls_push_ciphertext(nt_tls *ctx, const uint8_t *p, size_t n);
/* Ciphertext to send out: copies up to cap bytes, returns the count. */
size_t nt_tls_pull_ciphertext(nt_tls *ctx, uint8_t *out, size_t cap);
/* True when nt_tls_pull_ciphertext has bytes to give (poll for writing). */
bool nt_tls_want_write(const nt_tls *ctx);
/* The same for sockets, without a copy (BearSSL's own buffers):
 *   p = nt_tls_recv_buf(t, &len); n = read(fd, p, len); nt_tls_recv_done(t, n);
 *   p = nt_tls_send_buf(t, &len); n = write(fd, p, len); nt_tls_send_done(t, n);
 * A NULL buffer means: nothing to take / nothing to send now. Reading only
 * what the engine can take means no leftover bytes to keep per connection.
 * n must not exceed len. */
uint8_t *nt_tls_recv_buf(nt_tls *ctx, size_t *len);
void nt_tls_recv_done(nt_tls *ctx, size_t n);
const uint8_t *nt_tls_send_buf(nt_tls *ctx, size_t *len);
void nt_tls_send_done(nt_tls *ctx, size_t n);

/* Plaintext to protect: returns how many bytes were taken (0 before the
 * handshake is done, or while the record buffer is full: pull ciphertext
 * first). What was taken is flushed into records at once. */
size_t nt_tls_push_plaintext(nt_tls *ctx, const uint8_t *p, size_t n);
/* Plaintext that arrived: copies up to cap bytes, returns the count. */
size_t nt_tls_pull_plaintext(nt_tls *ctx, uint8_t *out, size_t cap);
/* The same without a copy, read in place from BearSSL's buffer:
 *   p = nt_tls_app_in(t, &len); ... use k <= len bytes ...; nt_tls_app_in_done(t, k);
 * NULL (and *len 0) when no plaintext is there. The bytes stay valid until
 * nt_tls_app_in_done, which wipes the k bytes used and releases them; no
 * further record is read while some are left, so a reader that takes its
 * time holds one record, never more. */
const uint8_t *nt_tls_app_in(nt_tls *ctx, size_t *len);
void nt_tls_app_in_done(nt_tls *ctx, size_t n);

nt_tls_state nt_tls_status(nt_tls *ctx);
/* Why the context failed (NT_TLS_OK unless NT_TLS_FAILED); *br_err, if not
 * NULL, gets BearSSL's own code for logs. */
nt_tls_reason nt_tls_reason_of(const nt_tls *ctx, int *br_err);
const char *nt_tls_reason_str(nt_tls_reason r);

/* Sends close_notify; keep pulling ciphertext until the status is CLOSED. */
void nt_tls_close(nt_tls *ctx);

/* Client: the pin of the key the server presented (set once its certificate
 * was decoded, also when it mismatched). CR_ERR_STATE before that. */
cr_err nt_tls_peer_pin(const nt_tls *ctx, uint8_t pin[NT_TLS_PIN_LEN]) CR_MUST_CHECK;

/* RFC 5705 exporter with a context value (context may be empty, n = 0).
 * Only when READY (else CR_ERR_STATE); out_len at most NT_TLS_EXPORT_MAX. */
cr_err nt_tls_exporter(nt_tls *ctx, const char *label, const uint8_t *context, size_t context_len,
		       uint8_t *out, size_t out_len) CR_MUST_CHECK;

/* The negotiated cipher suite (0 before the handshake) and ECDHE curve. */
uint16_t nt_tls_cipher_suite(const nt_tls *ctx);
int nt_tls_curve(const nt_tls *ctx);

/* The largest plaintext fragment this side sends (after negotiation). */
size_t nt_tls_max_fragment(const nt_tls *ctx);

/* The restricted EC implementation both roles use: X25519 and P-256 only,
 * all-zero X25519 secrets refused. Exposed for tests. */
const br_ec_impl *nt_tls_ec(void);

/* Wipes the context and the I/O buffer it was given (keys and plaintext
 * live in both). */
void nt_tls_wipe(nt_tls *ctx);

#endif
