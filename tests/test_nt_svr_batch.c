/*
 * test_nt_svr_batch.c: group commit (net/svr_batch.h) over the connection
 * engine and a database file: answers and notifications are held until the
 * one COMMIT of a batch; a failed COMMIT acknowledges nothing (every member
 * answered INTERNAL and closing, nothing stored, no notification); a
 * refused request inside a batch is undone alone; a batch spans
 * connections; a connection freed inside a batch leaves it cleanly. A
 * second handle on the same file sees what is durable, and only that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_conn.h"
#include "svr_batch.h"
#include "svr_conn.h"
#include "t.h"

typedef struct world {
	char dir[256], path[300];
	st_server *db;
	st_server *other;            /* a second handle: sees only what committed */
	cr_rng_det det;
	cr_rng rng;
	nt_svr_config cfg;
	int appended;                /* hook calls */
	uint64_t position;
	const nt_svr_conn *origin;
	bool veto;
} world;

typedef struct client {
	nt_svr_conn c;
	nt_cli_conn cc;
	nt_cli_resp r[8];            /* the frames of the last take */
	uint8_t *out;
	size_t n_frames;
} client;

static void on_appended(void *ctx, int64_t group, const uint8_t *gid, size_t gid_len, uint64_t position,
			const nt_svr_conn *origin)
{
	world *w = ctx;
	(void)group, (void)gid, (void)gid_len;
	w->appended++;
	w->position = position;
	w->origin = origin;
}

static bool veto(void *ctx)
{
	return ((world *)ctx)->veto;
}

static bool world_init(world *w)
{
	memset(w, 0, sizeof *w);
	const char *tmp = getenv("TMPDIR");
	snprintf(w->dir, sizeof w->dir, "%s/echover-batch-XXXXXX", tmp && *tmp && strlen(tmp) < 180 ? tmp : "/tmp");
	if (!CHECK(mkdtemp(w->dir) != NULL))
		return false;
	snprintf(w->path, sizeof w->path, "%s/s.db", w->dir);
	if (!CHECK_OK(st_server_open(&w->db, w->path)) || !CHECK_OK(st_server_open(&w->other, w->path)))
		return false;
	st_server_set_commit_veto(w->db, veto, w);
	uint8_t seed[32] = { 7 };
	cr_rng_det_init(&w->det, &w->rng, seed);
	w->cfg.policy = NT_POLICY_OPEN;
	w->cfg.frame_max = 1 << 16;
	w->cfg.argon = (cr_argon2_params){ 1, 8 };
	w->cfg.rng = &w->rng;
	memset(w->cfg.server_pin, 0x5e, sizeof w->cfg.server_pin);
	w->cfg.appended = on_appended;
	w->cfg.hooks_ctx = w;
	return true;
}

static void world_free(world *w)
{
	st_server_close(w->db);
	st_server_close(w->other);
	char p[320];
	const char *sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", w->path, sfx[i]);
		unlink(p);
	}
	rmdir(w->dir);
}

/* Takes the engine's output and decodes its frames (NULL output: none). */
static void take(client *cl)
{
	free(cl->out);
	size_t n;
	cl->out = nt_svr_conn_take_output(&cl->c, &n);
	cl->n_frames = 0;
	cr_reader r;
	cr_reader_init(&r, cl->out, n);
	while (cr_reader_left(&r) && cl->n_frames < 8) {
		bool got = false;
		if (!CHECK_OK(nt_cli_feed(&cl->cc, &r, &got, &cl->r[cl->n_frames])) || !got)
			break;
		cl->n_frames++;
	}
}

static void send_built(client *cl, cr_writer *w)
{
	size_t used = 0;
	CHECK_OK(cr_writer_error(w));
	CHECK_OK(nt_svr_conn_feed_sync(&cl->c, w->p, w->len, 1000, &used));
	CHECK(used == w->len);
	cr_writer_free(w);
	cr_writer_init_dynamic(w, 1 << 16);
}

/* HELLO, REGISTER (when reg) and LOGIN of a fresh connection, outside any
 * batch. */
static void client_init(world *w, client *cl, const char *name, uint8_t exporter_byte, bool reg)
{
	memset(cl, 0, sizeof *cl);
	uint8_t exporter[NT_EXPORTER_LEN], seed[32];
	memset(exporter, exporter_byte, sizeof exporter);
	memset(seed, (uint8_t)name[0], sizeof seed);
	CHECK_OK(nt_svr_conn_init(&cl->c, &w->cfg, w->db, exporter));
	nt_cli_conn_init(&cl->cc, 1 << 16);
	nt_cli_bind(&cl->cc, exporter, w->cfg.server_pin);
	cr_writer wr;
	cr_writer_init_dynamic(&wr, 1 << 16);
	nt_cli_hello(&cl->cc, &wr);
	send_built(cl, &wr);
	take(cl);
	CHECK(cl->n_frames == 1 && cl->r[0].type == NT_HELLO_OK);
	uint32_t id;
	if (reg)
		CHECK_OK(nt_cli_register(&cl->cc, &wr, name, "correct horse", seed, NULL, &id));
	CHECK_OK(nt_cli_login(&cl->cc, &wr, name, "correct horse", seed, &id));
	send_built(cl, &wr);
	take(cl);
	CHECK(cl->n_frames == (reg ? 2u : 1u) && (!reg || cl->r[0].type == NT_REGISTER_OK) &&
	      cl->r[cl->n_frames - 1].type == NT_LOGIN_OK);
	cr_writer_free(&wr);
}

static void client_free(client *cl)
{
	free(cl->out);
	cl->out = NULL;
	nt_svr_conn_free(&cl->c);
	nt_cli_conn_free(&cl->cc);
}

static void post(client *cl, uint8_t kind, uint64_t epoch, const char *added, const char *msg)
{
	const char *add[1] = { added };
	nt_cli_post p = { .gid = (const uint8_t *)"g", .gid_len = 1, .kind = kind, .epoch = epoch,
			  .added = add, .n_added = added ? 1 : 0,
			  .message = { (const uint8_t *)msg, strlen(msg) },
			  .welcome = added ? (cr_span){ (const uint8_t *)"welcome", 7 } : (cr_span){ NULL, 0 } };
	cr_writer wr;
	cr_writer_init_dynamic(&wr, 1 << 16);
	nt_cli_post_msg(&cl->cc, &wr, &p);
	send_built(cl, &wr);
	cr_writer_free(&wr);
}

static void fetch(client *cl)
{
	cr_writer wr;
	cr_writer_init_dynamic(&wr, 1 << 16);
	nt_cli_fetch(&cl->cc, &wr, (const uint8_t *)"g", 1, 0, 0);
	send_built(cl, &wr);
	cr_writer_free(&wr);
}

static st_err count_entry(void *ctx, const st_log_entry *e)
{
	(void)e;
	(*(int *)ctx)++;
	return ST_OK;
}

/* Entries of group "g" that a second handle on the file sees. */
static int durable_entries(world *w)
{
	st_group g;
	int n = 0;
	if (st_group_get(w->other, (const uint8_t *)"g", 1, &g) != ST_OK)
		return -1;
	if (!CHECK_OK(st_log_fetch(w->other, g.id, 0, 100, count_entry, &n)))
		return -1;
	return n;
}

/* alice owns "g" and added bob (commit + Welcome: 2 entries). */
static bool two_members(world *w, client *a, client *b)
{
	if (!world_init(w))
		return false;
	client_init(w, a, "alice", 0x41, true);
	client_init(w, b, "bob", 0x42, true);
	cr_writer wr;
	cr_writer_init_dynamic(&wr, 1 << 16);
	nt_cli_group_create(&a->cc, &wr, (const uint8_t *)"g", 1);
	send_built(a, &wr);
	cr_writer_free(&wr);
	take(a);
	post(a, NT_KIND_COMMIT, 0, "bob", "commit");
	take(a);
	w->appended = 0;
	return CHECK(a->n_frames == 1 && a->r[0].type == NT_POST_OK) && CHECK(durable_entries(w) == 2);
}

TEST(acknowledged_only_after_commit_across_connections)
{
	world w;
	client a, b;
	nt_svr_batch batch;
	if (!two_members(&w, &a, &b))
		goto out;
	nt_svr_batch_init(&batch, w.db);
	CHECK_OK(nt_svr_batch_begin(&batch));
	CHECK_ERR(nt_svr_batch_begin(&batch), CR_ERR_STATE);
	CHECK_OK(nt_svr_batch_add(&batch, &a.c, &a));
	CHECK_OK(nt_svr_batch_add(&batch, &a.c, &a)); /* once */
	CHECK_OK(nt_svr_batch_add(&batch, &b.c, &b));
	CHECK(nt_svr_batch_size(&batch) == 2);
	post(&a, NT_KIND_APPLICATION, 1, NULL, "from alice");
	post(&b, NT_KIND_APPLICATION, 1, NULL, "from bob");
	fetch(&b); /* reads inside the batch see its writes, and wait too */
	/* Nothing answered, nothing notified, nothing durable yet. */
	take(&a);
	CHECK(a.out == NULL);
	take(&b);
	CHECK(b.out == NULL);
	CHECK(w.appended == 0);
	CHECK(durable_entries(&w) == 2);
	CHECK_OK(nt_svr_batch_commit(&batch));
	CHECK(durable_entries(&w) == 4);
	take(&a);
	CHECK(a.n_frames == 1 && a.r[0].type == NT_POST_OK && a.r[0].position == 3);
	take(&b);
	CHECK(b.n_frames == 2 && b.r[0].type == NT_POST_OK && b.r[0].position == 4);
	CHECK(b.r[1].type == NT_MESSAGES && b.r[1].n_entries == 3);
	/* One notification for the group, from two origins: nobody left out. */
	CHECK(w.appended == 1 && w.position == 4 && w.origin == NULL);
	CHECK(nt_svr_batch_tag(&batch, 0) == &a && nt_svr_batch_tag(&batch, 1) == &b);
	/* Outside a batch the engine commits by itself again. */
	post(&a, NT_KIND_APPLICATION, 1, NULL, "alone");
	take(&a);
	CHECK(a.n_frames == 1 && a.r[0].type == NT_POST_OK && a.r[0].position == 5);
	CHECK(w.appended == 2 && w.origin == &a.c && durable_entries(&w) == 5);
	CHECK_ERR(nt_svr_batch_add(&batch, &a.c, &a), CR_ERR_STATE);
	CHECK_ERR(nt_svr_batch_commit(&batch), CR_ERR_STATE);
	nt_svr_batch_free(&batch);
	client_free(&a);
	client_free(&b);
out:
	world_free(&w);
}

TEST(failed_commit_releases_no_ok)
{
	world w;
	client a, b;
	nt_svr_batch batch;
	if (!two_members(&w, &a, &b))
		goto out;
	nt_svr_batch_init(&batch, w.db);
	CHECK_OK(nt_svr_batch_begin(&batch));
	CHECK_OK(nt_svr_batch_add(&batch, &a.c, &a));
	CHECK_OK(nt_svr_batch_add(&batch, &b.c, &b));
	post(&a, NT_KIND_APPLICATION, 1, NULL, "lost 1");
	post(&a, NT_KIND_APPLICATION, 1, NULL, "lost 2");
	post(&b, NT_KIND_APPLICATION, 1, NULL, "lost 3");
	w.veto = true;
	CHECK_ERR(nt_svr_batch_commit(&batch), CR_ERR_STATE);
	w.veto = false;
	CHECK(batch.failed == 1);
	/* Each member: one ERROR INTERNAL with id 0, no POST_OK, closing. */
	take(&a);
	CHECK(a.n_frames == 1 && a.r[0].type == NT_ERROR && a.r[0].id == 0 && a.r[0].code == NT_E_INTERNAL);
	CHECK(nt_svr_conn_closing(&a.c));
	take(&b);
	CHECK(b.n_frames == 1 && b.r[0].type == NT_ERROR && b.r[0].code == NT_E_INTERNAL);
	CHECK(nt_svr_conn_closing(&b.c));
	CHECK(w.appended == 0);
	CHECK(durable_entries(&w) == 2);
	client_free(&a);
	client_free(&b);
	/* Nothing of the batch stayed: the next post takes position 3. */
	client c;
	client_init(&w, &c, "alice", 0x43, false);
	post(&c, NT_KIND_APPLICATION, 1, NULL, "after");
	take(&c);
	CHECK(c.n_frames == 1 && c.r[0].type == NT_POST_OK && c.r[0].position == 3);
	client_free(&c);
	nt_svr_batch_free(&batch);
out:
	world_free(&w);
}

TEST(refused_request_in_batch_is_undone_alone)
{
	world w;
	client a, b;
	nt_svr_batch batch;
	if (!two_members(&w, &a, &b))
		goto out;
	nt_svr_batch_init(&batch, w.db);
	CHECK_OK(nt_svr_batch_begin(&batch));
	CHECK_OK(nt_svr_batch_add(&batch, &a.c, &a));
	post(&a, NT_KIND_APPLICATION, 1, NULL, "kept");
	post(&a, NT_KIND_COMMIT, 0, NULL, "stale commit"); /* epoch 0 is past */
	post(&a, NT_KIND_APPLICATION, 1, NULL, "kept too");
	CHECK_OK(nt_svr_batch_commit(&batch));
	take(&a);
	CHECK(a.n_frames == 3 && a.r[0].type == NT_POST_OK && a.r[0].position == 3);
	CHECK(a.r[1].type == NT_ERROR && a.r[1].code == NT_E_CONFLICT);
	CHECK(a.r[2].type == NT_POST_OK && a.r[2].position == 4);
	CHECK(!nt_svr_conn_closing(&a.c));
	CHECK(durable_entries(&w) == 4);
	/* A batch of reads only takes no write lock, and commits. */
	CHECK_OK(nt_svr_batch_begin(&batch));
	CHECK_OK(nt_svr_batch_add(&batch, &b.c, &b));
	fetch(&b);
	CHECK(st_batch_is_open(w.db));
	CHECK_OK(st_begin(w.other)); /* the file's write lock is free */
	st_rollback(w.other);
	CHECK_OK(nt_svr_batch_commit(&batch));
	CHECK(!st_batch_is_open(w.db));
	take(&b);
	CHECK(b.n_frames == 1 && b.r[0].type == NT_MESSAGES && b.r[0].n_entries == 3);
	nt_svr_batch_free(&batch);
	client_free(&a);
	client_free(&b);
out:
	world_free(&w);
}

TEST(connection_freed_inside_a_batch)
{
	world w;
	client a, b;
	nt_svr_batch batch;
	if (!two_members(&w, &a, &b))
		goto out;
	nt_svr_batch_init(&batch, w.db);
	CHECK_OK(nt_svr_batch_begin(&batch));
	CHECK_OK(nt_svr_batch_add(&batch, &a.c, &a));
	CHECK_OK(nt_svr_batch_add(&batch, &b.c, &b));
	post(&a, NT_KIND_APPLICATION, 1, NULL, "sender gone");
	client_free(&a); /* its write stays in the batch, its note loses its origin */
	CHECK(nt_svr_batch_size(&batch) == 1 && nt_svr_batch_tag(&batch, 0) == &b);
	CHECK_OK(nt_svr_batch_commit(&batch));
	CHECK(durable_entries(&w) == 3);
	CHECK(w.appended == 1 && w.position == 3 && w.origin == NULL);
	/* Freeing an open batch rolls it back and answers its members. */
	CHECK_OK(nt_svr_batch_begin(&batch));
	CHECK_OK(nt_svr_batch_add(&batch, &b.c, &b));
	post(&b, NT_KIND_APPLICATION, 1, NULL, "never acknowledged");
	nt_svr_batch_free(&batch);
	take(&b);
	CHECK(b.n_frames == 1 && b.r[0].type == NT_ERROR && b.r[0].code == NT_E_INTERNAL);
	CHECK(durable_entries(&w) == 3 && w.appended == 1);
	client_free(&b);
out:
	world_free(&w);
}

static const t_case cases[] = {
	T(acknowledged_only_after_commit_across_connections), T(failed_commit_releases_no_ok),
	T(refused_request_in_batch_is_undone_alone), T(connection_freed_inside_a_batch), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
