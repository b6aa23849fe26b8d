/*
 * fuzz: mls_group_info_decode, mls_group_info_write, mls_group_info_tbs_write, mls_group_context_read (crypto/mls/msg_groupinfo.h, key_schedule.h)
 *
 * A GroupInfo that decodes must re-encode to exactly the input bytes; its
 * TBS must be the input minus the signature; its GroupContext must decode
 * alone. Seeds: GroupInfo bodies of RFC 9420's messages.json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_groupinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_group_info gi;
	if (mls_group_info_decode(data, size, &gi) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_group_info_write(&w, &gi);
	if (cr_writer_error(&w) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	cr_writer_free(&w);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_group_info_tbs_write(&w, &gi);
	if (cr_writer_error(&w) != CR_OK || w.len >= size || memcmp(w.p, data, w.len) != 0)
		abort();
	cr_writer_free(&w);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_group_context_write(&w, &gi.group_context);
	mls_group_context gc;
	cr_reader r;
	cr_reader_init(&r, w.p, w.len);
	if (cr_writer_error(&w) != CR_OK || mls_group_context_read(&r, &gc) != CR_OK || cr_reader_end(&r) != CR_OK ||
	    gc.epoch != gi.group_context.epoch)
		abort();
	cr_writer_free(&w);
	return 0;
}
