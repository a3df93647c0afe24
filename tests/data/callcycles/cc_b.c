/* fixture: the circle a -> b -> c -> d -> a (cc.h) */
#include "cc.h"

int cc_b(int n)
{
	return n > 0 ? cc_c(n - 1) : 1;
}
