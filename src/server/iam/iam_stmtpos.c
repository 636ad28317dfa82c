/*
 * iam_stmtpos.c - where statement N of a policy document starts and ends
 * (line and column), for the MatchedStatements of the policy simulator.
 * A bounded scanner over the JSON text: no recursion, no allocation. The
 * document was validated by the policy engine; anything unexpected here
 * simply yields NOTFOUND.
 */
#include <string.h>

#include "common/err.h"
#include "server/iam/iam_int.h"

struct cur {
	const char *p, *end;
	int line, col;		/* of *p, 1-based */
};

static void
adv(struct cur *c)
{
	if (*c->p == '\n') {
		c->line++;
		c->col = 1;
	} else
		c->col++;
	c->p++;
}

static void
skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		adv(c);
}

/* At '"': moves past the closing quote. */
static bool
skip_string(struct cur *c)
{
	adv(c);
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\') {
			adv(c);
			if (c->p >= c->end)
				return false;
		}
		adv(c);
	}
	if (c->p >= c->end)
		return false;
	adv(c);
	return true;
}

/* Skips one value; *last receives the position of its last character. */
static bool
skip_value(struct cur *c, struct wk_iam_pos *last)
{
	size_t depth = 0;

	if (c->p >= c->end || strchr(",:}]", *c->p) != NULL)
		return false;
	if (*c->p == '"') {
		if (!skip_string(c))
			return false;
		last->line = c->line;
		last->column = c->col - 1;
		return true;
	}
	if (*c->p != '{' && *c->p != '[') {
		/* a scalar: up to a delimiter or blank */
		while (c->p < c->end && strchr(",}] \t\r\n", *c->p) == NULL) {
			last->line = c->line;
			last->column = c->col;
			adv(c);
		}
		return true;
	}
	while (c->p < c->end) {
		if (*c->p == '"') {
			if (!skip_string(c))
				return false;
			continue;
		}
		if (*c->p == '{' || *c->p == '[')
			depth++;
		else if (*c->p == '}' || *c->p == ']') {
			if (--depth == 0) {
				last->line = c->line;
				last->column = c->col;
				adv(c);
				return true;
			}
		}
		adv(c);
	}
	return false;
}

int
wk_iam_statement_position(const char *doc, int index,
    struct wk_iam_pos *start, struct wk_iam_pos *end)
{
	struct cur c = { doc, doc + strlen(doc), 1, 1 };
	const char *key;
	size_t klen;
	int i;

	if (index < 0)
		return WK_ERR_NOTFOUND;
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return WK_ERR_NOTFOUND;
	adv(&c);
	for (;;) {
		skip_ws(&c);
		if (c.p >= c.end || *c.p != '"')
			return WK_ERR_NOTFOUND;
		key = c.p + 1;
		if (!skip_string(&c))
			return WK_ERR_NOTFOUND;
		klen = (size_t)(c.p - key - 1);
		skip_ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return WK_ERR_NOTFOUND;
		adv(&c);
		skip_ws(&c);
		if (c.p >= c.end)
			return WK_ERR_NOTFOUND;
		if (klen == 9 && memcmp(key, "Statement", 9) == 0)
			break;
		if (!skip_value(&c, end))
			return WK_ERR_NOTFOUND;
		skip_ws(&c);
		if (c.p >= c.end || *c.p != ',')
			return WK_ERR_NOTFOUND;
		adv(&c);
	}
	if (*c.p == '{') {
		if (index != 0)
			return WK_ERR_NOTFOUND;
		start->line = c.line;
		start->column = c.col;
		return skip_value(&c, end) ? 0 : WK_ERR_NOTFOUND;
	}
	if (*c.p != '[')
		return WK_ERR_NOTFOUND;
	adv(&c);
	for (i = 0;; i++) {
		skip_ws(&c);
		if (c.p >= c.end || *c.p == ']')
			return WK_ERR_NOTFOUND;
		start->line = c.line;
		start->column = c.col;
		if (!skip_value(&c, end))
			return WK_ERR_NOTFOUND;
		if (i == index)
			return 0;
		skip_ws(&c);
		if (c.p >= c.end || *c.p != ',')
			return WK_ERR_NOTFOUND;
		adv(&c);
	}
}
