/*
 * slow_fsync.c - an LD_PRELOAD shim for tests: a busy disk. While the
 * file named by WK_TEST_SLOW_FSYNC exists, every fsync(2) and
 * fdatasync(2) first sleeps the milliseconds written in it (1500 when it
 * holds no number) and creates "<that file>.stalled", so a test knows a
 * stall is under way. Built for tests only, never installed.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long
stall_ms(const char *flag)
{
	char buf[32], *end;
	ssize_t got;
	long ms;
	int fd;

	if ((fd = open(flag, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;	/* no flag: a quick disk */
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 1500;
	buf[got] = '\0';
	ms = strtol(buf, &end, 10);
	return end == buf || ms < 0 || ms > 60000 ? 1500 : ms;
}

static void
stall(void)
{
	const char *flag = getenv("WK_TEST_SLOW_FSYNC");
	char mark[4096];
	struct timespec ts;
	long ms;
	int fd;

	if (flag == NULL || (ms = stall_ms(flag)) == 0)
		return;
	if ((size_t)snprintf(mark, sizeof(mark), "%s.stalled", flag) <
	    sizeof(mark) && (fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) >= 0)
		close(fd);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		continue;
}

int
fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	stall();
	return real != NULL ? real(fd) : -1;
}

int
fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

	stall();
	return real != NULL ? real(fd) : -1;
}
