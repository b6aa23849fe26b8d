/*
 * test_st_client.c: the client database (store/st_client.h), on :memory:
 * and on a file that is closed, reopened and read back: identity, pins
 * (unknown / match / changed), groups, exactly-once processing and its
 * transactions, outbox, history, and refused files.
 *
 * This test alone (beside store/) includes sqlite3.h: it plays another
 * program writing the file, to craft a newer schema and a foreign file.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "st_client.h"
#include "t.h"

#define B(s) (const uint8_t *)(s), (sizeof(s) - 1)

static st_client *mem(void)
{
	st_client *c = NULL;
	if (!CHECK_OK(st_client_open(&c, ":memory:")))
		abort();
	return c;
}

/* A fresh temporary folder per test, removed by tmp_clean. */
static char tmp_dir[64];
static char tmp_path[128];

static const char *tmp_db(void)
{
	snprintf(tmp_dir, sizeof tmp_dir, "/tmp/echover-st-client-XXXXXX");
	if (!mkdtemp(tmp_dir))
		abort();
	snprintf(tmp_path, sizeof tmp_path, "%s/client.db", tmp_dir);
	return tmp_path;
}

static void tmp_clean(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", tmp_path, suffix[i]);
		unlink(p);
	}
	rmdir(tmp_dir);
}

TEST(opens_memory_with_schema_and_settings)
{
	st_client *c = mem();
	CHECK(st_client_schema_version(c) == ST_CLIENT_SCHEMA_VERSION);
	st_client_settings s;
	CHECK_OK(st_client_get_settings(c, &s));
	CHECK(s.synchronous == 2 && s.foreign_keys && s.secure_delete);
	st_client_close(c);
	st_client *d = NULL;
	CHECK_ERR(st_client_open(&d, ""), ST_ERR_ARG);
	CHECK(d == NULL);
}

TEST(file_is_private_wal_and_survives_reopen)
{
	const char *path = tmp_db();
	st_client *c = NULL;
	CHECK_OK(st_client_open(&c, path));
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 077) == 0);
	st_client_settings s;
	CHECK_OK(st_client_get_settings(c, &s));
	CHECK(s.wal && s.synchronous == 2 && s.foreign_keys);
	CHECK_OK(st_client_identity_set(c, B("alice"), B("EVKS sealed"), 100));
	CHECK_OK(st_client_group_add(c, B("g1"), B("state-1"), 3, ST_CLIENT_ROLE_OWNER, 7));
	CHECK_OK(st_client_server_pin_add(c, "chat.example", 4433, B("spki-pin"), 101));
	int64_t id;
	CHECK_OK(st_client_outbox_add(c, B("g1"), 1, B("pending"), 102, &id));
	st_client_incoming in = {
		.gid = (const uint8_t *)"g1", .gid_len = 2, .msg_id = (const uint8_t *)"m8", .msg_id_len = 2,
		.log_pos = 8, .state = (const uint8_t *)"state-2", .state_len = 7, .epoch = 3,
		.sender = (const uint8_t *)"bob", .sender_len = 3, .body = (const uint8_t *)"hi", .body_len = 2,
		.sent_at = 5, .received_at = 6,
	};
	CHECK_OK(st_client_process(c, &in));
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", path);
	CHECK(stat(wal, &sb) == 0 && (sb.st_mode & 077) == 0);
	st_client_close(c);

	c = NULL;
	CHECK_OK(st_client_open(&c, path));
	CHECK(st_client_schema_version(c) == ST_CLIENT_SCHEMA_VERSION);
	uint8_t name[ST_CLIENT_NAME_MAX];
	size_t name_len, ks_len;
	uint8_t *ks;
	CHECK_OK(st_client_identity_get(c, name, &name_len, &ks, &ks_len));
	CHECK(name_len == 5 && memcmp(name, "alice", 5) == 0);
	CHECK(ks_len == 11 && memcmp(ks, "EVKS sealed", 11) == 0);
	st_client_free(ks, ks_len);
	st_client_group g;
	CHECK_OK(st_client_group_get(c, B("g1"), &g));
	CHECK(g.state_len == 7 && memcmp(g.state, "state-2", 7) == 0);
	CHECK(g.epoch == 3 && g.log_pos == 8 && g.role == ST_CLIENT_ROLE_OWNER);
	st_client_free(g.state, g.state_len);
	st_pin_info info;
	CHECK_OK(st_client_server_pin_check(c, "chat.example", 4433, B("spki-pin"), &info));
	CHECK(info.status == ST_PIN_MATCH && info.first_seen == 101);
	bool seen;
	CHECK_OK(st_client_processed_has(c, B("g1"), B("m8"), &seen));
	CHECK(seen);
	CHECK_ERR(st_client_process(c, &in), ST_ERR_EXISTS);
	st_client_outgoing o;
	CHECK_OK(st_client_outbox_peek(c, &o));
	CHECK(o.id == id && o.kind == 1 && o.body_len == 7 && memcmp(o.body, "pending", 7) == 0);
	st_client_free(o.body, o.body_len);
	st_client_close(c);
	tmp_clean();
}

TEST(refuses_foreign_newer_and_corrupt_files)
{
	const char *path = tmp_db();
	sqlite3 *db;
	/* another application's database */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE t (x);", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	st_client *c = NULL;
	CHECK_ERR(st_client_open(&c, path), ST_ERR_VERSION);
	CHECK(c == NULL);
	tmp_clean();

	/* a client database from a newer build */
	path = tmp_db();
	CHECK_OK(st_client_open(&c, path));
	st_client_close(c);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	c = NULL;
	CHECK_ERR(st_client_open(&c, path), ST_ERR_VERSION);
	CHECK(c == NULL);
	tmp_clean();

	/* not a database at all */
	path = tmp_db();
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 4096; i++)
		fputc(i * 31, f);
	fclose(f);
	CHECK_ERR(st_client_open(&c, path), ST_ERR_DB);
	CHECK(c == NULL);
	tmp_clean();

	/* a folder that does not exist */
	CHECK_ERR(st_client_open(&c, "/nonexistent-echover-dir/client.db"), ST_ERR_DB);
}

TEST(identity_once_then_keystore_replaced)
{
	st_client *c = mem();
	uint8_t name[ST_CLIENT_NAME_MAX];
	size_t nl, kl;
	uint8_t *ks;
	CHECK_ERR(st_client_identity_get(c, name, &nl, &ks, &kl), ST_ERR_NOT_FOUND);
	CHECK(ks == NULL);
	CHECK_ERR(st_client_identity_set_keystore(c, B("new")), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_identity_set(c, B("alice"), B("ks1"), 1));
	CHECK_ERR(st_client_identity_set(c, B("mallory"), B("ks2"), 2), ST_ERR_EXISTS);
	CHECK_OK(st_client_identity_set_keystore(c, B("ks-resealed")));
	CHECK_OK(st_client_identity_get(c, name, &nl, &ks, &kl));
	CHECK(nl == 5 && memcmp(name, "alice", 5) == 0);
	CHECK(kl == 11 && memcmp(ks, "ks-resealed", 11) == 0);
	st_client_free(ks, kl);
	uint8_t long_name[ST_CLIENT_NAME_MAX + 1];
	memset(long_name, 'a', sizeof long_name);
	CHECK_ERR(st_client_identity_set(c, long_name, sizeof long_name, B("ks"), 1), ST_ERR_ARG);
	CHECK_ERR(st_client_identity_set(c, B(""), B("ks"), 1), ST_ERR_ARG);
	CHECK_ERR(st_client_identity_set_keystore(c, NULL, 0), ST_ERR_ARG);
	st_client_close(c);
}

TEST(server_pins_unknown_match_changed)
{
	st_client *c = mem();
	st_pin_info info;
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-A"), &info));
	CHECK(info.status == ST_PIN_UNKNOWN && info.first_seen == 0);
	CHECK_OK(st_client_server_pin_add(c, "h", 443, B("pin-A"), 10));
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-A"), &info));
	CHECK(info.status == ST_PIN_MATCH && info.first_seen == 10);
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-B"), &info));
	CHECK(info.status == ST_PIN_CHANGED && info.first_seen == 10);
	/* a prefix or an extension of the pin is a change too */
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-"), &info));
	CHECK(info.status == ST_PIN_CHANGED);
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-AA"), &info));
	CHECK(info.status == ST_PIN_CHANGED);
	/* never replaced silently */
	CHECK_ERR(st_client_server_pin_add(c, "h", 443, B("pin-B"), 11), ST_ERR_EXISTS);
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-A"), &info));
	CHECK(info.status == ST_PIN_MATCH);
	/* another port or host is another server */
	CHECK_OK(st_client_server_pin_check(c, "h", 444, B("pin-A"), &info));
	CHECK(info.status == ST_PIN_UNKNOWN);
	CHECK_OK(st_client_server_pin_check(c, "H", 443, B("pin-A"), &info));
	CHECK(info.status == ST_PIN_UNKNOWN);
	/* explicit replacement */
	CHECK_OK(st_client_server_pin_replace(c, "h", 443, B("pin-B"), 20));
	CHECK_OK(st_client_server_pin_check(c, "h", 443, B("pin-B"), &info));
	CHECK(info.status == ST_PIN_MATCH && info.first_seen == 20);
	CHECK_ERR(st_client_server_pin_replace(c, "other", 443, B("pin-B"), 20), ST_ERR_NOT_FOUND);
	/* arguments */
	char long_host[ST_CLIENT_HOST_MAX + 2];
	memset(long_host, 'x', sizeof long_host - 1);
	long_host[sizeof long_host - 1] = '\0';
	uint8_t long_pin[ST_CLIENT_PIN_MAX + 1] = { 0 };
	CHECK_ERR(st_client_server_pin_check(c, long_host, 443, B("p"), &info), ST_ERR_ARG);
	CHECK_ERR(st_client_server_pin_check(c, "", 443, B("p"), &info), ST_ERR_ARG);
	CHECK_ERR(st_client_server_pin_check(c, NULL, 443, B("p"), &info), ST_ERR_ARG);
	CHECK_ERR(st_client_server_pin_add(c, "h", 0, B("p"), 1), ST_ERR_ARG);
	CHECK_ERR(st_client_server_pin_add(c, "h2", 1, long_pin, sizeof long_pin, 1), ST_ERR_ARG);
	CHECK_ERR(st_client_server_pin_add(c, "h2", 1, long_pin, 0, 1), ST_ERR_ARG);
	CHECK_OK(st_client_server_pin_add(c, "h2", 65535, long_pin, ST_CLIENT_PIN_MAX, 1));
	long_host[ST_CLIENT_HOST_MAX] = '\0';
	CHECK_OK(st_client_server_pin_add(c, long_host, 1, B("p"), 1));
	st_client_close(c);
}

TEST(contact_pins_detect_change_and_track_verification)
{
	st_client *c = mem();
	uint8_t k1[32], k2[32];
	memset(k1, 1, 32);
	memset(k2, 1, 32);
	k2[31] = 2;
	st_pin_info info;
	CHECK_OK(st_client_contact_pin_check(c, B("bob"), k1, 32, &info));
	CHECK(info.status == ST_PIN_UNKNOWN);
	CHECK_ERR(st_client_contact_set_verified(c, B("bob"), k1, 32), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_contact_pin_add(c, B("bob"), k1, 32, 50));
	CHECK_OK(st_client_contact_pin_check(c, B("bob"), k1, 32, &info));
	CHECK(info.status == ST_PIN_MATCH && info.first_seen == 50 && !info.verified);
	CHECK_OK(st_client_contact_pin_check(c, B("bob"), k2, 32, &info));
	CHECK(info.status == ST_PIN_CHANGED && !info.verified);
	CHECK_ERR(st_client_contact_pin_add(c, B("bob"), k2, 32, 51), ST_ERR_EXISTS);
	/* verifying a key that is not the pinned one is refused */
	CHECK_ERR(st_client_contact_set_verified(c, B("bob"), k2, 32), ST_ERR_CONFLICT);
	CHECK_OK(st_client_contact_set_verified(c, B("bob"), k1, 32));
	CHECK_OK(st_client_contact_pin_check(c, B("bob"), k1, 32, &info));
	CHECK(info.status == ST_PIN_MATCH && info.verified);
	CHECK_OK(st_client_contact_pin_check(c, B("bob"), k2, 32, &info));
	CHECK(info.status == ST_PIN_CHANGED && !info.verified);
	/* accepting the new key clears the verification */
	CHECK_OK(st_client_contact_pin_replace(c, B("bob"), k2, 32, 60));
	CHECK_OK(st_client_contact_pin_check(c, B("bob"), k2, 32, &info));
	CHECK(info.status == ST_PIN_MATCH && !info.verified && info.first_seen == 60);
	CHECK_ERR(st_client_contact_pin_replace(c, B("carol"), k2, 32, 60), ST_ERR_NOT_FOUND);
	/* names are bytes: "Bob" is not "bob" */
	CHECK_OK(st_client_contact_pin_check(c, B("Bob"), k2, 32, &info));
	CHECK(info.status == ST_PIN_UNKNOWN);
	CHECK_ERR(st_client_contact_pin_check(c, B(""), k2, 32, &info), ST_ERR_ARG);
	CHECK_ERR(st_client_contact_pin_add(c, B("dave"), k2, 0, 1), ST_ERR_ARG);
	st_client_close(c);
}

static st_err count_group(void *ctx, const st_client_group *g)
{
	int *n = ctx;
	if (g->state != NULL)
		return ST_ERR_ARG;
	(*n)++;
	return ST_OK;
}

static st_err stop_at_first(void *ctx, const st_client_group *g)
{
	(void)g;
	(*(int *)ctx)++;
	return ST_ERR_CONFLICT;
}

TEST(groups_add_get_list_role_remove)
{
	st_client *c = mem();
	st_client_group g;
	CHECK_ERR(st_client_group_get(c, B("g"), &g), ST_ERR_NOT_FOUND);
	CHECK(g.state == NULL);
	CHECK_OK(st_client_group_add(c, B("g"), B("s0"), 0, ST_CLIENT_ROLE_MEMBER, 0));
	CHECK_ERR(st_client_group_add(c, B("g"), B("s1"), 1, ST_CLIENT_ROLE_MEMBER, 0), ST_ERR_EXISTS);
	CHECK_OK(st_client_group_add(c, B("h"), B("t0"), 5, ST_CLIENT_ROLE_ADMIN, 9));
	CHECK_OK(st_client_group_get(c, B("g"), &g));
	CHECK(g.state_len == 2 && memcmp(g.state, "s0", 2) == 0 && g.epoch == 0 && g.id_len == 1);
	st_client_free(g.state, g.state_len);
	CHECK_OK(st_client_group_set_role(c, B("g"), ST_CLIENT_ROLE_OWNER));
	CHECK_OK(st_client_group_get(c, B("g"), &g));
	CHECK(g.role == ST_CLIENT_ROLE_OWNER);
	st_client_free(g.state, g.state_len);
	CHECK_ERR(st_client_group_set_role(c, B("x"), ST_CLIENT_ROLE_OWNER), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_client_group_set_role(c, B("g"), (st_client_role)3), ST_ERR_ARG);
	int n = 0;
	CHECK_OK(st_client_group_list(c, count_group, &n));
	CHECK(n == 2);
	n = 0;
	CHECK_ERR(st_client_group_list(c, stop_at_first, &n), ST_ERR_CONFLICT);
	CHECK(n == 1);
	CHECK_OK(st_client_group_remove(c, B("h")));
	CHECK_ERR(st_client_group_remove(c, B("h")), ST_ERR_NOT_FOUND);
	n = 0;
	CHECK_OK(st_client_group_list(c, count_group, &n));
	CHECK(n == 1);
	/* arguments */
	uint8_t long_gid[ST_CLIENT_GROUP_ID_MAX + 1] = { 0 };
	CHECK_ERR(st_client_group_add(c, long_gid, sizeof long_gid, B("s"), 0, 0, 0), ST_ERR_ARG);
	CHECK_OK(st_client_group_add(c, long_gid, ST_CLIENT_GROUP_ID_MAX, B("s"), 0, 0, 0));
	CHECK_ERR(st_client_group_add(c, B("e"), NULL, 0, 0, 0, 0), ST_ERR_ARG);
	CHECK_ERR(st_client_group_add(c, B("e"), B("s"), (uint64_t)INT64_MAX + 1, 0, 0), ST_ERR_ARG);
	CHECK_ERR(st_client_group_add(c, B("e"), B("s"), 0, 0, UINT64_MAX), ST_ERR_ARG);
	CHECK_ERR(st_client_group_add(c, B("e"), B("s"), 0, (st_client_role)7, 0), ST_ERR_ARG);
	st_client_close(c);
}

static st_client_incoming msg(const char *gid, const char *id, uint64_t pos, const char *state,
			      uint64_t epoch, const char *sender, const char *body)
{
	st_client_incoming in = {
		.gid = (const uint8_t *)gid, .gid_len = strlen(gid),
		.msg_id = (const uint8_t *)id, .msg_id_len = strlen(id),
		.log_pos = pos, .epoch = epoch, .sent_at = (int64_t)(pos % 1000) * 10,
		.received_at = (int64_t)(pos % 1000) * 10 + 1,
	};
	if (state) {
		in.state = (const uint8_t *)state;
		in.state_len = strlen(state);
	}
	if (sender) {
		in.sender = (const uint8_t *)sender;
		in.sender_len = strlen(sender);
		in.body = (const uint8_t *)body;
		in.body_len = strlen(body);
	}
	return in;
}

typedef struct hist {
	int n;
	char text[512];
} hist;

static st_err collect(void *ctx, const st_client_message *m)
{
	hist *h = ctx;
	size_t len = strlen(h->text);
	snprintf(h->text + len, sizeof h->text - len, "%s%.*s:%.*s@%llu", h->n ? " " : "", (int)m->sender_len,
		 (const char *)m->sender, (int)m->body_len, (const char *)m->body, (unsigned long long)m->log_pos);
	h->n++;
	return ST_OK;
}

static hist history_of(st_client *c, const char *gid, unsigned limit)
{
	hist h;
	memset(&h, 0, sizeof h);
	CHECK_OK(st_client_history(c, (const uint8_t *)gid, strlen(gid), limit, collect, &h));
	return h;
}

static void check_group(st_client *c, const char *gid, const char *state, uint64_t epoch, uint64_t pos)
{
	st_client_group g;
	if (!CHECK_OK(st_client_group_get(c, (const uint8_t *)gid, strlen(gid), &g)))
		return;
	CHECK(g.state_len == strlen(state) && memcmp(g.state, state, g.state_len) == 0);
	CHECK(g.epoch == epoch && g.log_pos == pos);
	st_client_free(g.state, g.state_len);
}

TEST(process_is_exactly_once)
{
	st_client *c = mem();
	CHECK_OK(st_client_group_add(c, B("g"), B("s1"), 1, ST_CLIENT_ROLE_MEMBER, 10));
	st_client_incoming m11 = msg("g", "id11", 11, "s1'", 1, "bob", "hello");
	CHECK_OK(st_client_process(c, &m11));
	check_group(c, "g", "s1'", 1, 11);
	/* the same message again: refused, nothing changes */
	st_client_incoming dup = msg("g", "id11", 11, "WRONG", 9, "bob", "hello");
	CHECK_ERR(st_client_process(c, &dup), ST_ERR_EXISTS);
	dup.log_pos = 12;
	CHECK_ERR(st_client_process(c, &dup), ST_ERR_EXISTS);
	check_group(c, "g", "s1'", 1, 11);
	hist h = history_of(c, "g", 100);
	CHECK(h.n == 1 && strcmp(h.text, "bob:hello@11") == 0);
	/* a new id at an old position: the log never goes back */
	st_client_incoming old = msg("g", "id-new", 11, "WRONG", 1, "bob", "x");
	CHECK_ERR(st_client_process(c, &old), ST_ERR_CONFLICT);
	old.log_pos = 5;
	CHECK_ERR(st_client_process(c, &old), ST_ERR_CONFLICT);
	/* a commit: new state and epoch, no history entry */
	st_client_incoming commit = msg("g", "id13", 13, "s2", 2, NULL, NULL);
	CHECK_OK(st_client_process(c, &commit));
	check_group(c, "g", "s2", 2, 13);
	/* an epoch may not go back */
	st_client_incoming back = msg("g", "id14", 14, "s1-again", 1, NULL, NULL);
	CHECK_ERR(st_client_process(c, &back), ST_ERR_CONFLICT);
	check_group(c, "g", "s2", 2, 13);
	/* a message that failed verification: marked, position moves, nothing else */
	st_client_incoming dropped = msg("g", "id15", 15, NULL, 0, NULL, NULL);
	CHECK_OK(st_client_process(c, &dropped));
	check_group(c, "g", "s2", 2, 15);
	bool seen = false;
	CHECK_OK(st_client_processed_has(c, B("g"), B("id15"), &seen));
	CHECK(seen);
	CHECK_OK(st_client_processed_has(c, B("g"), B("id14"), &seen));
	CHECK(!seen);
	/* ids are per group */
	CHECK_OK(st_client_processed_has(c, B("h"), B("id15"), &seen));
	CHECK(!seen);
	st_client_incoming unknown = msg("h", "id1", 1, NULL, 0, NULL, NULL);
	CHECK_ERR(st_client_process(c, &unknown), ST_ERR_NOT_FOUND);
	h = history_of(c, "g", 100);
	CHECK(h.n == 1);
	st_client_close(c);
}

TEST(process_refuses_bad_arguments)
{
	st_client *c = mem();
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 0, 0, 0));
	st_client_incoming in = msg("g", "id", 1, NULL, 0, NULL, NULL);
	in.msg_id_len = 0;
	CHECK_ERR(st_client_process(c, &in), ST_ERR_ARG);
	in.msg_id_len = ST_CLIENT_MSG_ID_MAX + 1;
	CHECK_ERR(st_client_process(c, &in), ST_ERR_ARG);
	in = msg("g", "id", (uint64_t)INT64_MAX + 1, NULL, 0, NULL, NULL);
	CHECK_ERR(st_client_process(c, &in), ST_ERR_ARG);
	in = msg("g", "id", 1, "s", 0, NULL, NULL);
	in.state_len = 0;
	CHECK_ERR(st_client_process(c, &in), ST_ERR_ARG);
	in = msg("g", "id", 1, NULL, 0, "a-name-that-is-longer-than-32-bytes", "x");
	CHECK_ERR(st_client_process(c, &in), ST_ERR_ARG);
	in = msg("g", "id", 1, NULL, 0, "bob", "");
	in.body = NULL;
	CHECK_OK(st_client_process(c, &in)); /* an empty body is a message */
	CHECK_ERR(st_client_process(c, NULL), ST_ERR_ARG);
	bool seen;
	CHECK_ERR(st_client_processed_has(c, B("g"), NULL, 0, &seen), ST_ERR_ARG);
	st_client_close(c);
}

/* A Welcome (group_add) and its first message in one caller transaction:
 * rolled back, neither is there; committed, both are. A refused call inside
 * the transaction does not undo the earlier writes (savepoints). */
TEST(transactions_compose_and_roll_back)
{
	const char *path = tmp_db();
	st_client *c = NULL;
	CHECK_OK(st_client_open(&c, path));
	CHECK_OK(st_client_begin(c));
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 1, 0, 0));
	st_client_incoming m1 = msg("g", "w", 1, "s'", 1, "bob", "hi");
	CHECK_OK(st_client_process(c, &m1));
	st_client_rollback(c);
	st_client_group g;
	CHECK_ERR(st_client_group_get(c, B("g"), &g), ST_ERR_NOT_FOUND);
	hist h = history_of(c, "g", 10);
	CHECK(h.n == 0);

	CHECK_OK(st_client_begin(c));
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 1, 0, 0));
	CHECK_OK(st_client_process(c, &m1));
	CHECK_ERR(st_client_process(c, &m1), ST_ERR_EXISTS);
	CHECK_ERR(st_client_begin(c), ST_ERR_DB); /* no nested BEGIN */
	CHECK_OK(st_client_commit(c));
	CHECK_ERR(st_client_commit(c), ST_ERR_DB); /* nothing to commit */
	st_client_close(c);

	c = NULL;
	CHECK_OK(st_client_open(&c, path));
	check_group(c, "g", "s'", 1, 1);
	h = history_of(c, "g", 10);
	CHECK(h.n == 1 && strcmp(h.text, "bob:hi@1") == 0);
	st_client_close(c);
	tmp_clean();
}

/* A client killed (SIGKILL) in the middle of a transaction: after a restart
 * what it committed is there and what it had not committed is not, so the
 * message is processed again rather than lost or half-applied. */
TEST(killed_client_keeps_committed_and_drops_uncommitted)
{
	const char *path = tmp_db();
	st_client *c = NULL;
	CHECK_OK(st_client_open(&c, path));
	CHECK_OK(st_client_group_add(c, B("g"), B("s0"), 0, 0, 0));
	st_client_close(c);
	pid_t pid = fork();
	if (pid == 0) {
		st_client *k = NULL;
		if (st_client_open(&k, path))
			_exit(2);
		st_client_incoming a = msg("g", "m1", 1, "s1", 1, "bob", "kept");
		if (st_client_process(k, &a))
			_exit(3);
		if (st_client_begin(k))
			_exit(4);
		st_client_incoming b = msg("g", "m2", 2, "s2", 2, "bob", "lost");
		if (st_client_process(k, &b))
			_exit(5);
		kill(getpid(), SIGKILL);
		_exit(6);
	}
	int status = 0;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	c = NULL;
	CHECK_OK(st_client_open(&c, path));
	check_group(c, "g", "s1", 1, 1);
	hist h = history_of(c, "g", 10);
	CHECK(h.n == 1 && strcmp(h.text, "bob:kept@1") == 0);
	bool seen = true;
	CHECK_OK(st_client_processed_has(c, B("g"), B("m2"), &seen));
	CHECK(!seen);
	st_client_incoming b = msg("g", "m2", 2, "s2", 2, "bob", "again");
	CHECK_OK(st_client_process(c, &b));
	check_group(c, "g", "s2", 2, 2);
	st_client_close(c);
	tmp_clean();
}

TEST(prune_forgets_ids_but_position_still_refuses_replays)
{
	st_client *c = mem();
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 0, 0, 0));
	char id[8];
	for (int i = 1; i <= 10; i++) {
		snprintf(id, sizeof id, "m%d", i);
		st_client_incoming in = msg("g", id, (uint64_t)i, NULL, 0, NULL, NULL);
		CHECK_OK(st_client_process(c, &in));
	}
	int64_t removed = -1;
	CHECK_OK(st_client_processed_prune(c, B("g"), 8, &removed));
	CHECK(removed == 7);
	bool seen;
	CHECK_OK(st_client_processed_has(c, B("g"), B("m7"), &seen));
	CHECK(!seen);
	CHECK_OK(st_client_processed_has(c, B("g"), B("m8"), &seen));
	CHECK(seen);
	st_client_incoming replay = msg("g", "m3", 3, NULL, 0, NULL, NULL);
	CHECK_ERR(st_client_process(c, &replay), ST_ERR_CONFLICT);
	CHECK_OK(st_client_processed_prune(c, B("other"), 8, &removed));
	CHECK(removed == 0);
	/* removing the group forgets its ids (foreign key cascade) */
	CHECK_OK(st_client_group_remove(c, B("g")));
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 0, 0, 0));
	CHECK_OK(st_client_processed_has(c, B("g"), B("m9"), &seen));
	CHECK(!seen);
	st_client_close(c);
}

TEST(outbox_is_fifo)
{
	st_client *c = mem();
	st_client_outgoing o;
	int64_t n = -1, a, b, d;
	CHECK_ERR(st_client_outbox_peek(c, &o), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_outbox_count(c, &n));
	CHECK(n == 0);
	CHECK_OK(st_client_outbox_add(c, B("g"), 1, B("first"), 1, &a));
	CHECK_OK(st_client_outbox_add(c, B("h"), 2, B("second"), 2, &b));
	CHECK_OK(st_client_outbox_add(c, B("g"), 3, NULL, 0, 3, &d));
	CHECK(a < b && b < d);
	CHECK_OK(st_client_outbox_count(c, &n));
	CHECK(n == 3);
	CHECK_OK(st_client_outbox_peek(c, &o));
	CHECK(o.id == a && o.gid_len == 1 && o.gid[0] == 'g' && o.kind == 1 && o.created == 1);
	CHECK(o.body_len == 5 && memcmp(o.body, "first", 5) == 0);
	st_client_free(o.body, o.body_len);
	CHECK_OK(st_client_outbox_remove(c, a));
	CHECK_ERR(st_client_outbox_remove(c, a), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_outbox_peek(c, &o));
	CHECK(o.id == b && o.kind == 2 && o.body_len == 6);
	st_client_free(o.body, o.body_len);
	CHECK_OK(st_client_outbox_remove(c, b));
	CHECK_OK(st_client_outbox_peek(c, &o));
	CHECK(o.id == d && o.body_len == 0 && o.kind == 3);
	st_client_free(o.body, o.body_len);
	CHECK_OK(st_client_outbox_remove(c, d));
	CHECK_ERR(st_client_outbox_peek(c, &o), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_client_outbox_add(c, B(""), 1, B("x"), 1, &a), ST_ERR_ARG);
	CHECK_ERR(st_client_outbox_add(c, B("g"), 1, NULL, 1, 1, &a), ST_ERR_ARG);
	st_client_close(c);
}

static st_err fail_second(void *ctx, const st_client_message *m)
{
	(void)m;
	return ++*(int *)ctx == 2 ? ST_ERR_NOMEM : ST_OK;
}

TEST(history_returns_last_messages_oldest_first)
{
	st_client *c = mem();
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 0, 0, 0));
	char id[8], body[8];
	for (int i = 1; i <= 5; i++) {
		snprintf(id, sizeof id, "m%d", i);
		snprintf(body, sizeof body, "b%d", i);
		st_client_incoming in = msg("g", id, (uint64_t)i, NULL, 0, "bob", body);
		CHECK_OK(st_client_process(c, &in));
	}
	CHECK_OK(st_client_history_add(c, B("g"), B("alice"), NULL, 0, B("mine"), 60, 60));
	CHECK_OK(st_client_history_add(c, B("other"), B("alice"), NULL, 0, B("elsewhere"), 61, 61));
	hist h = history_of(c, "g", 3);
	CHECK(h.n == 3 && strcmp(h.text, "bob:b4@4 bob:b5@5 alice:mine@0") == 0);
	h = history_of(c, "g", 100);
	CHECK(h.n == 6);
	h = history_of(c, "other", 100);
	CHECK(h.n == 1 && strcmp(h.text, "alice:elsewhere@0") == 0);
	h = history_of(c, "none", 100);
	CHECK(h.n == 0);
	int calls = 0;
	CHECK_ERR(st_client_history(c, B("g"), 10, fail_second, &calls), ST_ERR_NOMEM);
	CHECK(calls == 2);
	CHECK_ERR(st_client_history(c, B("g"), 0, fail_second, &calls), ST_ERR_ARG);
	CHECK_ERR(st_client_history(c, B("g"), 10001, fail_second, &calls), ST_ERR_ARG);
	CHECK_ERR(st_client_history_add(c, B("g"), B(""), NULL, 0, B("x"), 1, 1), ST_ERR_ARG);
	/* after an early stop the statement is reset: the next call works */
	h = history_of(c, "g", 2);
	CHECK(h.n == 2);
	st_client_close(c);
}

TEST(key_packages_add_get_remove_count)
{
	st_client *c = mem();
	int64_t n = -1;
	CHECK_OK(st_client_kp_count(c, &n));
	CHECK(n == 0);
	CHECK_OK(st_client_kp_add(c, B("ref-1"), B("sealed-1"), false, 1));
	CHECK_OK(st_client_kp_add(c, B("ref-2"), B("sealed-2"), false, 2));
	CHECK_OK(st_client_kp_add(c, B("ref-L"), B("sealed-L"), true, 3));
	CHECK_ERR(st_client_kp_add(c, B("ref-1"), B("other"), false, 4), ST_ERR_EXISTS);
	CHECK_OK(st_client_kp_count(c, &n));
	CHECK(n == 2);
	uint8_t *p;
	size_t len;
	bool last = true;
	CHECK_OK(st_client_kp_get(c, B("ref-1"), &p, &len, &last));
	CHECK(len == 8 && memcmp(p, "sealed-1", 8) == 0 && !last);
	st_client_free(p, len);
	CHECK_OK(st_client_kp_get(c, B("ref-L"), &p, &len, &last));
	CHECK(last);
	st_client_free(p, len);
	CHECK_ERR(st_client_kp_get(c, B("ref-9"), &p, &len, &last), ST_ERR_NOT_FOUND);
	CHECK(p == NULL && !last);
	/* a Welcome consumes a one-time KeyPackage together with the join */
	CHECK_OK(st_client_begin(c));
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 1, 0, 0));
	CHECK_OK(st_client_kp_remove(c, B("ref-1")));
	CHECK_OK(st_client_commit(c));
	CHECK_ERR(st_client_kp_remove(c, B("ref-1")), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_kp_count(c, &n));
	CHECK(n == 1);
	uint8_t long_ref[ST_CLIENT_KP_REF_MAX + 1] = { 0 };
	CHECK_ERR(st_client_kp_add(c, long_ref, sizeof long_ref, B("s"), false, 1), ST_ERR_ARG);
	CHECK_ERR(st_client_kp_add(c, B("r"), NULL, 0, false, 1), ST_ERR_ARG);
	CHECK_ERR(st_client_kp_get(c, NULL, 0, &p, &len, &last), ST_ERR_ARG);
	st_client_close(c);
}

/* Two handles on one file (the interactive client and a one-shot command):
 * each sees the other's committed writes; a duplicate is caught across them. */
TEST(two_handles_share_one_file)
{
	const char *path = tmp_db();
	st_client *a = NULL, *b = NULL;
	CHECK_OK(st_client_open(&a, path));
	CHECK_OK(st_client_open(&b, path));
	CHECK_OK(st_client_group_add(a, B("g"), B("s"), 0, 0, 0));
	st_client_incoming m = msg("g", "m1", 1, "s1", 1, "bob", "x");
	CHECK_OK(st_client_process(b, &m));
	CHECK_ERR(st_client_process(a, &m), ST_ERR_EXISTS);
	check_group(a, "g", "s1", 1, 1);
	CHECK_OK(st_client_begin(a));
	st_client_incoming m2 = msg("g", "m2", 2, NULL, 0, NULL, NULL);
	CHECK_OK(st_client_process(a, &m2));
	CHECK_OK(st_client_commit(a));
	CHECK_ERR(st_client_process(b, &m2), ST_ERR_EXISTS);
	st_client_close(a);
	st_client_close(b);
	tmp_clean();
}

TEST(server_pin_get_and_state_update_without_position)
{
	st_client *c = mem();
	uint8_t pin[ST_CLIENT_PIN_MAX];
	size_t n = 0;
	CHECK_ERR(st_client_server_pin_get(c, "h", 443, pin, &n), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_server_pin_add(c, "h", 443, B("pin-A"), 10));
	CHECK_OK(st_client_server_pin_get(c, "h", 443, pin, &n));
	CHECK(n == 5 && memcmp(pin, "pin-A", 5) == 0);
	CHECK_ERR(st_client_server_pin_get(c, "h", 444, pin, &n), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_client_server_pin_get(c, "", 443, pin, &n), ST_ERR_ARG);

	CHECK_ERR(st_client_group_set_state(c, B("g"), B("s1"), 1), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_group_add(c, B("g"), B("s0"), 3, ST_CLIENT_ROLE_MEMBER, 7));
	CHECK_OK(st_client_group_set_state(c, B("g"), B("s1"), 3));
	CHECK_ERR(st_client_group_set_state(c, B("g"), B("old"), 2), ST_ERR_CONFLICT);
	CHECK_ERR(st_client_group_set_state(c, B("g"), NULL, 0, 3), ST_ERR_ARG);
	st_client_group g;
	if (CHECK_OK(st_client_group_get(c, B("g"), &g))) {
		CHECK(g.state_len == 2 && memcmp(g.state, "s1", 2) == 0 && g.epoch == 3 && g.log_pos == 7);
		st_client_free(g.state, g.state_len);
	}
	st_client_close(c);
}

/* A version-1 file (before registration marks, the server's KeyPackage
 * count and leaf ages) migrates: its identity counts as registered. */
TEST(migrates_version_1_and_tracks_registration_kp_count_leaf_age)
{
	/* Made by this build, then taken back to version 1. */
	const char *path = tmp_db();
	st_client *c = NULL;
	if (!CHECK_OK(st_client_open(&c, path)))
		return;
	CHECK_OK(st_client_identity_set(c, B("old"), B("ks"), 1));
	CHECK_OK(st_client_group_add(c, B("g"), B("s"), 1, ST_CLIENT_ROLE_MEMBER, 0));
	st_client_close(c);
	c = NULL;
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
			   "ALTER TABLE identity DROP COLUMN registered;"
			   "ALTER TABLE identity DROP COLUMN kp_server_left;"
			   "ALTER TABLE groups DROP COLUMN own_commit_at;"
			   "DROP TABLE delivered;"
			   "DELETE FROM schema_version WHERE version >= 2;",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	if (!CHECK_OK(st_client_open(&c, path))) {
		tmp_clean();
		return;
	}
	CHECK(st_client_schema_version(c) == ST_CLIENT_SCHEMA_VERSION);
	bool reg = false;
	CHECK_OK(st_client_identity_registered(c, &reg));
	CHECK(reg);
	int64_t left = 0;
	CHECK_OK(st_client_kp_server_left_get(c, &left));
	CHECK(left == -1);
	CHECK_OK(st_client_kp_server_left_set(c, 17));
	CHECK_OK(st_client_kp_server_left_get(c, &left));
	CHECK(left == 17);
	CHECK_ERR(st_client_kp_server_left_set(c, -2), ST_ERR_ARG);
	st_client_group g;
	CHECK_OK(st_client_group_get(c, B("g"), &g));
	CHECK(g.own_commit_at == 0);
	st_client_free(g.state, g.state_len);
	CHECK_OK(st_client_group_set_own_commit(c, B("g"), 1234));
	CHECK_OK(st_client_group_get(c, B("g"), &g));
	CHECK(g.own_commit_at == 1234);
	st_client_free(g.state, g.state_len);
	CHECK_ERR(st_client_group_set_own_commit(c, B("nope"), 1), ST_ERR_NOT_FOUND);
	st_client_close(c);
	tmp_clean();

	/* A new identity is not registered until marked, under the name given then. */
	CHECK_OK(st_client_open(&c, ":memory:"));
	CHECK_ERR(st_client_identity_registered(c, &reg), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_client_identity_set_registered(c, B("bob")), ST_ERR_NOT_FOUND);
	CHECK_OK(st_client_identity_set(c, B("bbo"), B("ks"), 1));
	CHECK_OK(st_client_identity_registered(c, &reg));
	CHECK(!reg);
	CHECK_OK(st_client_identity_set_registered(c, B("bob")));
	CHECK_OK(st_client_identity_registered(c, &reg));
	CHECK(reg);
	uint8_t name[ST_CLIENT_NAME_MAX], *ks = NULL;
	size_t name_len = 0, ks_len = 0;
	CHECK_OK(st_client_identity_get(c, name, &name_len, &ks, &ks_len));
	CHECK(name_len == 3 && memcmp(name, "bob", 3) == 0);
	st_client_free(ks, ks_len);
	st_client_close(c);
}

static void with_app_id(st_client_incoming *in, const char *app_id)
{
	in->app_id = (const uint8_t *)app_id;
	in->app_id_len = strlen(app_id);
}

/* The same message sent twice (a retry: two log entries, other bytes, one
 * sender's id) is delivered once; another id, or the same id from another
 * sender or in another group, is another message. */
TEST(delivered_once_per_sender_and_app_id)
{
	st_client *c = mem();
	CHECK_OK(st_client_group_add(c, B("g"), B("s0"), 1, ST_CLIENT_ROLE_MEMBER, 0));
	CHECK_OK(st_client_group_add(c, B("h"), B("t0"), 1, ST_CLIENT_ROLE_MEMBER, 0));
	bool seen = true;
	CHECK_OK(st_client_delivered_has(c, B("g"), B("bob"), B("app-1"), &seen));
	CHECK(!seen);
	st_client_incoming first = msg("g", "entry1", 1, "s1", 1, "bob", "hello");
	with_app_id(&first, "app-1");
	CHECK_OK(st_client_process(c, &first));
	CHECK_OK(st_client_delivered_has(c, B("g"), B("bob"), B("app-1"), &seen));
	CHECK(seen);
	/* The retry: a new entry carrying the same id is refused whole. */
	st_client_incoming again = msg("g", "entry2", 2, "s2", 1, "bob", "hello");
	with_app_id(&again, "app-1");
	CHECK_ERR(st_client_process(c, &again), ST_ERR_EXISTS);
	check_group(c, "g", "s1", 1, 1);
	bool entry_seen = true;
	CHECK_OK(st_client_processed_has(c, B("g"), B("entry2"), &entry_seen));
	CHECK(!entry_seen);
	/* As the engine processes it: without sender, so its key is spent and nothing shows. */
	again = msg("g", "entry2", 2, "s2", 1, NULL, NULL);
	CHECK_OK(st_client_process(c, &again));
	check_group(c, "g", "s2", 1, 2);
	hist h = history_of(c, "g", 100);
	CHECK(h.n == 1 && strcmp(h.text, "bob:hello@1") == 0);
	/* Another id, another sender, another group: other messages. */
	st_client_incoming other = msg("g", "entry3", 3, "s3", 1, "bob", "hello");
	with_app_id(&other, "app-2");
	CHECK_OK(st_client_process(c, &other));
	st_client_incoming carol = msg("g", "entry4", 4, "s4", 1, "carol", "hello");
	with_app_id(&carol, "app-1");
	CHECK_OK(st_client_process(c, &carol));
	st_client_incoming elsewhere = msg("h", "entry1", 1, "t1", 1, "bob", "hello");
	with_app_id(&elsewhere, "app-1");
	CHECK_OK(st_client_process(c, &elsewhere));
	h = history_of(c, "g", 100);
	CHECK(h.n == 3);
	/* Our own sends are recorded too: a retry of one adds nothing. */
	CHECK_OK(st_client_history_add(c, B("g"), B("alice"), B("mine-1"), B("sent"), 50, 50));
	CHECK_ERR(st_client_history_add(c, B("g"), B("alice"), B("mine-1"), B("sent"), 51, 51), ST_ERR_EXISTS);
	CHECK_OK(st_client_delivered_has(c, B("g"), B("alice"), B("mine-1"), &seen));
	CHECK(seen);
	h = history_of(c, "g", 100);
	CHECK(h.n == 4);
	/* Like the history, it outlives the group's state. */
	CHECK_OK(st_client_group_remove(c, B("g")));
	CHECK_OK(st_client_delivered_has(c, B("g"), B("bob"), B("app-1"), &seen));
	CHECK(seen);
	/* Bad arguments: an id without a sender, empty or oversized ids. */
	st_client_incoming bad = msg("h", "entry9", 9, NULL, 0, NULL, NULL);
	with_app_id(&bad, "app-9");
	CHECK_ERR(st_client_process(c, &bad), ST_ERR_ARG);
	uint8_t big[ST_CLIENT_MSG_ID_MAX + 1] = { 0 };
	CHECK_ERR(st_client_delivered_has(c, B("h"), B("bob"), big, sizeof big, &seen), ST_ERR_ARG);
	CHECK_ERR(st_client_delivered_has(c, B("h"), B(""), B("app-1"), &seen), ST_ERR_ARG);
	CHECK_ERR(st_client_history_add(c, B("h"), B("alice"), big, sizeof big, B("x"), 1, 1), ST_ERR_ARG);
	st_client_close(c);
}

static const t_case cases[] = {
	T(migrates_version_1_and_tracks_registration_kp_count_leaf_age),
	T(delivered_once_per_sender_and_app_id),
	T(opens_memory_with_schema_and_settings),
	T(file_is_private_wal_and_survives_reopen),
	T(refuses_foreign_newer_and_corrupt_files),
	T(identity_once_then_keystore_replaced),
	T(server_pins_unknown_match_changed),
	T(contact_pins_detect_change_and_track_verification),
	T(groups_add_get_list_role_remove),
	T(process_is_exactly_once),
	T(process_refuses_bad_arguments),
	T(transactions_compose_and_roll_back),
	T(killed_client_keeps_committed_and_drops_uncommitted),
	T(prune_forgets_ids_but_position_still_refuses_replays),
	T(key_packages_add_get_remove_count),
	T(two_handles_share_one_file),
	T(outbox_is_fifo),
	T(history_returns_last_messages_oldest_first),
	T(server_pin_get_and_state_update_without_position),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
