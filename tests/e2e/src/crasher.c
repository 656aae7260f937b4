/* Static helper for the e2e suite's containers (gcc -static, no libc in the image).
   crasher segv        real SIGSEGV (NULL write)                  -> 139
   crasher abort       abort()                                    -> 134 (139 as PID 1: SIGABRT is ignored there)
   crasher alloc MB    allocate and touch MB MiB (OOM-killed under a smaller memory limit) -> 137
   crasher exit N      exit(N)
   crasher termtrap    SIGTERM handler that exits 143 (JVM-style), then waits
   Each mode prints one line first so that the container leaves a log line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_term(int s) { (void)s; _exit(143); }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: crasher segv|abort|alloc MB|exit N|termtrap\n"); return 2; }
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(argv[1], "segv")) { printf("about to segfault\n"); volatile int *p = 0; *p = 1; }
  if (!strcmp(argv[1], "abort")) { printf("about to abort\n"); abort(); }
  if (!strcmp(argv[1], "exit") && argc > 2) { printf("exiting with %s\n", argv[2]); return atoi(argv[2]); }
  if (!strcmp(argv[1], "termtrap")) {
    signal(SIGTERM, on_term);
    printf("waiting for SIGTERM\n");
    for (;;) pause();
  }
  if (!strcmp(argv[1], "alloc") && argc > 2) {
    long mb = atol(argv[2]);
    for (long i = 0; i < mb; i++) {
      char *b = malloc(1 << 20);
      if (!b) return 1;
      memset(b, 1, 1 << 20);
      printf("allocated %ld MiB\n", i + 1);
    }
    return 0;
  }
  fprintf(stderr, "crasher: unknown mode %s\n", argv[1]);
  return 2;
}
