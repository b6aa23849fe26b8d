/*
 * tls_server.c: BearSSL server engine configuration (tls_server.h).
 */
#include "tls_server.h"

static const uint16_t suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};

cr_err nt_tls_server_setup(br_ssl_server_context *sc, const br_x509_certificate *chain,
			   const br_ec_private_key *sk, uint8_t *iobuf, size_t iobuf_len)
{
	br_ssl_server_init_full_ec(sc, chain, 1, BR_KEYTYPE_EC, sk);
	br_ssl_engine_context *eng = &sc->eng;
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION | BR_OPT_ENFORCE_SERVER_PREFERENCES);
	br_ssl_engine_set_buffer(eng, iobuf, iobuf_len, 1);
	CR_ENSURE(br_ssl_server_reset(sc), CR_ERR_STATE);
	return CR_OK;
}

cr_err nt_tls_exporter(br_ssl_engine_context *eng, uint8_t out[NT_EXPORTER_LEN])
{
	CR_ENSURE(br_ssl_key_export(eng, out, NT_EXPORTER_LEN, NT_EXPORTER_LABEL, NULL, 0), CR_ERR_STATE);
	return CR_OK;
}
