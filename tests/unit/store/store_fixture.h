/*
 * store_fixture.h - a fresh store in a mkdtemp directory for each test.
 */
#ifndef WK_TEST_STORE_FIXTURE_H
#define WK_TEST_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char path[128];
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_store *st;
};

static inline int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	if (f == NULL)
		return -1;
	wk_log_set_level(WK_LOG_NONE);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-store-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/wicket.db", f->dir);
	for (i = 0; i < sizeof(f->key); i++)
		f->key[i] = (uint8_t)(i * 7 + 1);
	if (wk_store_open(f->path, f->key, &f->st) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline void
fx_unlink(const char *dir, const char *name)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

static inline int
fx_teardown(void **state)
{
	struct fx *f = *state;

	wk_store_close(f->st);
	fx_unlink(f->dir, "wicket.db");
	fx_unlink(f->dir, "wicket.db-wal");
	fx_unlink(f->dir, "wicket.db-shm");
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Closes and reopens the store (durability checks). */
static inline void
fx_reopen(struct fx *f)
{
	wk_store_close(f->st);
	f->st = NULL;
	assert_int_equal(wk_store_open(f->path, f->key, &f->st), 0);
}

static inline void
fx_user(struct wk_user *u, const char *name, const char *path)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->id, sizeof(u->id), "AIDA%s", name);
	snprintf(u->path, sizeof(u->path), "%s", path);
	snprintf(u->arn, sizeof(u->arn), "arn:aws:iam::123456789012:user%s%s",
	    path, name);
	u->create_date = 1700000000;
}

static inline int
fx_add_user(struct fx *f, const char *name)
{
	struct wk_user u;

	fx_user(&u, name, "/");
	return wk_store_user_create(f->st, &u);
}

static inline void
fx_group(struct wk_group *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->id, sizeof(g->id), "AGPA%s", name);
	snprintf(g->path, sizeof(g->path), "/");
	snprintf(g->arn, sizeof(g->arn), "arn:aws:iam::123456789012:group/%s",
	    name);
	g->create_date = 1700000000;
}

static inline int
fx_add_group(struct fx *f, const char *name)
{
	struct wk_group g;

	fx_group(&g, name);
	return wk_store_group_create(f->st, &g);
}

/* Creates managed policy NAME; its ARN goes to arn[2048]. */
static inline int
fx_add_policy(struct fx *f, const char *name, const char *doc, char *arn)
{
	struct wk_managed_policy p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.id, sizeof(p.id), "ANPA%s", name);
	snprintf(p.path, sizeof(p.path), "/");
	snprintf(p.arn, sizeof(p.arn), "arn:aws:iam::123456789012:policy/%s",
	    name);
	p.create_date = 1700000000;
	if (arn != NULL)
		snprintf(arn, 2048, "%s", p.arn);
	return wk_store_policy_create(f->st, &p, doc);
}

static inline uint64_t
fx_gen(struct fx *f)
{
	uint64_t g = 0;

	assert_int_equal(wk_store_policy_generation(f->st, &g), 0);
	return g;
}

#endif
