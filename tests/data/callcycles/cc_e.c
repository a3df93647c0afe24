/* fixture: e <-> f, a circle of two (cc.h) */
#include "cc.h"

int cc_e(int n)
{
	return n > 0 ? cc_f(n - 1) : 4;
}
