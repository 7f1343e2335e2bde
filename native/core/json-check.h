/* Shapes for JSON requests, checked before anything reads them: a member the shape requires
 * and the request lacks, or one of another type, refuses the whole request with its path, so
 * a field renamed on the TypeScript side never silently becomes a default in C (uid 0, the
 * default capabilities). Readers after the check may then use json.h's accessors freely.
 * Members the shape does not name are ignored, as protobuf ignores unknown fields. */
#ifndef PODRUN_JSON_CHECK_H
#define PODRUN_JSON_CHECK_H

#include "json.h"

enum jc_kind
{
  JC_STRING,
  JC_INT,      /* a number without a fraction */
  JC_UINT,     /* the same, not negative */
  JC_BOOL,
  JC_STRINGS,  /* an array of strings */
  JC_UINTS,    /* an array of JC_UINT */
  JC_OBJECT,   /* members per `shape` */
  JC_OBJECTS,  /* an array of objects, each per `shape` */
  JC_NULLABLE, /* null, or an object per `shape` */
};

struct jc_shape;

struct jc_field
{
  const char *key; /* NULL ends a list */
  enum jc_kind kind;
  bool optional;
  const struct jc_shape *shape;
};

/* A tagged union: the string member `tag` picks which variant's fields apply. */
struct jc_variant
{
  const char *tag_value; /* NULL ends a list */
  const struct jc_field *fields;
};

struct jc_shape
{
  const struct jc_field *fields; /* members every object of this shape has */
  const char *tag;               /* optional: the member that chooses a variant */
  const struct jc_variant *variants;
};

/* 0 when `v` is an object of `shape`; else -1 and `msg` names the first offence by its path
 * under `where` ("" for none), as Kubernetes does: "container.uid: Required value",
 * "container.ops[2].mode: Invalid value: must be a non-negative integer". */
int jc_check (const struct json *v, const struct jc_shape *shape, const char *where, char *msg, size_t len);

#endif
