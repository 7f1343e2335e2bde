/* What the shim accepts: each request of its socket, and its config file, checked against its
 * shape (json-check.h) before anything reads it. The TypeScript side of the same contract is
 * src/runtime/shim-protocol.ts; the two change together. */
#ifndef PODRUN_SHIM_PROTOCOL_H
#define PODRUN_SHIM_PROTOCOL_H

#include "../core/json.h"

/* 0 when `req` is a well-formed request of a known op; else -1 and `msg` says which member of
 * which op is missing or mistyped ("start: container.uid: Required value"). */
int protocol_check_request (const struct json *req, char *msg, size_t len);

/* The same for shim-config.json. */
int protocol_check_config (const struct json *config, char *msg, size_t len);

#endif
