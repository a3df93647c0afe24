/* fixture: e <-> f, a circle of two (cc.h) */
#include "cc.h"

int cc_f(int n)
{
	return n > 0 ? cc_e(n - 1) : 5;
}
