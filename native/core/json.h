/* A small JSON reader and writer for the shim's control protocol and plan files.
 * The shim is single-threaded and exec'd fresh, so ordinary allocation is fine here;
 * nothing in this file is used between clone and execve in a child of Node. */
#ifndef PODRUN_JSON_H
#define PODRUN_JSON_H

#include <stddef.h>
#include <stdbool.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
  enum json_type type;
  bool boolean;
  double number;
  char *string;           /* JSON_STRING; also the key when inside an object */
  char *key;              /* set on members of an object */
  struct json *child;     /* first element or member */
  struct json *next;      /* next sibling */
  size_t count;           /* number of children */
};

/* Parses a whole document; returns NULL and sets *err to a static message on error. */
struct json *json_parse (const char *text, size_t len, const char **err);
void json_free (struct json *v);

const struct json *json_get (const struct json *obj, const char *key);
const char *json_str (const struct json *obj, const char *key, const char *dflt);
long long json_int (const struct json *obj, const char *key, long long dflt);
bool json_bool (const struct json *obj, const char *key, bool dflt);
/* Returns a NULL-terminated array of the strings of an array member (the strings are borrowed). */
char **json_strv (const struct json *obj, const char *key);

/* A growable output buffer for writing JSON lines. */
struct jbuf { char *data; size_t len, cap; bool first; };
void jb_init (struct jbuf *b);
void jb_free (struct jbuf *b);
void jb_raw (struct jbuf *b, const char *s);
void jb_obj_begin (struct jbuf *b);
void jb_obj_end (struct jbuf *b);
void jb_key_str (struct jbuf *b, const char *key, const char *val);
void jb_key_int (struct jbuf *b, const char *key, long long val);
void jb_key_bool (struct jbuf *b, const char *key, bool val);
void jb_key_raw (struct jbuf *b, const char *key, const char *raw);

#endif
