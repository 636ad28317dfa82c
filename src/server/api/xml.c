/*
 * xml.c - the small escaping XML writer behind every Query reply.
 * Text is assumed UTF-8 (parameters are checked on the way in); control
 * characters XML 1.0 cannot carry are replaced by U+FFFD.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "server/api/api.h"

int
wk_xml_escape(struct wk_buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t run = 0;
	int r;

	for (size_t i = 0;; i++) {
		const char *rep = NULL;
		unsigned char c = s[i];

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		case '\r': rep = "&#13;"; break;
		case '\n': rep = "&#10;"; break;
		case '\t': rep = "&#9;"; break;
		default:
			if ((c < 0x20 && c != '\0') || c == 0x7f)
				rep = "\xef\xbf\xbd";
			break;
		}
		if (rep == NULL && c != '\0') {
			run++;
			continue;
		}
		if (run > 0 &&
		    (r = wk_buf_append(b, s + i - run, run)) != 0)
			return r;
		run = 0;
		if (c == '\0')
			return 0;
		if ((r = wk_buf_append_str(b, rep)) != 0)
			return r;
	}
}

int
wk_xml_open(struct wk_buf *b, const char *tag)
{
	return wk_buf_appendf(b, "<%s>", tag);
}

int
wk_xml_close(struct wk_buf *b, const char *tag)
{
	return wk_buf_appendf(b, "</%s>", tag);
}

int
wk_xml_text(struct wk_buf *b, const char *tag, const char *text)
{
	int r;

	if ((r = wk_xml_open(b, tag)) != 0 ||
	    (r = wk_xml_escape(b, text != NULL ? text : "")) != 0)
		return r;
	return wk_xml_close(b, tag);
}

int
wk_xml_time(struct wk_buf *b, const char *tag, time_t t)
{
	char when[21];

	wk_time_iso8601(t, when);
	return wk_xml_text(b, tag, when);
}

int
wk_xml_int(struct wk_buf *b, const char *tag, long long v)
{
	return wk_buf_appendf(b, "<%s>%lld</%s>", tag, v, tag);
}

int
wk_xml_bool(struct wk_buf *b, const char *tag, bool v)
{
	return wk_buf_appendf(b, "<%s>%s</%s>", tag, v ? "true" : "false",
	    tag);
}
