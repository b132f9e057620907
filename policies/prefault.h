/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Faulting in a large block that is about to be filled, in one call. Each first write to a
 * fresh page is a page fault; on the VMs this runs on (shadow page tables) one costs about
 * 15 us, several times the work done in the page, and a list of 10,000 addresses fills a
 * few hundred pages. MADV_POPULATE_WRITE maps a block's pages at about 1 us each (the first
 * write then still costs some 6 us). Pages already mapped, as after a free, cost nothing.
 */
#ifndef FLOWGUARD_PREFAULT_H
#define FLOWGUARD_PREFAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/* Linux 5.14; on an older kernel madvise() says EINVAL and the pages fault one by one. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Smaller blocks fault a few pages at most: the system call would cost more. */
#define PREFAULT_MIN (64 * 1024)
#define PREFAULT_PAGE ((uintptr_t)4096)

/*
 * Maps the whole 4 KiB pages inside [p, p + len) for writing; a hint, it cannot fail (with
 * larger pages the range may be refused, and the pages fault as before).
 */
static inline void prefault_write(void *p, size_t len)
{
	uintptr_t start = ((uintptr_t)p + PREFAULT_PAGE - 1) & ~(PREFAULT_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(PREFAULT_PAGE - 1);

	if (len >= PREFAULT_MIN && end > start)
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

#endif
