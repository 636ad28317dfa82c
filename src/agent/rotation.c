/*
 * rotation.c - which announced signing keys the agent pins (docs/
 * protocols.md, "The agent's trust update rule"). wicketd's replies travel
 * over a channel anyone on the path may rewrite, so an announced key is
 * only a claim: a key is added only through a rotation statement
 * (crypto/rotation.h) whose signature verifies under a key already pinned,
 * directly or through a chain of such statements. Removing keys needs no
 * proof (it can only refuse more), but never empties the trust file.
 */
#include "agent/agent.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "crypto/rotation.h"

#define TRUST_MAX_LEN 4096
#define SEQ_UNKNOWN UINT64_MAX
/* Every key the chain walk may know: pinned ones plus one per statement. */
#define MAX_KNOWN (WK_AGENT_MAX_SIGNING_KEYS + WK_AGENT_MAX_STATEMENTS)

/* ---- reading back the trust file the agent wrote ---- */

static int
parse_trust_key(struct wk_span line, struct wk_pubkey *pk)
{
	struct wk_span word, id, b64;

	if (!wk_span_split(line, ' ', &word, &line) ||
	    !wk_span_eq_cstr(word, "key") ||
	    !wk_span_split(line, ' ', &id, &b64) ||
	    id.len != WK_SIGNKEY_ID_LEN || b64.len > 64 ||
	    memchr(b64.p, ' ', b64.len) != NULL ||
	    wk_pubkey_from_base64(b64, pk) != 0 ||
	    !wk_span_eq_cstr(id, pk->id))
		return WK_ERR_INVAL;
	return 0;
}

int
wk_agent_trust_parse(struct wk_span text, char instance_id[static 20],
    struct wk_pubkey *keys, size_t max, size_t *n)
{
	struct wk_span line, rest = text, word, val;
	size_t lineno = 0;

	*n = 0;
	instance_id[0] = '\0';
	if (text.len > TRUST_MAX_LEN)
		return WK_ERR_TOOBIG;
	if (text.len == 0 || text.p[text.len - 1] != '\n' ||
	    memchr(text.p, '\0', text.len) != NULL ||
	    memchr(text.p, '\r', text.len) != NULL)
		return WK_ERR_INVAL;
	while (rest.len > 0) {
		(void)wk_span_split(rest, '\n', &line, &rest);
		if (++lineno == 1) {
			if (!wk_span_eq_cstr(line, "wicket-trust 1"))
				goto bad;
			continue;
		}
		if (lineno == 2) {
			if (!wk_span_split(line, ' ', &word, &val) ||
			    !wk_span_eq_cstr(word, "instance") ||
			    !wk_sock_instance_ok((const char *)val.p,
			    val.len) || val.len >= 20)
				goto bad;
			memcpy(instance_id, val.p, val.len);
			instance_id[val.len] = '\0';
			continue;
		}
		if (*n == max) {
			*n = 0;
			instance_id[0] = '\0';
			return WK_ERR_TOOBIG;
		}
		if (parse_trust_key(line, &keys[*n]) != 0)
			goto bad;
		for (size_t i = 0; i < *n; i++)
			if (strcmp(keys[i].id, keys[*n].id) == 0)
				goto bad;
		(*n)++;
	}
	if (instance_id[0] != '\0' && *n > 0)
		return 0;
 bad:
	*n = 0;
	instance_id[0] = '\0';
	return WK_ERR_INVAL;
}

/* ---- the decision ---- */

struct known {
	struct wk_pubkey key;
	uint64_t seq;		/* place in the chain, SEQ_UNKNOWN if unknown */
	bool pinned;
};

static int
find_known(const struct known *k, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].key.id, id) == 0)
			return (int)i;
	return -1;
}

static void
refuse(struct wk_agent_trust_decision *d, const char *key_id,
    const char *why)
{
	struct wk_agent_refusal *r;

	for (size_t i = 0; i < d->nrefused; i++)
		if (strcmp(d->refused[i].key_id, key_id) == 0)
			return;	/* the first reason is the one logged */
	if (d->nrefused == WK_AGENT_MAX_REFUSALS)
		return;
	r = &d->refused[d->nrefused++];
	snprintf(r->key_id, sizeof(r->key_id), "%s", key_id);
	r->why = why;
}

/*
 * Learns from every statement whose signer is already trusted: adds its
 * key (verified) and the chain positions of both. Repeats while that adds
 * keys, so a host that missed rotations follows the chain from the key it
 * pins. Statements it cannot use are remembered with their reason.
 */
static void
walk_chain(struct known *k, size_t *nk, const struct wk_span *stmts,
    size_t nstmts, time_t now, uint64_t *top,
    struct wk_agent_trust_decision *d, const char **why_for)
{
	struct wk_rotation st;
	struct wk_span sp;
	uint8_t sig[WK_ED25519_SIG_LEN];
	bool used[WK_AGENT_MAX_STATEMENTS] = { false }, progress = true;
	const char *why;
	int at, si;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < nstmts; i++) {
			if (used[i])
				continue;
			if (wk_rotation_parse(stmts[i], &st, &sp, sig) != 0) {
				used[i] = true;
				refuse(d, "-", stmts[i].len >
				    WK_ROTATION_MAX_LEN ? "statement too large" :
				    "malformed statement");
				continue;
			}
			if ((si = find_known(k, *nk, st.signer_id)) < 0) {
				/* maybe a later statement makes it known */
				why_for[i] = "statement signed by a key that "
				    "is not pinned";
				continue;
			}
			used[i] = true;
			/* reported with the announced key it names */
			if (wk_rotation_verify(stmts[i], &k[si].key, 1, now,
			    &st, &why) != 0) {
				why_for[i] = why;
				continue;
			}
			why_for[i] = NULL;
			if (st.seq > *top)
				*top = st.seq;
			k[si].seq = st.seq - 1;
			if ((at = find_known(k, *nk, st.key.id)) >= 0) {
				k[at].seq = st.seq;
				continue;
			}
			if (*nk == MAX_KNOWN)
				continue;
			k[*nk].key = st.key;
			k[*nk].seq = st.seq;
			k[*nk].pinned = false;
			(*nk)++;
			progress = true;
		}
	}
}

/* Why an announced key that nothing vouched for is refused. */
static const char *
why_unvouched(const struct wk_pubkey *key, const struct wk_span *stmts,
    size_t nstmts, const char *const *why_for)
{
	struct wk_rotation st;
	struct wk_span sp;
	uint8_t sig[WK_ED25519_SIG_LEN];

	for (size_t i = 0; i < nstmts; i++) {
		if (wk_rotation_parse(stmts[i], &st, &sp, sig) != 0 ||
		    strcmp(st.key.id, key->id) != 0)
			continue;
		if (memcmp(st.key.raw, key->raw, sizeof(key->raw)) != 0)
			return "statement is for another key";
		if (why_for[i] != NULL)
			return why_for[i];
	}
	return "no rotation statement";
}

int
wk_agent_trust_decide(const struct wk_pubkey *pinned, size_t npinned,
    const struct wk_pubkey *announced, size_t nannounced,
    const struct wk_span *stmts, size_t nstmts, uint64_t seq, time_t now,
    struct wk_agent_trust_decision *out)
{
	struct known k[MAX_KNOWN];
	const char *why_for[WK_AGENT_MAX_STATEMENTS];
	uint64_t top = seq;
	size_t nk = 0;
	int at;

	memset(out, 0, sizeof(*out));
	out->seq = seq;
	if (npinned == 0 || npinned > WK_AGENT_MAX_SIGNING_KEYS ||
	    nannounced > WK_AGENT_MAX_SIGNING_KEYS)
		return WK_ERR_INVAL;
	if (nstmts > WK_AGENT_MAX_STATEMENTS) {
		refuse(out, "-", "too many statements");
		nstmts = 0;
	}
	for (size_t i = 0; i < npinned; i++) {
		if (find_known(k, nk, pinned[i].id) >= 0)
			continue;
		k[nk].key = pinned[i];
		k[nk].seq = SEQ_UNKNOWN;
		k[nk].pinned = true;
		nk++;
	}
	for (size_t i = 0; i < nstmts; i++)
		why_for[i] = NULL;
	walk_chain(k, &nk, stmts, nstmts, now, &top, out, why_for);
	out->seq = top;
	for (size_t i = 0; i < nannounced; i++) {
		at = find_known(k, nk, announced[i].id);
		if (at < 0 || memcmp(k[at].key.raw, announced[i].raw,
		    sizeof(announced[i].raw)) != 0) {
			refuse(out, announced[i].id, why_unvouched(
			    &announced[i], stmts, nstmts, why_for));
			continue;
		}
		/*
		 * wicketd announces at most three consecutive keys (previous,
		 * current, next): one more than two places behind the newest
		 * statement seen was retired, whatever the reply says.
		 */
		if (k[at].seq != SEQ_UNKNOWN && k[at].seq + 2 < top) {
			refuse(out, announced[i].id, "retired key (stale "
			    "statement)");
			continue;
		}
		if (out->nkeys == WK_AGENT_MAX_SIGNING_KEYS)
			break;
		out->keys[out->nkeys++] = k[at].key;
		if (!k[at].pinned)
			out->nadded++;
	}
	if (out->nkeys == 0)
		return WK_ERR_DENIED;
	return 0;
}
