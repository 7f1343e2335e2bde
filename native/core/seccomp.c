#include "seccomp.h"

#include <linux/seccomp.h>
#include <string.h>

static int hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int pr_seccomp_decode (const char *hex, struct pr_seccomp *out, struct pr_error *err)
{
  size_t n = strlen (hex);
  out->insns = NULL;
  out->len = 0;
  if (n == 0 || n % (2 * sizeof (struct sock_filter)) != 0 || n / (2 * sizeof (struct sock_filter)) > BPF_MAXINSNS)
    return pr_fail (err, EINVAL, "seccomp filter", "not a whole number of instructions (1 to 4096)");
  size_t bytes = n / 2;
  unsigned char *buf = malloc (bytes);
  if (!buf)
    return pr_fail (err, ENOMEM, "seccomp filter", NULL);
  for (size_t i = 0; i < bytes; i++)
    {
      int hi = hexval (hex[2 * i]), lo = hexval (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        {
          free (buf);
          return pr_fail (err, EINVAL, "seccomp filter", "not hexadecimal");
        }
      buf[i] = (unsigned char) (hi << 4 | lo);
    }
  /* compile.ts writes each struct sock_filter little-endian, as x86_64 lays it out. */
  out->insns = (struct sock_filter *) buf;
  out->len = (unsigned short) (bytes / sizeof (struct sock_filter));
  return 0;
}

void pr_seccomp_free (struct pr_seccomp *s)
{
  free (s->insns);
  s->insns = NULL;
  s->len = 0;
}

int pr_seccomp_load (const struct pr_seccomp *s, struct pr_error *err)
{
  struct sock_fprog prog = { .len = s->len, .filter = s->insns };
  /* No flags: no TSYNC (the caller is single-threaded), and the kernel's default speculative
   * store bypass mitigation for filtered tasks, as runc and crun keep it. */
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return pr_fail (err, errno, "seccomp SECCOMP_SET_MODE_FILTER", NULL);
  return 0;
}
