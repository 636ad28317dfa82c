/*
 * lint.c - conditions on keys an action can never have, found the way IAM
 * Access Analyzer's policy checks find them. IAM accepts such a policy,
 * and so does wicketd; but with the key absent a positive operator is
 * false and ForAllValues is true, so a guardrail built on it silently does
 * nothing. wicketd logs the findings when a policy is written and
 * `wicket policy lint` prints them.
 */
#include "iam/policy_int.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

const char *
wk_lint_why(enum wk_key_status s)
{
	switch (s) {
	case WK_KEY_SUPPLIED:
		return "supplied";
	case WK_KEY_GLOBAL_ABSENT:
		return "a global key wicketd never supplies (no MFA, "
		    "organizations, VPCs, roles or sessions here): the "
		    "condition behaves as for a request without it";
	case WK_KEY_NEVER_SUPPLIED:
		return "AWS lists this key for the action, but wicketd has "
		    "no value for it (a wicket host is not an EC2 instance, "
		    "or the feature does not exist here)";
	case WK_KEY_NOT_FOR_ACTION:
	default:
		return "the action never has this key (not a global key, not "
		    "in the action's row of the Service Authorization "
		    "Reference)";
	}
}

static void
add(struct wk_lint_finding *out, size_t max, size_t *n, int st,
    const char *action, const char *key, enum wk_key_status why)
{
	if (*n < max) {
		out[*n].statement = st;
		snprintf(out[*n].action, sizeof(out[*n].action), "%s",
		    action);
		snprintf(out[*n].key, sizeof(out[*n].key), "%s", key);
		out[*n].why = why;
	}
	(*n)++;
}

/* Whether any pattern of the statement names the action. */
static bool
stmt_names(const struct wk_stmt *s, const char *action)
{
	size_t i;

	for (i = 0; i < s->nactions; i++)
		if (wk_glob(s->actions[i].pat, s->actions[i].patlen, action,
		    strlen(action), WK_GLOB_ICASE))
			return true;
	return false;
}

/*
 * The best status of key over the served actions one pattern names
 * (pat NULL: the actions a NotAction statement leaves). false when the
 * pattern names no action wicketd serves: nothing to say then.
 */
static bool
best_status(const struct wk_stmt *s, const struct wk_pval *pat,
    const char *key, enum wk_key_status *best)
{
	const struct wk_action_keys *a;
	enum wk_key_status st;
	bool any = false;

	*best = WK_KEY_NOT_FOR_ACTION;
	for (a = wk_action_keys_table; a->action != NULL; a++) {
		bool named = pat != NULL ? wk_glob(pat->pat, pat->patlen,
		    a->action, strlen(a->action), WK_GLOB_ICASE) :
		    !stmt_names(s, a->action);

		if (!named)
			continue;
		any = true;
		st = wk_condkey_status(a, key);
		if (st < *best)
			*best = st;
	}
	return any;
}

int
wk_policy_lint(const struct wk_policy *p, struct wk_lint_finding *out,
    size_t max, size_t *n)
{
	enum wk_key_status st;
	size_t i, j, k;

	*n = 0;
	if (p == NULL || (out == NULL && max > 0))
		return WK_ERR_INVAL;
	for (i = 0; i < p->nstmts; i++) {
		const struct wk_stmt *s = &p->stmts[i];

		for (j = 0; j < s->nconds; j++) {
			const char *key = s->conds[j].key;

			/* Independent of the action: said once. */
			st = wk_condkey_status(NULL, key);
			if (st == WK_KEY_SUPPLIED)
				continue;
			if (st == WK_KEY_GLOBAL_ABSENT) {
				add(out, max, n, (int)i, "*", key, st);
				continue;
			}
			if (s->not_action) {
				if (best_status(s, NULL, key, &st) &&
				    st != WK_KEY_SUPPLIED)
					add(out, max, n, (int)i, "NotAction",
					    key, st);
				continue;
			}
			for (k = 0; k < s->nactions; k++)
				if (best_status(s, &s->actions[k], key, &st) &&
				    st != WK_KEY_SUPPLIED)
					add(out, max, n, (int)i,
					    s->actions[k].raw, key, st);
		}
	}
	return 0;
}
