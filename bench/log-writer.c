// bench/log-writer RATE SECONDS REPORT: a service that prints RATE lines a second for SECONDS,
// each line in a write() of its own (as a line-buffered program does), paced against
// CLOCK_MONOTONIC in 1 ms ticks. Each line is `seq=<n> ` and filler to ~70 bytes, so a reader
// can check that none was lost or reordered. It then waits 1 s (the relay drains and idles)
// and writes to REPORT: lines written, the writing's wall seconds, its own CPU seconds and how
// far it ever fell behind its schedule (ms: a writer blocked on a full pipe falls behind).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long long ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: log-writer RATE SECONDS REPORT\n");
    return 2;
  }
  const long rate = atol(argv[1]);
  const long seconds = atol(argv[2]);
  const long long total = (long long)rate * seconds;
  const char *filler = "GET /api/items 200 3.2ms user=4711 trace=5f2a9c0e1b ua=curl/8.5";
  char line[128];
  long long written = 0;
  long long worst_lag = 0;
  const long long began = ns();
  for (long long tick = 1; written < total; tick += 1) {
    // Lines due by the end of this tick, written at once; then sleep until the tick ends.
    const long long due = total * tick / (seconds * 1000LL);
    for (; written < due && written < total; written += 1) {
      int length = snprintf(line, sizeof line, "seq=%lld %s\n", written, filler);
      if (write(1, line, (size_t)length) != length) return 1;
    }
    const long long deadline = began + tick * 1000000LL;
    const long long lag = ns() - deadline;
    if (lag > worst_lag) worst_lag = lag;
    struct timespec until = {deadline / 1000000000LL, deadline % 1000000000LL};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  }
  const double elapsed = (double)(ns() - began) / 1e9;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  sleep(1);
  FILE *report = fopen(argv[3], "w");
  if (!report) return 1;
  fprintf(report, "{\"lines\":%lld,\"seconds\":%.4f,\"cpu\":%.4f,\"worstLagMs\":%.3f}\n", written, elapsed, cpu, (double)worst_lag / 1e6);
  fclose(report);
  return 0;
}
