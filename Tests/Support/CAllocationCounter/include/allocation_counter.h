// Counts heap allocations made by chosen threads, for the tests that check the forward pass allocates nothing
// in its steady state. Linux only: it interposes malloc and friends (forwarding to glibc) for the test process.
#ifndef APUS_ALLOCATION_COUNTER_H
#define APUS_ALLOCATION_COUNTER_H

#include <stdint.h>

/// 1 when this platform counts allocations (glibc), 0 when the functions below do nothing.
int apus_allocation_counting_supported(void);
/// Starts (1) or stops (0) counting the allocations made by the calling thread.
void apus_count_allocations_on_this_thread(int enabled);
/// Allocations counted so far on every counting thread.
uint64_t apus_counted_allocations(void);

#endif
