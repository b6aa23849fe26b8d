/*
 * selftest.h: the known-answer tests built into the shipped binary.
 *
 * cr_selftest() runs one KAT per primitive (vectors compiled in, so the
 * binary needs no file), prints one line per primitive to out, and returns
 * CR_OK only when all pass.
 */
#ifndef ECHOVER_SELFTEST_H
#define ECHOVER_SELFTEST_H

#include <stdio.h>

#include "cr_err.h"

cr_err cr_selftest(FILE *out) CR_MUST_CHECK;

#endif
