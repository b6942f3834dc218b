// stack-log-relay OUT_FD ERR_FD LOG_FD: frames a service's output into its log
// (src/model/log-line.ts has the format and why).
//
// A service writes into two pipes; this reads their other ends and appends every line to the
// log as `<time> o|e <text>\n`, the time taken when the read returned. It runs on its own, in a
// session of its own, and outlives the stack command that started it: it ends when both pipes
// reach end of file, that is when the service and every descendant holding its output have
// closed it. Signals that end a session or a terminal do not end it; SIGKILL does.
//
// Everything one pass of the loop read goes out in one write() of whole records: other writers
// (stack's own `s` records) append to the same O_APPEND file, and a write never cuts into
// theirs. A write that fails (a full disk) drops that batch rather than waiting: a relay that
// stopped reading would block the service on a full pipe. The bytes dropped are counted and
// said in the log once writing works again.
//
// No allocation after start: two read buffers, two line buffers and one batch, all static.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// A line longer than this goes out in pieces (`O`/`E`), so a line buffer never grows.
#define PIECE_BYTES (64 * 1024)
// What one read() asks for: a full pipe (64 KiB by default).
#define READ_BYTES (64 * 1024)
// The batch one write() sends; a batch that would outgrow it is written at a record's end.
#define BATCH_BYTES (512 * 1024)
// `2026-12-05T10:54:27.123456Z o `: the time (27 bytes), a space, the kind, a space.
#define FRAME_BYTES 30
#define STAMP_BYTES 27
// A partial line left this long without its newline goes out (a prompt).
#define PROMPT_NS 1000000000LL

typedef struct {
  int fd;  // -1 once at end of file
  char kind;  // 'o' or 'e'; upper case for a piece
  char line[PIECE_BYTES];
  size_t held;  // bytes of an unfinished line in `line`
  long long held_since;  // CLOCK_MONOTONIC ns of the read that began it
} stream_t;

static stream_t streams[2];
static char input[READ_BYTES];
static char batch[BATCH_BYTES];
static size_t batch_used;

static int log_fd;
static char stamp[STAMP_BYTES + 1];
// The seconds part of the last stamp, `YYYY-MM-DDTHH:MM:SS`, kept while the second lasts.
static time_t stamp_second = -1;
static struct timespec last_time;

// Output dropped by failed writes, said in one `s` record once a write works again.
static unsigned long long lost_bytes;
static int lost_errno;
// A failed write left a record without its newline in the log.
static int log_cut;

static long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void two_digits(char *at, int value) {
  at[0] = (char)('0' + value / 10);
  at[1] = (char)('0' + value % 10);
}

// The time of this pass into `stamp`, never earlier than the last one (a clock stepped back
// would otherwise break the order a reader bisects by).
static void take_time(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec < last_time.tv_sec || (now.tv_sec == last_time.tv_sec && now.tv_nsec < last_time.tv_nsec)) now = last_time;
  last_time = now;
  if (now.tv_sec != stamp_second) {
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    int year = utc.tm_year + 1900;
    stamp[0] = (char)('0' + year / 1000 % 10);
    stamp[1] = (char)('0' + year / 100 % 10);
    two_digits(stamp + 2, year % 100);
    stamp[4] = '-';
    two_digits(stamp + 5, utc.tm_mon + 1);
    stamp[7] = '-';
    two_digits(stamp + 8, utc.tm_mday);
    stamp[10] = 'T';
    two_digits(stamp + 11, utc.tm_hour);
    stamp[13] = ':';
    two_digits(stamp + 14, utc.tm_min);
    stamp[16] = ':';
    two_digits(stamp + 17, utc.tm_sec);
    stamp[19] = '.';
    stamp[26] = 'Z';
    stamp_second = now.tv_sec;
  }
  long micros = now.tv_nsec / 1000;
  for (int at = 25; at >= 20; at--) {
    stamp[at] = (char)('0' + micros % 10);
    micros /= 10;
  }
}

// write() until all of it is out; the errno of a failure, 0 when it all went.
static int write_all(const char *data, size_t length, size_t *written) {
  *written = 0;
  while (*written < length) {
    ssize_t wrote = write(log_fd, data + *written, length - *written);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    *written += (size_t)wrote;
  }
  return 0;
}

static void put(const char *data, size_t length) {
  memcpy(batch + batch_used, data, length);
  batch_used += length;
}

static void put_frame(char kind) {
  put(stamp, STAMP_BYTES);
  char tail[3] = {' ', kind, ' '};
  put(tail, 3);
}

// The service's bytes (a frame is stack's) of the records in the batch not written whole when
// its first `written` bytes went out. A record's text holds no newline: one ends at each.
static unsigned long long unwritten_output(size_t written) {
  const char *last_whole = written > 0 ? memrchr(batch, '\n', written) : NULL;
  size_t start = last_whole ? (size_t)(last_whole - batch) + 1 : 0;
  unsigned long long records = 0;
  for (const char *at = batch + written; (at = memchr(at, '\n', (size_t)(batch + batch_used - at))) != NULL; at++) records++;
  return (batch_used - start) - records * FRAME_BYTES;
}

// Writes the batch. After a failure, the first write that works begins with a newline (ending
// a record cut short) and the record saying what was lost.
static void flush_batch(void) {
  if (batch_used == 0) return;
  char notice[200];
  size_t notice_length = 0;
  if (log_cut) notice[notice_length++] = '\n';
  if (lost_bytes > 0) {
    memcpy(notice + notice_length, stamp, STAMP_BYTES);
    notice_length += STAMP_BYTES;
    int length = snprintf(notice + notice_length, sizeof notice - notice_length, " s stack: %llu bytes of output lost (%s)\n", lost_bytes, strerror(lost_errno));
    notice_length += length > 0 ? (size_t)length : 0;
    if (notice_length > sizeof notice) notice_length = sizeof notice;
  }
  size_t written = 0;
  int error = 0;
  if (notice_length > 0) {
    error = write_all(notice, notice_length, &written);
    if (error == 0) {
      log_cut = 0;
      lost_bytes = 0;
    } else if (written > 0) {
      log_cut = 1;
    }
    written = 0;
  }
  if (error == 0) error = write_all(batch, batch_used, &written);
  if (error != 0) {
    if (lost_bytes == 0) lost_errno = error;
    lost_bytes += unwritten_output(written);
    if (written > 0) log_cut = 1;
  }
  batch_used = 0;
}

// One record: the held part of the line, then `length` bytes of `data`, then a newline.
static void put_record(stream_t *stream, char kind, const char *data, size_t length) {
  size_t record = FRAME_BYTES + stream->held + length + 1;
  if (batch_used + record > BATCH_BYTES) flush_batch();
  put_frame(kind);
  put(stream->line, stream->held);
  put(data, length);
  put("\n", 1);
  stream->held = 0;
}

static char piece_kind(const stream_t *stream) {
  return (char)(stream->kind - 'a' + 'A');
}

// Frames what one read returned: each complete line, a piece of each 64 KiB without a newline,
// and keeps the rest for the next read.
static void frame(stream_t *stream, const char *data, size_t length, long long now) {
  while (length > 0) {
    const char *newline = memchr(data, '\n', length);
    size_t line_length = newline ? (size_t)(newline - data) : length;
    if (stream->held + line_length > PIECE_BYTES) {
      size_t piece = PIECE_BYTES - stream->held;
      put_record(stream, piece_kind(stream), data, piece);
      data += piece;
      length -= piece;
      continue;
    }
    if (newline) {
      put_record(stream, stream->kind, data, line_length);
      data += line_length + 1;
      length -= line_length + 1;
      continue;
    }
    if (stream->held == 0) stream->held_since = now;
    memcpy(stream->line + stream->held, data, length);
    stream->held += length;
    return;
  }
}

// Reads once from a readable stream; at end of file, what is held goes out as a whole line.
static void read_stream(stream_t *stream, long long now) {
  ssize_t got = read(stream->fd, input, sizeof input);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (got <= 0) {
    if (stream->held > 0) put_record(stream, stream->kind, NULL, 0);
    close(stream->fd);
    stream->fd = -1;
    return;
  }
  frame(stream, input, (size_t)got, now);
}

// Milliseconds until the oldest partial line is due, -1 when none is held.
static int prompt_timeout(long long now) {
  long long due = -1;
  for (int i = 0; i < 2; i++) {
    if (streams[i].fd < 0 || streams[i].held == 0) continue;
    long long left = streams[i].held_since + PROMPT_NS - now;
    if (due < 0 || left < due) due = left < 0 ? 0 : left;
  }
  return due < 0 ? -1 : (int)((due + 999999) / 1000000);
}

static int fd_argument(const char *text) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || value < 0 || value > INT_MAX) return -1;
  return (int)value;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: stack-log-relay OUT_FD ERR_FD LOG_FD\n");
    return 2;
  }
  streams[0].fd = fd_argument(argv[1]);
  streams[1].fd = fd_argument(argv[2]);
  log_fd = fd_argument(argv[3]);
  if (streams[0].fd < 0 || streams[1].fd < 0 || log_fd < 0) {
    fprintf(stderr, "stack-log-relay: descriptors must be numbers\n");
    return 2;
  }
  streams[0].kind = 'o';
  streams[1].kind = 'e';
  // Its life is the pipes': a hang-up, Ctrl+C or `kill` meant for the service is not for it,
  // and a full disk (SIGXFSZ past a file size limit) fails a write instead of ending it.
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  // stack starts it with those blocked (native/spawn.c), so that none came too early.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  // Nothing else it was given is its to hold open for its whole life.
  int highest = streams[0].fd > streams[1].fd ? streams[0].fd : streams[1].fd;
  if (log_fd > highest) highest = log_fd;
#ifdef SYS_close_range
  syscall(SYS_close_range, (unsigned)highest + 1, ~0U, 0);
#endif

  while (streams[0].fd >= 0 || streams[1].fd >= 0) {
    struct pollfd polled[2];
    for (int i = 0; i < 2; i++) polled[i] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
    int ready = poll(polled, 2, prompt_timeout(monotonic_ns()));
    if (ready < 0 && errno != EINTR) return 1;
    long long now = monotonic_ns();
    take_time();
    for (int i = 0; i < 2; i++) {
      if (ready > 0 && polled[i].fd >= 0 && (polled[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) read_stream(&streams[i], now);
    }
    // A prompt (a line without its newline for a second) goes out as a piece.
    for (int i = 0; i < 2; i++) {
      stream_t *stream = &streams[i];
      if (stream->fd >= 0 && stream->held > 0 && now - stream->held_since >= PROMPT_NS) put_record(stream, piece_kind(stream), NULL, 0);
    }
    flush_batch();
  }
  return 0;
}
