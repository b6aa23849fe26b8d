/*
 * st_client_pin.c: the client store's pins (st_client.h): the server keys it
 * trusts per host and port, and its contacts' identity keys with their
 * verified marks, each checked, added or replaced.
 */
#include "st_client_int.h"

#include <string.h>

/* Pins are public values; the comparison still runs in time that depends
 * only on the lengths (habit: the same code may one day compare secrets). */
static bool same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	if (an != bn)
		return false;
	uint8_t d = 0;
	for (size_t i = 0; i < an; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Fills info from a pin row (pin in column 0, first_seen in 1, verified in
 * 2 when has_verified); the statement is reset. */
static st_err pin_status(sqlite3_stmt *st, const uint8_t *pin, size_t pin_len, bool has_verified,
			 st_pin_info *info)
{
	memset(info, 0, sizeof *info);
	st_err e = st_sql_row(st);
	if (e == ST_ERR_NOT_FOUND) {
		info->status = ST_PIN_UNKNOWN;
		return ST_OK;
	}
	ST_TRY(e);
	const uint8_t *stored = sqlite3_column_blob(st, 0);
	int n = sqlite3_column_bytes(st, 0);
	info->first_seen = sqlite3_column_int64(st, 1);
	bool same = n > 0 && stored && same_bytes(stored, (size_t)n, pin, pin_len);
	info->status = same ? ST_PIN_MATCH : ST_PIN_CHANGED;
	info->verified = has_verified && same && sqlite3_column_int64(st, 2) == 1;
	st_client_stmt_done(st);
	return ST_OK;
}

static bool host_ok(const char *host, size_t *n)
{
	if (!host)
		return false;
	*n = strnlen(host, ST_CLIENT_HOST_MAX + 1);
	return *n >= 1 && *n <= ST_CLIENT_HOST_MAX;
}

st_err st_client_server_pin_check(st_client *c, const char *host, uint16_t port, const uint8_t *pin,
				  size_t pin_len, st_pin_info *info)
{
	memset(info, 0, sizeof *info);
	size_t hn;
	ST_ENSURE(host_ok(host, &hn) && port != 0, ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(pin, pin_len, ST_CLIENT_PIN_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_SPIN_GET);
	ST_TRY(st_client_bind_text(st, 1, host, hn));
	ST_TRY(st_client_bind_i64(st, 2, port));
	return pin_status(st, pin, pin_len, false, info);
}

st_err st_client_server_pin_get(st_client *c, const char *host, uint16_t port, uint8_t pin[ST_CLIENT_PIN_MAX],
				size_t *pin_len)
{
	size_t hn;
	ST_ENSURE(host_ok(host, &hn) && port != 0, ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_SPIN_GET);
	ST_TRY(st_client_bind_text(st, 1, host, hn));
	ST_TRY(st_client_bind_i64(st, 2, port));
	ST_TRY(st_sql_row(st));
	const uint8_t *stored = sqlite3_column_blob(st, 0);
	int n = sqlite3_column_bytes(st, 0);
	st_err e = ST_ERR_DB;
	if (stored && n > 0 && n <= ST_CLIENT_PIN_MAX) {
		memcpy(pin, stored, (size_t)n);
		*pin_len = (size_t)n;
		e = ST_OK;
	}
	st_client_stmt_done(st);
	return e;
}

static st_err server_pin_write(st_client *c, enum q which, const char *host, uint16_t port,
			       const uint8_t *pin, size_t pin_len, int64_t now)
{
	size_t hn;
	ST_ENSURE(host_ok(host, &hn) && port != 0, ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(pin, pin_len, ST_CLIENT_PIN_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, which);
	ST_TRY(st_client_bind_text(st, 1, host, hn));
	ST_TRY(st_client_bind_i64(st, 2, port));
	ST_TRY(st_client_bind_blob(st, 3, pin, pin_len));
	ST_TRY(st_client_bind_i64(st, 4, now));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_server_pin_add(st_client *c, const char *host, uint16_t port, const uint8_t *pin,
				size_t pin_len, int64_t now)
{
	return server_pin_write(c, Q_SPIN_ADD, host, port, pin, pin_len, now);
}

st_err st_client_server_pin_replace(st_client *c, const char *host, uint16_t port,
				    const uint8_t *pin, size_t pin_len, int64_t now)
{
	return server_pin_write(c, Q_SPIN_SET, host, port, pin, pin_len, now);
}

st_err st_client_contact_pin_check(st_client *c, const uint8_t *name, size_t name_len,
				   const uint8_t *key, size_t key_len, st_pin_info *info)
{
	memset(info, 0, sizeof *info);
	ST_ENSURE(st_client_len_ok(name, name_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(key, key_len, ST_CLIENT_PIN_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_CPIN_GET);
	ST_TRY(st_client_bind_blob(st, 1, name, name_len));
	return pin_status(st, key, key_len, true, info);
}

static st_err contact_pin_write(st_client *c, enum q which, const uint8_t *name, size_t name_len,
				const uint8_t *key, size_t key_len, int64_t now)
{
	ST_ENSURE(st_client_len_ok(name, name_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(key, key_len, ST_CLIENT_PIN_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, which);
	ST_TRY(st_client_bind_blob(st, 1, name, name_len));
	ST_TRY(st_client_bind_blob(st, 2, key, key_len));
	ST_TRY(st_client_bind_i64(st, 3, now));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_contact_pin_add(st_client *c, const uint8_t *name, size_t name_len,
				 const uint8_t *key, size_t key_len, int64_t now)
{
	return contact_pin_write(c, Q_CPIN_ADD, name, name_len, key, key_len, now);
}

st_err st_client_contact_pin_replace(st_client *c, const uint8_t *name, size_t name_len,
				     const uint8_t *key, size_t key_len, int64_t now)
{
	return contact_pin_write(c, Q_CPIN_SET, name, name_len, key, key_len, now);
}

st_err st_client_contact_set_verified(st_client *c, const uint8_t *name, size_t name_len,
				      const uint8_t *key, size_t key_len)
{
	bool own;
	ST_TRY(st_client_op_begin(c, &own));
	st_pin_info info;
	st_err e = st_client_contact_pin_check(c, name, name_len, key, key_len, &info);
	if (e == ST_OK && info.status == ST_PIN_UNKNOWN)
		e = ST_ERR_NOT_FOUND;
	else if (e == ST_OK && info.status == ST_PIN_CHANGED)
		e = ST_ERR_CONFLICT;
	if (e == ST_OK) {
		sqlite3_stmt *st = st_client_stmt(c, Q_CPIN_VERIFY);
		e = st_client_bind_blob(st, 1, name, name_len);
		if (e == ST_OK)
			e = st_sql_run(st);
	}
	return st_client_op_end(c, own, e);
}
