/*
 * fuzz: net/cli_conn.c nt_cli_feed / nt_cli_decode / nt_cli_next_entry: a hostile server's byte stream
 */
#include <stdint.h>
#include <stdlib.h>

#include "cli_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_cli_conn c;
	nt_cli_conn_init(&c, 1 << 16);
	cr_reader in;
	cr_reader_init(&in, data, size);
	volatile uint64_t sink = 0;
	/* At most one frame per input byte: bounded. */
	for (size_t i = 0; i <= size; i++) {
		bool got = false;
		nt_cli_resp r;
		if (nt_cli_feed(&c, &in, &got, &r) != CR_OK || !got)
			break;
		sink += r.id + r.code + r.one_time_left + r.position + r.epoch;
		if (nt_cli_match(&r, 1, NT_POST_OK) == CR_OK)
			sink++;
		nt_cli_entry e;
		for (size_t k = 0; k < r.n_entries + 1; k++) {
			if (nt_cli_next_entry(&r.entries, &e) != CR_OK)
				break;
			sink += e.position + e.kind + e.message.n + e.sender.n;
		}
	}
	(void)sink;
	nt_cli_conn_free(&c);
	return 0;
}
