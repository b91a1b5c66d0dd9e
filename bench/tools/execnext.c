/* The yardstick of bench_targets.sh: the least a program in front of a
 * runtime can cost, one exec of a static binary that execs the next one. */
#include <stdio.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs("usage: execnext PROGRAM [ARG...]\n", stderr);
    return 2;
  }
  execve(argv[1], argv + 1, environ);
  perror("execnext: execve");
  return 127;
}
