/* opt: option values every tool reads the same way */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "opt.h"

int
opt_size(const char *s, size_t lo, size_t hi, size_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024ULL * 1024 * 1024, end++;
	if (mul > 1 && end[0] == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end != '\0' || v > SIZE_MAX / mul || v * mul < lo ||
	    v * mul > hi)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}
