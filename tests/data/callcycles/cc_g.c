/* fixture: calls into the circle, is not in it (cc.h) */
#include "cc.h"

int cc_g(int n)
{
	return cc_a(n) + cc_e(n);
}
