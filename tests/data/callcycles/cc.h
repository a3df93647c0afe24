/* tests/data/callcycles/cc.h — a fixture for scripts/callcycles.py: four
 * files that call each other in a circle (a -> b -> c -> d -> a), two that
 * call each other (e <-> f), and g, which calls into the circle but is not
 * part of it. test_callcycles.py checks what the checker says about them. */
#ifndef MXSCOPE_TEST_CC_H
#define MXSCOPE_TEST_CC_H

int cc_a(int n);
int cc_b(int n);
int cc_c(int n);
int cc_d(int n);
int cc_e(int n);
int cc_f(int n);
int cc_g(int n);
extern int cc_d_count;

#endif
