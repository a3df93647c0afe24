/* fixture: the circle a -> b -> c -> d -> a (cc.h) */
#include "cc.h"

int cc_d_count;

int cc_d(int n)
{
	return n > 0 ? cc_a(n - 1) : 3;
}
