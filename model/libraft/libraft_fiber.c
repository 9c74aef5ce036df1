/* model/libraft/libraft_fiber.c — the stack on which a library call may block.
 *
 * raft_io's set_term, set_vote and bootstrap are synchronous: they must be durable when they
 * return, or fail. In a sans-IO step the fsync has not even been issued when the call is made,
 * so the adapter runs library calls that can reach them on a fiber (a ucontext with its own
 * stack): the durable call emits its write and fsync, suspends the fiber, and the step returns
 * its actions; the PEV_DISK of the fsync resumes the fiber and the call returns 0 or the error,
 * with the simulated fsync latency spent inside the call, as a blocking backend spends it.
 * Invariants: at most one activation per fiber; suspend only from inside the fiber; the stack is
 * allocated at the first run and freed by lr_fiber_clear (never while running).
 */
#include "model/libraft/libraft_internal.h"

#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define LR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LR_ASAN 1
#endif
#endif

#ifdef LR_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define FIBER_STACK (256 * 1024)

void lr_fiber_init(LRFiber *f)
{
    memset(f, 0, sizeof *f);
}

void lr_fiber_clear(LRFiber *f)
{
    g_assert(!f->running);
    g_free(f->stack);
    f->stack = NULL;
}

/* Switches from the caller to the fiber or back, telling the sanitizer about the stacks. */
static void switch_to_fiber(LRFiber *f)
{
#ifdef LR_ASAN
    __sanitizer_start_switch_fiber(&f->fake_main, f->stack, f->stack_size);
#endif
    g_assert(swapcontext(&f->main, &f->self) == 0);
#ifdef LR_ASAN
    __sanitizer_finish_switch_fiber(f->fake_main, NULL, NULL);
#endif
}

static void switch_to_main(LRFiber *f, gboolean finished)
{
#ifdef LR_ASAN
    __sanitizer_start_switch_fiber(finished ? NULL : &f->fake_fiber, f->main_bottom, f->main_size);
#endif
    g_assert(swapcontext(&f->self, &f->main) == 0);
#ifdef LR_ASAN
    __sanitizer_finish_switch_fiber(f->fake_fiber, &f->main_bottom, &f->main_size);
#endif
}

/* The fiber being started, handed to its entry point (makecontext passes only ints). */
static _Thread_local LRFiber *starting_tls;

static void entry(void)
{
    LRFiber *f = starting_tls;
#ifdef LR_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->main_bottom, &f->main_size);
#endif
    f->fn(f->arg);
    f->running = FALSE;
    switch_to_main(f, TRUE);
    g_assert_not_reached();
}

void lr_fiber_run(LRFiber *f, void (*fn)(void *), void *arg)
{
    g_assert(!f->running);
    if (f->stack == NULL) {
        f->stack_size = FIBER_STACK;
        f->stack = g_malloc(f->stack_size);
    }
    g_assert(getcontext(&f->self) == 0);
    f->self.uc_stack.ss_sp = f->stack;
    f->self.uc_stack.ss_size = f->stack_size;
    f->self.uc_link = NULL;
    makecontext(&f->self, entry, 0);
    f->fn = fn;
    f->arg = arg;
    f->running = TRUE;
    f->suspended = FALSE;
    starting_tls = f;
    switch_to_fiber(f);
}

void lr_fiber_suspend(LRFiber *f)
{
    g_assert(f->running && !f->suspended);
    f->suspended = TRUE;
    switch_to_main(f, FALSE);
    f->suspended = FALSE;
}

void lr_fiber_resume(LRFiber *f)
{
    g_assert(f->running && f->suspended);
    switch_to_fiber(f);
}
