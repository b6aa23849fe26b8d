/*
 * cr_err.h: the one result type of echover's crypto/ layer (and of net/,
 * which builds on it).
 *
 * Every function that can fail returns a cr_err and is marked CR_MUST_CHECK,
 * so the compiler refuses a silently ignored failure. CR_OK is zero, so
 * `if (err)` reads naturally. The helper macros keep the happy path in a
 * straight line and branch only on failure:
 *
 *   CR_TRY(expr)          return the error of expr, if any
 *   CR_ENSURE(cond, err)  return err unless cond holds
 *   CR_CHECK(expr)        store the error in the local `err` and goto `out`
 *                         (for functions that must wipe or free on exit)
 */
#ifndef ECHOVER_CR_ERR_H
#define ECHOVER_CR_ERR_H

typedef enum cr_err {
	CR_OK = 0,
	CR_ERR_TRUNCATED,   /* input ended before the structure did */
	CR_ERR_MALFORMED,   /* bytes no valid encoding has: bad prefix, trailing data, bad enum */
	CR_ERR_LIMIT,       /* a length or count above its documented limit */
	CR_ERR_SPACE,       /* an output buffer is too small */
	CR_ERR_AUTH,        /* a tag, MAC or signature did not verify */
	CR_ERR_INVALID,     /* well formed, but forbidden by the protocol (weak key, wrong epoch, ...) */
	CR_ERR_ARG,         /* the caller broke the API contract */
	CR_ERR_NOMEM,       /* an allocation failed */
	CR_ERR_RANDOM,      /* the random source failed */
	CR_ERR_UNSUPPORTED, /* a valid value this build does not implement (other cipher suite, ...) */
	CR_ERR_STATE,       /* the object is not in a state where this call is allowed */
	CR_ERR_NOT_FOUND,   /* a looked-up item does not exist */
} cr_err;

#define CR_MUST_CHECK __attribute__((warn_unused_result))

/* A short, static, human-readable name of an error ("truncated input", ...). */
const char *cr_err_str(cr_err e);

#define CR_TRY(expr) \
	do { \
		cr_err cr_try_e_ = (expr); \
		if (cr_try_e_ != CR_OK) \
			return cr_try_e_; \
	} while (0)

#define CR_ENSURE(cond, e) \
	do { \
		if (!(cond)) \
			return (e); \
	} while (0)

#define CR_CHECK(expr) \
	do { \
		if ((err = (expr)) != CR_OK) \
			goto out; \
	} while (0)

#endif
