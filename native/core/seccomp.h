/* Loading the seccomp filter podrun compiled (src/seccomp/compile.ts): the request carries the
 * sock_filter array in hex, decoded here by the parent before any clone; the child only makes
 * the seccomp(2) call, which is async-signal-safe. */
#ifndef PODRUN_SECCOMP_H
#define PODRUN_SECCOMP_H

#include "util.h"

#include <linux/filter.h>

struct pr_seccomp
{
  struct sock_filter *insns; /* malloc'd by pr_seccomp_decode */
  unsigned short len;
};

/* Decodes hex (16 digits an instruction, as compile.ts writes them) into out; at most
 * BPF_MAXINSNS instructions. */
int pr_seccomp_decode (const char *hex, struct pr_seccomp *out, struct pr_error *err);
void pr_seccomp_free (struct pr_seccomp *s);
/* seccomp(SECCOMP_SET_MODE_FILTER): needs no_new_privs, or CAP_SYS_ADMIN in the caller's user namespace. */
int pr_seccomp_load (const struct pr_seccomp *s, struct pr_error *err);

#endif
