#include "psk.h"

#include <string.h>

#include "hash.h"
#include "wipe.h"

static const uint8_t ZERO[MLS_NH];

cr_err mls_psk_secret(uint8_t out[MLS_NH], const mls_psk *psks, size_t count)
{
	/* PSKLabel fits: 1 + (4 + 256) + 1 + (4 + 256) + 8 + (4 + 32) + 4 bytes. */
	uint8_t extracted[MLS_NH], input[MLS_NH], acc[MLS_NH], next[MLS_NH], label[600];
	cr_err err = CR_OK;
	memset(acc, 0, sizeof acc);
	CR_CHECK(count <= MLS_PSK_COUNT_MAX ? CR_OK : CR_ERR_LIMIT);
	for (size_t i = 0; i < count; i++) {
		cr_writer w;
		cr_writer_init_fixed(&w, label, sizeof label);
		mls_psk_id_write(&w, &psks[i].id);
		cr_write_u16(&w, (uint16_t)i);
		cr_write_u16(&w, (uint16_t)count);
		CR_CHECK(cr_writer_error(&w));
		cr_hkdf_extract(extracted, ZERO, MLS_NH, psks[i].psk, psks[i].psk_len);
		CR_CHECK(mls_expand_with_label(input, MLS_NH, extracted, MLS_NH, "derived psk", w.p, w.len));
		cr_hkdf_extract(next, input, MLS_NH, acc, MLS_NH);
		memcpy(acc, next, MLS_NH);
	}
	memcpy(out, acc, MLS_NH);
out:
	cr_wipe(next, sizeof next);
	cr_wipe(extracted, sizeof extracted);
	cr_wipe(input, sizeof input);
	cr_wipe(acc, sizeof acc);
	if (err)
		cr_wipe(out, MLS_NH);
	return err;
}
