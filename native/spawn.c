// posix_spawn for the process provider (src/providers/native-spawn.ts).
//
// Node's child_process forks: the kernel copies the page tables of stack's whole address space
// (~55 MiB) for every service, and libuv waits until the copy has exec'd. glibc's posix_spawn
// uses clone(CLONE_VM | CLONE_VFORK): nothing is copied. Measured on the 2-core machine, 50
// detached `sleep`s from a 54 MiB process: 50-55 ms through child_process, 21 ms here.
//
// The child is set up as libuv sets up a detached child: a session and process group of its
// own, stdin from /dev/null, stdout and stderr on the descriptors given (the log relay's pipes,
// or one log file), every signal at its default action and none blocked (Node ignores SIGPIPE;
// an ignored signal survives exec). Everything else stack opens is close-on-exec, as libuv
// opens it.
//
// relay() starts native/log-relay.c for a service: two pipes, their read ends and the log to
// the relay, their write ends back to stack for the service. pipes() and relayOn() do the same
// in two steps, so that the service can start between them.
//
// A service with `user:` needs setgroups, setgid and setuid between fork and exec, which
// posix_spawn has no step for: spawnAs forks (as node:child_process does, so such a start costs
// what it did before the addon), sets the same things up by hand, drops to the account and
// execs; an error of any step comes back through a close-on-exec pipe. Services without `user:`
// never take this path.
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) return throw_usage(env);   \
  } while (0)

static napi_value throw_usage(napi_env env) {
  napi_throw_type_error(env, NULL, "stack_spawn: bad arguments");
  return NULL;
}

// A string argument as a malloc'd C string; NULL when it is not a string (or out of memory).
static char *string_of(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

static void free_strings(char **strings) {
  if (strings == NULL) return;
  for (char **each = strings; *each != NULL; each++) free(*each);
  free(strings);
}

// An array of strings as a NULL-terminated vector; NULL when it is not one (or out of memory).
static char **strings_of(napi_env env, napi_value array) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  char **strings = calloc((size_t)count + 1, sizeof(char *));
  if (strings == NULL) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok || (strings[i] = string_of(env, element)) == NULL) {
      free_strings(strings);
      return NULL;
    }
  }
  return strings;
}

// Where the child's stdout and stderr go: descriptors above 2 (see lift_output).
typedef struct {
  int out;
  int err;
} output_t;

// The account a child of spawnAs becomes: supplementary groups first, then the group, then the
// user (after setuid nothing else could be changed).
typedef struct {
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t group_count;
} identity_t;

// In the forked child: only async-signal-safe calls until exec. Reports errno on `report` and
// exits when a step fails.
static void child_as(const char *path, char *const argv[], char *const envp[], const char *cwd, const output_t *output, const identity_t *who, int report) {
  int error = 0;
  // Handlers are stack's (Node's): back to the default before any signal is let through.
  struct sigaction fallback;
  memset(&fallback, 0, sizeof fallback);
  fallback.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; signal++) {
    if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &fallback, NULL);
  }
  if (setsid() < 0) goto failed;
  // Both sources are above 2 (lift_output), so neither copy overwrites the other's source.
  if (dup2(output->out, 1) < 0 || dup2(output->err, 2) < 0) goto failed;
  int null = open("/dev/null", O_RDONLY);
  if (null < 0) goto failed;
  if (null != 0) {
    if (dup2(null, 0) < 0) goto failed;
    close(null);
  }
  if (setgroups(who->group_count, who->groups) < 0 || setgid(who->gid) < 0 || setuid(who->uid) < 0) goto failed;
  // As the user: a folder it may not enter fails here, not later in the service.
  if (chdir(cwd) < 0) goto failed;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(path, argv, envp);
failed:
  error = errno;
  while (write(report, &error, sizeof error) < 0 && errno == EINTR) {
  }
  _exit(127);
}

// fork, set up, become `who`, exec. Returns 0 once the child has exec'd, else its errno (the
// child reaped).
static int spawn_file_as(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd, const output_t *output, const identity_t *who) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) return errno;
  // Blocked across the fork: a signal must not run one of stack's handlers in the child.
  sigset_t every, before;
  sigfillset(&every);
  pthread_sigmask(SIG_SETMASK, &every, &before);
  pid_t child = fork();
  if (child == 0) {
    close(report[0]);
    child_as(path, argv, envp, cwd, output, who, report[1]);
  }
  int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &before, NULL);
  close(report[1]);
  if (child < 0) {
    close(report[0]);
    return fork_error;
  }
  int error = 0;
  ssize_t got;
  do {
    got = read(report[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  // Nothing read: the pipe closed at exec.
  if (got != (ssize_t)sizeof error) {
    *pid = child;
    return 0;
  }
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
  }
  return error;
}

// Starts `path` in the child set up as described at the top. Returns 0 or an errno; every
// set-up call is checked, so a child never starts half set up (in stack's cwd, say).
static int spawn_file(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd, const output_t *output, const identity_t *who) {
  if (who != NULL) return spawn_file_as(pid, path, argv, envp, cwd, output, who);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  int error = posix_spawn_file_actions_init(&actions);
  if (error != 0) return error;
  error = posix_spawnattr_init(&attributes);
  if (error != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return error;
  }
  sigset_t every, none;
  sigfillset(&every);
  sigemptyset(&none);
  if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, output->out, 1);
  if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, output->err, 2);
  if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (error == 0) error = posix_spawn_file_actions_addchdir_np(&actions, cwd);
  if (error == 0) error = posix_spawnattr_setsigdefault(&attributes, &every);
  if (error == 0) error = posix_spawnattr_setsigmask(&attributes, &none);
  if (error == 0) error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (error == 0) error = posix_spawn(pid, path, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error;
}

// As execvp: an executable file the kernel cannot run (no `#!` line) is run by /bin/sh.
static int spawn_program(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd, const output_t *output, const identity_t *who) {
  int error = spawn_file(pid, path, argv, envp, cwd, output, who);
  if (error != ENOEXEC) return error;
  size_t count = 0;
  while (argv[count] != NULL) count++;
  char **script = calloc(count + 2, sizeof(char *));
  if (script == NULL) return ENOMEM;
  script[0] = "/bin/sh";
  script[1] = (char *)path;
  for (size_t i = 1; i < count; i++) script[i + 1] = argv[i];
  error = spawn_file(pid, "/bin/sh", script, envp, cwd, output, who);
  free(script);
  return error;
}

// Finds `file` on `search_path` and starts it, as execvp would, except that the search happens
// in the parent (each attempt in the child would cost a clone): a candidate that is no
// executable file is skipped, and one that fails to start as if absent (ENOENT, ENOTDIR, ...)
// gives way to the next. A relative directory is taken from the child's working directory.
// Returns 0 or an errno: ENOENT, or EACCES when only unusable files or folders matched.
static int spawn_searching(pid_t *pid, const char *file, char *const argv[], char *const envp[], const char *cwd, const output_t *output, const char *search_path, const identity_t *who) {
  int denied = 0;
  const char *dir = search_path;
  for (;;) {
    const char *end = strchr(dir, ':');
    size_t dir_length = end ? (size_t)(end - dir) : strlen(dir);
    int relative = dir_length == 0 || dir[0] != '/';
    size_t length = (relative ? strlen(cwd) + 1 : 0) + dir_length + 1 + strlen(file) + 1;
    char *candidate = malloc(length);
    if (candidate == NULL) return ENOMEM;
    snprintf(candidate, length, "%s%s%.*s/%s", relative ? cwd : "", relative ? "/" : "", (int)dir_length, dir, file);
    struct stat info;
    int error;
    if (stat(candidate, &info) != 0) {
      error = errno;
    } else if (!S_ISREG(info.st_mode) || access(candidate, X_OK) != 0) {
      error = EACCES;
    } else {
      error = spawn_program(pid, candidate, argv, envp, cwd, output, who);
    }
    free(candidate);
    switch (error) {
      case 0:
        return 0;
      case EACCES:
        denied = 1;
        break;
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
      case ELOOP:
      case ENAMETOOLONG:
        break;
      default:
        return error;
    }
    if (end == NULL) return denied ? EACCES : ENOENT;
    dir = end + 1;
  }
}

// 0 when `path` is a directory, else why not (ENOENT, ENOTDIR, EACCES, ...).
static int directory_error(const char *path) {
  struct stat info;
  if (stat(path, &info) != 0) return errno;
  return S_ISDIR(info.st_mode) ? 0 : ENOTDIR;
}

// The identity argument of spawnAs, [uid, gid, [groups...]], into `who` (groups malloc'd).
static int identity_of(napi_env env, napi_value value, identity_t *who) {
  napi_value uid, gid, groups;
  uint32_t uid_value, gid_value, count;
  if (napi_get_element(env, value, 0, &uid) != napi_ok || napi_get_value_uint32(env, uid, &uid_value) != napi_ok) return 0;
  if (napi_get_element(env, value, 1, &gid) != napi_ok || napi_get_value_uint32(env, gid, &gid_value) != napi_ok) return 0;
  if (napi_get_element(env, value, 2, &groups) != napi_ok || napi_get_array_length(env, groups, &count) != napi_ok) return 0;
  who->uid = uid_value;
  who->gid = gid_value;
  who->group_count = count;
  who->groups = calloc((size_t)count + 1, sizeof(gid_t));
  if (who->groups == NULL) return 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    uint32_t group;
    if (napi_get_element(env, groups, i, &element) != napi_ok || napi_get_value_uint32(env, element, &group) != napi_ok) return 0;
    who->groups[i] = group;
  }
  return 1;
}

// The output argument, a descriptor for both streams or [stdout, stderr], into `output`.
static int output_of(napi_env env, napi_value value, output_t *output) {
  bool is_array;
  if (napi_is_array(env, value, &is_array) != napi_ok) return 0;
  if (!is_array) {
    if (napi_get_value_int32(env, value, &output->out) != napi_ok) return 0;
    output->err = output->out;
    return output->out >= 0;
  }
  napi_value out, err;
  if (napi_get_element(env, value, 0, &out) != napi_ok || napi_get_value_int32(env, out, &output->out) != napi_ok) return 0;
  if (napi_get_element(env, value, 1, &err) != napi_ok || napi_get_value_int32(env, err, &output->err) != napi_ok) return 0;
  return output->out >= 0 && output->err >= 0;
}

// Output on 0, 1 or 2 (stack started with stdio closed) is copied above them first, so that
// setting up 0, 1 and 2 in the child never overwrites a source before it is copied. The copies
// are close-on-exec and go in `lifted` for the caller to close. Returns 0 or an errno.
static int lift_output(output_t *output, int lifted[2]) {
  lifted[0] = lifted[1] = -1;
  int same = output->out == output->err;
  if (output->out <= 2) {
    if ((lifted[0] = fcntl(output->out, F_DUPFD_CLOEXEC, 3)) < 0) return errno;
    output->out = lifted[0];
    if (same) output->err = lifted[0];
  }
  if (output->err <= 2) {
    if ((lifted[1] = fcntl(output->err, F_DUPFD_CLOEXEC, 3)) < 0) return errno;
    output->err = lifted[1];
  }
  return 0;
}

static void close_lifted(const int lifted[2]) {
  for (int i = 0; i < 2; i++) {
    if (lifted[i] >= 0) close(lifted[i]);
  }
}

// spawn(file, argv, envp, cwd, output, searchPath): the pid, or -errno when the program cannot be
// started (ENOENT for a missing program or working directory, EACCES, E2BIG, ...). A `file`
// without a slash is looked for on `searchPath`, the PATH the service is given. `output` is
// the descriptor stdout and stderr both go to, or [stdout, stderr].
// spawnAs(file, argv, envp, cwd, output, searchPath, [uid, gid, groups]): the same, run as that
// account (EPERM when stack may not become it).
static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc != 6 && argc != 7) return throw_usage(env);
  output_t output;
  if (!output_of(env, args[4], &output)) return throw_usage(env);
  identity_t identity = {0, 0, NULL, 0};
  const identity_t *who = NULL;
  if (argc == 7) {
    if (!identity_of(env, args[6], &identity)) {
      free(identity.groups);
      return throw_usage(env);
    }
    who = &identity;
  }

  char *file = string_of(env, args[0]);
  char **argv = strings_of(env, args[1]);
  char **envp = strings_of(env, args[2]);
  char *cwd = string_of(env, args[3]);
  char *search_path = string_of(env, args[5]);
  pid_t pid = 0;
  int lifted[2];
  int error = lift_output(&output, lifted);
  if (error != 0) {
    // No descriptor left to copy the output to.
  } else if (file == NULL || argv == NULL || argv[0] == NULL || envp == NULL || cwd == NULL || search_path == NULL) {
    error = ENOMEM;
  } else if ((error = directory_error(cwd)) != 0) {
    // Checked first: the search below takes a failed start for a missing program and moves on.
  } else if (strchr(file, '/') != NULL) {
    error = spawn_program(&pid, file, argv, envp, cwd, &output, who);
  } else {
    error = spawn_searching(&pid, file, argv, envp, cwd, &output, search_path, who);
  }
  close_lifted(lifted);
  free(file);
  free_strings(argv);
  free_strings(envp);
  free(cwd);
  free(search_path);
  free(identity.groups);
  napi_value result;
  CHECK(napi_create_int32(env, error == 0 ? pid : -error, &result));
  return result;
}

// Starts the log relay: its own session, stdin, stdout and stderr on /dev/null, the pipes'
// read ends and the log on 3, 4 and 5, every signal at its default (it sets its own), an empty
// environment (no service marker: `stack down` must not take it for a service's process).
static int spawn_relay(pid_t *pid, const char *path, int out_read, int err_read, int log_fd) {
  // Copied above 5 first: a source on 3, 4 or 5 (or on 0-2, stdio closed) would be overwritten
  // by another's copy before its own.
  int sources[3] = {out_read, err_read, log_fd};
  int high[3] = {-1, -1, -1};
  int error = 0;
  for (int i = 0; i < 3 && error == 0; i++) {
    if ((high[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, 10)) < 0) error = errno;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  int actions_made = 0, attributes_made = 0;
  if (error == 0 && (error = posix_spawn_file_actions_init(&actions)) == 0) actions_made = 1;
  if (error == 0 && (error = posix_spawnattr_init(&attributes)) == 0) attributes_made = 1;
  for (int i = 0; i < 3 && error == 0; i++) error = posix_spawn_file_actions_adddup2(&actions, high[i], 3 + i);
  if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  // Those it ignores arrive blocked, so that none ends it before its main() ignores them.
  sigset_t every, ignored;
  sigfillset(&every);
  sigemptyset(&ignored);
  sigaddset(&ignored, SIGHUP);
  sigaddset(&ignored, SIGINT);
  sigaddset(&ignored, SIGTERM);
  sigaddset(&ignored, SIGPIPE);
  if (error == 0) error = posix_spawnattr_setsigdefault(&attributes, &every);
  if (error == 0) error = posix_spawnattr_setsigmask(&attributes, &ignored);
  if (error == 0) error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  char *argv[] = {(char *)path, "3", "4", "5", NULL};
  char *envp[] = {NULL};
  if (error == 0) error = posix_spawn(pid, path, &actions, &attributes, argv, envp);
  if (actions_made) posix_spawn_file_actions_destroy(&actions);
  if (attributes_made) posix_spawnattr_destroy(&attributes);
  for (int i = 0; i < 3; i++) {
    if (high[i] >= 0) close(high[i]);
  }
  return error;
}

// relay(relayPath, logFd): [pid, stdoutFd, stderrFd], the relay started on two new pipes whose
// write ends (close-on-exec) are stack's to give the service and then close; -errno when it
// cannot start.
static napi_value Relay(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc != 2) return throw_usage(env);
  int32_t log_fd;
  CHECK(napi_get_value_int32(env, args[1], &log_fd));
  char *path = string_of(env, args[0]);
  if (path == NULL) return throw_usage(env);
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  pid_t pid = 0;
  int error = 0;
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) error = errno;
  if (error == 0) error = spawn_relay(&pid, path, out[0], err[0], log_fd);
  free(path);
  // The read ends are the relay's alone: a copy here would keep it from ever seeing the end.
  if (out[0] >= 0) close(out[0]);
  if (err[0] >= 0) close(err[0]);
  napi_value result;
  if (error != 0) {
    if (out[1] >= 0) close(out[1]);
    if (err[1] >= 0) close(err[1]);
    CHECK(napi_create_int32(env, -error, &result));
    return result;
  }
  int32_t values[3] = {pid, out[1], err[1]};
  CHECK(napi_create_array_with_length(env, 3, &result));
  for (uint32_t i = 0; i < 3; i++) {
    napi_value value;
    CHECK(napi_create_int32(env, values[i], &value));
    CHECK(napi_set_element(env, result, i, value));
  }
  return result;
}

// pipes(logFd): [stdout read end, stdout write end, stderr read end, stderr write end, a copy
// of logFd], two new pipes and the copy all close-on-exec (the caller may close logFd then);
// -errno. With relayOn, the service is started on the write ends first and the relay right
// after (its output waits in the pipes): a restart does not wait for the relay's exec.
static napi_value Pipes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc != 1) return throw_usage(env);
  int32_t log_fd;
  CHECK(napi_get_value_int32(env, args[0], &log_fd));
  int fds[5] = {-1, -1, -1, -1, -1};
  napi_value result;
  int error = 0;
  if (pipe2(fds, O_CLOEXEC) < 0 || pipe2(fds + 2, O_CLOEXEC) < 0 || (fds[4] = fcntl(log_fd, F_DUPFD_CLOEXEC, 3)) < 0) error = errno;
  if (error != 0) {
    for (int i = 0; i < 5; i++) {
      if (fds[i] >= 0) close(fds[i]);
    }
    CHECK(napi_create_int32(env, -error, &result));
    return result;
  }
  CHECK(napi_create_array_with_length(env, 5, &result));
  for (uint32_t i = 0; i < 5; i++) {
    napi_value value;
    CHECK(napi_create_int32(env, fds[i], &value));
    CHECK(napi_set_element(env, result, i, value));
  }
  return result;
}

// relayOn(relayPath, outRead, errRead, logFd): the relay's pid, started on the read ends and
// the log's copy from pipes() (stack closes its copies then); -errno when it cannot start.
static napi_value RelayOn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc != 4) return throw_usage(env);
  int32_t out_read, err_read, log_fd;
  CHECK(napi_get_value_int32(env, args[1], &out_read));
  CHECK(napi_get_value_int32(env, args[2], &err_read));
  CHECK(napi_get_value_int32(env, args[3], &log_fd));
  char *path = string_of(env, args[0]);
  if (path == NULL) return throw_usage(env);
  pid_t pid = 0;
  int error = spawn_relay(&pid, path, out_read, err_read, log_fd);
  free(path);
  napi_value result;
  CHECK(napi_create_int32(env, error == 0 ? pid : -error, &result));
  return result;
}

// relayOnAsync(relayPath, outRead, errRead, logFd): a promise of what relayOn returns, the
// relay started on a thread of libuv's pool, so that stack goes on (the next service's start)
// while this thread waits for the relay's exec. The descriptors must stay open until it settles.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  int out_read, err_read, log_fd;
  pid_t pid;
  int error;
} relay_job_t;

static void relay_job_run(napi_env env, void *data) {
  (void)env;
  relay_job_t *job = data;
  job->error = spawn_relay(&job->pid, job->path, job->out_read, job->err_read, job->log_fd);
}

static void relay_job_done(napi_env env, napi_status status, void *data) {
  relay_job_t *job = data;
  napi_value result;
  int32_t value = status != napi_ok ? -ECANCELED : job->error == 0 ? job->pid : -job->error;
  if (napi_create_int32(env, value, &result) == napi_ok) napi_resolve_deferred(env, job->deferred, result);
  napi_delete_async_work(env, job->work);
  free(job->path);
  free(job);
}

static napi_value RelayOnAsync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc != 4) return throw_usage(env);
  relay_job_t *job = calloc(1, sizeof *job);
  if (job == NULL) return throw_usage(env);
  if (napi_get_value_int32(env, args[1], &job->out_read) != napi_ok || napi_get_value_int32(env, args[2], &job->err_read) != napi_ok ||
      napi_get_value_int32(env, args[3], &job->log_fd) != napi_ok || (job->path = string_of(env, args[0])) == NULL) {
    free(job);
    return throw_usage(env);
  }
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok || napi_create_string_utf8(env, "stack-relay-spawn", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, relay_job_run, relay_job_done, job, &job->work) != napi_ok || napi_queue_async_work(env, job->work) != napi_ok) {
    free(job->path);
    free(job);
    return throw_usage(env);
  }
  return promise;
}

// reap(pid): undefined while the child runs; [code, signal] once it ended (code -1 when a signal
// ended it, signal 0 when none did); -errno when it is not (or no longer) our child to wait for.
static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  int32_t pid;
  if (argc != 1) return throw_usage(env);
  CHECK(napi_get_value_int32(env, args[0], &pid));
  // 0 or -1 would wait for any child, libuv's included.
  if (pid <= 0) return throw_usage(env);
  int status;
  pid_t reaped;
  do {
    reaped = waitpid(pid, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  napi_value result;
  if (reaped == 0) {
    CHECK(napi_get_undefined(env, &result));
  } else if (reaped < 0) {
    CHECK(napi_create_int32(env, -errno, &result));
  } else {
    napi_value code, signal;
    CHECK(napi_create_array_with_length(env, 2, &result));
    CHECK(napi_create_int32(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1, &code));
    CHECK(napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &signal));
    CHECK(napi_set_element(env, result, 0, code));
    CHECK(napi_set_element(env, result, 1, signal));
  }
  return result;
}

// exited(): the pid of a child that has ended and is not waited for yet, left so (WNOWAIT: the
// caller reaps it by pid only if it is its own; libuv reaps node:child_process's); 0 when no child
// has ended; -errno (ECHILD: no child at all). A SIGCHLD then costs a call per child that ended,
// not a waitpid for every child stack waits for (2,000 with 1,000 services and their relays).
static napi_value Exited(napi_env env, napi_callback_info info) {
  (void)info;
  siginfo_t ended;
  memset(&ended, 0, sizeof ended);
  int result;
  do {
    result = waitid(P_ALL, 0, &ended, WEXITED | WNOHANG | WNOWAIT);
  } while (result < 0 && errno == EINTR);
  napi_value value;
  CHECK(napi_create_int32(env, result < 0 ? -errno : ended.si_pid, &value));
  return value;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, Spawn, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "spawn", function) != napi_ok) return NULL;
  if (napi_create_function(env, "spawnAs", NAPI_AUTO_LENGTH, Spawn, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "spawnAs", function) != napi_ok) return NULL;
  if (napi_create_function(env, "relay", NAPI_AUTO_LENGTH, Relay, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "relay", function) != napi_ok) return NULL;
  if (napi_create_function(env, "pipes", NAPI_AUTO_LENGTH, Pipes, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "pipes", function) != napi_ok) return NULL;
  if (napi_create_function(env, "relayOn", NAPI_AUTO_LENGTH, RelayOn, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "relayOn", function) != napi_ok) return NULL;
  if (napi_create_function(env, "relayOnAsync", NAPI_AUTO_LENGTH, RelayOnAsync, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "relayOnAsync", function) != napi_ok) return NULL;
  if (napi_create_function(env, "exited", NAPI_AUTO_LENGTH, Exited, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "exited", function) != napi_ok) return NULL;
  if (napi_create_function(env, "reap", NAPI_AUTO_LENGTH, Reap, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "reap", function) != napi_ok) return NULL;
  return exports;
}
