// malloc, calloc, realloc and the aligned allocators are defined here and forward to glibc's own entry points
// (__libc_malloc, ...); the test executable's definitions take precedence over libc's for the whole process.
// Only threads that opted in are counted, each into the counter it was given, so tests running in parallel do not
// disturb each other's counts.
#include "allocation_counter.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static __thread _Atomic uint64_t *counter;

static inline void note(void) {
    if (counter) atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

void *malloc(size_t size) { note(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { note(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { note(); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    note();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer && size) return ENOMEM;
    *result = pointer;
    return 0;
}

int apus_allocation_counting_supported(void) { return 1; }
void apus_count_allocations_on_this_thread(uint64_t *destination) { counter = (_Atomic uint64_t *)destination; }
uint64_t apus_counted_allocations(const uint64_t *source) { return atomic_load((_Atomic uint64_t *)source); }
#else
int apus_allocation_counting_supported(void) { return 0; }
void apus_count_allocations_on_this_thread(uint64_t *destination) { (void)destination; }
uint64_t apus_counted_allocations(const uint64_t *source) { (void)source; return 0; }
#endif
