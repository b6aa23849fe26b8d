#include "tls.h"

#include <string.h>

#include "hash.h"
#include "wipe.h"

/* BearSSL's worst-case record overheads (ssl_engine.c): what
 * NT_TLS_BUF_LEN() adds to each direction. */
#define IN_OVERHEAD 325
#define OUT_OVERHEAD 85

/* Bytes of the caller's random source mixed into BearSSL's HMAC_DRBG. */
#define SEED_LEN 32

/* ---- EC: X25519 and P-256 only --------------------------------------- */

#define NT_CURVES ((uint32_t)1 << BR_EC_curve25519 | (uint32_t)1 << BR_EC_secp256r1)

static bool curve_ok(int curve)
{
	return curve >= 0 && curve < 32 && ((NT_CURVES >> curve) & 1) != 0;
}

static const unsigned char *ec_generator(int curve, size_t *len)
{
	return br_ec_get_default()->generator(curve, len);
}

static const unsigned char *ec_order(int curve, size_t *len)
{
	return br_ec_get_default()->order(curve, len);
}

static size_t ec_xoff(int curve, size_t *len)
{
	return br_ec_get_default()->xoff(curve, len);
}

/* ECDH: both TLS roles compute their shared secret here. For X25519 an
 * all-zero result means the peer sent a low-order point: RFC 7748 section
 * 6.1 "MAY check ... and abort if so"; we must, because the TLS 1.2 master
 * secret would then depend on the randoms alone (see tls.h). */
static uint32_t ec_mul(unsigned char *g, size_t glen, const unsigned char *x, size_t xlen, int curve)
{
	if (!curve_ok(curve))
		return 0;
	uint32_t r = br_ec_get_default()->mul(g, glen, x, xlen, curve);
	if (curve == BR_EC_curve25519) {
		unsigned acc = 0;
		for (size_t i = 0; i < glen; i++)
			acc |= g[i];
		r &= (acc + 0xff) >> 8; /* 1 iff some byte is non-zero, without a branch */
	}
	return r;
}

static size_t ec_mulgen(unsigned char *r, const unsigned char *x, size_t xlen, int curve)
{
	if (!curve_ok(curve))
		return 0;
	return br_ec_get_default()->mulgen(r, x, xlen, curve);
}

static uint32_t ec_muladd(unsigned char *a, const unsigned char *b, size_t len, const unsigned char *x,
			  size_t xlen, const unsigned char *y, size_t ylen, int curve)
{
	if (curve != BR_EC_secp256r1)
		return 0;
	return br_ec_get_default()->muladd(a, b, len, x, xlen, y, ylen, curve);
}

static const br_ec_impl NT_EC = {
	NT_CURVES, ec_generator, ec_order, ec_xoff, ec_mul, ec_mulgen, ec_muladd,
};

const br_ec_impl *nt_tls_ec(void)
{
	return &NT_EC;
}

/* ---- the client's pinning X.509 "validator" ----------------------------- */

static nt_tls_pinner *pinner_of(const br_x509_class **ctx)
{
	/* vtable is the first field: the usual BearSSL object layout. */
	return (nt_tls_pinner *)(void *)ctx;
}

static void pin_start_chain(const br_x509_class **ctx, const char *server_name)
{
	nt_tls_pinner *p = pinner_of(ctx);
	(void)server_name; /* the pin names the server, not a DNS name */
	p->certs = 0;
	p->have_seen = false;
	p->mismatch = false;
	p->bad_cert = false;
	memset(&p->pkey, 0, sizeof p->pkey);
}

static void pin_start_cert(const br_x509_class **ctx, uint32_t length)
{
	nt_tls_pinner *p = pinner_of(ctx);
	(void)length;
	if (p->certs == 0)
		br_x509_decoder_init(&p->dec, NULL, NULL);
}

static void pin_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	nt_tls_pinner *p = pinner_of(ctx);
	/* Only the end-entity certificate matters: the pin covers its key,
	 * and nothing else in the chain is trusted or used. */
	if (p->certs == 0)
		br_x509_decoder_push(&p->dec, buf, len);
}

static void pin_end_cert(const br_x509_class **ctx)
{
	nt_tls_pinner *p = pinner_of(ctx);
	if (p->certs++ != 0)
		return;
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&p->dec);
	if (pk == NULL || pk->key_type != BR_KEYTYPE_EC || pk->key.ec.curve != BR_EC_secp256r1 ||
	    pk->key.ec.qlen != CR_P256_PUB_LEN || pk->key.ec.q[0] != 0x04) {
		p->bad_cert = true;
		return;
	}
	memcpy(p->q, pk->key.ec.q, CR_P256_PUB_LEN);
	p->pkey.key_type = BR_KEYTYPE_EC;
	p->pkey.key.ec.curve = BR_EC_secp256r1;
	p->pkey.key.ec.q = p->q;
	p->pkey.key.ec.qlen = CR_P256_PUB_LEN;
	nt_cert_pin(p->seen, p->q);
	p->have_seen = true;
	if (p->have_expected && !cr_ct_equal(p->seen, p->expected, NT_TLS_PIN_LEN))
		p->mismatch = true;
}

static unsigned pin_end_chain(const br_x509_class **ctx)
{
	nt_tls_pinner *p = pinner_of(ctx);
	if (p->certs == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (p->bad_cert || !p->have_seen)
		return BR_ERR_X509_UNSUPPORTED;
	if (p->mismatch)
		return BR_ERR_X509_NOT_TRUSTED;
	return 0;
}

static const br_x509_pkey *pin_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const nt_tls_pinner *p = (const nt_tls_pinner *)(const void *)ctx;
	if (!p->have_seen || p->mismatch || p->bad_cert)
		return NULL;
	/* ECDHE_ECDSA needs a signing key; no static ECDH. */
	if (usages != NULL)
		*usages = BR_KEYTYPE_SIGN;
	return &p->pkey;
}

static const br_x509_class PINNER_VTABLE = {
	sizeof(nt_tls_pinner), pin_start_chain, pin_start_cert, pin_append,
	pin_end_cert,          pin_end_chain,   pin_get_pkey,
};

/* ---- common engine set-up ------------------------------------------------ */

/* AES-GCM is fastest with AES-NI and PCLMUL; without them BearSSL's
 * constant-time AES is slow and ChaCha20-Poly1305 is the better choice. */
static void set_suites(br_ssl_engine_context *eng)
{
	static const uint16_t GCM_FIRST[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	static const uint16_t CHAPOL_FIRST[] = {
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	};
	bool hw = br_aes_x86ni_ctr_get_vtable() != NULL && br_ghash_pclmul_get() != 0;
	br_ssl_engine_set_suites(eng, hw ? GCM_FIRST : CHAPOL_FIRST, 2);
}

static void set_common(br_ssl_engine_context *eng)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	set_suites(eng);
	/* TLS 1.2 with these suites needs SHA-256 only: PRF, transcript and
	 * the ServerKeyExchange signature hash. */
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_ec(eng, &NT_EC);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_add_flags(eng, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
}

/* Splits buf into an input and an output part for the largest record size
 * that fits (BearSSL's own split favours input and leaves the output at
 * 512 bytes below the full size). */
static cr_err set_buffers(br_ssl_engine_context *eng, uint8_t *buf, size_t buf_len)
{
	size_t frag;
	for (frag = 16384; frag >= 512; frag >>= 1) {
		if (frag == 8192)
			continue; /* RFC 6066 has no 2^13 code */
		if (buf_len >= NT_TLS_BUF_LEN(frag))
			break;
	}
	if (frag < 512 || buf == NULL)
		return CR_ERR_ARG;
	br_ssl_engine_set_buffers_bidi(eng, buf, frag + IN_OVERHEAD, buf + frag + IN_OVERHEAD,
				       frag + OUT_OVERHEAD);
	return CR_OK;
}

static cr_err seed(br_ssl_engine_context *eng, const cr_rng *rng)
{
	uint8_t s[SEED_LEN];
	cr_err err = cr_random(rng, s, sizeof s);
	if (err == CR_OK)
		br_ssl_engine_inject_entropy(eng, s, sizeof s);
	cr_wipe(s, sizeof s);
	return err;
}

/* ---- credentials ---------------------------------------------------------- */

cr_err nt_tls_cred_init(nt_tls_cred *c, const uint8_t priv[CR_P256_PRIV_LEN], const uint8_t *cert,
			size_t cert_len)
{
	uint8_t cert_pub[CR_P256_PUB_LEN];
	cr_err err;

	memset(c, 0, sizeof *c);
	CR_ENSURE(cert != NULL && cert_len > 0, CR_ERR_ARG);
	CR_ENSURE(cert_len <= NT_CERT_MAX, CR_ERR_LIMIT);
	CR_CHECK(cr_p256_public(c->pub, priv));
	CR_CHECK(nt_cert_public_key(cert, cert_len, cert_pub));
	if (memcmp(cert_pub, c->pub, CR_P256_PUB_LEN) != 0) {
		err = CR_ERR_INVALID;
		goto out;
	}
	memcpy(c->priv, priv, CR_P256_PRIV_LEN);
	memcpy(c->cert, cert, cert_len);
	c->cert_len = cert_len;
	c->sk.curve = BR_EC_secp256r1;
	c->sk.x = c->priv;
	c->sk.xlen = CR_P256_PRIV_LEN;
	c->chain.data = c->cert;
	c->chain.data_len = c->cert_len;
out:
	if (err)
		nt_tls_cred_wipe(c);
	return err;
}

void nt_tls_cred_wipe(nt_tls_cred *c)
{
	cr_wipe(c, sizeof *c);
}

/* ---- init ------------------------------------------------------------------ */

cr_err nt_tls_server_init(nt_tls *ctx, const nt_tls_cred *cred, uint8_t *buf, size_t buf_len,
			  const cr_rng *rng)
{
	memset(ctx, 0, sizeof *ctx);
	CR_ENSURE(cred != NULL && cred->cert_len > 0, CR_ERR_ARG);
	br_ssl_server_context *sc = &ctx->u.server;
	ctx->eng = &sc->eng;
	ctx->is_client = false;

	br_ssl_server_zero(sc);
	set_common(ctx->eng);
	/* BearSSL only reads the key and certificate through these. */
	br_ssl_server_set_single_ec(sc, &cred->chain, 1, &cred->sk, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
				    &NT_EC, br_ecdsa_sign_asn1_get_default());
	CR_TRY(set_buffers(ctx->eng, buf, buf_len));
	CR_TRY(seed(ctx->eng, rng));
	if (!br_ssl_server_reset(sc))
		return CR_ERR_STATE;
	return CR_OK;
}

cr_err nt_tls_client_init(nt_tls *ctx, const uint8_t expected_pin[NT_TLS_PIN_LEN], uint8_t *buf,
			  size_t buf_len, const cr_rng *rng)
{
	memset(ctx, 0, sizeof *ctx);
	br_ssl_client_context *cc = &ctx->u.client.cc;
	nt_tls_pinner *p = &ctx->u.client.pinner;
	ctx->eng = &cc->eng;
	ctx->is_client = true;

	p->vtable = &PINNER_VTABLE;
	if (expected_pin != NULL) {
		memcpy(p->expected, expected_pin, NT_TLS_PIN_LEN);
		p->have_expected = true;
	}

	br_ssl_client_zero(cc);
	set_common(ctx->eng);
	br_ssl_engine_set_ecdsa(ctx->eng, br_ecdsa_vrfy_asn1_get_default());
	br_ssl_engine_set_x509(ctx->eng, &p->vtable);
	CR_TRY(set_buffers(ctx->eng, buf, buf_len));
	CR_TRY(seed(ctx->eng, rng));
	if (!br_ssl_client_reset(cc, NULL, 0))
		return CR_ERR_STATE;
	return CR_OK;
}

/* ---- byte pumps ------------------------------------------------------------- */

size_t nt_tls_push_ciphertext(nt_tls *ctx, const uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		size_t len;
		unsigned char *b = br_ssl_engine_recvrec_buf(ctx->eng, &len);
		if (b == NULL)
			break;
		size_t k = len < n - done ? len : n - done;
		memcpy(b, p + done, k);
		br_ssl_engine_recvrec_ack(ctx->eng, k);
		done += k;
	}
	return done;
}

size_t nt_tls_pull_ciphertext(nt_tls *ctx, uint8_t *out, size_t cap)
{
	size_t done = 0;
	while (done < cap) {
		size_t len;
		unsigned char *b = br_ssl_engine_sendrec_buf(ctx->eng, &len);
		if (b == NULL)
			break;
		size_t k = len < cap - done ? len : cap - done;
		memcpy(out + done, b, k);
		br_ssl_engine_sendrec_ack(ctx->eng, k);
		done += k;
	}
	return done;
}

uint8_t *nt_tls_recv_buf(nt_tls *ctx, size_t *len)
{
	uint8_t *b = br_ssl_engine_recvrec_buf(ctx->eng, len);
	if (b == NULL)
		*len = 0;
	return b;
}

void nt_tls_recv_done(nt_tls *ctx, size_t n)
{
	if (n > 0)
		br_ssl_engine_recvrec_ack(ctx->eng, n);
}

const uint8_t *nt_tls_send_buf(nt_tls *ctx, size_t *len)
{
	const uint8_t *b = br_ssl_engine_sendrec_buf(ctx->eng, len);
	if (b == NULL)
		*len = 0;
	return b;
}

void nt_tls_send_done(nt_tls *ctx, size_t n)
{
	if (n > 0)
		br_ssl_engine_sendrec_ack(ctx->eng, n);
}

bool nt_tls_want_write(const nt_tls *ctx)
{
	return (br_ssl_engine_current_state(ctx->eng) & BR_SSL_SENDREC) != 0;
}

size_t nt_tls_push_plaintext(nt_tls *ctx, const uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		size_t len;
		unsigned char *b = br_ssl_engine_sendapp_buf(ctx->eng, &len);
		if (b == NULL)
			break;
		size_t k = len < n - done ? len : n - done;
		memcpy(b, p + done, k);
		br_ssl_engine_sendapp_ack(ctx->eng, k);
		done += k;
	}
	if (done > 0)
		br_ssl_engine_flush(ctx->eng, 0);
	return done;
}

size_t nt_tls_pull_plaintext(nt_tls *ctx, uint8_t *out, size_t cap)
{
	size_t done = 0;
	while (done < cap) {
		size_t len;
		unsigned char *b = br_ssl_engine_recvapp_buf(ctx->eng, &len);
		if (b == NULL)
			break;
		size_t k = len < cap - done ? len : cap - done;
		memcpy(out + done, b, k);
		/* Plaintext may be secret: do not leave a copy in the engine. */
		cr_wipe(b, k);
		br_ssl_engine_recvapp_ack(ctx->eng, k);
		done += k;
	}
	return done;
}

const uint8_t *nt_tls_app_in(nt_tls *ctx, size_t *len)
{
	const uint8_t *b = br_ssl_engine_recvapp_buf(ctx->eng, len);
	if (b == NULL)
		*len = 0;
	return b;
}

void nt_tls_app_in_done(nt_tls *ctx, size_t n)
{
	size_t len;
	unsigned char *b = br_ssl_engine_recvapp_buf(ctx->eng, &len);
	if (b == NULL || n == 0)
		return;
	if (n > len)
		n = len;
	cr_wipe(b, n);
	br_ssl_engine_recvapp_ack(ctx->eng, n);
}

/* ---- state ------------------------------------------------------------------ */

nt_tls_state nt_tls_status(nt_tls *ctx)
{
	unsigned st = br_ssl_engine_current_state(ctx->eng);
	if (st == BR_SSL_CLOSED)
		return br_ssl_engine_last_error(ctx->eng) == BR_ERR_OK ? NT_TLS_CLOSED : NT_TLS_FAILED;
	/* BearSSL offers application buffers only once the handshake is
	 * over; latch it, since they also vanish while a record is in
	 * flight. */
	if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
		ctx->ready_seen = true;
	return ctx->ready_seen ? NT_TLS_READY : NT_TLS_HANDSHAKING;
}

static bool is_no_common_alert(int alert)
{
	/* handshake_failure (40), protocol_version (70),
	 * insufficient_security (71) */
	return alert == 40 || alert == 70 || alert == 71;
}

nt_tls_reason nt_tls_reason_of(const nt_tls *ctx, int *br_err)
{
	int e = br_ssl_engine_last_error(ctx->eng);
	if (br_err != NULL)
		*br_err = e;
	if (ctx->is_client) {
		const nt_tls_pinner *p = &ctx->u.client.pinner;
		if (p->mismatch)
			return NT_TLS_PIN_MISMATCH;
		if (p->bad_cert)
			return NT_TLS_BAD_CERT;
	}
	if (e == BR_ERR_OK)
		return NT_TLS_OK;
	if (e == BR_ERR_BAD_MAC)
		return NT_TLS_TAMPERED;
	if (e == BR_ERR_TOO_LARGE)
		return NT_TLS_TOO_LARGE;
	if (e == BR_ERR_BAD_VERSION || e == BR_ERR_UNSUPPORTED_VERSION || e == BR_ERR_BAD_CIPHER_SUITE)
		return NT_TLS_NO_COMMON;
	if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256)
		return is_no_common_alert(e - BR_ERR_SEND_FATAL_ALERT) ? NT_TLS_NO_COMMON : NT_TLS_PROTOCOL;
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256)
		return is_no_common_alert(e - BR_ERR_RECV_FATAL_ALERT) ? NT_TLS_NO_COMMON : NT_TLS_PEER_ALERT;
	if (e == BR_ERR_BAD_PARAM || e == BR_ERR_BAD_STATE || e == BR_ERR_NO_RANDOM)
		return NT_TLS_LOCAL;
	if (e >= 32 && e < 64) /* X.509 range */
		return NT_TLS_BAD_CERT;
	return NT_TLS_PROTOCOL;
}

const char *nt_tls_reason_str(nt_tls_reason r)
{
	switch (r) {
	case NT_TLS_OK: return "no error";
	case NT_TLS_PIN_MISMATCH: return "the server's key changed: it does not match the pinned key";
	case NT_TLS_BAD_CERT: return "the server's certificate is unreadable or not a P-256 key";
	case NT_TLS_NO_COMMON: return "no common TLS version, cipher suite or curve";
	case NT_TLS_TAMPERED: return "a TLS record failed authentication (tampered or corrupted)";
	case NT_TLS_TOO_LARGE: return "a TLS record is larger than this side accepts";
	case NT_TLS_PEER_ALERT: return "the peer aborted the TLS connection";
	case NT_TLS_PROTOCOL: return "TLS protocol violation";
	case NT_TLS_LOCAL: return "local TLS failure";
	}
	return "unknown TLS error";
}

void nt_tls_close(nt_tls *ctx)
{
	br_ssl_engine_close(ctx->eng);
}

cr_err nt_tls_peer_pin(const nt_tls *ctx, uint8_t pin[NT_TLS_PIN_LEN])
{
	CR_ENSURE(ctx->is_client, CR_ERR_ARG);
	const nt_tls_pinner *p = &ctx->u.client.pinner;
	CR_ENSURE(p->have_seen, CR_ERR_STATE);
	memcpy(pin, p->seen, NT_TLS_PIN_LEN);
	return CR_OK;
}

cr_err nt_tls_exporter(nt_tls *ctx, const char *label, const uint8_t *context, size_t context_len,
		       uint8_t *out, size_t out_len)
{
	static const uint8_t EMPTY[1] = {0};
	CR_ENSURE(label != NULL && out != NULL, CR_ERR_ARG);
	CR_ENSURE(out_len > 0 && out_len <= NT_TLS_EXPORT_MAX, CR_ERR_LIMIT);
	CR_ENSURE(context_len <= NT_TLS_CONTEXT_MAX, CR_ERR_LIMIT);
	CR_ENSURE(context != NULL || context_len == 0, CR_ERR_ARG);
	if (nt_tls_status(ctx) != NT_TLS_READY) {
		cr_wipe(out, out_len);
		return CR_ERR_STATE;
	}
	/* Always the "with context" variant of RFC 5705 section 4, even for an
	 * empty context, so that both sides compute the same thing. */
	if (!br_ssl_key_export(ctx->eng, out, out_len, label, context ? context : EMPTY, context_len)) {
		cr_wipe(out, out_len);
		return CR_ERR_STATE;
	}
	return CR_OK;
}

uint16_t nt_tls_cipher_suite(const nt_tls *ctx)
{
	return ctx->eng->session.cipher_suite;
}

int nt_tls_curve(const nt_tls *ctx)
{
	return ctx->eng->ecdhe_curve;
}

size_t nt_tls_max_fragment(const nt_tls *ctx)
{
	return ctx->eng->max_frag_len;
}

void nt_tls_wipe(nt_tls *ctx)
{
	br_ssl_engine_context *eng = ctx->eng;
	if (eng != NULL) {
		if (eng->ibuf != NULL)
			cr_wipe(eng->ibuf, eng->ibuf_len);
		if (eng->obuf != NULL && eng->obuf != eng->ibuf)
			cr_wipe(eng->obuf, eng->obuf_len);
	}
	cr_wipe(ctx, sizeof *ctx);
}
