#include "json-check.h"

#include <stdio.h>
#include <string.h>

static const char *kind_name (enum jc_kind k)
{
  switch (k)
    {
    case JC_STRING: return "a string";
    case JC_INT: return "an integer";
    case JC_UINT: return "a non-negative integer";
    case JC_BOOL: return "a boolean";
    case JC_STRINGS: return "an array of strings";
    case JC_UINTS: return "an array of non-negative integers";
    case JC_OBJECT: return "an object";
    case JC_OBJECTS: return "an array of objects";
    case JC_NULLABLE: return "null or an object";
    }
  return "?";
}

static bool is_int (const struct json *v, bool nonneg)
{
  /* 2^53: the largest integer a double (JSON.stringify's number) carries exactly. */
  return v->type == JSON_NUMBER && v->number == (double) (long long) v->number && v->number <= 9007199254740992.0
         && v->number >= (nonneg ? 0 : -9007199254740992.0);
}

static bool all_items (const struct json *v, bool (*ok) (const struct json *))
{
  if (v->type != JSON_ARRAY)
    return false;
  for (const struct json *c = v->child; c; c = c->next)
    if (!ok (c))
      return false;
  return true;
}

static bool item_string (const struct json *v) { return v->type == JSON_STRING; }
static bool item_uint (const struct json *v) { return is_int (v, true); }

static int fail (char *msg, size_t len, const char *path, const char *what)
{
  snprintf (msg, len, "%s: %s", path, what);
  return -1;
}

static int check_object (const struct json *v, const struct jc_shape *shape, const char *path, char *msg, size_t len);

static int check_value (const struct json *v, const struct jc_field *f, const char *path, char *msg, size_t len)
{
  bool ok = false;
  switch (f->kind)
    {
    case JC_STRING: ok = v->type == JSON_STRING; break;
    case JC_INT: ok = is_int (v, false); break;
    case JC_UINT: ok = is_int (v, true); break;
    case JC_BOOL: ok = v->type == JSON_BOOL; break;
    case JC_STRINGS: ok = all_items (v, item_string); break;
    case JC_UINTS: ok = all_items (v, item_uint); break;
    case JC_OBJECT: return v->type == JSON_OBJECT ? check_object (v, f->shape, path, msg, len) : fail (msg, len, path, "Invalid value: must be an object");
    case JC_NULLABLE:
      if (v->type == JSON_NULL)
        return 0;
      return v->type == JSON_OBJECT ? check_object (v, f->shape, path, msg, len) : fail (msg, len, path, "Invalid value: must be null or an object");
    case JC_OBJECTS:
      if (v->type != JSON_ARRAY)
        return fail (msg, len, path, "Invalid value: must be an array of objects");
      size_t i = 0;
      for (const struct json *c = v->child; c; c = c->next, i++)
        {
          char item[512];
          if (snprintf (item, sizeof item, "%s[%zu]", path, i) >= (int) sizeof item)
            return fail (msg, len, path, "Invalid value: nested too deep");
          if (c->type != JSON_OBJECT)
            return fail (msg, len, item, "Invalid value: must be an object");
          if (check_object (c, f->shape, item, msg, len) < 0)
            return -1;
        }
      return 0;
    }
  if (ok)
    return 0;
  char what[96];
  snprintf (what, sizeof what, "Invalid value: must be %s", kind_name (f->kind));
  return fail (msg, len, path, what);
}

static int check_fields (const struct json *v, const struct jc_field *fields, const char *path, char *msg, size_t len)
{
  for (const struct jc_field *f = fields; f && f->key; f++)
    {
      char sub[512];
      if (snprintf (sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->key) >= (int) sizeof sub)
        return fail (msg, len, path, "Invalid value: nested too deep");
      const struct json *m = json_get (v, f->key);
      if (!m)
        {
          if (f->optional)
            continue;
          return fail (msg, len, sub, "Required value");
        }
      if (check_value (m, f, sub, msg, len) < 0)
        return -1;
    }
  return 0;
}

static int check_object (const struct json *v, const struct jc_shape *shape, const char *path, char *msg, size_t len)
{
  if (check_fields (v, shape->fields, path, msg, len) < 0)
    return -1;
  if (!shape->tag)
    return 0;
  char sub[512];
  if (snprintf (sub, sizeof sub, "%s%s%s", path, *path ? "." : "", shape->tag) >= (int) sizeof sub)
    return fail (msg, len, path, "Invalid value: nested too deep");
  const struct json *t = json_get (v, shape->tag);
  if (!t)
    return fail (msg, len, sub, "Required value");
  if (t->type != JSON_STRING)
    return fail (msg, len, sub, "Invalid value: must be a string");
  for (const struct jc_variant *var = shape->variants; var->tag_value; var++)
    if (strcmp (var->tag_value, t->string) == 0)
      return check_fields (v, var->fields, path, msg, len);
  char what[160];
  snprintf (what, sizeof what, "Unsupported value: \"%.100s\"", t->string);
  return fail (msg, len, sub, what);
}

int jc_check (const struct json *v, const struct jc_shape *shape, const char *where, char *msg, size_t len)
{
  if (!v || v->type != JSON_OBJECT)
    return fail (msg, len, where, "Invalid value: must be an object");
  return check_object (v, shape, where, msg, len);
}
