/*
 * fuzz: nt_tls_hello_frag, the server's peek at a new client's first bytes
 * (net/tls_hello.h), which runs before any TLS engine exists.
 *
 * The input is what a client sends first. Whatever the bytes, the answer
 * must be one a server can act on: a record size BearSSL supports that the
 * first record fits in, or a finite wait that more bytes end, or no size.
 * Every prefix must agree with the whole: never "done" on a prefix of what
 * was "still waiting", never a wait past what the record header announced.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_frag(size_t f)
{
	return f == 512 || f == 1024 || f == 2048 || f == 4096 || f == NT_TLS_HELLO_FRAG_DEFAULT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t frag, need;
	cr_err e = nt_tls_hello_frag(data, size, &frag, &need);
	if (!is_frag(frag))
		abort();
	if (e == CR_ERR_TRUNCATED) {
		if (need <= size || need > NT_TLS_HELLO_MAX)
			abort();
		return 0;
	}
	if (need != 0 || (e != CR_OK && frag != NT_TLS_HELLO_FRAG_DEFAULT))
		abort();
	if (e != CR_OK && e != CR_ERR_MALFORMED && e != CR_ERR_LIMIT)
		abort();
	if (e == CR_OK) {
		/* The answer needs the first record only, and it fits the size. */
		size_t rec = 5 + ((size_t)data[3] << 8 | data[4]);
		size_t f2, n2;
		if (rec > size || rec - 5 > frag || nt_tls_hello_frag(data, rec, &f2, &n2) != CR_OK || f2 != frag)
			abort();
		/* One byte less is a wait for exactly that record. */
		if (nt_tls_hello_frag(data, rec - 1, &f2, &n2) != CR_ERR_TRUNCATED || n2 != rec)
			abort();
	}
	return 0;
}
