/*
 * loopback.h: a child `echover server` on 127.0.0.1, as `echover demo` runs
 * one (and the end-to-end tests and the server benchmark do): a port that is
 * free now, and whether something accepts connections on a port yet.
 *
 * The port is free when asked; another process may take it before the child
 * binds it, so callers start the child again on a new port when it exits.
 */
#ifndef ECHOVER_NT_LOOPBACK_H
#define ECHOVER_NT_LOOPBACK_H

#include <stdbool.h>
#include <stdint.h>

/* A TCP port on 127.0.0.1 that no socket holds now; 0 if none was had. */
uint16_t nt_loopback_free_port(void);
/* True when a TCP connection to 127.0.0.1:port is accepted (then closed). */
bool nt_loopback_listening(uint16_t port);

#endif
