#include "CPalsPrefetch.h"
