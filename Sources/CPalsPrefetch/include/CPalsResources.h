#ifndef CPALS_RESOURCES_H
#define CPALS_RESOURCES_H

/// Resident memory of this process in bytes (Linux: /proc/self/statm), or -1
/// when it cannot be read.
long pals_resident_bytes(void);

/// Physical memory in bytes, or -1 when unknown.
long pals_physical_bytes(void);

/// Makes the first SIGINT (Ctrl-C) or SIGTERM (a job scheduler's stop) set a
/// flag instead of ending the process; a second one of the same signal ends
/// it as usual.
void pals_install_interrupt(void);

/// Non-zero once SIGINT or SIGTERM has been received after
/// `pals_install_interrupt`.
int pals_interrupted(void);

#endif
