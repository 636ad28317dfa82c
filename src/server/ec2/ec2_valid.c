/*
 * ec2_valid.c - the field constraints of AWS's API model for instance ids,
 * OS users and Availability Zones, shared by DescribeInstances, the key
 * push (SendSSHPublicKey) and the console, which all sit above ec2/.
 */
#include <stdbool.h>
#include <string.h>

#include "server/ec2/ec2.h"

/* ---- AWS's patterns, by hand (no regex engine on untrusted input) ---- */

static bool
is_lower_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static bool
is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

static bool
is_word(char ch)
{
	return is_alnum(ch) || ch == '_';
}

bool
wk_ec2ic_valid_instance_id(const char *s)
{
	size_t i, len = strnlen(s, 33);

	if (len < 10 || len > 32 || s[0] != 'i' || s[1] != '-')
		return false;
	for (i = 2; i < len; i++) {
		if (!is_lower_hex(s[i]))
			return false;
	}
	return true;
}

/* ^[A-Za-z_][A-Za-z0-9\@\._-]{0,30}[A-Za-z0-9\$_-]?$ */
bool
wk_ec2ic_valid_os_user(const char *s)
{
	size_t i, len = strnlen(s, 33);
	char last;

	if (len < 1 || len > 32)
		return false;
	if (!(is_alnum(s[0]) && !(s[0] >= '0' && s[0] <= '9')) && s[0] != '_')
		return false;
	if (len == 1)
		return true;
	for (i = 1; i + 1 < len; i++) {
		if (!(is_alnum(s[i]) || s[i] == '@' || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return false;
	}
	/* the last character: from the middle class (if it still fits in
	 * {0,30}) or from the optional final class */
	last = s[len - 1];
	if (len - 1 <= 30 && (is_alnum(last) || last == '@' || last == '.' ||
	    last == '_' || last == '-'))
		return true;
	return is_alnum(last) || last == '$' || last == '_' || last == '-';
}

/* ^(\w+-){2,3}\d+\w+$ */
bool
wk_ec2ic_valid_az(const char *s)
{
	size_t len = strnlen(s, 33), i, ntok = 1, toklen = 0;
	const char *last;

	if (len < 6 || len > 32)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '-') {
			if (toklen == 0)
				return false;
			ntok++;
			toklen = 0;
		} else if (is_word(s[i]))
			toklen++;
		else
			return false;
	}
	if (toklen == 0 || ntok < 3 || ntok > 4)
		return false;
	/* the last token: \d+\w+ - a digit first, two characters at least */
	last = strrchr(s, '-') + 1;
	return last[0] >= '0' && last[0] <= '9' && strlen(last) >= 2;
}

bool
wk_ec2ic_az_in_region(const char *az, const char *region)
{
	size_t n = strlen(region);
	const char *p;

	if (n == 0 || strncmp(az, region, n) != 0 || az[n] == '\0')
		return false;
	for (p = az + n; *p != '\0'; p++) {
		if (!(*p >= 'a' && *p <= 'z'))
			return false;
	}
	return true;
}
