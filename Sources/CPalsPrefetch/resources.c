#include "CPalsResources.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signo) {
    interrupted = 1;
    signal(signo, SIG_DFL);
}

void pals_install_interrupt(void) {
    interrupted = 0;
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    /* A process may inherit these signals blocked (a parent that handles
       them on a thread of its own): unblock them, or they would stay
       pending and the search would never hear them. */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &stops, NULL);
}

int pals_interrupted(void) { return interrupted; }

long pals_resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, resident = 0;
    int read = fscanf(f, "%ld %ld", &size, &resident);
    fclose(f);
    if (read != 2) return -1;
    return resident * sysconf(_SC_PAGESIZE);
}

long pals_physical_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES);
    long size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return -1;
    return pages * size;
}
