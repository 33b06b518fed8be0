/* conf: load a YAML (or JSON) config file into a jansson value */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <jansson.h>

/*
 * Load the YAML file at path (one document) into *out.  Mappings become
 * objects, sequences arrays; plain scalars that look like YAML 1.2 core
 * numbers, true/false or null become those JSON types, quoted scalars
 * stay strings.  Returns 0, or -1 with "file:line: problem" in err.
 */
int conf_load(const char *path, json_t **out, char *err, size_t errlen);
/* The same, from a string in memory; name is used in messages. */
int conf_loads(const char *text, size_t len, const char *name,
    json_t **out, char *err, size_t errlen);
/* The 1-based line where a node of the last loaded document began, or 0. */
int conf_line(const json_t *node);

#endif
