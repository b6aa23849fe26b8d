#include "cr_err.h"

const char *cr_err_str(cr_err e)
{
	switch (e) {
	case CR_OK: return "ok";
	case CR_ERR_TRUNCATED: return "truncated input";
	case CR_ERR_MALFORMED: return "malformed input";
	case CR_ERR_LIMIT: return "limit exceeded";
	case CR_ERR_SPACE: return "output buffer too small";
	case CR_ERR_AUTH: return "authentication failed";
	case CR_ERR_INVALID: return "invalid value";
	case CR_ERR_ARG: return "invalid argument";
	case CR_ERR_NOMEM: return "out of memory";
	case CR_ERR_RANDOM: return "random source failed";
	case CR_ERR_UNSUPPORTED: return "unsupported";
	case CR_ERR_STATE: return "wrong state";
	case CR_ERR_NOT_FOUND: return "not found";
	}
	return "unknown error";
}
