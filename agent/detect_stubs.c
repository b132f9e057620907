/* TEMPORARY while detectors are written in parallel: weak fallbacks so the tree links. */
#include <errno.h>

#include "agent/detect_int.h"

__attribute__((weak)) int detect_dns(struct detection *det, const char *root, struct diag *d)
{
	(void)det, (void)root, (void)d;
	return 0;
}
__attribute__((weak)) int detect_ntp(struct detection *det, const char *root, struct diag *d)
{
	(void)det, (void)root, (void)d;
	return 0;
}
__attribute__((weak)) int detect_agent(struct detection *det, const char *root, struct diag *d)
{
	(void)det, (void)root, (void)d;
	return 0;
}
__attribute__((weak)) int detect_relay(struct detection *det, const char *root, struct diag *d)
{
	(void)det, (void)root, (void)d;
	return 0;
}
__attribute__((weak)) int detect_dcgw(struct detection *det, const char *root, struct diag *d)
{
	(void)det, (void)root, (void)d;
	return 0;
}
__attribute__((weak)) int detect_firewalls(struct detection *det, const char *root,
					   struct diag *d)
{
	(void)det, (void)root, (void)d;
	return 0;
}
__attribute__((weak)) int det_read_file(const char *root, const char *path, char **ret,
					size_t *ret_len, struct diag *d)
{
	(void)root, (void)path, (void)ret, (void)ret_len, (void)d;
	return -ENOENT;
}
__attribute__((weak)) int det_run_tool(const char *root, const char *path,
				       const char *const argv[], char **ret, size_t *ret_len)
{
	(void)root, (void)path, (void)argv, (void)ret, (void)ret_len;
	return -ENOENT;
}
