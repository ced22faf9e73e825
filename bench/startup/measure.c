/* Median wall time and peak RSS of a command, run many times (its output discarded).
 *
 *   cc -O2 -o /tmp/measure bench/startup/measure.c && /tmp/measure [-n RUNS] COMMAND [ARGS...]
 *
 * Each run is a vfork + execvp + wait4 from this small process, so the time is what starting,
 * running and ending the command costs and the peak RSS (ru_maxrss) is the command's own (a
 * harness in Python would lend the child its ~13 MiB at the fork). Prints the median and the
 * 10th/90th percentiles of the time and the median peak RSS. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int Compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  int runs = 200, first = 1;
  if (argc > 3 && strcmp(argv[1], "-n") == 0) {
    runs = atoi(argv[2]);
    first = 3;
  }
  if (first >= argc || runs <= 0) {
    fprintf(stderr, "usage: measure [-n RUNS] COMMAND [ARGS...]\n");
    return 2;
  }
  double* times = malloc(sizeof(double) * (size_t)runs);
  double* rss = malloc(sizeof(double) * (size_t)runs);
  int devnull = open("/dev/null", O_WRONLY);
  for (int i = 0; i < runs; ++i) {
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = vfork();
    if (pid == 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
      execvp(argv[first], argv + first);
      _exit(127);
    }
    int status = 0;
    struct rusage usage;
    wait4(pid, &status, 0, &usage);
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "measure: the command failed (status %d)\n", status);
      return 1;
    }
    times[i] = (double)(end.tv_sec - start.tv_sec) * 1e3 + (double)(end.tv_nsec - start.tv_nsec) / 1e6;
    rss[i] = (double)usage.ru_maxrss / 1024.0;
  }
  qsort(times, (size_t)runs, sizeof(double), Compare);
  qsort(rss, (size_t)runs, sizeof(double), Compare);
  printf("runs %d  median %.2f ms  p10 %.2f ms  p90 %.2f ms  peak RSS %.1f MiB\n", runs,
         times[runs / 2], times[runs / 10], times[runs * 9 / 10], rss[runs / 2]);
  return 0;
}
