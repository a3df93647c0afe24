/* fixture: the circle a -> b -> c -> d -> a (cc.h) */
#include "cc.h"

int cc_a(int n)
{
	return n > 0 ? cc_b(n - 1) : 0;
}
