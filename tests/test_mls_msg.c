/*
 * test_mls_msg.c: the MLS message codecs (crypto/mls/msg_*.h): structures
 * built by the encoders decode to the same fields, and the strict rules
 * (unknown enum values, limits, presence octets, empty Welcome, trailing
 * bytes) refuse what they must.
 */
#include <stdlib.h>
#include <string.h>

#include "msg_message.h"
#include "t.h"

static cr_span sp(const void *p, size_t n)
{
	cr_span s = { p, n };
	return s;
}

static const uint8_t gid[4] = { 'g', 'r', 'p', '1' };

/* Writes an MLSMessage(PublicMessage, application) from a member. */
static void write_app(cr_writer *w, uint16_t version, uint16_t wire, uint8_t sender_type, uint8_t content_type)
{
	cr_write_u16(w, version);
	cr_write_u16(w, wire);
	cr_write_opaque(w, gid, sizeof gid);
	cr_write_u64(w, 7);
	cr_write_u8(w, sender_type);
	if (sender_type == MLS_SENDER_MEMBER || sender_type == MLS_SENDER_EXTERNAL)
		cr_write_u32(w, 3);
	cr_write_opaque(w, NULL, 0);         /* authenticated_data */
	cr_write_u8(w, content_type);
	cr_write_opaque(w, (const uint8_t *)"hi", 2);
	cr_write_opaque(w, (const uint8_t *)"sig", 3);
	if (sender_type == MLS_SENDER_MEMBER)
		cr_write_opaque(w, (const uint8_t *)"tag", 3);
}

static cr_err decode_written(cr_writer *w, mls_message *m)
{
	cr_err err = cr_writer_error(w);
	if (err)
		return err;
	return mls_message_decode(w->p, w->len, m);
}

TEST(public_message_fields_and_roundtrip)
{
	cr_writer w;
	mls_message m;
	cr_writer_init_dynamic(&w, 4096);
	write_app(&w, MLS_VERSION_MLS10, MLS_WIRE_PUBLIC_MESSAGE, MLS_SENDER_MEMBER, MLS_CONTENT_APPLICATION);
	CHECK_OK(decode_written(&w, &m));
	const mls_public_message *pm = &m.u.public_message;
	CHECK(m.wire_format == MLS_WIRE_PUBLIC_MESSAGE);
	CHECK(pm->content.epoch == 7 && pm->content.sender.type == MLS_SENDER_MEMBER && pm->content.sender.index == 3);
	CHECK(pm->content.application_data.n == 2 && memcmp(pm->content.application_data.p, "hi", 2) == 0);
	CHECK(pm->membership_tag.n == 3 && pm->confirmation_tag.n == 0);
	cr_writer o;
	cr_writer_init_dynamic(&o, 4096);
	mls_message_write(&o, &m);
	CHECK_OK(cr_writer_error(&o));
	CHECK(o.len == w.len && memcmp(o.p, w.p, w.len) == 0);
	cr_writer_free(&o);

	/* External senders carry no membership tag: the tag bytes are trailing. */
	cr_writer_free(&w);
	cr_writer_init_dynamic(&w, 4096);
	write_app(&w, MLS_VERSION_MLS10, MLS_WIRE_PUBLIC_MESSAGE, MLS_SENDER_EXTERNAL, MLS_CONTENT_APPLICATION);
	cr_write_opaque(&w, (const uint8_t *)"tag", 3);
	CHECK_ERR(decode_written(&w, &m), CR_ERR_MALFORMED);
	cr_writer_free(&w);
}

TEST(message_rejects_bad_envelope)
{
	cr_writer w;
	mls_message m;
	cr_writer_init_dynamic(&w, 4096);
	write_app(&w, 2, MLS_WIRE_PUBLIC_MESSAGE, MLS_SENDER_MEMBER, MLS_CONTENT_APPLICATION);
	CHECK_ERR(decode_written(&w, &m), CR_ERR_UNSUPPORTED);
	cr_writer_free(&w);
	const uint16_t bad_wire[] = { 0, 6, 0xffff };
	for (size_t i = 0; i < 3; i++) {
		cr_writer_init_dynamic(&w, 4096);
		write_app(&w, MLS_VERSION_MLS10, bad_wire[i], MLS_SENDER_MEMBER, MLS_CONTENT_APPLICATION);
		CHECK_ERR(decode_written(&w, &m), CR_ERR_MALFORMED);
		cr_writer_free(&w);
	}
	CHECK_ERR(mls_message_decode(NULL, 0, &m), CR_ERR_TRUNCATED);
	/* Oversized input is refused before it is read. */
	uint8_t *big = calloc(1, MLS_MAX_MESSAGE + 1);
	if (CHECK(big != NULL))
		CHECK_ERR(mls_message_decode(big, MLS_MAX_MESSAGE + 1, &m), CR_ERR_LIMIT);
	free(big);
}

TEST(framing_rejects_unknown_enums)
{
	cr_writer w;
	mls_message m;
	const uint8_t bad_sender[] = { 0, 5, 0xff };
	for (size_t i = 0; i < 3; i++) {
		cr_writer_init_dynamic(&w, 4096);
		write_app(&w, MLS_VERSION_MLS10, MLS_WIRE_PUBLIC_MESSAGE, bad_sender[i], MLS_CONTENT_APPLICATION);
		CHECK_ERR(decode_written(&w, &m), CR_ERR_MALFORMED);
		cr_writer_free(&w);
	}
	const uint8_t bad_content[] = { 0, 4 };
	for (size_t i = 0; i < 2; i++) {
		cr_writer_init_dynamic(&w, 4096);
		write_app(&w, MLS_VERSION_MLS10, MLS_WIRE_PUBLIC_MESSAGE, MLS_SENDER_MEMBER, bad_content[i]);
		CHECK_ERR(decode_written(&w, &m), CR_ERR_MALFORMED);
		cr_writer_free(&w);
	}
	/* PrivateMessage with content_type 0. */
	mls_private_message pm;
	memset(&pm, 0, sizeof pm);
	pm.group_id = sp(gid, sizeof gid);
	pm.content_type = MLS_CONTENT_APPLICATION;
	pm.encrypted_sender_data = sp("sender-data", 11);
	pm.ciphertext = sp("ct", 2);
	cr_writer_init_dynamic(&w, 4096);
	mls_private_message_write(&w, &pm);
	CHECK_OK(cr_writer_error(&w));
	mls_private_message got;
	CHECK_OK(mls_private_message_decode(w.p, w.len, &got));
	CHECK(got.ciphertext.n == 2 && got.encrypted_sender_data.n == 11);
	w.p[sizeof gid + 1 + 8] = 0; /* the content_type octet */
	CHECK_ERR(mls_private_message_decode(w.p, w.len, &got), CR_ERR_MALFORMED);
	CHECK(got.group_id.p == NULL && got.ciphertext.n == 0); /* zeroed on failure */
	cr_writer_free(&w);
	/* The encoder refuses what the decoder refuses. */
	pm.content_type = 9;
	cr_writer_init_dynamic(&w, 4096);
	mls_private_message_write(&w, &pm);
	CHECK_ERR(cr_writer_error(&w), CR_ERR_ARG);
	cr_writer_free(&w);
}

TEST(proposals_strict)
{
	uint8_t buf[64];
	cr_writer w;
	mls_proposal p;
	/* Remove round-trips; unknown proposal types cannot be delimited. */
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_u16(&w, MLS_PROPOSAL_REMOVE);
	cr_write_u32(&w, 0x01020304);
	CHECK_OK(cr_writer_error(&w));
	CHECK_OK(mls_proposal_decode(buf, w.len, &p));
	CHECK(p.type == MLS_PROPOSAL_REMOVE && p.u.remove == 0x01020304);
	buf[1] = 8;
	CHECK_ERR(mls_proposal_decode(buf, w.len, &p), CR_ERR_MALFORMED);
	buf[1] = 0;
	CHECK_ERR(mls_proposal_decode(buf, w.len, &p), CR_ERR_MALFORMED);

	/* ProposalOrRef type 3 is refused; a reference longer than a hash too. */
	cr_reader r;
	const uint8_t por_bad[] = { 3, 0 };
	mls_proposal_or_ref por;
	cr_reader_init(&r, por_bad, sizeof por_bad);
	CHECK_ERR(mls_proposal_or_ref_read(&r, &por), CR_ERR_MALFORMED);
	CHECK(cr_reader_left(&r) == sizeof por_bad); /* cursor unmoved */
	uint8_t ref[2 + MLS_MAX_HASH + 1] = { MLS_POR_REFERENCE, MLS_MAX_HASH + 1 };
	cr_reader_init(&r, ref, sizeof ref);
	CHECK_ERR(mls_proposal_or_ref_read(&r, &por), CR_ERR_LIMIT);

	/* PreSharedKeyID: psktype 3 and resumption usage 0 / 4 are refused. */
	mls_psk_id id;
	memset(&id, 0, sizeof id);
	id.psktype = MLS_PSK_RESUMPTION;
	id.usage = MLS_RESUMPTION_BRANCH;
	id.psk_group_id = sp(gid, sizeof gid);
	id.psk_epoch = 9;
	id.psk_nonce = sp("0123456789abcdef0123456789abcdef", 32);
	cr_writer_init_fixed(&w, buf, sizeof buf);
	mls_psk_id_write(&w, &id);
	CHECK_OK(cr_writer_error(&w));
	size_t n = w.len;
	mls_psk_id got;
	cr_reader_init(&r, buf, n);
	CHECK_OK(mls_psk_id_read(&r, &got));
	CHECK(got.psk_epoch == 9 && got.usage == MLS_RESUMPTION_BRANCH && cr_reader_left(&r) == 0);
	const uint8_t bad_usage[] = { 0, 4 };
	for (size_t i = 0; i < 2; i++) {
		buf[1] = bad_usage[i];
		cr_reader_init(&r, buf, n);
		CHECK_ERR(mls_psk_id_read(&r, &got), CR_ERR_MALFORMED);
	}
	buf[0] = 3;
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_psk_id_read(&r, &got), CR_ERR_MALFORMED);
}

TEST(commit_limits_and_presence)
{
	cr_writer w;
	mls_commit c;
	/* MLS_MAX_PROPOSALS removes decode; one more is over the limit. */
	for (size_t extra = 0; extra < 2; extra++) {
		cr_writer_init_dynamic(&w, 1 << 20);
		size_t mark = cr_write_vector_begin(&w);
		for (size_t i = 0; i < MLS_MAX_PROPOSALS + extra; i++) {
			cr_write_u8(&w, MLS_POR_PROPOSAL);
			cr_write_u16(&w, MLS_PROPOSAL_REMOVE);
			cr_write_u32(&w, (uint32_t)i);
		}
		cr_write_vector_end(&w, mark);
		cr_write_bool(&w, false);
		CHECK_OK(cr_writer_error(&w));
		if (extra == 0) {
			CHECK_OK(mls_commit_decode(w.p, w.len, &c));
			CHECK(c.proposals.count == MLS_MAX_PROPOSALS && !c.has_path);
			cr_reader it;
			mls_proposal_or_ref por;
			uint32_t i = 0;
			mls_vec_iter(&c.proposals, &it);
			while (mls_commit_proposals_next(&it, &por) == CR_OK && por.proposal.u.remove == i)
				i++;
			CHECK(i == MLS_MAX_PROPOSALS);
			/* A presence octet of 2 is not an optional<T>. */
			w.p[w.len - 1] = 2;
			CHECK_ERR(mls_commit_decode(w.p, w.len, &c), CR_ERR_MALFORMED);
			/* Present but no UpdatePath follows. */
			w.p[w.len - 1] = 1;
			CHECK_ERR(mls_commit_decode(w.p, w.len, &c), CR_ERR_TRUNCATED);
		} else {
			CHECK_ERR(mls_commit_decode(w.p, w.len, &c), CR_ERR_LIMIT);
		}
		cr_writer_free(&w);
	}
}

TEST(extensions_and_group_info)
{
	cr_writer w;
	mls_group_info gi;
	for (size_t extra = 0; extra < 2; extra++) {
		cr_writer_init_dynamic(&w, 1 << 16);
		cr_write_u16(&w, MLS_VERSION_MLS10);
		cr_write_u16(&w, 1);
		cr_write_opaque(&w, gid, sizeof gid);
		cr_write_u64(&w, 42);
		uint8_t hash[32];
		memset(hash, 0x11, sizeof hash);
		cr_write_opaque(&w, hash, sizeof hash);   /* tree_hash */
		cr_write_opaque(&w, hash, sizeof hash);   /* confirmed_transcript_hash */
		size_t mark = cr_write_vector_begin(&w);
		for (size_t i = 0; i < MLS_MAX_EXTENSIONS + extra; i++) {
			mls_extension e = { (uint16_t)(0x0a0a + i), sp("x", 1) };
			mls_extension_write(&w, &e);
		}
		cr_write_vector_end(&w, mark);
		cr_write_opaque(&w, NULL, 0);  /* GroupInfo extensions */
		cr_write_opaque(&w, (const uint8_t *)"confirm", 7);
		cr_write_u32(&w, 5);
		cr_write_opaque(&w, (const uint8_t *)"sig", 3);
		CHECK_OK(cr_writer_error(&w));
		if (extra) {
			CHECK_ERR(mls_group_info_decode(w.p, w.len, &gi), CR_ERR_LIMIT);
		} else {
			CHECK_OK(mls_group_info_decode(w.p, w.len, &gi));
			mls_vec gc_ext;
			CHECK_OK(mls_extensions_check(gi.group_context.extensions, &gc_ext));
			CHECK(gi.group_context.epoch == 42 && gi.signer == 5 && gc_ext.count == MLS_MAX_EXTENSIONS);
			cr_reader it;
			mls_extension e;
			mls_vec_iter(&gc_ext, &it);
			CHECK_OK(mls_extensions_next(&it, &e));
			CHECK(e.type == 0x0a0a && e.data.n == 1);
			/* The TBS is everything before the signature. */
			cr_writer t;
			cr_writer_init_dynamic(&t, 1 << 16);
			mls_group_info_tbs_write(&t, &gi);
			CHECK(cr_writer_error(&t) == CR_OK && t.len == w.len - 4 && memcmp(t.p, w.p, t.len) == 0);
			cr_writer_free(&t);
			/* Version 2 of the GroupContext is refused. */
			w.p[1] = 2;
			CHECK_ERR(mls_group_info_decode(w.p, w.len, &gi), CR_ERR_UNSUPPORTED);
		}
		cr_writer_free(&w);
	}
	/* A group_id above MLS_MAX_GROUP_ID is refused before it is read. */
	uint8_t long_id[4 + 2 + MLS_MAX_GROUP_ID + 1] = { 0, 1, 0, 1, 0x40 | ((MLS_MAX_GROUP_ID + 1) >> 8),
							   (MLS_MAX_GROUP_ID + 1) & 0xff };
	mls_group_info gi2;
	CHECK_ERR(mls_group_info_decode(long_id, sizeof long_id, &gi2), CR_ERR_LIMIT);
}

TEST(welcome_and_group_secrets)
{
	cr_writer w;
	mls_welcome wl;
	uint8_t refs[3][32];
	cr_writer_init_dynamic(&w, 4096);
	cr_write_u16(&w, 1);
	size_t mark = cr_write_vector_begin(&w);
	for (int i = 0; i < 3; i++) {
		memset(refs[i], 'a' + i, sizeof refs[i]);
		mls_encrypted_group_secrets s = { sp(refs[i], 32), sp("kem", 3), sp("ct", 2) };
		mls_encrypted_group_secrets_write(&w, &s);
	}
	cr_write_vector_end(&w, mark);
	cr_write_opaque(&w, (const uint8_t *)"egi", 3);
	CHECK_OK(cr_writer_error(&w));
	CHECK_OK(mls_welcome_decode(w.p, w.len, &wl));
	CHECK(wl.secrets.count == 3 && wl.encrypted_group_info.n == 3);
	mls_encrypted_group_secrets s;
	CHECK_OK(mls_welcome_find(&wl, refs[2], 32, &s));
	CHECK(s.new_member.p[0] == 'c');
	uint8_t other[32] = { 0 };
	CHECK_ERR(mls_welcome_find(&wl, other, 32, &s), CR_ERR_NOT_FOUND);
	CHECK_ERR(mls_welcome_find(&wl, refs[0], 31, &s), CR_ERR_NOT_FOUND);
	cr_writer_free(&w);

	/* A Welcome for nobody is refused. */
	const uint8_t empty[] = { 0, 1, 0, 1, 'x' };
	CHECK_ERR(mls_welcome_decode(empty, sizeof empty, &wl), CR_ERR_MALFORMED);

	/* GroupSecrets with and without a path secret; bad presence octet. */
	mls_group_secrets g;
	uint8_t js[32];
	memset(js, 7, sizeof js);
	memset(&g, 0, sizeof g);
	g.joiner_secret = sp(js, 32);
	g.has_path_secret = true;
	g.path_secret = sp(js, 32);
	cr_writer_init_dynamic(&w, 4096);
	mls_group_secrets_write(&w, &g);
	CHECK_OK(cr_writer_error(&w));
	mls_group_secrets got;
	CHECK_OK(mls_group_secrets_decode(w.p, w.len, &got));
	CHECK(got.has_path_secret && got.path_secret.n == 32 && got.psks.count == 0);
	w.p[33] = 2; /* the presence octet after joiner_secret<V> */
	CHECK_ERR(mls_group_secrets_decode(w.p, w.len, &got), CR_ERR_MALFORMED);
	cr_writer_free(&w);

	/* Non-minimal varint length of joiner_secret. */
	const uint8_t nonmin[] = { 0x40, 0x01, 0xaa, 0x00, 0x00 };
	CHECK_ERR(mls_group_secrets_decode(nonmin, sizeof nonmin, &got), CR_ERR_MALFORMED);
}

static const t_case cases[] = {
	T(public_message_fields_and_roundtrip),
	T(message_rejects_bad_envelope),
	T(framing_rejects_unknown_enums),
	T(proposals_strict),
	T(commit_limits_and_presence),
	T(extensions_and_group_info),
	T(welcome_and_group_secrets),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
