/*
 * test_console_record.c - the recorder of browser terminals
 * (console_record.c, console_record_store.c): ids, the UTF-8 repair of
 * output cut at any byte, the asciicast v2 lines, the size bound and its
 * final marker, listing, reading and the retention sweep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>
#include <ftw.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "server/console/console_int.h"

#define ID1 "0123abcd-0000-4000-8000-00000000000a"
#define ID2 "0123abcd-0000-4000-8000-00000000000b"

static char dir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/wk-rec-test.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_ids(void **state)
{
	char p[512];

	(void)state;
	assert_true(wk_recording_id_ok(ID1));
	assert_false(wk_recording_id_ok(NULL));
	assert_false(wk_recording_id_ok(""));
	assert_false(wk_recording_id_ok("0123ABCD-0000-4000-8000-00000000000a"));
	assert_false(wk_recording_id_ok(ID1 ".cast"));
	assert_false(wk_recording_id_ok("../../../../credentials/0000000000"));
	assert_false(wk_recording_id_ok("0123abcd-0000-4000-8000/0000000000a"));
	assert_false(wk_recording_id_ok("0123abcd00000-4000-8000-00000000000a"));
	assert_int_equal(wk_recording_path("/d", "../x", p, sizeof(p)),
	    WK_ERR_INVAL);
	assert_int_equal(wk_recording_path("/d", ID1, p, sizeof(p)), 0);
	assert_string_equal(p, "/d/recordings/" ID1 ".cast");
}

/* Feeds in one byte at a time; the result equals the whole at once. */
static void
test_utf8(void **state)
{
	static const uint8_t in[] = "a\xc3\xa9" "b\xe2\x82\xac" "c\xf0\x9f\x98\x80"
	    "\xff" "d\xc3" "e\xed\xa0\x80" "\xc0\xaf";
	const char *want = "a\xc3\xa9" "b\xe2\x82\xac" "c\xf0\x9f\x98\x80"
	    "\xef\xbf\xbd" "d\xef\xbf\xbd" "e\xef\xbf\xbd" "\xef\xbf\xbd"
	    "\xef\xbf\xbd";
	uint8_t carry[4];
	size_t nc = 0;
	struct wk_buf out;

	(void)state;
	wk_buf_init(&out, 0 + 4096);
	for (size_t i = 0; i < sizeof(in) - 1; i++)
		assert_int_equal(wk_recording_utf8(carry, &nc, in + i, 1, false,
		    &out), 0);
	assert_int_equal(wk_recording_utf8(carry, &nc, NULL, 0, true, &out), 0);
	assert_int_equal(nc, 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.p, want, out.len);
	/* a cut sequence waits in carry, then completes */
	wk_buf_reset(&out);
	assert_int_equal(wk_recording_utf8(carry, &nc,
	    (const uint8_t *)"x\xe2\x82", 3, false, &out), 0);
	assert_int_equal(out.len, 1);
	assert_int_equal(nc, 2);
	assert_int_equal(wk_recording_utf8(carry, &nc,
	    (const uint8_t *)"\xac", 1, false, &out), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.p, "x\xe2\x82\xac", 4);
	wk_buf_cleanup(&out);
}

static struct wk_recording_meta
meta(const char *id)
{
	struct wk_recording_meta m = {
		.id = id, .caller_arn = "arn:aws:iam::123456789012:user/alice",
		.user = "alice", .instance_id = "i-0123456789abcdef0",
		.os_user = "ubuntu", .source_ip = "127.0.0.1",
		.cols = 80, .rows = 24, .start_s = 1700000000,
	};
	return m;
}

/* Every line of the file parses; returns how many events, and the last. */
static size_t
check_file(const char *id, json_t **last)
{
	struct wk_buf b;
	char *p, *nl;
	size_t n = 0;
	json_t *j;

	wk_buf_init(&b, 1u << 24);
	assert_int_equal(wk_recording_read(dir, id, 1u << 24, &b), 0);
	assert_int_equal(wk_buf_putc(&b, '\0'), 0);
	*last = NULL;
	for (p = (char *)b.p; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		j = json_loads(p, 0, NULL);
		assert_non_null(j);
		if (p == (char *)b.p) {
			assert_int_equal(json_integer_value(json_object_get(j,
			    "version")), 2);
			json_decref(j);
			continue;
		}
		assert_true(json_is_array(j) && json_array_size(j) == 3);
		n++;
		json_decref(*last);
		*last = j;
	}
	assert_string_equal(p, "");	/* ends with a newline */
	wk_buf_cleanup(&b);
	return n;
}

static void
test_write_and_bound(void **state)
{
	struct wk_recording_meta m = meta(ID1);
	struct wk_recording *rec, *again;
	struct wk_recording_info info, *list;
	struct stat sb;
	char path[512], big[4000];
	size_t n;
	json_t *last;
	int r;

	(void)state;
	assert_int_equal(wk_recording_open(dir, &m, 8192, 1000, &rec), 0);
	assert_int_equal(wk_recording_open(dir, &m, 8192, 1000, &again),
	    WK_ERR_EXISTS);
	assert_null(again);
	assert_int_equal(wk_recording_output(rec, 1250, "he\"llo\r\n\x01", 9),
	    0);
	assert_int_equal(wk_recording_resize(rec, 1500, 100, 30), 0);
	memset(big, 'x', sizeof(big));
	r = 0;
	for (int i = 0; i < 10 && r == 0; i++)
		r = wk_recording_output(rec, 2000, big, sizeof(big));
	assert_int_equal(r, WK_ERR_LIMIT);
	assert_true(wk_recording_stopped(rec));
	assert_int_equal(wk_recording_output(rec, 2000, "y", 1), WK_ERR_LIMIT);
	assert_true(wk_recording_bytes(rec) <= 8192);
	assert_int_equal(wk_recording_close(rec, 3000), 0);

	assert_int_equal(wk_recording_path(dir, ID1, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_true(sb.st_size <= 8192);
	snprintf(path, sizeof(path), "%s/recordings", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	n = check_file(ID1, &last);
	assert_true(n >= 4);	/* o, r, o (the first big one), m/o marker */
	assert_string_equal(json_string_value(json_array_get(last, 1)), "o");
	assert_non_null(strstr(json_string_value(json_array_get(last, 2)),
	    "size limit"));
	json_decref(last);

	assert_int_equal(wk_recording_info_get(dir, ID1, &info), 0);
	assert_string_equal(info.instance_id, "i-0123456789abcdef0");
	assert_string_equal(info.user, "alice");
	assert_int_equal(info.start_s, 1700000000);
	assert_int_equal(info.cols, 80);
	assert_int_equal(wk_recording_info_get(dir, ID2, &info),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_recording_info_get(dir, "../x", &info),
	    WK_ERR_INVAL);

	m = meta(ID2);
	m.start_s = 1800000000;
	assert_int_equal(wk_recording_open(dir, &m, 8192, 0, &rec), 0);
	assert_int_equal(wk_recording_close(rec, 10), 0);
	assert_int_equal(wk_recordings_list(dir, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, ID2);	/* newest first */
	assert_string_equal(list[1].id, ID1);
	wk_free(list);
}

static void
test_sweep(void **state)
{
	struct wk_recording_meta m = meta(ID1);
	struct wk_recording *rec;
	struct utimbuf old = { .actime = 1000, .modtime = 1000 };
	const char *keep[] = { ID2 };
	char p1[512], p2[512];
	size_t removed;

	(void)state;
	assert_int_equal(wk_recording_open(dir, &m, 8192, 0, &rec), 0);
	assert_int_equal(wk_recording_close(rec, 1), 0);
	m = meta(ID2);
	assert_int_equal(wk_recording_open(dir, &m, 8192, 0, &rec), 0);
	assert_int_equal(wk_recording_close(rec, 1), 0);
	assert_int_equal(wk_recording_path(dir, ID1, p1, sizeof(p1)), 0);
	assert_int_equal(wk_recording_path(dir, ID2, p2, sizeof(p2)), 0);
	assert_int_equal(utime(p1, &old), 0);
	assert_int_equal(utime(p2, &old), 0);
	/* retention 0: kept forever */
	assert_int_equal(wk_recordings_sweep(dir, 0, time(NULL), NULL, 0,
	    &removed), 0);
	assert_int_equal(removed, 0);
	/* ID2 is still being written: kept */
	assert_int_equal(wk_recordings_sweep(dir, 30, time(NULL), keep, 1,
	    &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_not_equal(access(p1, F_OK), 0);
	assert_int_equal(access(p2, F_OK), 0);
	/* a recent one stays */
	assert_int_equal(utime(p2, NULL), 0);
	assert_int_equal(wk_recordings_sweep(dir, 30, time(NULL), NULL, 0,
	    &removed), 0);
	assert_int_equal(removed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test_setup_teardown(test_write_and_bound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
