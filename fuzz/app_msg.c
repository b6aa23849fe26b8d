/*
 * fuzz: net/app_msg.c nt_app_msg_decode / nt_app_msg_write: the payload a hostile group member encrypts
 *
 * Whatever the decoder accepts must encode back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "app_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_app_msg m;
	if (nt_app_msg_decode(data, size, &m) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, NT_APP_MAX);
	if (nt_app_msg_write(&w, &m) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	cr_writer_free(&w);
	return 0;
}
