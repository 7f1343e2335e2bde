#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser { const char *p, *end; const char *err; int depth; };

static void skip_ws (struct parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static struct json *new_value (enum json_type t)
{
  struct json *v = calloc (1, sizeof *v);
  if (v)
    v->type = t;
  return v;
}

static int put_utf8 (char *out, unsigned cp)
{
  if (cp < 0x80) { out[0] = (char) cp; return 1; }
  if (cp < 0x800) { out[0] = (char) (0xc0 | (cp >> 6)); out[1] = (char) (0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000)
    {
      out[0] = (char) (0xe0 | (cp >> 12)); out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
      out[2] = (char) (0x80 | (cp & 0x3f)); return 3;
    }
  out[0] = (char) (0xf0 | (cp >> 18)); out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3f)); out[3] = (char) (0x80 | (cp & 0x3f)); return 4;
}

static int hex4 (const char *s, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = s[i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= (unsigned) (c - '0');
      else if (c >= 'a' && c <= 'f') v |= (unsigned) (c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= (unsigned) (c - 'A' + 10);
      else return -1;
    }
  *out = v;
  return 0;
}

static char *parse_string (struct parser *ps)
{
  /* The decoded string is never longer than the encoded one. */
  const char *start = ++ps->p;
  const char *q = start;
  while (q < ps->end && *q != '"')
    q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  if (q >= ps->end) { ps->err = "unterminated string"; return NULL; }
  char *out = malloc ((size_t) (q - start) + 1), *o = out;
  if (!out) { ps->err = "out of memory"; return NULL; }
  while (ps->p < q)
    {
      char c = *ps->p++;
      if ((unsigned char) c < 0x20) { ps->err = "control character in string"; free (out); return NULL; }
      if (c != '\\') { *o++ = c; continue; }
      c = *ps->p++;
      switch (c)
        {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
          {
            unsigned cp;
            if (q - ps->p < 4 || hex4 (ps->p, &cp) < 0) { ps->err = "bad \\u escape"; free (out); return NULL; }
            ps->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && q - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u')
              {
                unsigned lo;
                if (hex4 (ps->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000)
                  {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    ps->p += 6;
                  }
              }
            if (cp == 0) { ps->err = "NUL in string"; free (out); return NULL; }
            o += put_utf8 (o, cp);
            break;
          }
        default: ps->err = "bad escape"; free (out); return NULL;
        }
    }
  *o = '\0';
  ps->p = q + 1;
  return out;
}

static struct json *parse_value (struct parser *ps);

static struct json *parse_container (struct parser *ps, bool object)
{
  struct json *v = new_value (object ? JSON_OBJECT : JSON_ARRAY), **tail;
  char close = object ? '}' : ']';
  if (!v) { ps->err = "out of memory"; return NULL; }
  if (++ps->depth > 64) { ps->err = "nesting too deep"; free (v); return NULL; }
  tail = &v->child;
  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == close) { ps->p++; ps->depth--; return v; }
  for (;;)
    {
      char *key = NULL;
      skip_ws (ps);
      if (object)
        {
          if (ps->p >= ps->end || *ps->p != '"') { ps->err = "expected key"; goto fail; }
          if (!(key = parse_string (ps))) goto fail;
          skip_ws (ps);
          if (ps->p >= ps->end || *ps->p != ':') { free (key); ps->err = "expected ':'"; goto fail; }
          ps->p++;
        }
      struct json *item = parse_value (ps);
      if (!item) { free (key); goto fail; }
      item->key = key;
      *tail = item;
      tail = &item->next;
      v->count++;
      skip_ws (ps);
      if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
      if (ps->p < ps->end && *ps->p == close) { ps->p++; break; }
      ps->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
      goto fail;
    }
  ps->depth--;
  return v;
fail:
  json_free (v);
  return NULL;
}

static struct json *parse_value (struct parser *ps)
{
  skip_ws (ps);
  if (ps->p >= ps->end) { ps->err = "unexpected end"; return NULL; }
  switch (*ps->p)
    {
    case '{': return parse_container (ps, true);
    case '[': return parse_container (ps, false);
    case '"':
      {
        char *s = parse_string (ps);
        struct json *v = s ? new_value (JSON_STRING) : NULL;
        if (v) v->string = s; else free (s);
        return v;
      }
    case 't': case 'f': case 'n':
      {
        static const char *words[] = { "true", "false", "null" };
        for (int i = 0; i < 3; i++)
          {
            size_t n = strlen (words[i]);
            if ((size_t) (ps->end - ps->p) >= n && memcmp (ps->p, words[i], n) == 0)
              {
                struct json *v = new_value (i == 2 ? JSON_NULL : JSON_BOOL);
                if (v) v->boolean = i == 0;
                ps->p += n;
                return v;
              }
          }
        ps->err = "bad literal";
        return NULL;
      }
    default:
      {
        char buf[64];
        size_t n = 0;
        while (ps->p + n < ps->end && n < sizeof buf - 1 && strchr ("+-0123456789.eE", ps->p[n]))
          n++;
        if (n == 0) { ps->err = "unexpected character"; return NULL; }
        memcpy (buf, ps->p, n);
        buf[n] = '\0';
        char *endp;
        double d = strtod (buf, &endp);
        if (*endp) { ps->err = "bad number"; return NULL; }
        ps->p += n;
        struct json *v = new_value (JSON_NUMBER);
        if (v) v->number = d;
        return v;
      }
    }
}

struct json *json_parse (const char *text, size_t len, const char **err)
{
  struct parser ps = { text, text + len, NULL, 0 };
  struct json *v = parse_value (&ps);
  if (v)
    {
      skip_ws (&ps);
      if (ps.p != ps.end) { json_free (v); v = NULL; ps.err = "trailing characters"; }
    }
  if (!v && err)
    *err = ps.err ? ps.err : "out of memory";
  return v;
}

void json_free (struct json *v)
{
  while (v)
    {
      struct json *next = v->next;
      json_free (v->child);
      free (v->string);
      free (v->key);
      free (v);
      v = next;
    }
}

const struct json *json_get (const struct json *obj, const char *key)
{
  if (!obj || obj->type != JSON_OBJECT)
    return NULL;
  for (const struct json *m = obj->child; m; m = m->next)
    if (strcmp (m->key, key) == 0)
      return m;
  return NULL;
}

const char *json_str (const struct json *obj, const char *key, const char *dflt)
{
  const struct json *v = json_get (obj, key);
  return v && v->type == JSON_STRING ? v->string : dflt;
}

long long json_int (const struct json *obj, const char *key, long long dflt)
{
  const struct json *v = json_get (obj, key);
  return v && v->type == JSON_NUMBER ? (long long) v->number : dflt;
}

bool json_bool (const struct json *obj, const char *key, bool dflt)
{
  const struct json *v = json_get (obj, key);
  return v && v->type == JSON_BOOL ? v->boolean : dflt;
}

char **json_strv (const struct json *obj, const char *key)
{
  const struct json *v = json_get (obj, key);
  size_t n = v && v->type == JSON_ARRAY ? v->count : 0, i = 0;
  char **out = calloc (n + 1, sizeof *out);
  if (!out)
    return NULL;
  for (const struct json *e = n ? v->child : NULL; e; e = e->next)
    if (e->type == JSON_STRING)
      out[i++] = e->string;
  return out;
}

void jb_init (struct jbuf *b) { memset (b, 0, sizeof *b); }
void jb_free (struct jbuf *b) { free (b->data); memset (b, 0, sizeof *b); }

static void jb_put (struct jbuf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap ? b->cap : 256;
      while (cap < b->len + n + 1)
        cap *= 2;
      char *d = realloc (b->data, cap);
      if (!d)
        abort ();
      b->data = d;
      b->cap = cap;
    }
  memcpy (b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void jb_raw (struct jbuf *b, const char *s) { jb_put (b, s, strlen (s)); }

static void jb_string (struct jbuf *b, const char *s)
{
  jb_put (b, "\"", 1);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\') { char e[2] = { '\\', (char) c }; jb_put (b, e, 2); }
      else if (c < 0x20) { char e[8]; snprintf (e, sizeof e, "\\u%04x", c); jb_put (b, e, 6); }
      else jb_put (b, s, 1);
    }
  jb_put (b, "\"", 1);
}

static void jb_key (struct jbuf *b, const char *key)
{
  if (!b->first)
    jb_put (b, ",", 1);
  b->first = false;
  jb_string (b, key);
  jb_put (b, ":", 1);
}

void jb_obj_begin (struct jbuf *b) { jb_put (b, "{", 1); b->first = true; }
void jb_obj_end (struct jbuf *b) { jb_put (b, "}", 1); b->first = false; }
void jb_key_str (struct jbuf *b, const char *key, const char *val) { jb_key (b, key); jb_string (b, val ? val : ""); }
void jb_key_raw (struct jbuf *b, const char *key, const char *raw) { jb_key (b, key); jb_raw (b, raw); }

void jb_key_int (struct jbuf *b, const char *key, long long val)
{
  char n[32];
  snprintf (n, sizeof n, "%lld", val);
  jb_key_raw (b, key, n);
}

void jb_key_bool (struct jbuf *b, const char *key, bool val) { jb_key_raw (b, key, val ? "true" : "false"); }
