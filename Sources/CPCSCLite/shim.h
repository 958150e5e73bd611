// The PC/SC lite client API (Debian: libpcsclite-dev) and the few of its
// macros Swift cannot import.
#include <winscard.h>
#include <reader.h>

static inline LONG pals_scard_success(void) { return SCARD_S_SUCCESS; }

/// The protocol control information for the protocol a card was connected
/// with (SCARD_PCI_T0 or SCARD_PCI_T1).
static inline const SCARD_IO_REQUEST *pals_scard_pci(DWORD protocol) {
    return protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
}

static inline DWORD pals_scard_protocol_any(void) { return SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1; }

static inline LONG pals_scard_no_readers(void) { return SCARD_E_NO_READERS_AVAILABLE; }
static inline DWORD pals_scard_max_buffer(void) { return MAX_BUFFER_SIZE_EXTENDED; }
static inline LONG pals_scard_timeout(void) { return SCARD_E_TIMEOUT; }
