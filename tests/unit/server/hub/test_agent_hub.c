/*
 * test_agent_hub.c - the agent hub's data structures (table, queues,
 * cursors, epochs, expiry, online state, replies) and the enroll/update
 * body parser, tested directly without an HTTP server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

#define T0 1700000000
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4a" \
	"Y18ij0TeNcjIxiJpb+S5"
#define EC_KEY "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlz" \
	"dHAyNTYAAABBBLz25SHkMEQ4WUVWU2vlzKA8eLhCPfj8UlBj0qvo++Tne63U1tVp06C1" \
	"a8J1FzUhlbjHiFPIY1yX4ZJpf+Wg6zg="

struct fixture {
	struct wk_server srv;
	struct wk_agent_hub *h;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->srv.cfg.agent_offline_seconds = 70;
	f->srv.cfg.agent_poll_seconds = 25;
	if (wk_signkey_generate(&f->srv.signkey) != 0 ||
	    wk_agent_hub_new(&f->srv, &f->h) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	wk_agent_hub_free(f->h);
	wk_signkey_free(f->srv.signkey);
	wk_signkey_free(f->srv.next_signkey);
	free(f);
	return 0;
}

static void
make_id(char out[20], unsigned n)
{
	snprintf(out, 20, "i-%017x", n);
}

static void
test_table_many(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a, *b;
	char id[20];
	unsigned i;

	for (i = 0; i < 5000; i++) {
		make_id(id, i * 7919u);
		assert_int_equal(wk_hub_get(f->h, id, &a), 0);
		assert_non_null(a);
		assert_string_equal(a->id, id);
	}
	assert_int_equal(f->h->n, 5000);
	/* get of an existing id returns the same slot */
	make_id(id, 7919u * 42);
	assert_int_equal(wk_hub_get(f->h, id, &a), 0);
	assert_ptr_equal(wk_hub_find(f->h, id), a);
	assert_int_equal(f->h->n, 5000);
	/* remove every other one; the rest stay findable */
	for (i = 0; i < 5000; i += 2) {
		make_id(id, i * 7919u);
		wk_hub_remove(f->h, wk_hub_find(f->h, id));
	}
	assert_int_equal(f->h->n, 2500);
	for (i = 0; i < 5000; i++) {
		make_id(id, i * 7919u);
		b = wk_hub_find(f->h, id);
		if (i % 2 == 0)
			assert_null(b);
		else {
			assert_non_null(b);
			assert_string_equal(b->id, id);
		}
	}
	assert_null(wk_hub_find(f->h, "i-ffffffffffffffff0"));
	/* bad ids are refused */
	assert_int_equal(wk_hub_get(f->h, "i-", &a), WK_ERR_INVAL);
	assert_int_equal(wk_hub_get(f->h, "i-0123456789abcdef0123", &a),
	    WK_ERR_INVAL);
}

static void
test_queue_cursor_expiry(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a, *b;
	struct wk_hub_rec *r;
	uint64_t s1, s2, s3;

	assert_int_equal(wk_hub_get(f->h, "i-00000000000000001", &a), 0);
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000002", &b), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("rec1"), T0 + 60,
	    T0), 0);
	s1 = a->tail->seq;
	assert_int_equal(wk_hub_enqueue(f->h, b, WK_SPAN_LIT("other"), T0 + 60,
	    T0), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("rec2"), T0 + 10,
	    T0), 0);
	s2 = a->tail->seq;
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("rec3"), T0 + 60,
	    T0), 0);
	s3 = a->tail->seq;
	/* global and monotonic */
	assert_true(s1 < s2 && s2 < s3);
	assert_int_equal(s3 - s1, 3);
	assert_int_equal(f->h->nrecords, 4);
	assert_int_equal(a->nrecs, 3);

	assert_true(wk_hub_has_newer(a, 0, T0));
	assert_true(wk_hub_has_newer(a, s2, T0));
	assert_false(wk_hub_has_newer(a, s3, T0));
	/* expired records do not count */
	assert_false(wk_hub_has_newer(a, s1, T0 + 60));

	/* acknowledging through s1 drops only rec1 */
	wk_hub_prune(f->h, a, s1, T0);
	assert_int_equal(a->nrecs, 2);
	assert_int_equal(a->head->seq, s2);
	/* at T0+10 rec2 has expired */
	wk_hub_prune(f->h, a, 0, T0 + 10);
	assert_int_equal(a->nrecs, 1);
	assert_int_equal(a->head->seq, s3);
	assert_ptr_equal(a->head, a->tail);
	assert_int_equal(f->h->nrecords, 2);
	/* appending after pruning keeps the tail right */
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("rec4"), T0 + 60,
	    T0 + 10), 0);
	assert_int_equal(a->nrecs, 2);
	assert_memory_equal(a->tail->data, "rec4", 4);
	for (r = a->head; r->next != NULL; r = r->next)
		;
	assert_ptr_equal(r, a->tail);

	/* refusals */
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT(""), T0 + 60, T0),
	    WK_ERR_INVAL);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("x"), T0, T0),
	    WK_ERR_INVAL);
}

static void
test_queue_cap(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a;
	char text[32];
	unsigned i;

	assert_int_equal(wk_hub_get(f->h, "i-00000000000000003", &a), 0);
	for (i = 0; i < WK_HUB_MAX_RECORDS_PER_AGENT + 10; i++) {
		snprintf(text, sizeof(text), "record %u", i);
		assert_int_equal(wk_hub_enqueue(f->h, a,
		    wk_span_from_cstr(text), T0 + 60, T0), 0);
	}
	assert_int_equal(a->nrecs, WK_HUB_MAX_RECORDS_PER_AGENT);
	assert_int_equal(f->h->nrecords, WK_HUB_MAX_RECORDS_PER_AGENT);
	/* the oldest were dropped */
	assert_memory_equal(a->head->data, "record 10", 9);
}

static void
test_epoch_cursor(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a;

	assert_int_equal(strlen(f->h->epoch), WK_HUB_EPOCH_LEN);
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000004", &a), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("r"), T0 + 60,
	    T0), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("s"), T0 + 60,
	    T0), 0);
	/* current epoch: the cursor stands */
	assert_int_equal(wk_hub_effective_cursor(f->h, f->h->epoch, 1), 1);
	assert_int_equal(wk_hub_effective_cursor(f->h, f->h->epoch, 2), 2);
	/* another (or no) epoch: a restart, cursor 0 */
	assert_int_equal(wk_hub_effective_cursor(f->h, "", 2), 0);
	assert_int_equal(wk_hub_effective_cursor(f->h, NULL, 2), 0);
	assert_int_equal(wk_hub_effective_cursor(f->h, "0000000000000000", 2),
	    0);
	/* a cursor from the future acknowledges nothing */
	assert_int_equal(wk_hub_effective_cursor(f->h, f->h->epoch, 99), 0);

	/* two hubs (two boots) have different epochs */
	{
		struct wk_agent_hub *h2;

		assert_int_equal(wk_agent_hub_new(&f->srv, &h2), 0);
		assert_string_not_equal(h2->epoch, f->h->epoch);
		wk_agent_hub_free(h2);
	}
}

static void
test_reply(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a;
	struct wk_pubkey pk;
	struct wk_buf out, b64;
	json_error_t jerr;
	json_t *root, *recs, *keys;
	const char *rec = "#wicket-keyrec v1\nline \"two\"\n";

	wk_buf_init(&out, 1 << 20);
	wk_buf_init(&b64, 128);
	assert_int_equal(wk_signkey_generate(&f->srv.next_signkey), 0);
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000005", &a), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, wk_span_from_cstr(rec),
	    T0 + 60, T0), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("second"),
	    T0 + 5, T0), 0);
	assert_int_equal(wk_hub_reply(f->h, a, 0, T0, &out), 0);
	root = json_loadb((const char *)out.p, out.len, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "epoch")),
	    f->h->epoch);
	assert_int_equal(json_integer_value(json_object_get(root, "cursor")),
	    a->tail->seq);
	recs = json_object_get(root, "records");
	assert_int_equal(json_array_size(recs), 2);
	assert_string_equal(json_string_value(json_array_get(recs, 0)), rec);
	keys = json_object_get(root, "signing_keys");
	assert_int_equal(json_array_size(keys), 2);
	wk_signkey_public(f->srv.signkey, &pk);
	assert_int_equal(wk_pubkey_to_base64(&pk, &b64), 0);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(keys, 0), "id")), pk.id);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(keys, 0), "public_key")), wk_buf_cstr(&b64));
	json_decref(root);

	/* later: the second expired; cursor past the first: a heartbeat
	 * that keeps the cursor */
	wk_buf_reset(&out);
	assert_int_equal(wk_hub_reply(f->h, a, a->head->seq, T0 + 5, &out), 0);
	root = json_loadb((const char *)out.p, out.len, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "records")), 0);
	assert_int_equal(json_integer_value(json_object_get(root, "cursor")),
	    a->head->seq);
	json_decref(root);
	wk_buf_cleanup(&out);
	wk_buf_cleanup(&b64);
}

/*
 * The records member is written without jansson for ASCII records: every
 * byte that JSON must escape (quote, backslash, each control character)
 * comes back unchanged through a JSON parser, a UTF-8 record too, and a
 * record that is not UTF-8 fails the reply as jansson made it fail.
 */
static void
test_reply_escapes_records(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a;
	struct wk_buf out;
	json_error_t jerr;
	json_t *root, *recs;
	char ctl[40];
	const char *utf8 = "#From=caf\xc3\xa9 \xe2\x9c\x93";
	size_t i;

	for (i = 0; i < 31; i++)
		ctl[i] = (char)(i + 1);		/* 0x01 .. 0x1f */
	memcpy(ctl + 31, "\"\\/\x7f~ok", 8);	/* 7 bytes and the NUL */
	wk_buf_init(&out, 1 << 20);
	assert_int_equal(wk_signkey_generate(&f->srv.next_signkey), 0);
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000007", &a), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, wk_span_from_cstr(ctl),
	    T0 + 60, T0), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, wk_span_from_cstr(utf8),
	    T0 + 60, T0), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("\\"), T0 + 60,
	    T0), 0);
	assert_int_equal(wk_hub_reply(f->h, a, 0, T0, &out), 0);
	root = json_loadb((const char *)out.p, out.len, 0, &jerr);
	assert_non_null(root);
	recs = json_object_get(root, "records");
	assert_int_equal(json_array_size(recs), 3);
	assert_int_equal(json_string_length(json_array_get(recs, 0)), 38);
	assert_memory_equal(json_string_value(json_array_get(recs, 0)), ctl,
	    38);
	assert_string_equal(json_string_value(json_array_get(recs, 1)), utf8);
	assert_string_equal(json_string_value(json_array_get(recs, 2)), "\\");
	assert_non_null(json_object_get(root, "signing_keys"));
	json_decref(root);

	/* not UTF-8: refused, and nothing of it is left in the buffer */
	wk_buf_reset(&out);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("bad \xff byte"),
	    T0 + 60, T0), 0);
	assert_int_not_equal(wk_hub_reply(f->h, a, 0, T0, &out), 0);
	assert_int_equal(out.len, 0);
	wk_buf_cleanup(&out);
}

/* The answer's keys and statements, parsed back from a reply. */
static json_t *
reply_root(struct fixture *f, struct wk_buf *out)
{
	json_error_t jerr;
	json_t *root;

	wk_buf_reset(out);
	assert_int_equal(wk_hub_reply(f->h, NULL, 0, T0, out), 0);
	root = json_loadb((const char *)out->p, out->len, 0, &jerr);
	assert_non_null(root);
	return root;
}

static const char *
reply_key_id(json_t *root, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(root, "signing_keys"), i), "id"));
}

/*
 * The announce part of an answer is built once and reused, and every
 * change of what it is built from shows in the very next answer: a key
 * added, a key replaced (even by one at the same address), a key
 * removed, statements set, changed in place, removed. Nothing in the
 * hub is told of these changes: the cache compares the keys' public
 * halves and the statements' text itself.
 */
static void
test_reply_announce_cache(void **state)
{
	struct fixture *f = *state;
	struct wk_pubkey pk;
	struct wk_buf out, first;
	json_t *root;
	char rot[64];
	uint64_t builds;

	wk_buf_init(&out, 1 << 20);
	wk_buf_init(&first, 1 << 20);
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root,
	    "signing_keys")), 1);
	assert_int_equal(json_array_size(json_object_get(root, "rotation")), 0);
	json_decref(root);
	assert_int_equal(wk_buf_append(&first, out.p, out.len), 0);
	builds = f->h->ann_builds;
	assert_int_equal(builds, 1);

	/* unchanged: the same bytes, not rebuilt */
	root = reply_root(f, &out);
	json_decref(root);
	assert_int_equal(out.len, first.len);
	assert_memory_equal(out.p, first.p, out.len);
	assert_int_equal(f->h->ann_builds, builds);

	/* a next key */
	assert_int_equal(wk_signkey_generate(&f->srv.next_signkey), 0);
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root,
	    "signing_keys")), 2);
	wk_signkey_public(f->srv.next_signkey, &pk);
	assert_string_equal(reply_key_id(root, 1), pk.id);
	json_decref(root);

	/* the current key replaced: freed first, so the new one may well
	 * sit at the old one's address */
	wk_signkey_free(f->srv.signkey);
	f->srv.signkey = NULL;
	assert_int_equal(wk_signkey_generate(&f->srv.signkey), 0);
	wk_signkey_public(f->srv.signkey, &pk);
	root = reply_root(f, &out);
	assert_string_equal(reply_key_id(root, 0), pk.id);
	json_decref(root);

	/* the next key gone */
	wk_signkey_free(f->srv.next_signkey);
	f->srv.next_signkey = NULL;
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root,
	    "signing_keys")), 1);
	json_decref(root);

	/* statements (the hub splits them in 7-line pieces), then the same
	 * buffer rewritten in place, then none */
	snprintf(rot, sizeof(rot), "a\nb\nc\nd\ne\nf\ng1\n");
	f->srv.rotation = rot;
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root, "rotation")), 1);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(root, "rotation"), 0)), rot);
	json_decref(root);
	rot[13] = '2';
	root = reply_root(f, &out);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(root, "rotation"), 0)), "a\nb\nc\nd\ne\nf\ng2\n");
	json_decref(root);
	f->srv.rotation = NULL;
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root, "rotation")), 0);
	json_decref(root);

	/* a previous key that is the current one: listed once */
	f->srv.prev_signkey = f->srv.signkey;
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root,
	    "signing_keys")), 1);
	json_decref(root);
	f->srv.prev_signkey = NULL;

	/* no key at all: an answer without keys, as before the cache */
	wk_signkey_free(f->srv.signkey);
	f->srv.signkey = NULL;
	root = reply_root(f, &out);
	assert_int_equal(json_array_size(json_object_get(root,
	    "signing_keys")), 0);
	json_decref(root);
	wk_buf_cleanup(&out);
	wk_buf_cleanup(&first);
}

static void
test_online_and_sweep(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a, *b, *c;

	assert_false(wk_hub_online_at(f->h, "i-00000000000000006", T0));
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000006", &a), 0);
	assert_false(wk_hub_online_at(f->h, a->id, T0));	/* never polled */
	a->last_poll = T0;
	assert_true(wk_hub_online_at(f->h, a->id, T0 + 70));
	assert_false(wk_hub_online_at(f->h, a->id, T0 + 71));
	/* a held poll means online whatever the clock says */
	a->held = (struct wk_http_conn *)(uintptr_t)1;
	assert_true(wk_hub_online_at(f->h, a->id, T0 + 1000));

	assert_int_equal(wk_hub_get(f->h, "i-00000000000000007", &b), 0);
	b->last_poll = T0 + 950;	/* recently seen */
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000008", &c), 0);
	assert_int_equal(wk_hub_enqueue(f->h, c, WK_SPAN_LIT("k"), T0 + 2000,
	    T0), 0);
	assert_int_equal(wk_hub_get(f->h, "i-00000000000000009", &a), 0);
	assert_int_equal(wk_hub_enqueue(f->h, a, WK_SPAN_LIT("k"), T0 + 60,
	    T0), 0);
	/* at T0+1000: ...06 holds a poll, ...07 is online, ...08 has a live
	 * record; ...09 is idle, offline and its record expired */
	wk_hub_sweep(f->h, T0 + 1000);
	assert_non_null(wk_hub_find(f->h, "i-00000000000000006"));
	assert_non_null(wk_hub_find(f->h, "i-00000000000000007"));
	assert_non_null(wk_hub_find(f->h, "i-00000000000000008"));
	assert_null(wk_hub_find(f->h, "i-00000000000000009"));
	assert_int_equal(f->h->nrecords, 1);
	wk_hub_find(f->h, "i-00000000000000006")->held = NULL;
	wk_hub_sweep(f->h, T0 + 3000);
	assert_int_equal(f->h->n, 0);
	assert_int_equal(f->h->nrecords, 0);
}

static void
test_push_public(void **state)
{
	struct fixture *f = *state;
	time_t now = time(NULL);

	assert_false(wk_agent_hub_online(f->h, "i-0000000000000000a"));
	assert_int_equal(wk_agent_hub_push(f->h, "i-0000000000000000a",
	    WK_SPAN_LIT("rec"), now + 60), 0);
	assert_int_equal(f->h->nrecords, 1);
	/* pushing does not make an agent online */
	assert_false(wk_agent_hub_online(f->h, "i-0000000000000000a"));
	assert_int_equal(wk_agent_hub_push(f->h, "i-0000000000000000a",
	    WK_SPAN_LIT("rec"), now - 1), WK_ERR_INVAL);
	assert_int_equal(wk_agent_hub_push(NULL, "i-0000000000000000a",
	    WK_SPAN_LIT("rec"), now + 60), WK_ERR_UNAVAIL);
	assert_false(wk_agent_hub_online(NULL, "i-0000000000000000a"));
}

/* ---- the enroll/update body ---- */

static int
parse(const char *body, bool with_token, struct wk_agent_reg *reg,
    const char **why)
{
	wk_agent_reg_init(reg);
	return wk_agent_reg_parse(wk_span_from_cstr(body), with_token, reg,
	    why);
}

static void
test_reg_good(void **state)
{
	struct wk_agent_reg reg;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse("{\"token\": \"wkjt-abc\", \"hostname\": "
	    "\"web-1\", \"address\": \"10.0.0.5\", \"ssh_port\": 2222, "
	    "\"host_keys\": [\"" ED_KEY " root@web-1\", \"" EC_KEY "\"]}",
	    true, &reg, &why), 0);
	assert_string_equal(reg.token, "wkjt-abc");
	assert_string_equal(reg.hostname, "web-1");
	assert_string_equal(reg.address, "10.0.0.5");
	assert_int_equal(reg.ssh_port, 2222);
	assert_int_equal(reg.nhost_keys, 2);
	/* normalised: comment dropped, one per line */
	assert_string_equal(wk_buf_cstr(&reg.host_keys),
	    ED_KEY "\n" EC_KEY "\n");
	wk_agent_reg_cleanup(&reg);

	/* update: no token; address empty and port defaulted; IPv6 ok */
	assert_int_equal(parse("{\"hostname\": \"db.example.com\", "
	    "\"address\": \"\", \"host_keys\": [\"" ED_KEY "\"]}", false,
	    &reg, &why), 0);
	assert_string_equal(reg.address, "");
	assert_int_equal(reg.ssh_port, 22);
	wk_agent_reg_cleanup(&reg);
	assert_int_equal(parse("{\"hostname\": \"h\", \"address\": "
	    "\"fe80::1\", \"host_keys\": [\"" ED_KEY "\"]}", false, &reg,
	    &why), 0);
	wk_agent_reg_cleanup(&reg);
}

static void
test_reg_bad(void **state)
{
	static const char *const enroll_bad[] = {
		"",
		"[]",
		"{",
		"\"str\"",
		/* token missing / wrong type / empty */
		"{\"hostname\": \"h\", \"host_keys\": [\"" ED_KEY "\"]}",
		"{\"token\": 5, \"hostname\": \"h\", \"host_keys\": [\""
		    ED_KEY "\"]}",
		"{\"token\": \"\", \"hostname\": \"h\", \"host_keys\": [\""
		    ED_KEY "\"]}",
		/* duplicate member */
		"{\"token\": \"t\", \"token\": \"u\", \"hostname\": \"h\", "
		    "\"host_keys\": [\"" ED_KEY "\"]}",
		/* unknown member */
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": [\""
		    ED_KEY "\"], \"extra\": 1}",
		/* hostname */
		"{\"token\": \"t\", \"host_keys\": [\"" ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"\", \"host_keys\": [\""
		    ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"a b\", \"host_keys\": [\""
		    ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"-x\", \"host_keys\": [\""
		    ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"a\\nb\", \"host_keys\": [\""
		    ED_KEY "\"]}",
		/* address */
		"{\"token\": \"t\", \"hostname\": \"h\", \"address\": "
		    "\"1.2.3.4; rm\", \"host_keys\": [\"" ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"address\": 7, "
		    "\"host_keys\": [\"" ED_KEY "\"]}",
		/* port */
		"{\"token\": \"t\", \"hostname\": \"h\", \"ssh_port\": 0, "
		    "\"host_keys\": [\"" ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"ssh_port\": 65536, "
		    "\"host_keys\": [\"" ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"ssh_port\": \"22\", "
		    "\"host_keys\": [\"" ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"ssh_port\": 22.5, "
		    "\"host_keys\": [\"" ED_KEY "\"]}",
		/* host keys */
		"{\"token\": \"t\", \"hostname\": \"h\"}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": []}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": \""
		    ED_KEY "\"}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": [1]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": "
		    "[\"ssh-ed25519 AAAA\"]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": "
		    "[\"command=\\\"x\\\" " ED_KEY "\"]}",
		"{\"token\": \"t\", \"hostname\": \"h\", \"host_keys\": "
		    "[\"" ED_KEY "\\n" ED_KEY "\"]}",
	};
	struct wk_agent_reg reg;
	struct wk_buf body;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(enroll_bad) / sizeof(enroll_bad[0]); i++) {
		why = NULL;
		if (parse(enroll_bad[i], true, &reg, &why) == 0)
			fail_msg("accepted bad body %zu: %s", i, enroll_bad[i]);
		assert_non_null(why);
		wk_agent_reg_cleanup(&reg);
	}
	/* a token in an update body is an unknown member */
	assert_int_equal(parse("{\"token\": \"t\", \"hostname\": \"h\", "
	    "\"host_keys\": [\"" ED_KEY "\"]}", false, &reg, &why),
	    WK_ERR_INVAL);
	wk_agent_reg_cleanup(&reg);

	/* 17 host keys: one too many */
	wk_buf_init(&body, 1 << 20);
	assert_int_equal(wk_buf_append_str(&body, "{\"token\": \"t\", "
	    "\"hostname\": \"h\", \"host_keys\": ["), 0);
	for (i = 0; i < 17; i++)
		assert_int_equal(wk_buf_appendf(&body, "%s\"%s\"",
		    i ? "," : "", ED_KEY), 0);
	assert_int_equal(wk_buf_append_str(&body, "]}"), 0);
	assert_int_equal(parse(wk_buf_cstr(&body), true, &reg, &why),
	    WK_ERR_INVAL);
	wk_agent_reg_cleanup(&reg);

	/* over 64 KiB */
	wk_buf_reset(&body);
	assert_int_equal(wk_buf_append_str(&body, "{\"hostname\": \""), 0);
	for (i = 0; i < 70000; i++)
		assert_int_equal(wk_buf_putc(&body, 'a'), 0);
	assert_int_equal(wk_buf_append_str(&body, "\"}"), 0);
	assert_int_equal(parse(wk_buf_cstr(&body), false, &reg, &why),
	    WK_ERR_TOOBIG);
	wk_agent_reg_cleanup(&reg);
	wk_buf_cleanup(&body);
}

static void
test_sha256_hex(void **state)
{
	char hex[65];

	(void)state;
	assert_int_equal(wk_agent_sha256_hex(WK_SPAN_LIT("abc"), hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_cursor_expiry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_epoch_cursor, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_announce_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply_escapes_records,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_online_and_sweep, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_push_public, setup,
		    teardown),
		cmocka_unit_test(test_reg_good),
		cmocka_unit_test(test_reg_bad),
		cmocka_unit_test(test_sha256_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
