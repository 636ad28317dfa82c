/*
 * init.c - `wicketd init`: a new data directory with its keys, database,
 * the AdministratorAccess policy and a first IAM user "admin" with one
 * access key; and the data-directory helpers the other subcommands share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "common/time.h"
#include "crypto/signkey.h"
#include "server/wicketd.h"

static const char admin_policy_doc[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
    "\"Action\":\"*\",\"Resource\":\"*\"}]}";

int
wk_data_path(const char *dir, const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outsz ? WK_ERR_TOOBIG : 0;
}

bool
wk_valid_account_id(const char *s)
{
	size_t n = strlen(s);

	if (n != 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
wk_valid_region(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* n characters drawn uniformly from alphabet (rejection sampling). */
static int
random_chars(const char *alphabet, char *out, size_t n)
{
	size_t alen = strlen(alphabet), limit = 256 - 256 % alen, i = 0;
	uint8_t buf[64];
	int r;

	while (i < n) {
		if ((r = wk_random_bytes(buf, sizeof(buf))) != 0)
			return r;
		for (size_t k = 0; k < sizeof(buf) && i < n; k++)
			if (buf[k] < limit)
				out[i++] = alphabet[buf[k] % alen];
	}
	out[n] = '\0';
	wk_explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* Writes a new file (never replacing one), mode 0600, synced. */
static int
write_new_file(const char *path, const void *data, size_t len)
{
	const uint8_t *p = data;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = WK_ERR_IO;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (r == 0 && fsync(fd) != 0)
		r = WK_ERR_IO;
	close(fd);
	return r;
}

int
wk_master_key_load(const char *dir, uint8_t key[WK_MASTER_KEY_LEN],
    char *why, size_t whysz)
{
	char path[1100];
	struct stat st;
	uint8_t extra;
	ssize_t n;
	int fd, r = 0;

	if ((r = wk_data_path(dir, WK_DATA_MASTER_KEY, path,
	    sizeof(path))) != 0) {
		wk_why(why, whysz, "data directory path too long");
		return r;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		wk_why(why, whysz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		wk_why(why, whysz, "%s: not a regular file", path);
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		wk_why(why, whysz, "%s: must not be accessible to group or "
		    "others (chmod 600)", path);
		r = WK_ERR_INVAL;
		goto out;
	}
	n = read(fd, key, WK_MASTER_KEY_LEN);
	if (n != WK_MASTER_KEY_LEN || read(fd, &extra, 1) != 0) {
		wk_why(why, whysz, "%s: must hold exactly %d bytes", path,
		    WK_MASTER_KEY_LEN);
		wk_explicit_bzero(key, WK_MASTER_KEY_LEN);
		r = WK_ERR_INVAL;
	}
 out:
	close(fd);
	return r;
}

/* Reads the one-line URI of DIR/store into out. */
static int
read_store_file(const char *path, char *out, size_t outsz, char *why,
    size_t whysz)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		wk_why(why, whysz, "%s: %s", path, strerror(errno));
		return WK_ERR_IO;
	}
	n = read(fd, out, outsz - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= outsz - 1) {
		wk_why(why, whysz, "%s: empty or too long", path);
		return WK_ERR_INVAL;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (!wk_store_is_postgres(out)) {
		wk_why(why, whysz, "%s: not a postgresql:// URI", path);
		return WK_ERR_INVAL;
	}
	return 0;
}

int
wk_data_store_location(const char *dir, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char path[1100];
	int r;

	if ((r = wk_data_path(dir, WK_DATA_STORE, path, sizeof(path))) != 0) {
		wk_why(why, whysz, "data directory path too long");
		return r;
	}
	if (access(path, F_OK) == 0)
		return read_store_file(path, out, outsz, why, whysz);
	if ((r = wk_data_path(dir, WK_DATA_DB, out, outsz)) != 0)
		wk_why(why, whysz, "data directory path too long");
	return r;
}

/* RFC 3986 unreserved characters and '/' pass; the rest is %XX. */
static int
uri_escape(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c) != NULL) {
			if (o + 1 >= outsz)
				return WK_ERR_TOOBIG;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz)
				return WK_ERR_TOOBIG;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int
wk_store_uri_with_passfile(const char *uri, const char *password_file,
    char *out, size_t outsz, char *why, size_t whysz)
{
	char abs[4096], esc[4096 * 3];
	int n, r;

	if (!wk_store_is_postgres(uri)) {
		wk_why(why, whysz, "--store must be a postgresql:// URI");
		return WK_ERR_INVAL;
	}
	if ((r = wk_store_uri_check(uri, why, whysz)) != 0)
		return r;
	if (password_file == NULL) {
		n = snprintf(out, outsz, "%s", uri);
		return n < 0 || (size_t)n >= outsz ? WK_ERR_TOOBIG : 0;
	}
	if (realpath(password_file, abs) == NULL) {
		wk_why(why, whysz, "--store-password-file %s: %s",
		    password_file, strerror(errno));
		return WK_ERR_NOTFOUND;
	}
	if ((r = uri_escape(abs, esc, sizeof(esc))) != 0)
		return r;
	n = snprintf(out, outsz, "%s%spassfile=%s", uri,
	    strchr(uri, '?') != NULL ? "&" : "?", esc);
	if (n < 0 || (size_t)n >= outsz) {
		wk_why(why, whysz, "the store URI is too long");
		return WK_ERR_TOOBIG;
	}
	return 0;
}

int
wk_data_store_save(const char *dir, const char *uri, char *why, size_t whysz)
{
	char path[1100], line[4200];
	int n, r;

	if ((r = wk_data_path(dir, WK_DATA_STORE, path, sizeof(path))) != 0)
		return r;
	n = snprintf(line, sizeof(line), "%s\n", uri);
	if (n < 0 || (size_t)n >= sizeof(line))
		return WK_ERR_TOOBIG;
	if ((r = write_new_file(path, line, (size_t)n)) != 0)
		wk_why(why, whysz, "cannot write %s: %s", path,
		    wk_strerror(r));
	return r;
}

int
wk_data_open_store(const char *dir, struct wk_store **out, char *why,
    size_t whysz)
{
	uint8_t key[WK_MASTER_KEY_LEN];
	char path[4200];
	int r;

	*out = NULL;
	if ((r = wk_data_store_location(dir, path, sizeof(path), why,
	    whysz)) != 0)
		return r;
	if (wk_store_is_postgres(path)) {
		/* a schema behind this build: "run `wicketd migrate`" */
		if ((r = wk_store_check(path, why, whysz)) != 0)
			return r;
	} else if (access(path, F_OK) != 0) {
		wk_why(why, whysz, "%s: no database (run `wicketd init --data "
		    "%s` first)", path, dir);
		return WK_ERR_NOTFOUND;
	}
	if ((r = wk_master_key_load(dir, key, why, whysz)) != 0)
		return r;
	r = wk_store_open(path, key, out);
	wk_explicit_bzero(key, sizeof(key));
	if (r != 0)
		wk_why(why, whysz, "%s: cannot open the database: %s",
		    wk_store_is_postgres(path) ? "PostgreSQL" : path,
		    wk_strerror(r));
	return r;
}

static int
random_account_id(char out[13])
{
	int r;

	do {
		if ((r = random_chars("0123456789", out, 12)) != 0)
			return r;
	} while (out[0] == '0');
	return 0;
}

/* The policy, the user, the attachment and the key. */
static int
create_admin(struct wk_store *st, const char *account_id, time_t now,
    struct wk_init_result *res, char *why, size_t whysz)
{
	struct wk_managed_policy pol;
	struct wk_user u;
	struct wk_access_key k;
	int r;

	memset(&pol, 0, sizeof(pol));
	snprintf(pol.name, sizeof(pol.name), "AdministratorAccess");
	snprintf(pol.path, sizeof(pol.path), "/");
	snprintf(pol.arn, sizeof(pol.arn), "%s", WK_ADMIN_POLICY_ARN);
	snprintf(pol.description, sizeof(pol.description), "Provides full "
	    "access to AWS services and resources.");
	snprintf(pol.default_version, sizeof(pol.default_version), "v1");
	pol.create_date = pol.update_date = now;
	if ((r = wk_random_aws_id("ANPA", 17, pol.id, sizeof(pol.id))) != 0 ||
	    (r = wk_store_policy_create(st, &pol, admin_policy_doc)) != 0) {
		wk_why(why, whysz,
		    "cannot create policy AdministratorAccess: %s",
		    wk_strerror(r));
		return r;
	}

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "admin");
	snprintf(u.path, sizeof(u.path), "/");
	snprintf(u.arn, sizeof(u.arn), "arn:aws:iam::%s:user/admin",
	    account_id);
	u.create_date = now;
	if ((r = wk_random_aws_id("AIDA", 17, u.id, sizeof(u.id))) != 0 ||
	    (r = wk_store_user_create(st, &u)) != 0 ||
	    (r = wk_store_attach_user(st, "admin", WK_ADMIN_POLICY_ARN)) != 0) {
		wk_why(why, whysz, "cannot create user admin: %s",
		    wk_strerror(r));
		return r;
	}

	memset(&k, 0, sizeof(k));
	snprintf(k.user_name, sizeof(k.user_name), "admin");
	k.active = true;
	k.create_date = now;
	if ((r = wk_random_aws_id("AKIA", 16, k.id, sizeof(k.id))) != 0 ||
	    (r = random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789/+", k.secret, 40)) != 0 ||
	    (r = wk_store_key_create(st, &k)) != 0) {
		wk_why(why, whysz, "cannot create the access key: %s",
		    wk_strerror(r));
		goto out;
	}
	snprintf(res->access_key_id, sizeof(res->access_key_id), "%s", k.id);
	memcpy(res->secret_access_key, k.secret, 41);
	snprintf(res->user_arn, sizeof(res->user_arn), "%s", u.arn);
 out:
	wk_explicit_bzero(&k, sizeof(k));
	return r;
}

static int
write_client_files(const char *dir, const struct wk_init_result *res,
    const char *region, char *why, size_t whysz)
{
	char path[1100];
	struct wk_buf b;
	int r;

	wk_buf_init(&b, 4096);
	if ((r = wk_data_path(dir, WK_DATA_CREDENTIALS, path,
	    sizeof(path))) != 0 ||
	    (r = wk_buf_appendf(&b, "[default]\naws_access_key_id = %s\n"
	    "aws_secret_access_key = %s\n", res->access_key_id,
	    res->secret_access_key)) != 0 ||
	    (r = write_new_file(path, b.p, b.len)) != 0) {
		wk_why(why, whysz, "cannot write %s: %s", path, wk_strerror(r));
		goto out;
	}
	wk_buf_cleanup_secret(&b);
	wk_buf_init(&b, 4096);
	if ((r = wk_data_path(dir, WK_DATA_CONFIG, path, sizeof(path))) != 0 ||
	    (r = wk_buf_appendf(&b, "[default]\nregion = %s\n", region)) != 0 ||
	    (r = write_new_file(path, b.p, b.len)) != 0)
		wk_why(why, whysz, "cannot write %s: %s", path, wk_strerror(r));
 out:
	wk_buf_cleanup_secret(&b);
	return r;
}

int
wk_init_data_dir(const struct wk_init_opts *o, struct wk_init_result *res,
    char *why, size_t whysz)
{
	const char *region = o->region != NULL ? o->region : "us-east-1";
	const char *names[] = { WK_DATA_DB, WK_DATA_MASTER_KEY,
	    WK_DATA_SIGNING_KEY, WK_DATA_CREDENTIALS, WK_DATA_CONFIG,
	    WK_DATA_STORE };
	char uri[4200];
	int from, to;
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_signkey *sk = NULL;
	struct wk_store *st = NULL;
	char path[1100], account[13];
	struct stat sb;
	time_t now = wk_wall_now();
	int r;

	memset(res, 0, sizeof(*res));
	if (o->account_id != NULL && !wk_valid_account_id(o->account_id)) {
		wk_why(why, whysz, "--account-id must be 12 digits");
		return WK_ERR_INVAL;
	}
	if (!wk_valid_region(region)) {
		wk_why(why, whysz,
		    "--region must be lower-case letters, digits "
		    "and '-' (like us-east-1)");
		return WK_ERR_INVAL;
	}
	if (o->store_password_file != NULL && o->store == NULL) {
		wk_why(why, whysz, "--store-password-file needs --store");
		return WK_ERR_INVAL;
	}
	if (o->store != NULL && (r = wk_store_uri_with_passfile(o->store,
	    o->store_password_file, uri, sizeof(uri), why, whysz)) != 0)
		return r;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((r = wk_data_path(o->data_dir, names[i], path,
		    sizeof(path))) != 0) {
			wk_why(why, whysz, "data directory path too long");
			return r;
		}
		if (lstat(path, &sb) == 0) {
			wk_why(why, whysz, "%s already exists: refusing to "
			    "initialise over existing data", path);
			return WK_ERR_EXISTS;
		}
	}
	if (mkdir(o->data_dir, 0700) != 0 && errno != EEXIST) {
		wk_why(why, whysz, "cannot create %s: %s", o->data_dir,
		    strerror(errno));
		return WK_ERR_IO;
	}
	if (stat(o->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		wk_why(why, whysz, "%s is not a directory", o->data_dir);
		return WK_ERR_INVAL;
	}

	if ((r = wk_random_bytes(key, sizeof(key))) != 0 ||
	    (r = wk_data_path(o->data_dir, WK_DATA_MASTER_KEY, path,
	    sizeof(path))) != 0 ||
	    (r = write_new_file(path, key, sizeof(key))) != 0) {
		wk_why(why, whysz, "cannot write the master key: %s",
		    wk_strerror(r));
		goto out;
	}
	if ((r = wk_signkey_generate(&sk)) != 0 ||
	    (r = wk_data_path(o->data_dir, WK_DATA_SIGNING_KEY, path,
	    sizeof(path))) != 0 ||
	    (r = wk_signkey_save(sk, path)) != 0) {
		wk_why(why, whysz, "cannot write the signing key: %s",
		    wk_strerror(r));
		goto out;
	}
	if (o->store != NULL) {
		/* PostgreSQL: the schema first (as `wicketd migrate`) */
		if ((r = wk_store_migrate(uri, &from, &to, why, whysz)) != 0)
			goto out;
		if ((r = wk_store_open(uri, key, &st)) != 0) {
			wk_why(why, whysz, "cannot open PostgreSQL: %s",
			    wk_strerror(r));
			goto out;
		}
	} else if ((r = wk_data_path(o->data_dir, WK_DATA_DB, path,
	    sizeof(path))) != 0 ||
	    (r = wk_store_open(path, key, &st)) != 0) {
		wk_why(why, whysz, "cannot create the database: %s",
		    wk_strerror(r));
		goto out;
	}
	if (o->account_id != NULL)
		snprintf(account, sizeof(account), "%s", o->account_id);
	else if ((r = random_account_id(account)) != 0)
		goto out;
	if ((r = wk_store_meta_set(st, "account_id", account)) != 0 ||
	    (r = wk_store_meta_set(st, "region", region)) != 0) {
		wk_why(why, whysz, "cannot write settings: %s", wk_strerror(r));
		goto out;
	}
	if ((r = create_admin(st, account, now, res, why, whysz)) != 0)
		goto out;
	snprintf(res->account_id, sizeof(res->account_id), "%s", account);
	if (o->store != NULL &&
	    (r = wk_data_store_save(o->data_dir, uri, why, whysz)) != 0)
		goto out;
	r = write_client_files(o->data_dir, res, region, why, whysz);
 out:
	wk_explicit_bzero(key, sizeof(key));
	wk_signkey_free(sk);
	wk_store_close(st);
	if (r != 0)
		wk_explicit_bzero(res, sizeof(*res));
	return r;
}
