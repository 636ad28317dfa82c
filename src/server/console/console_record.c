/*
 * console_record.c - the recording of one browser terminal (wicketd serve
 * --record-sessions), asciicast v2 (https://docs.asciinema.org/manual/
 * asciicast/v2/), written as it happens:
 *
 *   {"version": 2, "width": 80, "height": 24, "timestamp": ..., "title":
 *    "ubuntu@i-...", "env": {"TERM": "xterm-256color"}, "wicket": {...}}
 *   [0.25, "o", "output"]
 *   [1.5, "r", "100x30"]
 *
 * Output only: the keys typed are never written ("i" events), since a
 * password typed at a prompt that does not echo it (sudo, su, passwd)
 * would land in the file in clear text; what the host echoes back is in
 * the output, as the user saw it.
 *
 * Each event is written when it happens (one write(2), no buffering in
 * the process: a crash loses nothing already shown), the file and its
 * directory are fsync'ed at close. A recording never grows past its
 * bound: the event that would cross it is not written; instead a final
 * marker (an "m" event and a visible notice) is, and the caller ends the
 * session (console_term.c), so that output a user provokes on purpose
 * (`cat /dev/urandom`) cannot blind the rest of the session.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "server/console/console_int.h"

/* Room kept for the final marker: a recording ends within its bound. */
#define FINAL_RESERVE 512
#define HEADER_MAX 4096
/* One event: a chunk of output (console_term.c reads 32 KiB at most) as
 * UTF-8 (a bad byte becomes 3) and then as a JSON string (6 per byte). */
#define TEXT_MAX_BYTES (256u * 1024)
#define LINE_MAX_BYTES (6u * TEXT_MAX_BYTES + 128)

struct wk_recording {
	int fd;
	char id[WK_RECORDING_ID_LEN + 1];
	uint64_t bytes, max_bytes;
	uint64_t t0_ms;			/* monotonic, at open */
	uint8_t carry[4];		/* an unfinished UTF-8 sequence */
	size_t ncarry;
	bool stopped;			/* bound reached or write failed */
	struct wk_buf line;
	struct wk_buf text;
};

bool
wk_recording_id_ok(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != WK_RECORDING_ID_LEN)
		return false;
	for (i = 0; i < WK_RECORDING_ID_LEN; i++) {
		char c = id[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return true;
}

int
wk_recording_dir(const char *data_dir, char *out, size_t outsz)
{
	int n;

	if (data_dir == NULL || data_dir[0] == '\0')
		return WK_ERR_INVAL;
	n = snprintf(out, outsz, "%s/%s", data_dir, WK_RECORDING_DIR);
	return n < 0 || (size_t)n >= outsz ? WK_ERR_TOOBIG : 0;
}

int
wk_recording_path(const char *data_dir, const char *id, char *out,
    size_t outsz)
{
	int n;

	if (!wk_recording_id_ok(id) || data_dir == NULL)
		return WK_ERR_INVAL;
	n = snprintf(out, outsz, "%s/%s/%s%s", data_dir, WK_RECORDING_DIR, id,
	    WK_RECORDING_EXT);
	return n < 0 || (size_t)n >= outsz ? WK_ERR_TOOBIG : 0;
}

/* DATA/recordings, 0700, made when missing; never through a symlink. */
static int
ensure_dir(const char *dir)
{
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return WK_ERR_IO;
	if (lstat(dir, &sb) != 0)
		return WK_ERR_IO;
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid()) {
		errno = ENOTDIR;
		return WK_ERR_IO;
	}
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) != 0)
		return WK_ERR_IO;
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return WK_ERR_IO;
	if (fsync(fd) != 0)
		r = WK_ERR_IO;
	close(fd);
	return r;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return WK_ERR_IO;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The length of the UTF-8 sequence starting with lead byte c (0: bad). */
static size_t
utf8_len(uint8_t c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Whether s[0..n) is one whole, valid UTF-8 sequence (n = utf8_len). */
static bool
utf8_valid(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t i;

	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return false;
	switch (n) {
	case 1: return true;
	case 2: return true;	/* lead 0xc2..0xdf: no overlong */
	case 3:
		cp = ((uint32_t)(s[0] & 0x0f) << 12) |
		    ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
	case 4:
		cp = ((uint32_t)(s[0] & 0x07) << 18) |
		    ((uint32_t)(s[1] & 0x3f) << 12) |
		    ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		return cp >= 0x10000 && cp <= 0x10ffff;
	default: return false;
	}
}

/*
 * Appends the bytes p[0..len) to out as valid UTF-8: an invalid byte
 * becomes U+FFFD, and a sequence cut at the end of the chunk waits in
 * carry for the next one (the host's output arrives in arbitrary
 * pieces). With flush, a cut sequence left over is invalid.
 */
int
wk_recording_utf8(uint8_t carry[static 4], size_t *ncarry, const uint8_t *p,
    size_t len, bool flush, struct wk_buf *out)
{
	static const uint8_t repl[] = { 0xef, 0xbf, 0xbd };
	uint8_t seq[4];
	size_t i = 0, n, have;
	int r;

	while (*ncarry > 0 || i < len) {
		/* the next sequence: the carried bytes, else p's next */
		if (*ncarry > 0) {
			have = *ncarry;
			memcpy(seq, carry, have);
			*ncarry = 0;
		} else {
			seq[0] = p[i++];
			have = 1;
		}
		n = utf8_len(seq[0]);
		while (n > 0 && have < n && i < len && (p[i] & 0xc0) == 0x80)
			seq[have++] = p[i++];
		if (n > 0 && have < n && i == len && !flush) {
			memcpy(carry, seq, have);	/* wait for the rest */
			*ncarry = have;
			return 0;
		}
		/* whole and valid, else one U+FFFD for the bad sequence */
		if (n > 0 && have == n && utf8_valid(seq, n))
			r = wk_buf_append(out, seq, n);
		else
			r = wk_buf_append(out, repl, sizeof(repl));
		if (r != 0)
			return r;
	}
	return 0;
}

/* Appends "[T.TTTTTT, \"code\", <json string>]\n" to line. */
static int
event_line(struct wk_recording *rec, uint64_t now_ms, const char *code,
    const char *text, size_t textlen)
{
	uint64_t d = now_ms > rec->t0_ms ? now_ms - rec->t0_ms : 0;
	json_t *s;
	char *enc;
	int r;

	wk_buf_reset(&rec->line);
	if ((s = json_stringn(text, textlen)) == NULL)
		return WK_ERR_NOMEM;
	enc = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(s);
	if (enc == NULL)
		return WK_ERR_NOMEM;
	r = wk_buf_appendf(&rec->line, "[%" PRIu64 ".%03" PRIu64 "000, "
	    "\"%s\", %s]\n", d / 1000, d % 1000, code, enc);
	wk_free(enc);
	return r;
}

/* Writes line; WK_ERR_LIMIT when it would cross the bound (less the
 * reserve, but for the final marker). */
static int
put_line(struct wk_recording *rec, bool final)
{
	uint64_t room = rec->max_bytes - (final ? 0 : FINAL_RESERVE);
	int r;

	if (rec->bytes + rec->line.len > room)
		return WK_ERR_LIMIT;
	if ((r = write_all(rec->fd, rec->line.p, rec->line.len)) != 0)
		return r;
	rec->bytes += rec->line.len;
	return 0;
}

/* The bound is reached: the final marker, then nothing more. */
static void
stop_at_bound(struct wk_recording *rec, uint64_t now_ms)
{
	char note[160];

	rec->stopped = true;
	if (event_line(rec, now_ms, "m", "wicket: size limit reached", 26) ==
	    0)
		(void)put_line(rec, true);
	snprintf(note, sizeof(note), "\r\n[wicket: the recording reached its "
	    "size limit (%" PRIu64 " bytes); the session ended]\r\n",
	    rec->max_bytes);
	if (event_line(rec, now_ms, "o", note, strlen(note)) == 0)
		(void)put_line(rec, true);
	wk_log(WK_LOG_WARN, "recording", "id=%s outcome=limit bytes=%" PRIu64,
	    rec->id, rec->bytes);
}

/* Writes the event in line; the bound and failures stop the recording. */
static int
emit(struct wk_recording *rec, uint64_t now_ms)
{
	int r;

	if ((r = put_line(rec, false)) == 0)
		return 0;
	if (r == WK_ERR_LIMIT) {
		stop_at_bound(rec, now_ms);
	} else {
		rec->stopped = true;
		wk_log(WK_LOG_ERROR, "recording", "id=%s outcome=failed "
		    "error=%s", rec->id, strerror(errno));
	}
	return r;
}

static int
header(struct wk_recording *rec, const struct wk_recording_meta *m)
{
	json_t *h;
	char *text = NULL, title[128];
	int r = WK_ERR_NOMEM;

	snprintf(title, sizeof(title), "%s@%s", m->os_user, m->instance_id);
	h = json_pack("{s:i, s:i, s:i, s:I, s:s, s:{s:s}, s:{s:s, s:s, s:s, "
	    "s:s, s:s, s:s}}",
	    "version", 2, "width", (int)m->cols, "height", (int)m->rows,
	    "timestamp", (json_int_t)m->start_s, "title", title,
	    "env", "TERM", "xterm-256color",
	    "wicket", "recording_id", m->id, "caller_arn", m->caller_arn,
	    "user", m->user, "instance_id", m->instance_id,
	    "os_user", m->os_user, "source_ip", m->source_ip);
	if (h != NULL)
		text = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	if (text == NULL)
		return r;
	wk_buf_reset(&rec->line);
	if (strlen(text) + 1 > HEADER_MAX)
		r = WK_ERR_TOOBIG;
	else if ((r = wk_buf_append_str(&rec->line, text)) == 0 &&
	    (r = wk_buf_putc(&rec->line, '\n')) == 0)
		r = put_line(rec, false);
	wk_free(text);
	return r;
}

int
wk_recording_open(const char *data_dir, const struct wk_recording_meta *m,
    uint64_t max_bytes, uint64_t now_ms, struct wk_recording **out)
{
	struct wk_recording *rec;
	char dir[1100], path[1200];
	int r;

	*out = NULL;
	if (!wk_recording_id_ok(m->id) || max_bytes < WK_RECORDING_MIN_BYTES)
		return WK_ERR_INVAL;
	if ((r = wk_recording_dir(data_dir, dir, sizeof(dir))) != 0 ||
	    (r = wk_recording_path(data_dir, m->id, path, sizeof(path))) != 0)
		return r;
	if ((r = ensure_dir(dir)) != 0)
		return r;
	if ((rec = wk_calloc(1, sizeof(*rec))) == NULL)
		return WK_ERR_NOMEM;
	memcpy(rec->id, m->id, sizeof(rec->id));
	rec->max_bytes = max_bytes;
	rec->t0_ms = now_ms;
	wk_buf_init(&rec->line, LINE_MAX_BYTES);
	wk_buf_init(&rec->text, TEXT_MAX_BYTES);
	rec->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (rec->fd < 0) {
		r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
		goto fail;
	}
	if ((r = header(rec, m)) != 0 || (r = fsync_dir(dir)) != 0) {
		close(rec->fd);
		(void)unlink(path);
		goto fail;
	}
	*out = rec;
	return 0;
 fail:
	wk_buf_cleanup(&rec->line);
	wk_buf_cleanup(&rec->text);
	wk_free(rec);
	return r;
}

int
wk_recording_output(struct wk_recording *rec, uint64_t now_ms, const void *p,
    size_t len)
{
	int r;

	if (rec == NULL)
		return 0;
	if (rec->stopped)
		return WK_ERR_LIMIT;
	wk_buf_reset(&rec->text);
	if ((r = wk_recording_utf8(rec->carry, &rec->ncarry, p, len, false,
	    &rec->text)) != 0)
		return r;
	if (rec->text.len == 0)
		return 0;	/* all of it waits in carry */
	if ((r = event_line(rec, now_ms, "o", (const char *)rec->text.p,
	    rec->text.len)) != 0)
		return r;
	return emit(rec, now_ms);
}

int
wk_recording_resize(struct wk_recording *rec, uint64_t now_ms, unsigned cols,
    unsigned rows)
{
	char size[32];
	int r;

	if (rec == NULL)
		return 0;
	if (rec->stopped)
		return WK_ERR_LIMIT;
	snprintf(size, sizeof(size), "%ux%u", cols, rows);
	if ((r = event_line(rec, now_ms, "r", size, strlen(size))) != 0)
		return r;
	return emit(rec, now_ms);
}

bool
wk_recording_stopped(const struct wk_recording *rec)
{
	return rec != NULL && rec->stopped;
}

uint64_t
wk_recording_bytes(const struct wk_recording *rec)
{
	return rec != NULL ? rec->bytes : 0;
}

int
wk_recording_close(struct wk_recording *rec, uint64_t now_ms)
{
	int r = 0;

	if (rec == NULL)
		return 0;
	/* a sequence cut by the end of the session */
	if (!rec->stopped && rec->ncarry > 0) {
		wk_buf_reset(&rec->text);
		if (wk_recording_utf8(rec->carry, &rec->ncarry, NULL, 0, true,
		    &rec->text) == 0 && rec->text.len > 0 &&
		    event_line(rec, now_ms, "o", (const char *)rec->text.p,
		    rec->text.len) == 0)
			(void)emit(rec, now_ms);
	}
	if (fsync(rec->fd) != 0)
		r = WK_ERR_IO;
	if (close(rec->fd) != 0)
		r = WK_ERR_IO;
	wk_log(WK_LOG_INFO, "recording", "id=%s outcome=%s bytes=%" PRIu64,
	    rec->id, r == 0 ? "closed" : "close_failed", rec->bytes);
	wk_buf_cleanup(&rec->line);
	wk_buf_cleanup(&rec->text);
	wk_free(rec);
	return r;
}
