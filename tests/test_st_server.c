/*
 * test_st_server.c: the server store (store/st_server.h) on :memory:
 * databases and on a file (WAL, reopen, migrations), with negative cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_server.h"
#include "t.h"

static st_server *open_mem(void)
{
	st_server *s = NULL;
	CHECK_OK(st_server_open(&s, ":memory:"));
	return s;
}

static int64_t add_user(st_server *s, const char *name)
{
	st_user u;
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", name);
	memset(u.identity, name[0], sizeof u.identity);
	memset(u.pw_hash, 0x11, sizeof u.pw_hash);
	memset(u.salt, 0x22, sizeof u.salt);
	u.ops = 2;
	u.mem_kib = 65536;
	u.created = 1000;
	int64_t id = -1;
	CHECK_OK(st_user_add(s, &u, &id));
	return id;
}

TEST(opens_at_schema_version)
{
	st_server *s = open_mem();
	CHECK(s != NULL);
	CHECK(st_server_schema_version(s) == ST_SCHEMA_VERSION);
	st_server_close(s);
}

TEST(username_rules)
{
	CHECK(st_username_valid((const uint8_t *)"alice", 5));
	CHECK(st_username_valid((const uint8_t *)"a.b-c_9", 7));
	CHECK(!st_username_valid((const uint8_t *)"", 0));
	CHECK(!st_username_valid((const uint8_t *)"Alice", 5));
	CHECK(!st_username_valid((const uint8_t *)"9lives", 6));
	CHECK(!st_username_valid((const uint8_t *)"a b", 3));
	CHECK(!st_username_valid((const uint8_t *)"a\0b", 3));
	CHECK(!st_username_valid((const uint8_t *)"al\xc3\xa9", 4));
	char longname[40];
	memset(longname, 'a', sizeof longname);
	CHECK(st_username_valid((const uint8_t *)longname, ST_USERNAME_MAX));
	CHECK(!st_username_valid((const uint8_t *)longname, ST_USERNAME_MAX + 1));
}

static st_err count_users(void *ctx, const st_user *u)
{
	(void)u;
	(*(int *)ctx)++;
	return ST_OK;
}

TEST(users)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	int64_t b = add_user(s, "bob");
	CHECK(a > 0 && b > 0 && a != b);
	st_user u;
	CHECK_OK(st_user_get(s, (const uint8_t *)"bob", 3, &u));
	CHECK(u.id == b && !strcmp(u.name, "bob") && u.ops == 2 && u.mem_kib == 65536 && u.created == 1000);
	uint8_t want[ST_IDENTITY_LEN];
	memset(want, 'b', sizeof want);
	CHECK_MEM(u.identity, want, sizeof want);
	CHECK_OK(st_user_get_id(s, a, &u));
	CHECK(!strcmp(u.name, "alice"));
	CHECK_ERR(st_user_get(s, (const uint8_t *)"carol", 5, &u), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_user_get(s, (const uint8_t *)"BOB", 3, &u), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_user_get_id(s, 999, &u), ST_ERR_NOT_FOUND);
	/* Duplicate and invalid names. */
	st_user dup;
	memset(&dup, 0, sizeof dup);
	strcpy(dup.name, "alice");
	int64_t id;
	CHECK_ERR(st_user_add(s, &dup, &id), ST_ERR_EXISTS);
	strcpy(dup.name, "Eve");
	CHECK_ERR(st_user_add(s, &dup, &id), ST_ERR_ARG);
	int n = 0;
	CHECK_OK(st_user_list(s, count_users, &n));
	CHECK(n == 2);
	st_server_close(s);
}

TEST(invites_are_one_time)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	int64_t b = add_user(s, "bob");
	uint8_t h1[ST_HASH_LEN], h2[ST_HASH_LEN];
	memset(h1, 1, sizeof h1);
	memset(h2, 2, sizeof h2);
	CHECK_OK(st_invite_add(s, h1, 5));
	CHECK_ERR(st_invite_add(s, h1, 5), ST_ERR_EXISTS);
	CHECK_ERR(st_invite_use(s, h2, a, 6), ST_ERR_NOT_FOUND);
	CHECK_OK(st_invite_use(s, h1, a, 6));
	CHECK_ERR(st_invite_use(s, h1, b, 7), ST_ERR_NOT_FOUND);
	st_server_close(s);
}

TEST(key_packages)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	uint8_t ref[ST_HASH_LEN];
	uint8_t *kp;
	size_t n;
	bool lr;
	CHECK_ERR(st_kp_take(s, a, &kp, &n, &lr), ST_ERR_NOT_FOUND);
	for (uint8_t i = 0; i < 3; i++) {
		memset(ref, i, sizeof ref);
		uint8_t body[4] = { 'k', 'p', '0', i };
		CHECK_OK(st_kp_add(s, a, ref, body, sizeof body, false));
	}
	CHECK_ERR(st_kp_add(s, a, ref, (const uint8_t *)"x", 1, false), ST_ERR_EXISTS);
	CHECK_ERR(st_kp_add(s, a, ref, (const uint8_t *)"", 0, false), ST_ERR_ARG);
	memset(ref, 0x70, sizeof ref);
	CHECK_OK(st_kp_add(s, a, ref, (const uint8_t *)"last1", 5, true));
	memset(ref, 0x71, sizeof ref);
	CHECK_OK(st_kp_add(s, a, ref, (const uint8_t *)"last2", 5, true));
	/* A KeyPackage for a user who does not exist breaks the foreign key. */
	memset(ref, 0x72, sizeof ref);
	CHECK_ERR(st_kp_add(s, 999, ref, (const uint8_t *)"x", 1, false), ST_ERR_ARG);
	int64_t count;
	CHECK_OK(st_kp_count(s, a, &count));
	CHECK(count == 3);
	for (uint8_t i = 0; i < 3; i++) {
		CHECK_OK(st_kp_take(s, a, &kp, &n, &lr));
		uint8_t want[4] = { 'k', 'p', '0', i };
		CHECK(n == 4 && !lr);
		if (n == 4)
			CHECK_MEM(kp, want, 4);
		free(kp);
	}
	CHECK_OK(st_kp_count(s, a, &count));
	CHECK(count == 0);
	/* Only the newest last-resort one remains, and it is never consumed. */
	for (int i = 0; i < 2; i++) {
		CHECK_OK(st_kp_take(s, a, &kp, &n, &lr));
		CHECK(lr && n == 5 && kp && !memcmp(kp, "last2", 5));
		free(kp);
	}
	st_server_close(s);
}

TEST(groups_and_epochs)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	int64_t b = add_user(s, "bob");
	int64_t g;
	CHECK_OK(st_group_create(s, (const uint8_t *)"g1", 2, a, &g));
	CHECK_ERR(st_group_create(s, (const uint8_t *)"g1", 2, b, &g), ST_ERR_EXISTS);
	CHECK_ERR(st_group_create(s, (const uint8_t *)"", 0, b, &g), ST_ERR_ARG);
	st_group gr;
	CHECK_OK(st_group_get(s, (const uint8_t *)"g1", 2, &gr));
	CHECK(gr.id == g && gr.epoch == 0 && gr.next_pos == 1);
	CHECK_ERR(st_group_get(s, (const uint8_t *)"g2", 2, &gr), ST_ERR_NOT_FOUND);
	st_role role;
	uint64_t acked;
	CHECK_OK(st_member_get(s, g, a, &role, &acked));
	CHECK(role == ST_ROLE_OWNER && acked == 0);
	CHECK_ERR(st_member_get(s, g, b, &role, &acked), ST_ERR_NOT_FOUND);
	/* First commit for epoch 0 wins; a second one for epoch 0 conflicts. */
	CHECK_OK(st_group_advance_epoch(s, g, 0));
	CHECK_ERR(st_group_advance_epoch(s, g, 0), ST_ERR_CONFLICT);
	CHECK_ERR(st_group_advance_epoch(s, g, 5), ST_ERR_CONFLICT);
	CHECK_OK(st_group_advance_epoch(s, g, 1));
	CHECK_OK(st_group_get(s, (const uint8_t *)"g1", 2, &gr));
	CHECK(gr.epoch == 2);
	CHECK_OK(st_member_add(s, g, b, ST_ROLE_MEMBER, 0));
	CHECK_ERR(st_member_add(s, g, b, ST_ROLE_MEMBER, 0), ST_ERR_EXISTS);
	int64_t n;
	CHECK_OK(st_member_count(s, g, &n));
	CHECK(n == 2);
	CHECK_OK(st_member_remove(s, g, b));
	CHECK_ERR(st_member_remove(s, g, b), ST_ERR_NOT_FOUND);
	st_server_close(s);
}

typedef struct collect {
	int n;
	uint64_t pos[16];
	char data[16][8];
} collect;

static st_err collect_fn(void *ctx, const st_log_entry *e)
{
	collect *c = ctx;
	if (c->n >= 16)
		return ST_ERR_ARG;
	c->pos[c->n] = e->pos;
	snprintf(c->data[c->n], sizeof c->data[0], "%.*s", (int)e->n, (const char *)e->data);
	c->n++;
	return ST_OK;
}

TEST(log_ack_and_prune)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	int64_t b = add_user(s, "bob");
	int64_t g;
	CHECK_OK(st_group_create(s, (const uint8_t *)"g", 1, a, &g));
	CHECK_OK(st_member_add(s, g, b, ST_ROLE_MEMBER, 0));
	uint64_t pos = 0;
	for (int i = 0; i < 5; i++) {
		char m[8];
		snprintf(m, sizeof m, "m%d", i);
		CHECK_OK(st_log_append(s, g, a, 0, 0, (const uint8_t *)m, strlen(m), &pos));
		CHECK(pos == (uint64_t)i + 1);
	}
	collect c = { 0 };
	CHECK_OK(st_log_fetch(s, g, 2, 2, collect_fn, &c));
	CHECK(c.n == 2 && c.pos[0] == 3 && c.pos[1] == 4 && !strcmp(c.data[0], "m2"));
	/* Acks only move forward and never past the last position. */
	CHECK_OK(st_member_ack(s, g, a, 4));
	CHECK_ERR(st_member_ack(s, g, a, 3), ST_ERR_ARG);
	CHECK_ERR(st_member_ack(s, g, a, 6), ST_ERR_ARG);
	CHECK_OK(st_member_ack(s, g, a, 5));
	CHECK_ERR(st_member_ack(s, g, 999, 1), ST_ERR_ARG);
	int64_t deleted = -1;
	CHECK_OK(st_log_prune(s, g, &deleted));
	CHECK(deleted == 0); /* bob acked nothing */
	CHECK_OK(st_member_ack(s, g, b, 2));
	CHECK_OK(st_log_prune(s, g, &deleted));
	CHECK(deleted == 2);
	c.n = 0;
	CHECK_OK(st_log_fetch(s, g, 0, 100, collect_fn, &c));
	CHECK(c.n == 3 && c.pos[0] == 3);
	/* Positions keep growing after a prune. */
	CHECK_OK(st_log_append(s, g, b, 1, 0, (const uint8_t *)"x", 1, &pos));
	CHECK(pos == 6);
	/* An empty message is stored as an empty blob. */
	CHECK_OK(st_log_append(s, g, b, 0, 0, NULL, 0, &pos));
	c.n = 0;
	CHECK_OK(st_log_fetch(s, g, 6, 100, collect_fn, &c));
	CHECK(c.n == 1 && c.pos[0] == 7 && c.data[0][0] == 0);
	st_server_close(s);
}

TEST(transactions_roll_back)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	int64_t g;
	CHECK_OK(st_group_create(s, (const uint8_t *)"g", 1, a, &g));
	CHECK_OK(st_begin(s));
	CHECK_OK(st_group_advance_epoch(s, g, 0));
	uint64_t pos;
	CHECK_OK(st_log_append(s, g, a, 1, 0, (const uint8_t *)"c", 1, &pos));
	st_rollback(s);
	st_group gr;
	CHECK_OK(st_group_get(s, (const uint8_t *)"g", 1, &gr));
	CHECK(gr.epoch == 0 && gr.next_pos == 1);
	CHECK_OK(st_begin(s));
	CHECK_OK(st_group_advance_epoch(s, g, 0));
	CHECK_OK(st_commit(s));
	CHECK_OK(st_group_get(s, (const uint8_t *)"g", 1, &gr));
	CHECK(gr.epoch == 1);
	st_rollback(s); /* harmless outside a transaction */
	st_server_close(s);
}

static st_blob new_blob(int64_t owner, uint8_t id_byte, uint64_t size, int64_t created)
{
	st_blob b;
	memset(&b, 0, sizeof b);
	memset(b.id, id_byte, sizeof b.id);
	b.owner = owner;
	b.size = size;
	memset(b.hash, 9, sizeof b.hash);
	b.created = created;
	return b;
}

/* st_blob_append with a stand-in hash state of the right tail length: the
 * store keeps the state, it does not compute it. */
static st_err append(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], uint64_t offset, const uint8_t *data,
		     size_t n)
{
	st_blob_hash h;
	memset(&h, 0, sizeof h);
	memset(h.mid, (int)((offset + n) & 0xff), sizeof h.mid);
	h.tail_len = (size_t)((offset + n) % ST_HASH_BLOCK);
	memset(h.tail, 't', h.tail_len);
	return st_blob_append(s, id, offset, data, n, &h);
}

static void count_piece(void *ctx, const uint8_t *p, size_t n)
{
	size_t *total = ctx;
	(void)p;
	*total += n;
}

TEST(blobs_in_pieces)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	st_blob b = new_blob(a, 1, 10, 100), got;
	CHECK_OK(st_blob_create(s, &b));
	CHECK_ERR(st_blob_create(s, &b), ST_ERR_EXISTS);
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.owner == a && got.size == 10 && got.written == 0 && !got.complete && got.created == 100);
	CHECK_MEM(got.hash, b.hash, ST_HASH_LEN);
	/* Pieces in order only, never past the size, never empty. */
	CHECK_OK(append(s, b.id, 0, (const uint8_t *)"abcd", 4));
	CHECK_ERR(append(s, b.id, 0, (const uint8_t *)"abcd", 4), ST_ERR_ARG);
	CHECK_ERR(append(s, b.id, 5, (const uint8_t *)"x", 1), ST_ERR_ARG);
	CHECK_ERR(append(s, b.id, 4, (const uint8_t *)"efghijk", 7), ST_ERR_ARG);
	CHECK_ERR(append(s, b.id, 4, (const uint8_t *)"", 0), ST_ERR_ARG);
	CHECK_ERR(st_blob_set_complete(s, b.id), ST_ERR_ARG);
	CHECK_OK(append(s, b.id, 4, (const uint8_t *)"ef", 2));
	CHECK_OK(append(s, b.id, 6, (const uint8_t *)"ghij", 4));
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.written == 10 && !got.complete);
	/* Ranges across piece boundaries. */
	uint8_t buf[16];
	size_t n = 0;
	CHECK_OK(st_blob_read(s, b.id, 0, buf, 10, &n));
	CHECK(n == 10 && !memcmp(buf, "abcdefghij", 10));
	CHECK_OK(st_blob_read(s, b.id, 3, buf, 4, &n));
	CHECK(n == 4 && !memcmp(buf, "defg", 4));
	CHECK_OK(st_blob_read(s, b.id, 5, buf, 16, &n));
	CHECK(n == 5 && !memcmp(buf, "fghij", 5));
	CHECK_OK(st_blob_read(s, b.id, 10, buf, 4, &n));
	CHECK(n == 0);
	size_t total = 0;
	CHECK_OK(st_blob_each_chunk(s, b.id, count_piece, &total));
	CHECK(total == 10);
	CHECK_OK(st_blob_set_complete(s, b.id));
	CHECK_ERR(append(s, b.id, 10, (const uint8_t *)"x", 1), ST_ERR_ARG);
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.complete);
	/* Usage counts declared sizes, finished or not. */
	st_blob c = new_blob(a, 2, 1000, 200);
	CHECK_OK(st_blob_create(s, &c));
	uint64_t usage = 0;
	CHECK_OK(st_blob_usage(s, a, &usage));
	CHECK(usage == 1010);
	CHECK_OK(st_blob_delete(s, b.id));
	CHECK_ERR(st_blob_delete(s, b.id), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_blob_get(s, b.id, &got), ST_ERR_NOT_FOUND);
	total = 0;
	CHECK_OK(st_blob_each_chunk(s, b.id, count_piece, &total));
	CHECK(total == 0);
	CHECK_OK(st_blob_usage(s, a, &usage));
	CHECK(usage == 1000);
	/* Bad arguments: no owner, empty size. */
	st_blob bad = new_blob(999, 3, 5, 0);
	CHECK_ERR(st_blob_create(s, &bad), ST_ERR_ARG);
	bad = new_blob(a, 3, 0, 0);
	CHECK_ERR(st_blob_create(s, &bad), ST_ERR_ARG);
	uint8_t unknown[ST_BLOB_ID_LEN] = { 7 };
	CHECK_ERR(append(s, unknown, 0, (const uint8_t *)"x", 1), ST_ERR_ARG);
	st_server_close(s);
}

/* The hash state goes in with each piece and comes back as stored; one
 * whose tail does not fit the written count is refused. */
TEST(blobs_keep_the_hash_state)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	st_blob b = new_blob(a, 1, 200, 100), got;
	CHECK_OK(st_blob_create(s, &b));
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(!got.has_hash && got.hashed.tail_len == 0);
	uint8_t data[200];
	memset(data, 'd', sizeof data);
	st_blob_hash h;
	memset(&h, 0, sizeof h);
	memset(h.mid, 0xab, sizeof h.mid);
	h.tail_len = 5;
	memcpy(h.tail, "tail!", 5);
	CHECK_ERR(st_blob_append(s, b.id, 0, data, 70, &h), ST_ERR_ARG); /* 70 % 64 is 6 */
	CHECK_ERR(st_blob_append(s, b.id, 0, data, 64, &h), ST_ERR_ARG);
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.written == 0 && !got.has_hash);
	CHECK_OK(st_blob_append(s, b.id, 0, data, 69, &h));
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.written == 69 && got.has_hash && got.hashed.tail_len == 5);
	CHECK_MEM(got.hashed.mid, h.mid, ST_HASH_LEN);
	CHECK_MEM(got.hashed.tail, "tail!", 5);
	/* An empty tail (a whole number of blocks) is stored as such. */
	h.tail_len = 0;
	memset(h.mid, 0xcd, sizeof h.mid);
	CHECK_OK(st_blob_append(s, b.id, 69, data, 128 - 69, &h));
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.written == 128 && got.has_hash && got.hashed.tail_len == 0);
	CHECK_MEM(got.hashed.mid, h.mid, ST_HASH_LEN);
	/* A refused piece leaves the state of the last stored one. */
	h.tail_len = (128 + 73) % 64;
	CHECK_ERR(st_blob_append(s, b.id, 128, data, 73, &h), ST_ERR_ARG); /* past the size */
	CHECK_OK(st_blob_get(s, b.id, &got));
	CHECK(got.written == 128 && got.hashed.tail_len == 0 && got.hashed.mid[0] == 0xcd);
	st_server_close(s);
}

TEST(blobs_expire)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice");
	st_blob old = new_blob(a, 1, 3, 100), young = new_blob(a, 2, 3, 500), got;
	CHECK_OK(st_blob_create(s, &old));
	CHECK_OK(st_blob_create(s, &young));
	CHECK_OK(append(s, old.id, 0, (const uint8_t *)"abc", 3));
	int64_t deleted = -1;
	CHECK_OK(st_blob_expire(s, 100, &deleted));
	CHECK(deleted == 0);
	CHECK_OK(st_blob_expire(s, 101, &deleted));
	CHECK(deleted == 1);
	CHECK_ERR(st_blob_get(s, old.id, &got), ST_ERR_NOT_FOUND);
	CHECK_OK(st_blob_get(s, young.id, &got));
	size_t total = 0;
	CHECK_OK(st_blob_each_chunk(s, old.id, count_piece, &total));
	CHECK(total == 0);
	st_server_close(s);
}

TEST(file_database_wal_persists_rejects_garbage)
{
	char path[] = "/tmp/echover-st-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	st_server *s = NULL;
	CHECK_OK(st_server_open(&s, path));
	if (!s)
		return;
	int64_t a = add_user(s, "alice");
	char wal[64], shm[64];
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(shm, sizeof shm, "%s-shm", path);
	CHECK(access(wal, F_OK) == 0); /* journal_mode=WAL took effect */
	st_server_close(s);
	CHECK_OK(st_server_open(&s, path));
	CHECK(st_server_schema_version(s) == ST_SCHEMA_VERSION);
	st_user u;
	CHECK_OK(st_user_get(s, (const uint8_t *)"alice", 5, &u));
	CHECK(u.id == a);
	st_server_close(s);
	/* A file that is not a database. */
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		fputs("this is not an SQLite database, not at all, no.......................................", f);
		fputs("........................................................................................", f);
		fclose(f);
	}
	unlink(wal);
	unlink(shm);
	CHECK_ERR(st_server_open(&s, path), ST_ERR_DB);
	CHECK(s == NULL);
	unlink(path);
	CHECK(strcmp(st_err_str(ST_ERR_CONFLICT), "conflict") == 0);
}


typedef struct seen {
	int n;
	char names[8][ST_USERNAME_MAX + 1];
	st_role roles[8];
	bool leaving[8];
	int64_t ids[8];
	uint8_t gids[8][ST_GROUP_ID_MAX + 1];
	uint64_t acked[8], next_pos[8], epoch[8];
	bool dm[8];
} seen;

static st_err see_member(void *ctx, const st_member *m)
{
	seen *v = ctx;
	if (v->n >= 8)
		return ST_ERR_ARG;
	snprintf(v->names[v->n], sizeof v->names[0], "%s", m->name);
	v->roles[v->n] = m->role;
	v->leaving[v->n] = m->leaving;
	v->ids[v->n++] = m->user;
	return ST_OK;
}

static st_err see_group(void *ctx, const st_user_group *g)
{
	seen *v = ctx;
	if (v->n >= 8)
		return ST_ERR_ARG;
	memcpy(v->gids[v->n], g->gid, g->gid_len);
	v->gids[v->n][g->gid_len] = 0;
	v->roles[v->n] = g->role;
	v->acked[v->n] = g->acked;
	v->next_pos[v->n] = g->next_pos;
	v->epoch[v->n] = g->epoch;
	v->dm[v->n] = g->dm;
	v->ids[v->n++] = g->id;
	return ST_OK;
}

static st_err see_peer(void *ctx, int64_t id, const char *name)
{
	seen *v = ctx;
	if (v->n >= 8)
		return ST_ERR_ARG;
	snprintf(v->names[v->n], sizeof v->names[0], "%s", name);
	v->ids[v->n++] = id;
	return ST_OK;
}

TEST(members_roles_join_order_promotion)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob"), c = add_user(s, "carol"), d = add_user(s, "dave");
	int64_t g, promoted = -1;
	CHECK_OK(st_group_create(s, (const uint8_t *)"g", 1, a, &g));
	/* Joined in the order carol, bob, dave: listed so, whatever the ids. */
	CHECK_OK(st_member_add(s, g, c, ST_ROLE_MEMBER, 0));
	CHECK_OK(st_member_add(s, g, b, ST_ROLE_MEMBER, 0));
	CHECK_OK(st_member_add(s, g, d, ST_ROLE_MEMBER, 0));
	seen v = { 0 };
	CHECK_OK(st_member_list(s, g, see_member, &v));
	CHECK(v.n == 4 && !strcmp(v.names[0], "alice") && !strcmp(v.names[1], "carol") &&
	      !strcmp(v.names[2], "bob") && !strcmp(v.names[3], "dave"));
	CHECK(v.roles[0] == ST_ROLE_OWNER && v.roles[1] == ST_ROLE_MEMBER && v.ids[1] == c);
	/* Roles. */
	CHECK_OK(st_member_set_role(s, g, d, ST_ROLE_ADMIN));
	CHECK_ERR(st_member_set_role(s, g, 999, ST_ROLE_ADMIN), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_member_set_role(s, g, d, (st_role)7), ST_ERR_ARG);
	/* With an owner, nobody is promoted. */
	CHECK_OK(st_group_ensure_owner(s, g, &promoted));
	CHECK(promoted == 0);
	/* The owner leaves: the longest-standing admin (dave, joined last)
	 * wins over longer-standing members. */
	CHECK_OK(st_member_remove(s, g, a));
	CHECK_OK(st_group_ensure_owner(s, g, &promoted));
	CHECK(promoted == d);
	st_role role;
	uint64_t acked;
	CHECK_OK(st_member_get(s, g, d, &role, &acked));
	CHECK(role == ST_ROLE_OWNER);
	/* No admin left: the longest-standing member (carol). */
	CHECK_OK(st_member_remove(s, g, d));
	CHECK_OK(st_group_ensure_owner(s, g, &promoted));
	CHECK(promoted == c);
	/* A member that leaves and comes back queues at the end. */
	CHECK_OK(st_member_remove(s, g, b));
	CHECK_OK(st_member_add(s, g, a, ST_ROLE_MEMBER, 0));
	CHECK_OK(st_member_add(s, g, b, ST_ROLE_MEMBER, 0));
	v.n = 0;
	CHECK_OK(st_member_list(s, g, see_member, &v));
	CHECK(v.n == 3 && !strcmp(v.names[0], "carol") && !strcmp(v.names[1], "alice") && !strcmp(v.names[2], "bob"));
	/* Everyone gone: nobody to promote, no error. */
	CHECK_OK(st_member_remove(s, g, a));
	CHECK_OK(st_member_remove(s, g, b));
	CHECK_OK(st_member_remove(s, g, c));
	CHECK_OK(st_group_ensure_owner(s, g, &promoted));
	CHECK(promoted == 0);
	st_server_close(s);
}

TEST(leaving_flag_cleared_by_epoch)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t g;
	CHECK_OK(st_group_create(s, (const uint8_t *)"g", 1, a, &g));
	CHECK_OK(st_member_add(s, g, b, ST_ROLE_MEMBER, 0));
	CHECK_OK(st_member_set_leaving(s, g, b));
	CHECK_ERR(st_member_set_leaving(s, g, 999), ST_ERR_NOT_FOUND);
	seen v = { 0 };
	CHECK_OK(st_member_list(s, g, see_member, &v));
	CHECK(v.n == 2 && !v.leaving[0] && v.leaving[1]);
	/* A failed compare-and-set leaves the mark... */
	CHECK_ERR(st_group_advance_epoch(s, g, 5), ST_ERR_CONFLICT);
	v.n = 0;
	CHECK_OK(st_member_list(s, g, see_member, &v));
	CHECK(v.leaving[1]);
	/* ...the epoch change clears it. */
	CHECK_OK(st_group_advance_epoch(s, g, 0));
	v.n = 0;
	CHECK_OK(st_member_list(s, g, see_member, &v));
	CHECK(v.n == 2 && !v.leaving[1]);
	st_server_close(s);
}

TEST(user_groups_peers_dm_mailbox)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob"), c = add_user(s, "carol"), d = add_user(s, "dave");
	int64_t g1, g2;
	CHECK_OK(st_group_create(s, (const uint8_t *)"zeta", 4, a, &g1));
	CHECK_OK(st_group_create(s, (const uint8_t *)"alpha", 5, c, &g2));
	CHECK_OK(st_member_add(s, g1, c, ST_ROLE_MEMBER, 0));
	CHECK_OK(st_member_add(s, g2, b, ST_ROLE_ADMIN, 0));
	CHECK_OK(st_group_mark_dm(s, g2));
	CHECK_ERR(st_group_mark_dm(s, 999), ST_ERR_NOT_FOUND);
	uint64_t pos;
	CHECK_OK(st_log_append(s, g1, a, 0, 0, (const uint8_t *)"x", 1, &pos));
	CHECK_OK(st_log_append(s, g1, a, 0, 0, (const uint8_t *)"y", 1, &pos));
	CHECK_OK(st_member_ack(s, g1, c, 1));
	/* carol's groups, in group id order. */
	seen v = { 0 };
	CHECK_OK(st_user_groups(s, c, see_group, &v));
	CHECK(v.n == 2 && !strcmp((char *)v.gids[0], "alpha") && !strcmp((char *)v.gids[1], "zeta"));
	CHECK(v.roles[0] == ST_ROLE_OWNER && v.dm[0] && v.ids[0] == g2);
	CHECK(v.roles[1] == ST_ROLE_MEMBER && !v.dm[1] && v.acked[1] == 1 && v.next_pos[1] == 3 && v.epoch[1] == 0);
	st_group gg;
	CHECK_OK(st_group_get(s, (const uint8_t *)"alpha", 5, &gg));
	CHECK(gg.dm);
	CHECK_OK(st_group_get(s, (const uint8_t *)"zeta", 4, &gg));
	CHECK(!gg.dm);
	v.n = 0;
	CHECK_OK(st_user_groups(s, d, see_group, &v));
	CHECK(v.n == 0);
	/* Peers of carol: alice (zeta) and bob (alpha), once each, by name. */
	v.n = 0;
	CHECK_OK(st_user_peers(s, c, see_peer, &v));
	CHECK(v.n == 2 && !strcmp(v.names[0], "alice") && !strcmp(v.names[1], "bob") && v.ids[1] == b);
	v.n = 0;
	CHECK_OK(st_user_peers(s, d, see_peer, &v));
	CHECK(v.n == 0);
	/* Mailbox: alice acknowledged nothing, so both entries count; once she
	 * acks one, only the last one (min over members). */
	int64_t unacked = -1;
	CHECK_OK(st_log_unacked(s, g1, &unacked));
	CHECK(unacked == 2);
	CHECK_OK(st_member_ack(s, g1, a, 2));
	CHECK_OK(st_log_unacked(s, g1, &unacked));
	CHECK(unacked == 1);
	st_server_close(s);
}

TEST(join_requests_one_pending)
{
	st_server *s = open_mem();
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t g, del;
	uint64_t pos;
	CHECK_OK(st_group_create(s, (const uint8_t *)"g", 1, a, &g));
	CHECK_OK(st_log_append(s, g, b, 4, 0, (const uint8_t *)"kp", 2, &pos));
	CHECK_OK(st_join_request_add(s, g, b, pos));
	CHECK_ERR(st_join_request_add(s, g, b, pos + 1), ST_ERR_EXISTS);
	/* Read and acknowledged by every member without approval: over. */
	CHECK_OK(st_member_ack(s, g, a, pos));
	CHECK_OK(st_log_prune(s, g, &del));
	CHECK(del == 1);
	CHECK_OK(st_join_request_add(s, g, b, 7));
	/* Added: the pending request is answered. */
	CHECK_OK(st_member_add(s, g, b, ST_ROLE_MEMBER, pos));
	CHECK_OK(st_member_remove(s, g, b));
	CHECK_OK(st_join_request_add(s, g, b, 8));
	st_server_close(s);
}

static const t_case cases[] = {
	T(opens_at_schema_version), T(username_rules), T(users), T(invites_are_one_time), T(key_packages),
	T(groups_and_epochs), T(log_ack_and_prune), T(transactions_roll_back), T(blobs_in_pieces), T(blobs_keep_the_hash_state), T(blobs_expire),
	T(file_database_wal_persists_rejects_garbage), T(members_roles_join_order_promotion),
	T(leaving_flag_cleared_by_epoch), T(user_groups_peers_dm_mailbox), T(join_requests_one_pending), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
