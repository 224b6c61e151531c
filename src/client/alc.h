/* The wire client's in-tree additions to include/auralith/client.h (not installed):
 * what the rest of the tree needs beyond the public API. Prefix: alc_. */
#ifndef AL_CLIENT_ALC_H
#define AL_CLIENT_ALC_H

#include "auralith/client.h"

/* Like al_connect over an already-connected stream socket (e.g. one end of a
 * socketpair into an in-process coordinator). Takes ownership of fd (closed on
 * failure too); name stands for the address in messages. */
al_client *alc_connect_fd(int fd, const char *name, al_role role, const char *token, double timeout_s,
                           al_err *err);

#endif
