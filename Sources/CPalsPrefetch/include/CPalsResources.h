#ifndef CPALS_RESOURCES_H
#define CPALS_RESOURCES_H

/// Resident memory of this process in bytes (Linux: /proc/self/statm), or -1
/// when it cannot be read.
long pals_resident_bytes(void);

/// Physical memory in bytes, or -1 when unknown.
long pals_physical_bytes(void);

/// Makes the first SIGINT (Ctrl-C) set a flag instead of ending the process;
/// a second SIGINT ends it as usual.
void pals_install_interrupt(void);

/// Non-zero once SIGINT has been received after `pals_install_interrupt`.
int pals_interrupted(void);

#endif
