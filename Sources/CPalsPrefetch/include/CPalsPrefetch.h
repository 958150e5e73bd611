#ifndef CPALS_PREFETCH_H
#define CPALS_PREFETCH_H

#include "CPalsResources.h"

/// Hints the CPU to load the cache line holding `address` (read access,
/// high temporal locality). Never faults, whatever the address.
static inline void pals_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
