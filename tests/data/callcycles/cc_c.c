/* fixture: the circle a -> b -> c -> d -> a (cc.h); c uses d by data */
#include "cc.h"

int cc_c(int n)
{
	cc_d_count++;
	return n > 0 ? cc_d(n - 1) : 2;
}
