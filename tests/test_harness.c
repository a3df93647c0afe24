/* tests/test_harness.c — the harness does not leave `lab --serve` processes
 * behind: a test process that owns a lab (h_lab_start) and then fails
 * (exits non-zero, as cmocka's main does after a failed test), aborts, is
 * stopped by SIGTERM (meson's timeout) or is SIGKILLed takes its lab with
 * it, and the lab still removes its temporary CA directory. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cmocka.h>

#include "harness.h"

typedef enum ending { BY_EXIT, BY_ABORT, BY_SIGTERM, BY_SIGKILL } ending;

/* Forks a test process that starts a lab through the harness, hands its
 * hlab back through a pipe and then ends `how`; returns once that process
 * has been waited for, with its wait status in *st. */
static void owner_dies(ending how, hlab *lab, int *st)
{
	int p[2];
	pid_t child;

	assert_int_equal(pipe(p), 0);
	fflush(NULL); /* the child's exit must not print the parent's buffers again */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		hlab mine;

		close(p[0]);
		h_lab_start(&mine, NULL);
		if (write(p[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(2);
		close(p[1]);
		if (how == BY_EXIT)
			exit(1);
		if (how == BY_ABORT)
			abort();
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], lab, sizeof(*lab)), (ssize_t)sizeof(*lab));
	close(p[0]);
	assert_true(lab->pid > 0);
	if (how == BY_SIGTERM)
		kill(child, SIGTERM);
	else if (how == BY_SIGKILL)
		kill(child, SIGKILL);
	assert_int_equal(waitpid(child, st, 0), child);
}

/* The lab is gone: no such process (main made this process the subreaper,
 * so an orphaned lab would be ours and still be there), and its CA file
 * was removed, which the lab does on SIGTERM only. */
static void assert_lab_gone(const hlab *lab)
{
	if (kill(lab->pid, 0) == 0) {
		kill(lab->pid, SIGKILL);
		waitpid(lab->pid, NULL, 0);
		fail_msg("lab %d outlived the test process that started it", (int)lab->pid);
	}
	assert_int_equal(errno, ESRCH);
	assert_int_equal(access(lab->ca, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_failed_test_exits(void **state)
{
	hlab lab;
	int st;

	(void)state;
	owner_dies(BY_EXIT, &lab, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_lab_gone(&lab);
}

static void test_abort(void **state)
{
	hlab lab;
	int st;

	(void)state;
	owner_dies(BY_ABORT, &lab, &st);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	assert_lab_gone(&lab);
}

static void test_sigterm(void **state)
{
	hlab lab;
	int st;

	(void)state;
	owner_dies(BY_SIGTERM, &lab, &st);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	assert_lab_gone(&lab);
}

/* No handler runs on SIGKILL: the kernel's parent-death signal stops the
 * lab, which then comes to this process (the subreaper) to be waited for.
 * The wait is bounded so that a lab that stays fails the test, not meson. */
static void test_sigkill(void **state)
{
	hlab lab;
	int st, lst = 0;
	pid_t got = 0;

	(void)state;
#ifndef __linux__
	skip();
#endif
	owner_dies(BY_SIGKILL, &lab, &st);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	for (int i = 0; i < 1000 && got == 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		got = waitpid(lab.pid, &lst, WNOHANG);
		if (got == 0)
			nanosleep(&ts, NULL);
	}
	if (got == 0) {
		kill(lab.pid, SIGKILL);
		waitpid(lab.pid, NULL, 0);
		fail_msg("lab %d outlived its SIGKILLed test process", (int)lab.pid);
	}
	assert_int_equal(got, lab.pid);
	assert_lab_gone(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failed_test_exits),
	    cmocka_unit_test(test_abort),
	    cmocka_unit_test(test_sigterm),
	    cmocka_unit_test(test_sigkill),
	};

#ifdef __linux__
	/* orphans of the forked test processes come here, where the tests see them */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return 1;
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
