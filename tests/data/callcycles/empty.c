/* fixture: an object file that defines nothing (cc.h) */
#include "cc.h"

typedef int cc_nothing;
