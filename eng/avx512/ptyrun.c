/* ptyrun: run a program that insists on a terminal (Bochs' curses "term" display) with no terminal around it.
 *
 *   ptyrun SECONDS OUTFILE PROGRAM [ARGS...]
 *
 * The program gets a fresh pseudo-terminal (80x25, software flow control off) as its stdin, stdout and stderr.
 * This process only ever reads the master side, at once and always, and appends what it reads to OUTFILE; it
 * never writes to the program and never reads its own stdin. So the program can neither block writing to a full
 * pty buffer nor be stopped by an XOFF, whatever the caller's stdin is (a terminal, /dev/null, closed).
 * That was the CI hang: script(1) stopped draining the pty while bochs-bin sat in n_tty_write.
 * After SECONDS the whole process group is killed and ptyrun exits 124; otherwise it exits with the program's
 * status (128+signal when it was killed by one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: ptyrun SECONDS OUTFILE PROGRAM [ARGS...]\n"); return 2; }
  double limit = atof(argv[1]);
  int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) { perror(argv[2]); return 2; }
  struct winsize ws = { .ws_row = 25, .ws_col = 80 };
  int master;
  pid_t pid = forkpty(&master, NULL, NULL, &ws);
  if (pid < 0) { perror("forkpty"); return 2; }
  if (pid == 0) {
    struct termios t;
    if (tcgetattr(0, &t) == 0) { t.c_iflag &= ~(IXON | IXOFF | IXANY); tcsetattr(0, TCSANOW, &t); }
    setenv("TERM", "xterm", 1);
    execvp(argv[3], argv + 3);
    perror(argv[3]);
    _exit(127);
  }
  double start = now();
  char buf[65536];
  int status = 0, done = 0;
  for (;;) {
    struct pollfd p = { .fd = master, .events = POLLIN };
    int r = poll(&p, 1, 500);
    if (r > 0) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) { if (write(out, buf, (size_t)n) < 0) { /* a full disk must not stop the draining */ } continue; }
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      break;                                   /* EIO: every slave descriptor is closed */
    }
    if (r < 0 && errno != EINTR) break;
    if (waitpid(pid, &status, WNOHANG) == pid) { done = 1; break; }
    if (now() - start > limit) {
      fprintf(stderr, "ptyrun: %s still running after %.0f s: killed\n", argv[3], limit);
      kill(-pid, SIGKILL); kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return 124;
    }
  }
  if (!done) {
    /* The pty closed; give the program the rest of the time to exit. */
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (now() - start > limit) { kill(-pid, SIGKILL); kill(pid, SIGKILL); waitpid(pid, &status, 0); return 124; }
      usleep(100000);
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}
