/*
 * sshd_config.c - the sshd drop-in that makes stock OpenSSH ask
 * wicket-authorized-keys: `sshd-config` prints it, `install-sshd` writes it
 * (after creating the unprivileged AuthorizedKeysCommandUser), checks it
 * with `sshd -t` and reloads sshd only when the check passes, and
 * `uninstall-sshd` takes it out again. Children run with execv, never a
 * shell.
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"

#define DROPIN_NAME "60-wicket.conf"
#define BACKUP_NAME "60-wicket.conf.wicket-bak"
#define DROPIN_MARK "# Managed by wicket-agent install-sshd."
#define DROPIN_MAX (64 * 1024)
#define CHILD_TIMEOUT_MS 20000
#define HELPER_NAME "wicket-authorized-keys"
#define PAM_MARK \
	"# Added by wicket-agent install-sshd --single-use; the next line " \
	"is wicket's."
#define PAM_DEFAULT_FILE "/etc/pam.d/sshd"
#define PAM_DEFAULT_MODULE "pam_wicket.so"

struct sshd_opts {
	const char *state;
	const char *socket;
	const char *user;
	const char *helper;		/* NULL: next to this binary */
	const char *config_dir;
	const char *sshd;
	const char *test_config;	/* sshd -t -f FILE */
	bool no_reload;
	bool no_useradd;
	bool single_use;		/* ExposeAuthInfo + the PAM line */
	const char *pam_file;
	const char *pam_module;
};

static const char sshd_config_usage[] =
"usage: wicket-agent sshd-config [--state DIR] [--socket PATH]\n"
"           [--user USER] [--helper PATH]\n"
"\n"
"Prints the sshd_config drop-in that makes sshd ask\n"
"wicket-authorized-keys for pushed keys (AuthorizedKeysCommand %u %f, run\n"
"as an unprivileged AuthorizedKeysCommandUser).\n"
"\n"
"  --state DIR     the agent's state directory (default "
    WK_AGENT_DEFAULT_STATE ")\n"
"  --socket PATH   the agent's socket (default " WK_AGENT_DEFAULT_SOCKET ")\n"
"  --user USER     AuthorizedKeysCommandUser (default "
    WK_AGENT_DEFAULT_AK_USER ")\n"
"  --helper PATH   wicket-authorized-keys (default: next to this binary)\n"
"  --single-use    also the lines single-use keys need (see the comments\n"
"                  it prints otherwise)\n";

static const char install_usage[] =
"usage: wicket-agent install-sshd [--state DIR] [--socket PATH] [--user USER]\n"
"           [--helper PATH] [--sshd-config-dir DIR] [--sshd PATH]\n"
"           [--sshd-test-config FILE] [--no-useradd] [--no-reload]\n"
"           [--single-use [--pam-file FILE] [--pam-module PATH]]\n"
"\n"
"Creates the system user USER if it is missing (useradd --system), writes\n"
"the drop-in as DIR/" DROPIN_NAME " (a foreign file of that name is kept\n"
"as " BACKUP_NAME "), checks the configuration with `sshd -t`, and\n"
"only when the check passes reloads sshd (systemctl reload ssh). On a\n"
"failed check the previous file is put back. Running it again is harmless.\n"
"\n"
"  --state DIR, --socket PATH, --user USER, --helper PATH\n"
"                          as for sshd-config\n"
"  --sshd-config-dir DIR   default /etc/ssh/sshd_config.d\n"
"  --sshd PATH             default /usr/sbin/sshd\n"
"  --sshd-test-config FILE check with `sshd -t -f FILE` (tests)\n"
"  --no-useradd            fail instead of creating USER\n"
"  --no-reload             do not reload sshd\n"
"                          The drop-in sets ExposeAuthInfo yes and UsePAM\n"
"                          yes, and \"session optional pam_wicket.so\n"
"                          socket=PATH noconsume\" goes first in the PAM\n"
"                          service file's session stack: logins with a\n"
"                          pushed key are reported (docs/sessions.md)\n"
"  --single-use            for single-use keys: the PAM line is\n"
"                          \"session requisite pam_wicket.so socket=PATH\"\n"
"                          (it consumes the key; no session if it cannot)\n"
"                          and DIR/" WK_AGENT_SINGLE_USE_FILE " tells the agent\n"
"                          (and wicketd) this host consumes them; without\n"
"                          it, the marker is taken out again\n"
"  --pam-file FILE         default " PAM_DEFAULT_FILE "\n"
"  --pam-module PATH       default " PAM_DEFAULT_MODULE "\n";

static const char uninstall_usage[] =
"usage: wicket-agent uninstall-sshd [--sshd-config-dir DIR] [--sshd PATH]\n"
"           [--sshd-test-config FILE] [--no-reload] [--pam-file FILE]\n"
"           [--state STATE]\n"
"\n"
"Removes DIR/" DROPIN_NAME " (only when wicket wrote it), puts back a\n"
"backed-up " BACKUP_NAME ", removes STATE/" WK_AGENT_SINGLE_USE_FILE " (wicketd\n"
"then refuses single-use keys for this host) and the pam_wicket line\n"
"install-sshd added to FILE (default " PAM_DEFAULT_FILE "),\n"
"checks with `sshd -t` and reloads sshd.\n"
"The user wicket-ak is left in place.\n";

/* Characters we allow in paths written into sshd_config. */
static bool
path_ok(const char *p)
{
	size_t i;

	if (p[0] != '/' || strlen(p) > 1024)
		return false;
	for (i = 0; p[i] != '\0'; i++) {
		char c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '.' ||
		    c == '_' || c == '-' || c == '+'))
			return false;
	}
	return true;
}

/* A module argument: an absolute path, or a file name in PAM's dir. */
static bool
module_ok(const char *m)
{
	size_t i;

	if (m[0] == '/')
		return path_ok(m);
	if (m[0] == '\0' || m[0] == '.' || strlen(m) > 255)
		return false;
	for (i = 0; m[i] != '\0'; i++)
		if (!((m[i] >= 'A' && m[i] <= 'Z') ||
		    (m[i] >= 'a' && m[i] <= 'z') ||
		    (m[i] >= '0' && m[i] <= '9') || m[i] == '.' ||
		    m[i] == '_' || m[i] == '-'))
			return false;
	return true;
}

static int
helper_path(const struct sshd_opts *o, char *out, size_t outsz)
{
	char self[4096];
	ssize_t n;
	char *dir;

	if (o->helper != NULL) {
		if ((size_t)snprintf(out, outsz, "%s", o->helper) >= outsz)
			return WK_ERR_TOOBIG;
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - 1)
		return WK_ERR_IO;
	self[n] = '\0';
	dir = dirname(self);
	if ((size_t)snprintf(out, outsz, "%s/" HELPER_NAME, dir) >= outsz)
		return WK_ERR_TOOBIG;
	return 0;
}

static int
dropin_text(const struct sshd_opts *o, struct wk_buf *out)
{
	char helper[4096];
	int r;

	if (!module_ok(o->pam_module) || !path_ok(o->pam_file)) {
		fprintf(stderr, "wicket-agent: bad --pam-module or "
		    "--pam-file\n");
		return WK_ERR_INVAL;
	}
	if ((r = helper_path(o, helper, sizeof(helper))) != 0) {
		fprintf(stderr, "wicket-agent: cannot locate " HELPER_NAME
		    "\n");
		return r;
	}
	if (!path_ok(helper) || !path_ok(o->state) || !path_ok(o->socket)) {
		fprintf(stderr, "wicket-agent: paths must be absolute and use "
		    "only [A-Za-z0-9/._+-]\n");
		return WK_ERR_INVAL;
	}
	if (!wk_sock_user_ok((const uint8_t *)o->user, strlen(o->user))) {
		fprintf(stderr, "wicket-agent: bad user name: %s\n", o->user);
		return WK_ERR_INVAL;
	}
	if ((r = wk_buf_appendf(out,
	    DROPIN_MARK "\n"
	    "# Remove it with `wicket-agent uninstall-sshd`, not by hand.\n"
	    "#\n"
	    "# sshd asks " HELPER_NAME " for the one-time keys pushed\n"
	    "# through wicketd (EC2 Instance Connect compatible). It runs as\n"
	    "# an unprivileged user, verifies every signed record and prints\n"
	    "# only valid key lines; when in doubt it prints nothing.\n"
	    "AuthorizedKeysCommand %s --state %s --socket %s %%u %%f\n"
	    "AuthorizedKeysCommandUser %s\n",
	    helper, o->state, o->socket, o->user)) != 0)
		return r;
	/*
	 * pam_wicket in the session stack reports every login made with a
	 * pushed key (docs/sessions.md) and, with --single-use, consumes
	 * the key: both need the key that logged in (SSH_AUTH_INFO_0).
	 */
	return wk_buf_appendf(out,
	    "#\n"
	    "# Logins (docs/sessions.md)%s: pam_wicket.so, in the PAM session\n"
	    "# stack (%s), tells the agent which key logged in\n"
	    "# (SSH_AUTH_INFO_0).\n"
	    "ExposeAuthInfo yes\n"
	    "UsePAM yes\n", o->single_use ? " and single-use keys" : "",
	    o->pam_file);
}

/*
 * Runs argv[0] with execv (no shell), stdin from /dev/null, and waits at
 * most CHILD_TIMEOUT_MS. Returns 0 when it exited with status 0.
 */
static int
run_child(char *const argv[])
{
	uint64_t deadline = wk_mono_ms() + CHILD_TIMEOUT_MS;
	pid_t pid, w;
	int status, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return WK_ERR_IO;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, STDIN_FILENO);
			if (fd != STDIN_FILENO)
				close(fd);
		}
		/* Our stdout is for results; the child's chatter is stderr. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return WK_ERR_IO;
		if (wk_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return WK_ERR_TIMEOUT;
		}
		usleep(10000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return WK_ERR_DENIED;	/* it ran and said no */
}

static int
sshd_check(const struct sshd_opts *o)
{
	char *argv[5];
	size_t n = 0;

	argv[n++] = (char *)(uintptr_t)o->sshd;
	argv[n++] = (char *)(uintptr_t)"-t";
	if (o->test_config != NULL) {
		argv[n++] = (char *)(uintptr_t)"-f";
		argv[n++] = (char *)(uintptr_t)o->test_config;
	}
	argv[n] = NULL;
	return run_child(argv);
}

static void
sshd_reload(const struct sshd_opts *o)
{
	static const char *const ctl[] = { "/usr/bin/systemctl",
		"/bin/systemctl" };
	char *argv[4];
	struct stat sb;
	size_t i;

	if (o->no_reload) {
		printf("sshd not reloaded (--no-reload)\n");
		return;
	}
	if (stat("/run/systemd/system", &sb) == 0) {
		for (i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
			if (access(ctl[i], X_OK) != 0)
				continue;
			argv[0] = (char *)(uintptr_t)ctl[i];
			argv[1] = (char *)(uintptr_t)"reload";
			argv[2] = (char *)(uintptr_t)"ssh";
			argv[3] = NULL;
			if (run_child(argv) == 0) {
				printf("sshd reloaded\n");
				return;
			}
			argv[2] = (char *)(uintptr_t)"sshd";
			if (run_child(argv) == 0) {
				printf("sshd reloaded\n");
				return;
			}
		}
	}
	printf("sshd NOT reloaded: no systemd here; reload it yourself "
	    "(e.g. send SIGHUP to the listening sshd)\n");
}

static int
ensure_user(const struct sshd_opts *o)
{
	char *argv[8];

	if (getpwnam(o->user) != NULL)
		return 0;
	if (o->no_useradd) {
		fprintf(stderr, "wicket-agent: user %s does not exist\n",
		    o->user);
		return WK_ERR_NOTFOUND;
	}
	argv[0] = (char *)(uintptr_t)"/usr/sbin/useradd";
	argv[1] = (char *)(uintptr_t)"--system";
	argv[2] = (char *)(uintptr_t)"--no-create-home";
	argv[3] = (char *)(uintptr_t)"--shell";
	argv[4] = (char *)(uintptr_t)"/usr/sbin/nologin";
	argv[5] = (char *)(uintptr_t)o->user;
	argv[6] = NULL;
	if (run_child(argv) != 0 || getpwnam(o->user) == NULL) {
		fprintf(stderr, "wicket-agent: could not create user %s\n",
		    o->user);
		return WK_ERR_IO;
	}
	printf("created system user %s\n", o->user);
	return 0;
}

/* Reads a small file; WK_ERR_NOTFOUND when it does not exist. */
static int
read_small(const char *path, struct wk_buf *out)
{
	uint8_t chunk[4096];
	ssize_t got;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = WK_ERR_IO;
			break;
		}
		if (got == 0)
			break;
		if ((r = wk_buf_append(out, chunk, (size_t)got)) != 0)
			break;
	}
	close(fd);
	return r;
}

bool
wk_agent_single_use_enforced(const char *state_dir)
{
	char path[4096], head[sizeof(WK_AGENT_SINGLE_USE_MAGIC)];
	struct stat st;
	ssize_t got;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/"
	    WK_AGENT_SINGLE_USE_FILE, state_dir) >= sizeof(path))
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return false;
	got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    read(fd, head, sizeof(head)) : -1;
	close(fd);
	return got == (ssize_t)sizeof(head) &&
	    memcmp(head, WK_AGENT_SINGLE_USE_MAGIC "\n", sizeof(head)) == 0;
}

/* The marker the agent and the helper look for (see agent.h). */
static int
marker_write(const struct sshd_opts *o)
{
	struct wk_buf text;
	int r;

	wk_buf_init(&text, 8192);
	if ((r = wk_buf_appendf(&text, WK_AGENT_SINGLE_USE_MAGIC "\n"
	    "# Written by wicket-agent install-sshd --single-use: %s runs\n"
	    "# pam_wicket first in its session stack, so this host consumes\n"
	    "# single-use keys. uninstall-sshd removes it.\n"
	    "pam-file %s\n", o->pam_file, o->pam_file)) == 0)
		r = wk_agent_write_atomic(o->state, WK_AGENT_SINGLE_USE_FILE,
		    text.p, text.len, 0644);
	wk_buf_cleanup(&text);
	if (r != 0)
		fprintf(stderr, "wicket-agent: cannot write %s/"
		    WK_AGENT_SINGLE_USE_FILE "\n", o->state);
	else
		printf("this host consumes single-use keys (%s/"
		    WK_AGENT_SINGLE_USE_FILE ")\n", o->state);
	return r;
}

static int
marker_remove(const struct sshd_opts *o)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/"
	    WK_AGENT_SINGLE_USE_FILE, o->state) >= sizeof(path))
		return WK_ERR_TOOBIG;
	if (unlink(path) != 0)
		return errno == ENOENT ? 0 : WK_ERR_IO;
	printf("removed %s: single-use keys are refused for this host\n",
	    path);
	return 0;
}

static bool
is_ours(const struct wk_buf *b)
{
	return wk_span_starts_with(wk_buf_span(b), DROPIN_MARK "\n");
}

/* `in` without wicket's block (the marker line and the line after it). */
static int
pam_strip(const struct wk_buf *in, struct wk_buf *out, bool *found)
{
	struct wk_span rest = wk_buf_span(in), line;
	bool skip = false;
	int r;

	*found = false;
	while (rest.len > 0) {
		if (!wk_span_split(rest, '\n', &line, &rest)) {
			line = rest;
			rest = WK_SPAN_NULL;
		}
		if (skip) {
			skip = false;
			continue;
		}
		if (wk_span_eq_cstr(line, PAM_MARK)) {
			*found = skip = true;
			continue;
		}
		if ((r = wk_buf_append_span(out, line)) != 0 ||
		    (r = wk_buf_putc(out, '\n')) != 0)
			return r;
	}
	return 0;
}

/* Rewrites the PAM service file atomically, keeping its mode. */
static int
pam_write(const char *file, const struct wk_buf *text)
{
	char d[4096], b[4096];
	struct stat sb;

	if (strlen(file) >= sizeof(d) || stat(file, &sb) != 0)
		return WK_ERR_IO;
	memcpy(d, file, strlen(file) + 1);
	memcpy(b, file, strlen(file) + 1);
	return wk_agent_write_atomic(dirname(d), basename(b), text->p,
	    text->len, sb.st_mode & 0644);
}

/* Is `line` a rule of the session stack ("session ..." or "-session")? */
static bool
pam_is_session(struct wk_span line)
{
	while (line.len > 0 && (line.p[0] == ' ' || line.p[0] == '\t')) {
		line.p++;
		line.len--;
	}
	if (line.len > 0 && line.p[0] == '-') {
		line.p++;
		line.len--;
	}
	return wk_span_starts_with(line, "session") && line.len > 7 &&
	    (line.p[7] == ' ' || line.p[7] == '\t');
}

/*
 * `in` (wicket's block already stripped) with wicket's block before its
 * first session rule, or at the end when it has none. First, because a
 * module before it may change the PAM environment: Debian's
 * `pam_env.so user_readenv=1` reads ~/.pam_environment, where a user
 * could set SSH_AUTH_INFO_0 and keep a single-use key reusable. sshd sets
 * SSH_AUTH_INFO_0 again right before the session stack, so the first
 * module sees sshd's value.
 */
static int
pam_insert(const struct wk_buf *in, const char *block, struct wk_buf *out)
{
	struct wk_span rest = wk_buf_span(in), line;
	bool done = false;
	int r;

	while (rest.len > 0) {
		if (!wk_span_split(rest, '\n', &line, &rest)) {
			line = rest;
			rest = WK_SPAN_NULL;
		}
		if (!done && pam_is_session(line)) {
			if ((r = wk_buf_append_str(out, block)) != 0)
				return r;
			done = true;
		}
		if ((r = wk_buf_append_span(out, line)) != 0 ||
		    (r = wk_buf_putc(out, '\n')) != 0)
			return r;
	}
	return done ? 0 : wk_buf_append_str(out, block);
}

/* Adds (or refreshes) wicket's session line; 0 when done or current. */
static int
pam_install(const struct sshd_opts *o)
{
	struct wk_buf cur, stripped, block, next;
	bool found;
	int r;

	wk_buf_init(&cur, DROPIN_MAX);
	wk_buf_init(&stripped, DROPIN_MAX);
	wk_buf_init(&block, 4096);
	wk_buf_init(&next, DROPIN_MAX);
	if ((r = read_small(o->pam_file, &cur)) != 0) {
		if (r == WK_ERR_NOTFOUND && !o->single_use) {
			/* an sshd without PAM: logins are not reported */
			printf("no %s: pam_wicket not added; logins on this "
			    "host are not reported (docs/sessions.md)\n",
			    o->pam_file);
			r = 0;
			goto out;
		}
		fprintf(stderr, "wicket-agent: cannot read %s\n", o->pam_file);
		goto out;
	}
	/*
	 * requisite: pam_wicket refuses the session when it cannot consume
	 * the key that logged in (fail closed), and nothing after it runs;
	 * "optional" would make that refusal meaningless.
	 */
	/*
	 * Without --single-use it only reports logins: "optional" and
	 * "noconsume", so a login is never refused for its report.
	 */
	if ((r = pam_strip(&cur, &stripped, &found)) != 0 ||
	    (r = (o->single_use ? wk_buf_appendf(&block, PAM_MARK
	    "\nsession requisite %s socket=%s\n", o->pam_module,
	    o->socket) : wk_buf_appendf(&block, PAM_MARK "\nsession optional "
	    "%s socket=%s noconsume\n", o->pam_module, o->socket))) != 0 ||
	    (r = pam_insert(&stripped, wk_buf_cstr(&block), &next)) != 0)
		goto out;
	if (wk_span_eq(wk_buf_span(&cur), wk_buf_span(&next))) {
		printf("%s already has the pam_wicket line\n", o->pam_file);
		goto out;
	}
	if ((r = pam_write(o->pam_file, &next)) != 0) {
		fprintf(stderr, "wicket-agent: cannot write %s\n",
		    o->pam_file);
		goto out;
	}
	printf("added the pam_wicket session line to %s\n", o->pam_file);
out:
	wk_buf_cleanup(&cur);
	wk_buf_cleanup(&stripped);
	wk_buf_cleanup(&block);
	wk_buf_cleanup(&next);
	return r;
}

/* Takes wicket's line out again; 0 when done or absent. */
static int
pam_uninstall(const struct sshd_opts *o)
{
	struct wk_buf cur, next;
	bool found = false;
	int r;

	wk_buf_init(&cur, DROPIN_MAX);
	wk_buf_init(&next, DROPIN_MAX);
	r = read_small(o->pam_file, &cur);
	if (r == WK_ERR_NOTFOUND) {
		r = 0;
		goto out;
	}
	if (r != 0 || (r = pam_strip(&cur, &next, &found)) != 0 || !found)
		goto out;
	if ((r = pam_write(o->pam_file, &next)) != 0) {
		fprintf(stderr, "wicket-agent: cannot write %s\n",
		    o->pam_file);
		goto out;
	}
	printf("removed the pam_wicket session line from %s\n", o->pam_file);
out:
	wk_buf_cleanup(&cur);
	wk_buf_cleanup(&next);
	return r;
}

/*
 * The PAM line and the marker follow --single-use both ways: with it, the
 * line goes in first and the marker last (the host claims to consume
 * single-use keys only once it does); without it, the marker goes first,
 * then the line (a leftover line would refuse every session once sshd no
 * longer exposes the key).
 */
static int
pam_and_marker(const struct sshd_opts *o)
{
	if (o->single_use)
		return pam_install(o) != 0 ? WK_ERR_IO : marker_write(o);
	if (marker_remove(o) != 0)
		return WK_ERR_IO;
	/* the report-only line (noconsume) replaces a requisite one */
	return pam_install(o);
}

static int
parse_opts(int argc, char **argv, struct sshd_opts *o, const char *usage)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "helper", required_argument, NULL, 'H' },
		{ "sshd-config-dir", required_argument, NULL, 'c' },
		{ "sshd", required_argument, NULL, 'S' },
		{ "sshd-test-config", required_argument, NULL, 'f' },
		{ "no-reload", no_argument, NULL, 'R' },
		{ "no-useradd", no_argument, NULL, 'U' },
		{ "single-use", no_argument, NULL, 'O' },
		{ "pam-file", required_argument, NULL, 'P' },
		{ "pam-module", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->state = WK_AGENT_DEFAULT_STATE;
	o->socket = WK_AGENT_DEFAULT_SOCKET;
	o->user = WK_AGENT_DEFAULT_AK_USER;
	o->helper = NULL;
	o->config_dir = "/etc/ssh/sshd_config.d";
	o->sshd = "/usr/sbin/sshd";
	o->test_config = NULL;
	o->no_reload = false;
	o->no_useradd = false;
	o->single_use = false;
	o->pam_file = PAM_DEFAULT_FILE;
	o->pam_module = PAM_DEFAULT_MODULE;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->state = optarg; break;
		case 's': o->socket = optarg; break;
		case 'u': o->user = optarg; break;
		case 'H': o->helper = optarg; break;
		case 'c': o->config_dir = optarg; break;
		case 'S': o->sshd = optarg; break;
		case 'f': o->test_config = optarg; break;
		case 'R': o->no_reload = true; break;
		case 'U': o->no_useradd = true; break;
		case 'O': o->single_use = true; break;
		case 'P': o->pam_file = optarg; break;
		case 'M': o->pam_module = optarg; break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	return -1;	/* go on */
}

int
wk_agent_cmd_sshd_config(int argc, char **argv)
{
	struct sshd_opts o;
	struct wk_buf text;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, sshd_config_usage)) >= 0)
		return rc;
	wk_buf_init(&text, DROPIN_MAX);
	rc = 1;
	if (dropin_text(&o, &text) == 0) {
		fputs(wk_buf_cstr(&text), stdout);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	wk_buf_cleanup(&text);
	return rc;
}

int
wk_agent_cmd_install_sshd(int argc, char **argv)
{
	struct sshd_opts o;
	struct wk_buf text, prev;
	char path[4096], bak[4096];
	bool had_prev = false, made_bak = false;
	int r, rc;

	if ((rc = parse_opts(argc, argv, &o, install_usage)) >= 0)
		return rc;
	rc = 1;
	wk_buf_init(&text, DROPIN_MAX);
	wk_buf_init(&prev, DROPIN_MAX);
	if ((size_t)snprintf(path, sizeof(path), "%s/" DROPIN_NAME,
	    o.config_dir) >= sizeof(path) ||
	    (size_t)snprintf(bak, sizeof(bak), "%s/" BACKUP_NAME,
	    o.config_dir) >= sizeof(bak)) {
		fprintf(stderr, "wicket-agent: path too long\n");
		goto out;
	}
	if (dropin_text(&o, &text) != 0 || ensure_user(&o) != 0)
		goto out;
	r = read_small(path, &prev);
	if (r != 0 && r != WK_ERR_NOTFOUND) {
		fprintf(stderr, "wicket-agent: cannot read %s\n", path);
		goto out;
	}
	had_prev = r == 0;
	if (had_prev && wk_span_eq(wk_buf_span(&prev), wk_buf_span(&text))) {
		printf("%s is already installed and current\n", path);
		rc = pam_and_marker(&o) != 0 ? 1 : 0;
		goto out;
	}
	if (had_prev && !is_ours(&prev)) {
		if (access(bak, F_OK) == 0) {
			fprintf(stderr, "wicket-agent: %s exists and is not "
			    "wicket's, and %s is taken; move one away\n",
			    path, bak);
			goto out;
		}
		if (wk_agent_write_atomic(o.config_dir, BACKUP_NAME, prev.p,
		    prev.len, 0644) != 0) {
			fprintf(stderr, "wicket-agent: cannot back up %s\n",
			    path);
			goto out;
		}
		made_bak = true;
		printf("kept the previous %s as %s\n", path, bak);
	}
	if (wk_agent_write_atomic(o.config_dir, DROPIN_NAME, text.p, text.len,
	    0644) != 0) {
		fprintf(stderr, "wicket-agent: cannot write %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if ((r = sshd_check(&o)) != 0) {
		fprintf(stderr, "wicket-agent: `%s -t` %s; restoring the "
		    "previous state\n", o.sshd, r == WK_ERR_DENIED ?
		    "rejected the configuration" : wk_strerror(r));
		if (had_prev)
			(void)wk_agent_write_atomic(o.config_dir, DROPIN_NAME,
			    prev.p, prev.len, 0644);
		else
			(void)unlink(path);
		if (made_bak)
			(void)unlink(bak);
		goto out;
	}
	printf("installed %s (sshd -t passed)\n", path);
	if (pam_and_marker(&o) != 0)
		goto out;
	sshd_reload(&o);
	rc = 0;
 out:
	wk_buf_cleanup(&text);
	wk_buf_cleanup(&prev);
	return rc;
}

int
wk_agent_cmd_uninstall_sshd(int argc, char **argv)
{
	struct sshd_opts o;
	struct wk_buf cur, saved;
	char path[4096], bak[4096];
	int r, rc;

	if ((rc = parse_opts(argc, argv, &o, uninstall_usage)) >= 0)
		return rc;
	rc = 1;
	wk_buf_init(&cur, DROPIN_MAX);
	wk_buf_init(&saved, DROPIN_MAX);
	if ((size_t)snprintf(path, sizeof(path), "%s/" DROPIN_NAME,
	    o.config_dir) >= sizeof(path) ||
	    (size_t)snprintf(bak, sizeof(bak), "%s/" BACKUP_NAME,
	    o.config_dir) >= sizeof(bak))
		goto out;
	if (marker_remove(&o) != 0 || pam_uninstall(&o) != 0)
		goto out;
	r = read_small(path, &cur);
	if (r == WK_ERR_NOTFOUND) {
		printf("%s is not installed\n", path);
		rc = 0;
		goto out;
	}
	if (r != 0 || !is_ours(&cur)) {
		fprintf(stderr, "wicket-agent: %s was not written by wicket; "
		    "leaving it alone\n", path);
		goto out;
	}
	if (read_small(bak, &saved) == 0) {
		if (wk_agent_write_atomic(o.config_dir, DROPIN_NAME, saved.p,
		    saved.len, 0644) != 0) {
			fprintf(stderr, "wicket-agent: cannot restore %s\n",
			    bak);
			goto out;
		}
		(void)unlink(bak);
		printf("restored the previous %s\n", path);
	} else if (unlink(path) != 0) {
		fprintf(stderr, "wicket-agent: cannot remove %s: %s\n", path,
		    strerror(errno));
		goto out;
	} else {
		printf("removed %s\n", path);
	}
	if ((r = sshd_check(&o)) != 0) {
		fprintf(stderr, "wicket-agent: `%s -t` fails after removal "
		    "(%s); sshd not reloaded\n", o.sshd, r == WK_ERR_DENIED ?
		    "rejected" : wk_strerror(r));
		goto out;
	}
	sshd_reload(&o);
	rc = 0;
 out:
	wk_buf_cleanup(&cur);
	wk_buf_cleanup(&saved);
	return rc;
}
