/*
 * aws_config.c - the bounded INI parser and the AWS-style resolution of
 * profile, credentials, region and endpoint (see aws_config.h).
 */
#include "cli/aws_config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"

#define DEFAULT_REGION "us-east-1"

/* ---- INI parser ---- */

void
wk_ini_free(struct wk_ini *ini)
{
	size_t i;

	if (ini == NULL)
		return;
	for (i = 0; i < ini->n; i++) {
		wk_free(ini->v[i].section);
		wk_free(ini->v[i].key);
		/* values may be secrets */
		if (ini->v[i].value != NULL)
			wk_freezero(ini->v[i].value,
			    strlen(ini->v[i].value));
	}
	wk_free(ini->v);
	ini->v = NULL;
	ini->n = 0;
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static struct wk_span
trim(struct wk_span s)
{
	while (s.len > 0 && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

static int
ini_add(struct wk_ini *ini, size_t *cap, const char *section,
    struct wk_span key, struct wk_span value)
{
	struct wk_ini_entry *nv, *e;
	size_t ncap, i;

	if (ini->n >= WK_INI_MAX_ENTRIES)
		return WK_ERR_TOOBIG;
	if (ini->n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		nv = wk_reallocarray(ini->v, ncap, sizeof(*nv));
		if (nv == NULL)
			return WK_ERR_NOMEM;
		ini->v = nv;
		*cap = ncap;
	}
	e = &ini->v[ini->n];
	e->section = wk_strdup(section);
	e->key = wk_strndup((const char *)key.p, key.len);
	e->value = wk_strndup((const char *)value.p, value.len);
	if (e->section == NULL || e->key == NULL || e->value == NULL) {
		wk_free(e->section);
		wk_free(e->key);
		wk_free(e->value);
		return WK_ERR_NOMEM;
	}
	for (i = 0; e->key[i] != '\0'; i++) {
		if (e->key[i] >= 'A' && e->key[i] <= 'Z')
			e->key[i] = (char)(e->key[i] - 'A' + 'a');
	}
	ini->n++;
	return 0;
}

/*
 * An indented "key = value" line under a key whose value is empty becomes
 * the entry "parent.key" (botocore's nested sections, as the `services`
 * sections use). Other indented lines continue a value and are ignored.
 */
static int
ini_add_nested(struct wk_ini *ini, size_t *cap, struct wk_span t)
{
	const struct wk_ini_entry *parent;
	struct wk_span key, value;
	struct wk_buf name;
	size_t sep;
	int r;

	if (ini->n == 0)
		return 0;
	parent = &ini->v[ini->n - 1];
	if (parent->value[0] != '\0' || strchr(parent->key, '.') != NULL)
		return 0;
	for (sep = 0; sep < t.len && t.p[sep] != '='; sep++)
		;
	if (sep == t.len)
		return 0;
	key = trim(wk_span_from_mem(t.p, sep));
	value = trim(wk_span_from_mem(t.p + sep + 1, t.len - sep - 1));
	if (key.len == 0)
		return 0;
	wk_buf_init(&name, WK_INI_MAX_LINE * 2);
	if ((r = wk_buf_appendf(&name, "%s.", parent->key)) != 0 ||
	    (r = wk_buf_append(&name, key.p, key.len)) != 0) {
		wk_buf_cleanup(&name);
		return r;
	}
	{
		/* parent may move when ini->v grows: copy the section */
		char *section = wk_strdup(parent->section);

		if (section == NULL) {
			wk_buf_cleanup(&name);
			return WK_ERR_NOMEM;
		}
		r = ini_add(ini, cap, section, wk_buf_span(&name), value);
		wk_free(section);
	}
	wk_buf_cleanup(&name);
	return r;
}

int
wk_ini_parse(struct wk_span text, struct wk_ini *out, size_t *errline)
{
	struct wk_ini ini = { NULL, 0 };
	struct wk_span rest = text, line, t, key, value;
	char *section = NULL;
	size_t cap = 0, lineno = 0, i, sep;
	int have_key = 0, r = WK_ERR_INVAL;

	out->v = NULL;
	out->n = 0;
	if (errline != NULL)
		*errline = 0;
	if (text.len > WK_INI_MAX_FILE) {
		r = WK_ERR_TOOBIG;
		goto out;
	}
	if (text.len > 0 && memchr(text.p, '\0', text.len) != NULL) {
		/* report the line holding the NUL */
		const uint8_t *z = memchr(text.p, '\0', text.len);

		lineno = 1;
		for (i = 0; text.p + i < z; i++)
			lineno += text.p[i] == '\n';
		r = WK_ERR_INVAL;
		goto out;
	}
	if (wk_span_starts_with(rest, "\xef\xbb\xbf")) {	/* UTF-8 BOM */
		rest.p += 3;
		rest.len -= 3;
	}
	while (rest.len > 0) {
		lineno++;
		/* without a '\n' the whole rest is the last line */
		(void)wk_span_split(rest, '\n', &line, &rest);
		if (line.len > WK_INI_MAX_LINE) {
			r = WK_ERR_TOOBIG;
			goto out;
		}
		t = trim(line);
		if (t.len == 0 || t.p[0] == '#' || t.p[0] == ';')
			continue;
		if (is_space(line.p[0]) && have_key) {
			/* a nested value ("ec2 =\n  endpoint_url = U") */
			if ((r = ini_add_nested(&ini, &cap, t)) != 0)
				goto out;
			r = WK_ERR_INVAL;
			continue;
		}
		if (t.p[0] == '[') {
			if (t.p[t.len - 1] != ']' || t.len < 3)
				goto out;
			key = trim(wk_span_from_mem(t.p + 1, t.len - 2));
			if (key.len == 0)
				goto out;
			wk_free(section);
			section = wk_strndup((const char *)key.p, key.len);
			if (section == NULL) {
				r = WK_ERR_NOMEM;
				goto out;
			}
			have_key = 0;
			continue;
		}
		if (section == NULL)
			goto out;	/* no section header yet */
		for (sep = 0; sep < t.len; sep++) {
			if (t.p[sep] == '=' || t.p[sep] == ':')
				break;
		}
		if (sep == t.len)
			goto out;
		key = trim(wk_span_from_mem(t.p, sep));
		value = trim(wk_span_from_mem(t.p + sep + 1, t.len - sep - 1));
		if (key.len == 0)
			goto out;
		if ((r = ini_add(&ini, &cap, section, key, value)) != 0)
			goto out;
		r = WK_ERR_INVAL;
		have_key = 1;
	}
	*out = ini;
	ini.v = NULL;
	ini.n = 0;
	lineno = 0;
	r = 0;
 out:
	wk_free(section);
	wk_ini_free(&ini);
	if (errline != NULL)
		*errline = r == 0 ? 0 : lineno;
	return r;
}

int
wk_ini_load(const char *path, struct wk_ini *out, size_t *errline)
{
	struct wk_buf b;
	struct stat st;
	uint8_t chunk[8192];
	ssize_t n;
	int fd = -1, r;

	out->v = NULL;
	out->n = 0;
	if (errline != NULL)
		*errline = 0;
	wk_buf_init(&b, WK_INI_MAX_FILE);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		r = (errno == ENOENT || errno == ENOTDIR) ?
		    WK_ERR_NOTFOUND : WK_ERR_IO;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = WK_ERR_IO;
		goto out;
	}
	/*
	 * Like botocore (os.path.isfile) and the SDKs: /dev/null, a pipe or
	 * any other non-regular file is an empty config, never read.
	 */
	if (!S_ISREG(st.st_mode)) {
		r = 0;
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = WK_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		if ((r = wk_buf_append(&b, chunk, (size_t)n)) != 0)
			goto out;
	}
	r = wk_ini_parse(wk_buf_span(&b), out, errline);
 out:
	wk_explicit_bzero(chunk, sizeof(chunk));
	if (fd != -1)
		close(fd);
	wk_buf_cleanup_secret(&b);
	return r;
}

const char *
wk_ini_get(const struct wk_ini *ini, const char *section, const char *key)
{
	size_t i;

	/* search backwards: later duplicates win */
	for (i = ini->n; i > 0; i--) {
		if (strcmp(ini->v[i - 1].section, section) == 0 &&
		    strcmp(ini->v[i - 1].key, key) == 0)
			return ini->v[i - 1].value;
	}
	return NULL;
}

/*
 * In the config file a profile P lives in "[profile P]" (any run of blanks
 * after "profile"); "default" also in "[default]". The last matching
 * entry wins, with "[profile default]" over "[default]" as botocore does.
 */
static int
config_section_matches(const char *section, const char *profile)
{
	const char *p;

	if (strncmp(section, "profile", 7) == 0 &&
	    (section[7] == ' ' || section[7] == '\t')) {
		for (p = section + 7; *p == ' ' || *p == '\t'; p++)
			;
		return strcmp(p, profile) == 0 ? 2 : 0;
	}
	if (strcmp(profile, "default") == 0 && strcmp(section, "default") == 0)
		return 1;
	return 0;
}

static const char *
config_get(const struct wk_ini *ini, const char *profile, const char *key)
{
	const char *best = NULL;
	int best_rank = 0, rank;
	size_t i;

	for (i = 0; i < ini->n; i++) {
		if (strcmp(ini->v[i].key, key) != 0)
			continue;
		rank = config_section_matches(ini->v[i].section, profile);
		if (rank > 0 && rank >= best_rank) {
			best = ini->v[i].value;
			best_rank = rank;
		}
	}
	return best;
}

static int
config_has_profile(const struct wk_ini *ini, const char *profile)
{
	size_t i;

	for (i = 0; i < ini->n; i++) {
		if (config_section_matches(ini->v[i].section, profile))
			return 1;
	}
	return 0;
}

/* ---- resolution ---- */

/* An environment variable, NULL when unset or empty (as botocore). */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

static int
home_path(const char *rel, char **out)
{
	struct wk_buf b;
	const char *home;
	struct passwd *pw;
	int r;

	*out = NULL;
	if ((home = env("HOME")) == NULL) {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL)
			return WK_ERR_NOTFOUND;
		home = pw->pw_dir;
	}
	wk_buf_init(&b, 4096);
	if ((r = wk_buf_appendf(&b, "%s/%s", home, rel)) != 0) {
		wk_buf_cleanup(&b);
		return r;
	}
	if ((*out = wk_buf_steal(&b)) == NULL)
		return WK_ERR_NOMEM;
	return 0;
}

static int
dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = wk_strdup(s)) == NULL)
		return WK_ERR_NOMEM;
	return 0;
}

static int
load_file(const char *envname, const char *rel, char **path,
    struct wk_ini *ini, struct wk_buf *errmsg)
{
	const char *e;
	size_t line = 0;
	int r;

	*path = NULL;
	if ((e = env(envname)) != NULL) {
		if ((*path = wk_strdup(e)) == NULL)
			return WK_ERR_NOMEM;
	} else if ((r = home_path(rel, path)) != 0) {
		return r == WK_ERR_NOTFOUND ? 0 : r;
	}
	r = wk_ini_load(*path, ini, &line);
	if (r == WK_ERR_NOTFOUND)
		return 0;
	if (r == WK_ERR_NOMEM)
		return r;
	if (r != 0) {
		wk_buf_reset(errmsg);
		if (line > 0)
			(void)wk_buf_appendf(errmsg,
			    "unable to parse config file %s: line %zu: %s",
			    *path, line, wk_strerror(r));
		else
			(void)wk_buf_appendf(errmsg,
			    "unable to read config file %s: %s", *path,
			    r == WK_ERR_IO ? strerror(errno) : wk_strerror(r));
		return WK_ERR_INVAL;
	}
	return 0;
}

/* Takes a complete key pair (and token) or reports a partial one. */
static int
take_creds(struct wk_aws_config *out, const char *akid, const char *secret,
    const char *token, const char *source, struct wk_buf *errmsg)
{
	if (akid == NULL && secret == NULL)
		return WK_ERR_NOTFOUND;
	if (akid == NULL || secret == NULL) {
		wk_buf_reset(errmsg);
		(void)wk_buf_appendf(errmsg,
		    "partial credentials found in %s, missing: %s", source,
		    akid == NULL ? "aws_access_key_id" :
		    "aws_secret_access_key");
		return WK_ERR_INVAL;
	}
	if ((out->access_key_id = wk_strdup(akid)) == NULL ||
	    (out->secret_access_key = wk_strdup(secret)) == NULL)
		return WK_ERR_NOMEM;
	if (token != NULL && *token != '\0' &&
	    (out->session_token = wk_strdup(token)) == NULL)
		return WK_ERR_NOMEM;
	out->cred_source = source;
	return 0;
}

static int
valid_endpoint(const char *url)
{
	size_t i;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	for (i = 0; url[i] != '\0'; i++) {
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return 0;
	}
	return i < 2048;
}

static int
valid_region(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-'))
			return 0;
	}
	return i > 0 && i <= 64;
}

void
wk_aws_config_cleanup(struct wk_aws_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	wk_free(cfg->profile);
	wk_free(cfg->access_key_id);
	if (cfg->secret_access_key != NULL)
		wk_freezero(cfg->secret_access_key,
		    strlen(cfg->secret_access_key));
	if (cfg->session_token != NULL)
		wk_freezero(cfg->session_token, strlen(cfg->session_token));
	wk_free(cfg->region);
	wk_free(cfg->endpoint_url);
	for (i = 0; i < WK_AWS_SVC_COUNT; i++)
		wk_free(cfg->endpoints[i]);
	wk_free(cfg->ca_bundle);
	memset(cfg, 0, sizeof(*cfg));
}

/* AWS's service identifiers: the env suffix and the services-section key */
static const struct {
	const char *env;	/* AWS_ENDPOINT_URL_<env> */
	const char *key;	/* [services S] <key> = endpoint_url = ... */
} service_ids[WK_AWS_SVC_COUNT] = {
	[WK_AWS_SVC_EC2] = { "EC2", "ec2" },
	[WK_AWS_SVC_EIC] = { "EC2_INSTANCE_CONNECT", "ec2_instance_connect" },
	[WK_AWS_SVC_IAM] = { "IAM", "iam" },
	[WK_AWS_SVC_STS] = { "STS", "sts" },
};

const char *
wk_aws_service_env_name(enum wk_aws_service svc)
{
	if (svc <= WK_AWS_SVC_NONE || svc >= WK_AWS_SVC_COUNT)
		return NULL;
	return service_ids[svc].env;
}

static int
is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

/*
 * The endpoint of one service, in the order of AWS's "service-specific
 * endpoints": the explicit --endpoint-url; unless ignored, the service's
 * variable, AWS_ENDPOINT_URL, the profile's services section, the
 * profile's endpoint_url. *from names where it came from.
 */
static const char *
service_endpoint(enum wk_aws_service svc, const struct wk_aws_opts *opts,
    const struct wk_ini *conf, const char *profile, int ignore,
    const char **from)
{
	struct wk_buf name;
	const char *v = NULL, *services;

	*from = "--endpoint-url";
	if (opts->endpoint_url != NULL && *opts->endpoint_url != '\0')
		return opts->endpoint_url;
	if (ignore)
		return NULL;
	wk_buf_init(&name, 256);
	if (wk_buf_appendf(&name, "AWS_ENDPOINT_URL_%s",
	    service_ids[svc].env) == 0 && (v = env(wk_buf_cstr(&name))) !=
	    NULL) {
		*from = "AWS_ENDPOINT_URL_<SERVICE>";
		goto out;
	}
	if ((v = env("AWS_ENDPOINT_URL")) != NULL) {
		*from = "AWS_ENDPOINT_URL";
		goto out;
	}
	if ((services = config_get(conf, profile, "services")) != NULL &&
	    *services != '\0') {
		wk_buf_reset(&name);
		if (wk_buf_appendf(&name, "services %s", services) == 0) {
			struct wk_buf key;

			wk_buf_init(&key, 256);
			if (wk_buf_appendf(&key, "%s.endpoint_url",
			    service_ids[svc].key) == 0)
				v = wk_ini_get(conf, wk_buf_cstr(&name),
				    wk_buf_cstr(&key));
			wk_buf_cleanup(&key);
			if (v != NULL && *v != '\0') {
				*from = "the profile's services section";
				goto out;
			}
		}
	}
	v = config_get(conf, profile, "endpoint_url");
	*from = "the profile's endpoint_url";
 out:
	wk_buf_cleanup(&name);
	return v != NULL && *v != '\0' ? v : NULL;
}

static int
resolve_endpoints(const struct wk_aws_opts *opts, const struct wk_ini *conf,
    const char *profile, struct wk_aws_config *cfg, struct wk_buf *errmsg)
{
	const char *v, *from, *ign;
	int ignore, svc, r;

	ign = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (ign == NULL)
		ign = config_get(conf, profile,
		    "ignore_configured_endpoint_urls");
	ignore = is_true(ign);
	for (svc = WK_AWS_SVC_NONE + 1; svc < WK_AWS_SVC_COUNT; svc++) {
		v = service_endpoint((enum wk_aws_service)svc, opts, conf,
		    profile, ignore, &from);
		if (v == NULL)
			continue;
		if (!valid_endpoint(v)) {
			wk_buf_reset(errmsg);
			(void)wk_buf_appendf(errmsg, "invalid endpoint URL "
			    "'%s' from %s (must start with http:// or "
			    "https://)", v, from);
			return WK_ERR_INVAL;
		}
		if ((r = dup_opt(v, &cfg->endpoints[svc])) != 0)
			return r;
	}
	return 0;
}

int
wk_aws_config_resolve(const struct wk_aws_opts *opts, int service,
    struct wk_aws_config *out, struct wk_buf *errmsg)
{
	struct wk_aws_config cfg;
	struct wk_ini creds = { NULL, 0 }, conf = { NULL, 0 };
	char *creds_path = NULL, *conf_path = NULL;
	const char *profile, *region, *ca, *process;
	int r, profile_seen;

	memset(out, 0, sizeof(*out));
	memset(&cfg, 0, sizeof(cfg));
	wk_buf_reset(errmsg);
	if (service < WK_AWS_SVC_NONE || service >= WK_AWS_SVC_COUNT)
		return WK_ERR_INVAL;

	profile = opts->profile;
	if (profile == NULL)
		profile = env("AWS_PROFILE");
	if (profile == NULL)
		profile = "default";
	if ((cfg.profile = wk_strdup(profile)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((r = load_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials",
	    &creds_path, &creds, errmsg)) != 0)
		goto out;
	if ((r = load_file("AWS_CONFIG_FILE", ".aws/config", &conf_path,
	    &conf, errmsg)) != 0)
		goto out;
	profile_seen = config_has_profile(&conf, profile);
	{
		size_t i;

		for (i = 0; i < creds.n && !profile_seen; i++)
			profile_seen = strcmp(creds.v[i].section, profile) == 0;
	}

	/* region first: a credential_process failure should not hide a
	 * malformed region, and the region check costs nothing */
	region = opts->region;
	if (region == NULL)
		region = env("AWS_REGION");
	if (region == NULL)
		region = env("AWS_DEFAULT_REGION");
	if (region == NULL)
		region = config_get(&conf, profile, "region");
	if (region == NULL || *region == '\0')
		region = DEFAULT_REGION;
	if (!valid_region(region)) {
		(void)wk_buf_appendf(errmsg, "invalid region '%s'", region);
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((r = dup_opt(region, &cfg.region)) != 0)
		goto out;

	/* endpoints, before credentials: no process runs for a call that
	 * cannot be made */
	if ((r = resolve_endpoints(opts, &conf, profile, &cfg, errmsg)) != 0)
		goto out;
	if (service != WK_AWS_SVC_NONE) {
		if (cfg.endpoints[service] == NULL) {
			(void)wk_buf_appendf(errmsg,
			    "no endpoint for profile '%s': use --endpoint-url, "
			    "AWS_ENDPOINT_URL_%s, AWS_ENDPOINT_URL or "
			    "endpoint_url in %s%s", profile,
			    service_ids[service].env,
			    conf_path != NULL ? conf_path : "~/.aws/config",
			    is_true(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
			    || is_true(config_get(&conf, profile,
			    "ignore_configured_endpoint_urls")) ?
			    " (configured endpoints are ignored: "
			    "ignore_configured_endpoint_urls is true)" : "");
			r = WK_ERR_NOTFOUND;
			goto out;
		}
		if ((r = dup_opt(cfg.endpoints[service],
		    &cfg.endpoint_url)) != 0)
			goto out;
	}

	/* CA bundle: --ca-bundle, AWS_CA_BUNDLE, the profile's ca_bundle */
	ca = opts->ca_bundle;
	if (ca == NULL || *ca == '\0')
		ca = env("AWS_CA_BUNDLE");
	if (ca == NULL)
		ca = config_get(&conf, profile, "ca_bundle");
	if (ca != NULL && *ca != '\0' && (r = dup_opt(ca, &cfg.ca_bundle)) != 0)
		goto out;

	/* credentials, in botocore's provider order */
	r = WK_ERR_NOTFOUND;
	if (opts->profile == NULL)
		r = take_creds(&cfg, env("AWS_ACCESS_KEY_ID"),
		    env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN"),
		    "environment", errmsg);
	if (r == WK_ERR_NOTFOUND)
		r = take_creds(&cfg,
		    wk_ini_get(&creds, profile, "aws_access_key_id"),
		    wk_ini_get(&creds, profile, "aws_secret_access_key"),
		    wk_ini_get(&creds, profile, "aws_session_token"),
		    "shared credentials file", errmsg);
	if (r == WK_ERR_NOTFOUND) {
		process = wk_ini_get(&creds, profile, "credential_process");
		if (process == NULL)
			process = config_get(&conf, profile,
			    "credential_process");
		if (process != NULL && *process != '\0') {
			r = wk_cred_process_run(process, &cfg, errmsg);
			if (r == 0)
				cfg.cred_source = "credential_process";
			else if (r != WK_ERR_NOMEM) {
				struct wk_buf m;

				/* prefix the profile, keep the reason */
				wk_buf_init(&m, 8192);
				(void)wk_buf_appendf(&m, "profile '%s': %s",
				    profile, wk_buf_cstr(errmsg));
				wk_buf_reset(errmsg);
				(void)wk_buf_append_str(errmsg,
				    wk_buf_cstr(&m));
				wk_buf_cleanup(&m);
				r = WK_ERR_INVAL;
			}
		}
	}
	if (r == WK_ERR_NOTFOUND)
		r = take_creds(&cfg,
		    config_get(&conf, profile, "aws_access_key_id"),
		    config_get(&conf, profile, "aws_secret_access_key"),
		    config_get(&conf, profile, "aws_session_token"),
		    "config file", errmsg);
	if (r == WK_ERR_NOTFOUND) {
		wk_buf_reset(errmsg);
		(void)wk_buf_appendf(errmsg,
		    "no credentials found for profile '%s'%s (looked in %s%s%s"
		    "%s)", profile, profile_seen ? "" : " (no such profile)",
		    opts->profile == NULL ? "the environment, " : "",
		    creds_path != NULL ? creds_path : "~/.aws/credentials",
		    ", ", conf_path != NULL ? conf_path : "~/.aws/config");
		goto out;
	}
	if (r != 0)
		goto out;

	*out = cfg;
	memset(&cfg, 0, sizeof(cfg));
	r = 0;
 out:
	if (r == WK_ERR_NOMEM) {
		wk_buf_reset(errmsg);
		(void)wk_buf_appendf(errmsg, "out of memory");
	}
	wk_aws_config_cleanup(&cfg);
	wk_ini_free(&creds);
	wk_ini_free(&conf);
	wk_free(creds_path);
	wk_free(conf_path);
	return r;
}
