/* Authentication, rights and the peer table (coord_guard.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "coord/coord_guard.h"

static const char *nz(const char *s) { return s && *s ? s : NULL; }

int coord_guard_protected(const coord_options *o) {
  return !nz(o->auth_token) && !nz(o->worker_token) && !nz(o->client_token) && !nz(o->admin_token);
}

/* Constant-time: both sides are hashed first, so neither the content nor the length of
 * the secret shows in the time the comparison takes. */
static int secret_matches(const char *secret, const char *given) {
  if (!nz(secret) || !given) return 0;
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)secret, strlen(secret), a);
  SHA256((const unsigned char *)given, strlen(given), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

static const char *role_secret(const coord_options *o, const char *own) { return nz(own) ? own : nz(o->auth_token); }

coord_rights coord_guard_rights(const coord_options *o, proto_role role, const char *token, const char **why) {
  *why = NULL;
  if (coord_guard_protected(o)) { /* loopback only (checked at accept); the role decides */
    if (role == PROTO_ROLE_WORKER) return COORD_RIGHTS_WORKER;
    return role == PROTO_ROLE_ADMIN ? COORD_RIGHTS_ADMIN : COORD_RIGHTS_CLIENT;
  }
  const char *ws = role_secret(o, o->worker_token), *cs = role_secret(o, o->client_token),
             *as = role_secret(o, o->admin_token);
  if (role == PROTO_ROLE_WORKER) {
    if (secret_matches(ws, token)) return COORD_RIGHTS_WORKER;
    *why = !token ? "an auth token is required" : ws ? "auth token does not match the worker token" : "no worker token is configured";
    return COORD_RIGHTS_NONE;
  }
  /* A submitter never gets more than client rights, whatever its token. */
  if (role == PROTO_ROLE_ADMIN && secret_matches(as, token)) return COORD_RIGHTS_ADMIN;
  if (secret_matches(cs, token) || secret_matches(as, token)) return COORD_RIGHTS_CLIENT;
  *why = !token ? "an auth token is required" : "auth token does not match";
  return COORD_RIGHTS_NONE;
}

void coord_guard_addr(const struct sockaddr_storage *ss, char *buf, size_t cap, int *loopback) {
  *loopback = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)cap);
    *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)cap);
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) *loopback = 1;
    else if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) *loopback = a->sin6_addr.s6_addr[12] == 127;
  } else {
    snprintf(buf, cap, "unknown");
  }
}

static void unlink_peer(coord_peer_table *t, coord_peer *p) {
  if (p->prev) p->prev->next = p->next;
  else t->head = p->next;
  if (p->next) p->next->prev = p->prev;
  t->count--;
  free(p);
}

coord_peer *coord_peer_get(coord_peer_table *t, const char *addr) {
  coord_peer *last_idle = NULL;
  for (coord_peer *p = t->head; p; p = p->next) {
    if (strcmp(p->addr, addr) == 0) return p;
    if (p->conns == 0) last_idle = p; /* the list is newest first: this is the oldest so far */
  }
  if (t->count >= COORD_PEER_TABLE_MAX && last_idle) unlink_peer(t, last_idle);
  coord_peer *p = al_xcalloc(1, sizeof *p);
  snprintf(p->addr, sizeof p->addr, "%s", addr);
  p->next = t->head;
  if (t->head) t->head->prev = p;
  t->head = p;
  t->count++;
  return p;
}

void coord_peer_release(coord_peer_table *t, coord_peer *p) {
  if (p->conns > 0) p->conns--;
  if (p->conns == 0 && (p->fails == 0 || al_mono_s() - p->last_fail > 60.0)) unlink_peer(t, p);
}

double coord_peer_failed(coord_peer_table *t, coord_peer *p, double now) {
  if (now - p->last_fail > 60.0) p->fails = 0; /* a quiet minute forgives */
  p->fails++;
  p->last_fail = now;
  t->auth_failures++;
  unsigned n = p->fails > 7 ? 7 : p->fails;
  double d = 0.1 * (double)(1u << (n - 1));
  return d > 5.0 ? 5.0 : d;
}

void coord_peer_table_free(coord_peer_table *t) {
  while (t->head) unlink_peer(t, t->head);
}
