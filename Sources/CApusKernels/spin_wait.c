// A bounded spin for the thread pool's workers: after a job, a worker watches the job counter for a short while
// before sleeping on its condition variable, because waking a sleeping thread costs 10–25 µs here — more than
// many of a forward pass's products take — while consecutive products are microseconds apart.
#include "apus_kernels.h"
#include <stdatomic.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

static double now_seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

void apus_atomic_store_u64(uint64_t *word, uint64_t value) {
    atomic_store_explicit((_Atomic uint64_t *)word, value, memory_order_release);
}

int apus_spin_until_changed(const uint64_t *word, uint64_t seen, double seconds) {
    const double deadline = now_seconds() + seconds;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit((_Atomic uint64_t *)word, memory_order_acquire) != seen) return 1;
            CPU_RELAX();
        }
        if (now_seconds() > deadline) return 0;
    }
}
