/*
 * policy_int.h - internals of the IAM policy engine, shared by the files of
 * src/iam. Not for other modules.
 *
 * A parsed policy is a list of statements; every string the evaluator
 * matches is compiled once at parse time into a "pattern": text in which a
 * backslash escapes the next byte (a literal `*`, `?`, `:` or `\`) and an
 * unescaped `*` / `?` is a wildcard where the operator takes wildcards.
 * Values that hold policy variables keep a template (literal parts and
 * variable references) that is rendered into a pattern per evaluation.
 */
#ifndef WK_IAM_POLICY_INT_H
#define WK_IAM_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iam/policy.h"

/* Ceilings of the request context. */
#define WK_CTX_MAX_KEYS 256
#define WK_CTX_MAX_VALUES 256	/* per key */
#define WK_CTX_MAX_KEY_LEN 256
#define WK_CTX_MAX_VALUE_LEN 8192

/* Raw document ceiling (whitespace included), before any parsing. */
#define WK_POLICY_MAX_RAW 131072
/* A rendered (variables substituted) pattern longer than this never
 * matches. */
#define WK_PATTERN_MAX 16384

/* ---- request context (ctx.c) ---- */

struct wk_ctx_entry {
	char *key;		/* lower case */
	char **vals;
	size_t nvals;
};

struct wk_ctx {
	struct wk_ctx_entry *ents;
	size_t n;
};

/* The entry for a lower-case key, or NULL. */
const struct wk_ctx_entry *wk_ctx_find_lc(const struct wk_ctx *c,
    const char *lckey);

/* ---- patterns and wildcard matching (policy_match.c) ---- */

#define WK_GLOB_ICASE 0x1	/* ASCII case-insensitive */
#define WK_GLOB_NOWILD 0x2	/* `*` and `?` are literal */

static inline char
wk_lc(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Matches pattern p (escaped form) against the whole of s. */
bool wk_glob(const char *p, size_t plen, const char *s, size_t slen,
    unsigned flags);
/*
 * ARN matching as IAM does for Resource and the Arn condition operators:
 * the first five colons split partition, service, region, account and the
 * resource part; each is matched on its own (a wildcard does not cross a
 * colon there); a pattern of fewer segments whose last one ends in `*`
 * matches the rest of the ARN, colons included.
 */
bool wk_arn_match(const char *p, size_t plen, const char *s, size_t slen);
/* Shapes of a constant pattern, for fast paths. */
enum wk_pat_kind {
	WK_PK_GLOB = 0,		/* anything: use wk_glob / wk_arn_match */
	WK_PK_ANY,		/* only stars */
	WK_PK_EXACT,		/* no wildcard, no escape */
	WK_PK_PREFIX,		/* one trailing star, nothing else special */
};

/* Classifies a pattern; *pre is the literal prefix length for PREFIX. */
enum wk_pat_kind wk_pat_classify(const char *p, size_t n, size_t *pre);

/* Appends s to a pattern with every special byte escaped. */
size_t wk_pat_escape(char *dst, size_t dstsz, const char *s, size_t n);

/* ---- values and policy variables (policy_vars.c) ---- */

enum wk_part_kind {
	WK_PART_LIT = 0,	/* text: a compiled pattern fragment */
	WK_PART_VAR = 1,	/* text: lower-case context key */
};

struct wk_part {
	enum wk_part_kind kind;
	char *text;
	size_t len;
	char *def;		/* VAR: default value (raw), or NULL */
	size_t deflen;
};

/* A policy value (Resource entry, condition value). */
struct wk_pval {
	char *raw;		/* as written (NUL-terminated) */
	char *pat;		/* compiled pattern when nparts == 0 */
	size_t patlen;
	enum wk_pat_kind pk;	/* shape of pat (nparts == 0) */
	size_t pre;		/* PREFIX: literal length */
	bool nobs;		/* pat holds no backslash */
	struct wk_part *parts;	/* template when the value has variables */
	size_t nparts;
	/* typed form, decided by the operator at parse time */
	bool typed_ok;
	union {
		double num;
		int64_t ms;	/* date, ms since the epoch */
		bool b;
		struct {
			int fam;	/* 4 or 6 */
			uint8_t addr[16];
			unsigned plen;
		} ip;
	} t;
};

/*
 * Compiles raw text into v. With vars, ${...} references become template
 * parts (2012-10-17 documents only); otherwise the text is literal.
 * WK_ERR_NOMEM only.
 */
int wk_pval_compile(struct wk_pval *v, const char *raw, size_t len,
    bool vars, bool lower);
void wk_pval_cleanup(struct wk_pval *v);

/* Rendering scratch: a stack buffer, a heap buffer when it is too small. */
struct wk_render {
	char stack[1024];
	char *heap;
	size_t heapsz;
};

/*
 * The pattern of v for this request. Returns 1 and sets *p and *plen, 0 when a
 * variable's key is absent (the value matches nothing), or WK_ERR_NOMEM.
 */
int wk_pval_render(const struct wk_pval *v, const struct wk_ctx *ctx,
    struct wk_render *r, const char **p, size_t *plen);
void wk_render_cleanup(struct wk_render *r);

/* ---- conditions (policy_cond.c) ---- */

enum wk_cond_family {
	WK_CF_STR_EQ,
	WK_CF_STR_EQ_ICASE,
	WK_CF_STR_LIKE,
	WK_CF_NUM,
	WK_CF_DATE,
	WK_CF_BOOL,
	WK_CF_BINARY,
	WK_CF_IP,
	WK_CF_ARN,
	WK_CF_NULL,
};

enum wk_cond_rel {
	WK_REL_EQ,
	WK_REL_LT,
	WK_REL_LE,
	WK_REL_GT,
	WK_REL_GE,
};

enum wk_cond_set {
	WK_SET_NONE = 0,
	WK_SET_ANY = 1,		/* ForAnyValue: */
	WK_SET_ALL = 2,		/* ForAllValues: */
};

struct wk_cond_op {
	enum wk_cond_family fam;
	enum wk_cond_rel rel;
	bool negated;
	bool ifexists;
	enum wk_cond_set set;
};

/* Parses an operator name ("ForAnyValue:StringLikeIfExists"); false if
 * IAM has no such operator. */
bool wk_cond_op_parse(const char *name, struct wk_cond_op *op);
/* Whether values of this family take policy variables. */
bool wk_cond_family_vars(enum wk_cond_family f);
/* Fills v's typed form for the family (numbers, dates, addresses). */
void wk_cond_type_value(enum wk_cond_family f, struct wk_pval *v);

struct wk_cond {
	struct wk_cond_op op;
	char *key;		/* lower case */
	struct wk_pval *vals;
	size_t nvals;
};

/* 1 when the condition holds, 0 when not, WK_ERR_NOMEM. */
int wk_cond_eval(const struct wk_cond *c, const struct wk_ctx *ctx,
    struct wk_render *r);

/* Date text (ISO 8601 / W3C forms, or epoch seconds) to ms. */
bool wk_policy_parse_date(const char *s, size_t n, int64_t *ms);

/* ---- the parsed policy ---- */

/* Bit of an action's vendor ("ec2" in "ec2:RunInstances") in a 64-bit
 * filter; vendors compare case-insensitively. */
uint64_t wk_vendor_bit(const char *action, size_t n);
/* Bit of a whole action (case-insensitive) in a 64-bit filter. */
uint64_t wk_action_bit(const char *action, size_t n);

struct wk_stmt {
	bool deny;
	/* Filters: a request can match only if its vendor's bit is in
	 * vendors (wildcard actions) or its own bit is in exact (actions
	 * without wildcards). */
	uint64_t vendors;
	uint64_t exact;
	char *sid;		/* "" when absent */
	bool not_action;
	struct wk_pval *actions;	/* lower-case patterns */
	size_t nactions;
	bool not_resource;
	struct wk_pval *resources;
	size_t nresources;
	struct wk_cond *conds;
	size_t nconds;
};

struct wk_policy {
	bool v2012;		/* Version 2012-10-17: variables substituted */
	struct wk_stmt *stmts;
	size_t nstmts;
};

#endif
