// Counts heap allocations made by chosen threads, for the tests that check the forward pass allocates nothing
// in its steady state. Linux only: it interposes malloc and friends (forwarding to glibc) for the test process.
#ifndef APUS_ALLOCATION_COUNTER_H
#define APUS_ALLOCATION_COUNTER_H

#include <stdint.h>

/// 1 when this platform counts allocations (glibc), 0 when the functions below do nothing.
int apus_allocation_counting_supported(void);
/// Starts counting the allocations made by the calling thread into `*destination` (NULL stops).
void apus_count_allocations_on_this_thread(uint64_t *destination);
/// Reads a counter given to apus_count_allocations_on_this_thread (other threads may be adding to it).
uint64_t apus_counted_allocations(const uint64_t *source);

#endif
