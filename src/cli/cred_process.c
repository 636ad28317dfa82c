/*
 * cred_process.c - a profile's credential_process, as the AWS CLI v2 runs
 * it: the command line split into words (no shell), the program started
 * with posix_spawnp, its stdout read as the JSON of the "process
 * credential provider" (Version 1) and its stderr quoted when it fails.
 * See aws_config.h for the contracts.
 */
#include "cli/aws_config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"

extern char **environ;

/* ---- splitting ---- */

void
wk_cred_process_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		wk_free(argv[i]);
	wk_free(argv);
}

static int
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends the word in `word` to av (NULL-terminated, count *n). */
static int
push_word(char ***av, size_t *n, struct wk_buf *word)
{
	char **nv, *w;

	if (*n >= WK_CRED_PROCESS_MAX_ARGS)
		return WK_ERR_TOOBIG;
	/* an empty word ('' or "") has no buffer yet */
	w = word->len == 0 ? wk_strdup("") :
	    wk_strndup((const char *)word->p, word->len);
	if (w == NULL)
		return WK_ERR_NOMEM;
	if ((nv = wk_reallocarray(*av, *n + 2, sizeof(*nv))) == NULL) {
		wk_free(w);
		return WK_ERR_NOMEM;
	}
	nv[*n] = w;
	nv[*n + 1] = NULL;
	*av = nv;
	(*n)++;
	wk_buf_reset(word);
	return 0;
}

int
wk_cred_process_split(struct wk_span cmd, char ***argv, size_t *argc,
    struct wk_buf *errmsg)
{
	enum { OUT, WORD, SQ, DQ } st = OUT;
	struct wk_buf word;
	char **av = NULL;
	size_t n = 0, i;
	uint8_t c;
	int r = WK_ERR_INVAL;

	*argv = NULL;
	*argc = 0;
	wk_buf_init(&word, WK_CRED_PROCESS_MAX_CMD + 1);
	if (cmd.len > WK_CRED_PROCESS_MAX_CMD) {
		(void)wk_buf_appendf(errmsg, "credential_process is longer "
		    "than %d bytes", WK_CRED_PROCESS_MAX_CMD);
		goto out;
	}
	if (cmd.len > 0 && memchr(cmd.p, '\0', cmd.len) != NULL) {
		(void)wk_buf_appendf(errmsg, "credential_process holds a NUL "
		    "byte");
		goto out;
	}
	for (i = 0; i < cmd.len; i++) {
		c = cmd.p[i];
		switch (st) {
		case OUT:
		case WORD:
			if (is_blank(c)) {
				if (st == WORD &&
				    (r = push_word(&av, &n, &word)) != 0)
					goto fail;
				st = OUT;
				continue;
			}
			st = WORD;
			if (c == '\'') {
				st = SQ;
			} else if (c == '"') {
				st = DQ;
			} else if (c == '\\') {
				if (i + 1 == cmd.len) {
					(void)wk_buf_appendf(errmsg,
					    "credential_process ends with a "
					    "backslash (no escaped character)");
					r = WK_ERR_INVAL;
					goto out;
				}
				if ((r = wk_buf_putc(&word, cmd.p[++i])) != 0)
					goto fail;
			} else if ((r = wk_buf_putc(&word, c)) != 0) {
				goto fail;
			}
			break;
		case SQ:
			if (c == '\'')
				st = WORD;
			else if ((r = wk_buf_putc(&word, c)) != 0)
				goto fail;
			break;
		case DQ:
			if (c == '"') {
				st = WORD;
			} else if (c == '\\' && i + 1 < cmd.len &&
			    (cmd.p[i + 1] == '"' || cmd.p[i + 1] == '\\')) {
				if ((r = wk_buf_putc(&word, cmd.p[++i])) != 0)
					goto fail;
			} else if ((r = wk_buf_putc(&word, c)) != 0) {
				goto fail;
			}
			break;
		}
	}
	if (st == SQ || st == DQ) {
		(void)wk_buf_appendf(errmsg, "credential_process has no "
		    "closing %s quotation mark", st == SQ ? "single" :
		    "double");
		r = WK_ERR_INVAL;
		goto out;
	}
	if (st == WORD && (r = push_word(&av, &n, &word)) != 0)
		goto fail;
	if (n == 0) {
		(void)wk_buf_appendf(errmsg, "credential_process is empty");
		r = WK_ERR_INVAL;
		goto out;
	}
	*argv = av;
	*argc = n;
	av = NULL;
	r = 0;
	goto out;
 fail:
	if (r == WK_ERR_TOOBIG) {
		(void)wk_buf_appendf(errmsg, "credential_process has more "
		    "than %d words", WK_CRED_PROCESS_MAX_ARGS);
		r = WK_ERR_INVAL;
	} else if (r == WK_ERR_NOMEM) {
		(void)wk_buf_appendf(errmsg, "out of memory");
	}
 out:
	wk_cred_process_argv_free(av);
	wk_buf_cleanup(&word);
	return r;
}

/* ---- the JSON ---- */

static int
get_string(json_t *o, const char *key, bool required, const char **out,
    struct wk_buf *errmsg)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		(void)wk_buf_appendf(errmsg, "credential_process output is "
		    "missing the required key %s", key);
		return WK_ERR_INVAL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		(void)wk_buf_appendf(errmsg, "credential_process output: %s "
		    "must be a non-empty string", key);
		return WK_ERR_INVAL;
	}
	*out = json_string_value(v);
	return 0;
}

static void
wipe_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		wk_explicit_bzero((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

int
wk_cred_process_parse(struct wk_span out, time_t now,
    struct wk_aws_config *cfg, struct wk_buf *errmsg)
{
	json_t *j = NULL, *v;
	json_error_t jerr;
	const char *akid, *secret, *token, *exp;
	time_t expiration = 0;
	int r = WK_ERR_INVAL;

	if (out.len > WK_CRED_PROCESS_MAX_OUTPUT) {
		(void)wk_buf_appendf(errmsg, "credential_process output is "
		    "larger than %d bytes", WK_CRED_PROCESS_MAX_OUTPUT);
		goto out;
	}
	j = json_loadb((const char *)out.p, out.len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		(void)wk_buf_appendf(errmsg, "credential_process output is "
		    "not a JSON object%s%s", j == NULL ? ": " : "",
		    j == NULL ? jerr.text : "");
		goto out;
	}
	v = json_object_get(j, "Version");
	if (v == NULL) {
		(void)wk_buf_appendf(errmsg, "credential_process output is "
		    "missing the required key Version");
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		(void)wk_buf_appendf(errmsg, "unsupported Version in "
		    "credential_process output (supported versions: 1)");
		goto out;
	}
	if ((r = get_string(j, "AccessKeyId", true, &akid, errmsg)) != 0 ||
	    (r = get_string(j, "SecretAccessKey", true, &secret,
	    errmsg)) != 0 ||
	    (r = get_string(j, "SessionToken", false, &token, errmsg)) != 0 ||
	    (r = get_string(j, "Expiration", false, &exp, errmsg)) != 0)
		goto out;
	r = WK_ERR_INVAL;
	if (exp != NULL) {
		if (wk_time_parse(wk_span_from_cstr(exp), &expiration) != 0) {
			(void)wk_buf_appendf(errmsg, "credential_process "
			    "output: Expiration is not an ISO 8601 time");
			goto out;
		}
		if (expiration <= now) {
			(void)wk_buf_appendf(errmsg, "credential_process "
			    "returned expired credentials (Expiration %s)",
			    exp);
			goto out;
		}
	}
	if ((cfg->access_key_id = wk_strdup(akid)) == NULL ||
	    (cfg->secret_access_key = wk_strdup(secret)) == NULL ||
	    (token != NULL &&
	    (cfg->session_token = wk_strdup(token)) == NULL)) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	cfg->expiration = expiration;
	r = 0;
 out:
	if (r != 0) {
		wk_free(cfg->access_key_id);
		if (cfg->secret_access_key != NULL)
			wk_freezero(cfg->secret_access_key,
			    strlen(cfg->secret_access_key));
		cfg->access_key_id = NULL;
		cfg->secret_access_key = NULL;
		if (r == WK_ERR_NOMEM)
			(void)wk_buf_appendf(errmsg, "out of memory");
	}
	if (j != NULL) {
		/* the secrets live in jansson's strings too */
		wipe_member(j, "SecretAccessKey");
		wipe_member(j, "SessionToken");
	}
	json_decref(j);
	return r;
}

/* ---- running it ---- */

/* Appends s to b with control characters as '?', trailing blanks cut. */
static void
append_stderr(struct wk_buf *b, const struct wk_buf *err)
{
	size_t i, n = err->len;

	while (n > 0 && is_blank(err->p[n - 1]))
		n--;
	if (n == 0)
		return;
	(void)wk_buf_append_str(b, ": ");
	for (i = 0; i < n; i++) {
		uint8_t c = err->p[i];

		(void)wk_buf_putc(b, c == '\n' ? ' ' :
		    (c < 0x20 || c == 0x7f) ? '?' : (char)c);
	}
}

/* Reads both pipes until EOF on both or the deadline. */
static int
collect(int out_fd, int err_fd, struct wk_buf *out, struct wk_buf *err,
    uint64_t deadline_ms)
{
	struct pollfd p[2];
	uint8_t chunk[4096];
	uint64_t now;
	ssize_t n;
	int open_fds = 2, i, timeout;

	p[0].fd = out_fd;
	p[1].fd = err_fd;
	p[0].events = p[1].events = POLLIN;
	while (open_fds > 0) {
		now = wk_mono_ms();
		if (now >= deadline_ms)
			return WK_ERR_TIMEOUT;
		timeout = (int)(deadline_ms - now > 60000 ? 60000 :
		    deadline_ms - now);
		if (poll(p, 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			return WK_ERR_IO;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (wk_buf_append(out, chunk, (size_t)n) != 0) {
					wk_explicit_bzero(chunk, sizeof(chunk));
					return WK_ERR_TOOBIG;
				}
			} else if (err->len < WK_CRED_PROCESS_MAX_STDERR) {
				size_t room = WK_CRED_PROCESS_MAX_STDERR -
				    err->len;

				(void)wk_buf_append(err, chunk,
				    (size_t)n < room ? (size_t)n : room);
			}
		}
	}
	wk_explicit_bzero(chunk, sizeof(chunk));
	return 0;
}

int
wk_cred_process_run(const char *cmd, struct wk_aws_config *cfg,
    struct wk_buf *errmsg)
{
	posix_spawn_file_actions_t fa;
	struct wk_buf out, err;
	char **argv = NULL;
	size_t argc;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0;
	bool fa_init = false;
	pid_t pid = -1, w;
	int r, rc;

	wk_buf_init(&out, WK_CRED_PROCESS_MAX_OUTPUT);
	wk_buf_init(&err, WK_CRED_PROCESS_MAX_STDERR + 1);
	if ((r = wk_cred_process_split(wk_span_from_cstr(cmd), &argv, &argc,
	    errmsg)) != 0)
		goto out;
	r = WK_ERR_INVAL;
	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1) {
		(void)wk_buf_appendf(errmsg, "credential_process: pipe: %s",
		    strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	fa_init = true;
	/* dup2 clears FD_CLOEXEC on 1 and 2; the pipe ends close on exec */
	if (posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO) !=
	    0) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) !=
	    0) {
		pid = -1;
		(void)wk_buf_appendf(errmsg, "cannot run credential_process "
		    "'%s': %s", argv[0], strerror(rc));
		goto out;
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	r = collect(po[0], pe[0], &out, &err,
	    wk_mono_ms() + WK_CRED_PROCESS_TIMEOUT_MS);
	if (r != 0) {
		(void)kill(pid, SIGKILL);
		(void)wk_buf_appendf(errmsg, "credential_process '%s' %s",
		    argv[0], r == WK_ERR_TIMEOUT ? "timed out" :
		    r == WK_ERR_TOOBIG ? "wrote too much output" :
		    "could not be read");
		r = WK_ERR_INVAL;
	}
	do {
		w = waitpid(pid, &status, 0);
	} while (w == -1 && errno == EINTR);
	pid = -1;
	if (r != 0)
		goto out;
	r = WK_ERR_INVAL;
	if (w == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (w != -1 && WIFEXITED(status))
			(void)wk_buf_appendf(errmsg, "error when retrieving "
			    "credentials from credential_process '%s': it "
			    "exited with status %d", argv[0],
			    WEXITSTATUS(status));
		else if (w != -1 && WIFSIGNALED(status))
			(void)wk_buf_appendf(errmsg, "error when retrieving "
			    "credentials from credential_process '%s': "
			    "killed by signal %d", argv[0], WTERMSIG(status));
		else
			(void)wk_buf_appendf(errmsg, "error when retrieving "
			    "credentials from credential_process '%s'",
			    argv[0]);
		append_stderr(errmsg, &err);
		goto out;
	}
	r = wk_cred_process_parse(wk_buf_span(&out), wk_wall_now(), cfg,
	    errmsg);
 out:
	if (pid > 0) {
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (po[0] != -1)
		close(po[0]);
	if (po[1] != -1)
		close(po[1]);
	if (pe[0] != -1)
		close(pe[0]);
	if (pe[1] != -1)
		close(pe[1]);
	wk_cred_process_argv_free(argv);
	wk_buf_cleanup_secret(&out);
	wk_buf_cleanup(&err);
	if (r == WK_ERR_NOMEM && errmsg->len == 0)
		(void)wk_buf_appendf(errmsg, "out of memory");
	return r;
}
