/*
 * fuzz: mls_psk_id_read (PreSharedKeyID, RFC 9420 8.4), its round trip, and mls_psk_secret over the decoded id
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_reader r;
	mls_psk psk;
	cr_reader_init(&r, data, size);
	if (mls_psk_id_read(&r, &psk.id) != CR_OK) {
		if (r.off != 0)
			__builtin_trap();
		return 0;
	}
	uint8_t buf[1024];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	mls_psk_id_write(&w, &psk.id);
	if (cr_writer_error(&w) != CR_OK || w.len != r.off || memcmp(buf, data, w.len) != 0)
		__builtin_trap();
	/* The rest of the input is the PSK value. */
	psk.psk = data + r.off;
	psk.psk_len = size - r.off;
	uint8_t out[MLS_NH];
	if (mls_psk_secret(out, &psk, 1) != CR_OK)
		__builtin_trap();
	return 0;
}
