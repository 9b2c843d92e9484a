/*
 * mutex_free_after_unlock: a goroutine that takes a mutex after another's
 * unlock may free it (goc.h, goc_mutex_unlock), as POSIX allows for
 * pthread mutexes: the unlock must not touch the mutex once it has
 * released it.
 *
 * Goroutines A and B each drop one of two references to a malloc'd object
 * under its mutex; B always comes second and free()s the object.  A thread
 * interrupts A with SIGUSR1 every 20 us; when the signal lands inside A's
 * unlock after the release (the lock word already 0), the handler holds A
 * there until B has freed the object (at most 2 ms), which is the kernel
 * preempting A at the worst moment.  An unlock that looked at the mutex
 * again would then read what free() wrote there (glibc's free-list pointer
 * and key): a crash or a hang here, a heap-use-after-free report under
 * AddressSanitizer.  The signal lands in that window only a few times per
 * million unlocks, so this run is a guard rather than a proof (a helper's
 * longer version of it crashed the unlock of commit 0609e6c every time).
 * Needs two Ps (.env).
 */
#include <goc.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(GOC_TSAN) || defined(GOC_ASAN)
enum { N = 20000 };
#else
enum { N = 1000000 };
#endif

struct obj {
    goc_mutex m;
    int refs;
};

static struct obj *objs[N];
static _Atomic long a_locked = -1, b_freed = -1;
static struct obj *_Atomic a_unlocking;   /* set around A's unlock */
static _Atomic int a_tid, done;
static goc_waitgroup wg;

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Reads the object's lock word while B may be freeing it: a deliberate
 * race on memory this handler does not own, so not instrumented. */
__attribute__((no_sanitize_address, no_sanitize_thread))
static void on_usr1(int sig)
{
    (void)sig;
    struct obj *o = atomic_load(&a_unlocking);
    long idx = atomic_load(&a_locked);
    if (!o || syscall(SYS_gettid) != atomic_load(&a_tid) || atomic_load(&b_freed) >= idx)
        return;
    if (__atomic_load_n(&o->m.state, __ATOMIC_RELAXED) != 0)
        return;                             /* not released yet */
    long t0 = now_ns();
    while (atomic_load(&b_freed) < idx && now_ns() - t0 < 2000000)
        ;
}

static void *interrupter(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        int tid = atomic_load(&a_tid);
        if (tid)
            syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
        struct timespec ts = { 0, 20000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void drop(long i, int is_a)
{
    struct obj *o = objs[i];
    goc_mutex_lock(&o->m);
    int r = --o->refs;
    if (is_a) {
        atomic_store(&a_tid, (int)syscall(SYS_gettid));   /* A may move */
        atomic_store(&a_locked, i);
        atomic_store(&a_unlocking, o);
    }
    goc_mutex_unlock(&o->m);
    if (is_a)
        atomic_store(&a_unlocking, NULL);
    if (r == 0) {
        free(o);
        atomic_store(&b_freed, i);
    }
}

static void worker_a(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++)
        drop(i, 1);
    goc_waitgroup_done(&wg);
}

static void worker_b(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++) {
        while (atomic_load(&a_locked) < i)
            goc_yield();
        drop(i, 0);
    }
    goc_waitgroup_done(&wg);
}

static int real_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (long i = 0; i < N; i++) {
        objs[i] = calloc(1, sizeof *objs[i]);
        objs[i]->refs = 2;
    }
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, interrupter, NULL);
    goc_waitgroup_add(&wg, 2);
    goc_go(worker_a, NULL);
    goc_go(worker_b, NULL);
    goc_waitgroup_wait(&wg);
    atomic_store(&done, 1);
    pthread_join(t, NULL);
    printf("every object freed after its last unlock\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
