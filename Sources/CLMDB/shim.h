#include <lmdb.h>

/* Asks the CPU to bring the cache lines of the `bytes` bytes below `p` in for writing.
   LMDB fills a leaf page from its end down (each node goes just below the last), so
   after an append the next record of the same table lands there: warming its lines
   ahead hides the store misses of writing into a freshly faulted page. A hint only:
   it never faults and changes no memory. */
static inline void ctg_prefetch_below_for_write(const void *p, unsigned long bytes) {
    const char *c = (const char *)p;
    for (unsigned long i = 64; i <= bytes; i += 64) __builtin_prefetch(c - i, 1, 3);
}
