/*
 * fuzz: net/cli_conn.c nt_cli_feed / nt_cli_decode / nt_cli_next_entry, nt_cli_next_group,
 * nt_cli_next_member, nt_cli_next_name: a hostile server's byte stream (every response and NOTIFY)
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
		/* Lists were validated whole by the decoder: iterating them
		 * must give exactly the counted items. */
		nt_cli_group g;
		size_t k = 0;
		while (nt_cli_next_group(&r.groups, &g) == CR_OK)
			k++, sink += g.gid.n + g.role + g.epoch + g.acked + g.next_pos;
		if (k != r.n_groups)
			abort();
		nt_cli_member m;
		for (k = 0; nt_cli_next_member(&r.members, &m) == CR_OK; k++)
			sink += m.name.n + m.role + m.online;
		if (k != r.n_members)
			abort();
		cr_span name;
		for (k = 0; nt_cli_next_name(&r.names, &name) == CR_OK; k++)
			sink += name.n;
		if (k != r.n_names)
			abort();
		sink += r.gid.n;
	}
	(void)sink;
	nt_cli_conn_free(&c);
	return 0;
}
