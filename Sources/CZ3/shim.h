// The Z3 C API (Debian/Ubuntu: libz3-dev, pkg-config `z3`), imported into
// Swift as the module `CZ3`. Only `PalsZ3` imports it.
#ifndef PALS_CZ3_SHIM_H
#define PALS_CZ3_SHIM_H
#include <z3.h>
#endif
