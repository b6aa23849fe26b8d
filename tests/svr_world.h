/*
 * svr_world.h: a server connection engine (net/svr_conn.h) in memory for
 * tests, driven as a client would: a world (an in-memory store and its
 * config), clients that register and log in, the event loop's hooks, and the
 * cast of four users most tests start from. Shared by the test programs of
 * svr_conn.c and of its handler files; the helpers CHECK as they go.
 */
#ifndef ECHOVER_SVR_WORLD_H
#define ECHOVER_SVR_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svr_conn.h"

typedef struct client {
	nt_svr_conn c;
	uint8_t nonce[NT_NONCE_LEN];
	uint8_t exporter[NT_EXPORTER_LEN];
	uint8_t pin[NT_PIN_LEN];       /* the server key the client believes in */
	uint32_t next_id;
	uint16_t type;             /* last response */
	uint8_t body[1 << 16];
	size_t body_n;
	uint16_t err;              /* code when type == NT_ERROR */
	int frames;                /* responses in the last exchange */
} client;

typedef struct world {
	st_server *db;
	cr_rng_det det;
	cr_rng rng;
	nt_svr_config cfg;
} world;

extern const cr_argon2_params FAST;
/* The clock fed to the engine (the rate limits read it); a test that moves
 * it puts it back to 1000 before it ends. */
extern int64_t g_now;

typedef struct ident {
	const char *name;
	uint8_t seed[32], pub[32];
} ident;

/* The hooks the event loop implements, in memory. */
typedef struct hooks {
	st_server *db;
	int64_t online[8];
	size_t n_online;
	int calls;                   /* appended() calls */
	int64_t group;
	uint64_t position;
	char gid[NT_GROUP_ID_MAX + 1];
	const nt_svr_conn *origin;
	bool outside_tx;             /* every call came after the commit */
	bool visible;                /* ... and saw its entry in the log */
} hooks;

/* The people of most tests: alice, bob, carol and dave (seeds 2 to 5), each
 * registered and logged in on a connection of its own (a to d), in one world. */
typedef struct cast {
	world w;
	hooks h;
	ident alice, bob, carol, dave;
	client a, b, c, d;
	int in;                    /* how many are logged in, in that order */
} cast;

void world_init(world *w, nt_policy policy);
/* Feeds raw bytes; keeps the last response frame. */
void feed_raw(client *cl, const uint8_t *p, size_t n);
/* Sends one frame whose body is the request id followed by body[n]. */
void request(client *cl, uint16_t type, const uint8_t *body, size_t n);
/* The last response was an ERROR with this code. */
bool is_err(const client *cl, nt_code code);
/* A new connection, past HELLO. */
void connect_client(world *w, client *cl, uint8_t exporter_byte);
void make_ident(ident *id, const char *name, uint8_t s);
void sign_auth(const client *cl, const char *label, const ident *id, uint8_t sig[64]);
void do_register(client *cl, const ident *id, const char *pw, const char *invite, const ident *signer);
void do_login(client *cl, const ident *id, const char *pw, const ident *signer);
/* A registered, logged-in client. */
void session(world *w, client *cl, const ident *id);
/* Installs the hooks in w->cfg. */
void world_hooks(world *w, hooks *h);
/* The world, with the event loop's hooks when `with_hooks`; nobody in yet,
 * so a test can set its limits in k->w.cfg before anyone logs in. */
void cast_open(cast *k, nt_policy policy, bool with_hooks);
/* Logs in the next people until `n` are in. */
void cast_login(cast *k, int n);
void cast_close(cast *k);

#endif
