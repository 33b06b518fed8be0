/* awsint: what the aws modules share among themselves, defined in
 * lib/awscfg.c: the environment, the shared files.  Not for
 * the tools: they use aws.h. */
#ifndef AWSINT_H
#define AWSINT_H

#include <stddef.h>

/* A variable's value, NULL when unset or empty (as the SDKs treat it). */
const char *aws_env(const char *name);

/* Whether v is "true" in any case (NULL is not). */
int aws_is_true(const char *v);

/* The shared file named by variable var, else def ("~/.aws/config");
 * "~/" is expanded.  malloc'd. */
char *aws_shared_file(const char *var, const char *def);

/*
 * The value of key in [section] of an INI file read the way botocore
 * reads it, malloc'd, or NULL.  *seen (when not NULL) is set when the
 * section exists.
 */
char *aws_ini_get(const char *file, const char *section, const char *key,
    int *seen);

/* key in profile name of the config file: [profile name], and [default]
 * for "default". */
char *aws_profile_get(const char *name, const char *key, int *seen);

#endif
