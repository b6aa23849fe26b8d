/*
 * tls_server.h: BearSSL server engine configuration for echover.
 *
 * BearSSL's "full" EC profile also enables CBC, 3DES and static-ECDH suites
 * and client-initiated renegotiation; echover narrows it (DESIGN.md section 3):
 *   - TLS 1.2 only;
 *   - ECDHE_ECDSA with AES-128-GCM, then ChaCha20-Poly1305, nothing else;
 *   - the server's order wins (BR_OPT_ENFORCE_SERVER_PREFERENCES);
 *   - renegotiation refused (BR_OPT_NO_RENEGOTIATION).
 * The login binds to the session through the RFC 5705 exporter
 * (br_ssl_key_export) with label NT_EXPORTER_LABEL and no context.
 */
#ifndef ECHOVER_NT_TLS_SERVER_H
#define ECHOVER_NT_TLS_SERVER_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "nt_proto.h"

#define NT_EXPORTER_LABEL "EXPORTER-echover-login"

/* Configures and resets sc; chain, sk and iobuf must outlive it. */
cr_err nt_tls_server_setup(br_ssl_server_context *sc, const br_x509_certificate *chain,
			   const br_ec_private_key *sk, uint8_t *iobuf, size_t iobuf_len) CR_MUST_CHECK;
/* The exporter value of an established session (client and server alike). */
cr_err nt_tls_exporter(br_ssl_engine_context *eng, uint8_t out[NT_EXPORTER_LEN]) CR_MUST_CHECK;

#endif
