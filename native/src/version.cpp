// The library version, defined by the build from pyproject.toml (the one place it lives).
#include "core.h"

#ifndef NUDEGUARD_VERSION
#error "NUDEGUARD_VERSION must be defined by the build; it comes from pyproject.toml"
#endif

const char* nudeguard::version() { return NUDEGUARD_VERSION; }
