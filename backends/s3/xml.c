/*
 * The XML bodies of S3 responses, parsed with expat.
 *
 * One small driver (xml_run) feeds a document to expat and calls a start
 * and an end function per element with its local name (any namespace
 * prefix removed), its depth and, at the end, the text it held. Unknown
 * elements are ignored. A document type declaration is refused (S3 never
 * sends one, and refusing it rules out entity expansion), so the memory
 * used is bounded by the size of the document.
 *
 * Listings asked with encoding-type=url carry Key and Prefix values
 * %-encoded, with '+' standing for a space (AWS encodes a space as '+'
 * and a '+' as %2B; moto and Ceph RGW encode a space as %20). botocore
 * decodes them with unquote_plus; so do we, whatever the order in which
 * EncodingType and the keys appear. NextContinuationToken is opaque and
 * never decoded.
 */
#include "backends/s3/s3_priv.h"

#include "util/buf.h"
#include "util/timestamp.h"
#include "util/hex.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

/* Depths whose element names are remembered (root is depth 1). */
#define XML_NAMES    4
#define XML_NAME_MAX 64

struct xml_ctx;

typedef void (*xml_start_fn)(struct xml_ctx *x, const char *name);
typedef void (*xml_end_fn)(struct xml_ctx *x, const char *name,
			   const char *text, size_t len);

struct xml_ctx {
	XML_Parser parser;
	int depth; /**< of the element being read */
	char names[XML_NAMES + 1][XML_NAME_MAX]; /**< names by depth */
	struct rfs_buf text;			 /**< text since the last tag */
	int err;				 /**< first error, negative */
	xml_start_fn start;
	xml_end_fn end;
	void *user;
};

static void xml_fail(struct xml_ctx *x, int err)
{
	if (!x->err)
		x->err = err;
	XML_StopParser(x->parser, XML_FALSE);
}

static const char *local_name(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

/* The name of the element at @p depth, "" when unknown. */
static const char *xml_name_at(const struct xml_ctx *x, int depth)
{
	if (depth < 1 || depth > XML_NAMES)
		return "";
	return x->names[depth];
}

static void XMLCALL on_start(void *data, const char *name, const char **attr)
{
	struct xml_ctx *x = data;
	const char *l = local_name(name);

	(void)attr;
	x->depth++;
	if (x->depth <= XML_NAMES) {
		size_t n = strlen(l);

		if (n >= XML_NAME_MAX)
			n = XML_NAME_MAX - 1; /* never one we look for */
		memcpy(x->names[x->depth], l, n);
		x->names[x->depth][n] = '\0';
	}
	rfs_buf_reset(&x->text);
	/* expat may still call a handler or two after XML_StopParser() */
	if (x->start && !x->err)
		x->start(x, l);
}

static void XMLCALL on_end(void *data, const char *name)
{
	struct xml_ctx *x = data;

	if (x->end && !x->err)
		x->end(x, local_name(name), rfs_buf_str(&x->text), x->text.len);
	rfs_buf_reset(&x->text);
	x->depth--;
}

static void XMLCALL on_text(void *data, const char *s, int len)
{
	struct xml_ctx *x = data;
	int r = x->err ? 0 : rfs_buf_add(&x->text, s, (size_t)len);

	if (r < 0)
		xml_fail(x, r == -E2BIG ? -EBADMSG : -ENOMEM);
}

static void XMLCALL on_doctype(void *data, const char *name, const char *sysid,
			       const char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	xml_fail(data, -EBADMSG);
}

/* Parse @p xml with the callbacks of @p x. @return 0, -EBADMSG, -ENOMEM */
static int xml_run(struct xml_ctx *x, const char *xml, size_t len)
{
	const size_t chunk = (size_t)1 << 20;
	size_t off = 0;
	int r = 0;

	x->parser = XML_ParserCreate(NULL);
	if (!x->parser)
		return -ENOMEM;
	rfs_buf_init(&x->text, len + 1);
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, on_start, on_end);
	XML_SetCharacterDataHandler(x->parser, on_text);
	XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
	do {
		size_t n = len - off < chunk ? len - off : chunk;
		bool last = off + n == len;

		if (XML_Parse(x->parser, xml + off, (int)n, last) !=
		    XML_STATUS_OK) {
			enum XML_Error e = XML_GetErrorCode(x->parser);

			r = x->err		       ? x->err
			    : e == XML_ERROR_NO_MEMORY ? -ENOMEM
						       : -EBADMSG;
			break;
		}
		off += n;
	} while (off < len);
	if (!r && x->err)
		r = x->err;
	if (!r && len == 0)
		r = -EBADMSG;
	XML_ParserFree(x->parser);
	x->parser = NULL;
	rfs_buf_release(&x->text);
	return r;
}

/* ------------------------------------------------------------ decoding */

/* Decode S3's url encoding in place: %XX is a byte, '+' a space. */
static int url_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%') {
			int hi = rfs_hex_digit(s[1]),
			    lo = hi < 0 ? -1 : rfs_hex_digit(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return -EBADMSG;
			*w++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}

static int parse_digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -EBADMSG;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

/*
 * "2009-10-12T17:50:30.000Z" (fraction and zone optional; the zone may
 * be "Z" or "+HH:MM") to nanoseconds since the epoch, through the checked
 * conversion of util/timestamp.h.
 * @return 0, -EBADMSG (not such a time), -ERANGE (a real date outside
 *         the range recyclefs holds, such as year 9999)
 */
static int parse_time(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, se, zh = 0, zm = 0, sign = 0, r;
	int64_t frac = 0, scale = 100000000;

	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	if (parse_digits(&s, 4, &y) || *s++ != '-' ||
	    parse_digits(&s, 2, &mo) || *s++ != '-' ||
	    parse_digits(&s, 2, &d) || (*s != 'T' && *s != 't') ||
	    (s++, parse_digits(&s, 2, &h)) || *s++ != ':' ||
	    parse_digits(&s, 2, &mi) || *s++ != ':' || parse_digits(&s, 2, &se))
		return -EBADMSG;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (parse_digits(&s, 2, &zh) || *s++ != ':' ||
		    parse_digits(&s, 2, &zm) || zh > 23 || zm > 59)
			return -EBADMSG;
	}
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	if (*s)
		return -EBADMSG;
	r = rfs_time_from_civil(y, mo, d, h, mi, se, frac,
				sign * (zh * 3600 + zm * 60), ns);
	return r == -EINVAL ? -EBADMSG : r;
}

/* Copy an ETag without blanks, quotes or "&quot;" around it. */
static int copy_etag(char *out, size_t size, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r'))
		n--;
	if (n >= 6 && !strncmp(s, "&quot;", 6)) {
		s += 6;
		n -= 6;
	} else if (n && *s == '"') {
		s++;
		n--;
	}
	if (n >= 6 && !strncmp(s + n - 6, "&quot;", 6))
		n -= 6;
	else if (n && s[n - 1] == '"')
		n--;
	if (n >= size)
		return -EBADMSG;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* ------------------------------------------------------------- listing */

struct listing_ctx {
	struct rfs_s3_listing l;
	size_t alloc_objects;
	size_t alloc_prefixes;
	bool url;
	bool has_key; /* the current Contents has a Key */
};

static void listing_start(struct xml_ctx *x, const char *name)
{
	struct listing_ctx *c = x->user;

	if (x->depth == 1 && strcmp(name, "ListBucketResult")) {
		xml_fail(x, -EBADMSG);
		return;
	}
	if (x->depth != 2 || strcmp(name, "Contents"))
		return;
	if (c->l.n_objects == c->alloc_objects) {
		size_t n = c->alloc_objects ? 2 * c->alloc_objects : 64;
		struct rfs_s3_object *o;

		o = reallocarray(c->l.objects, n, sizeof(*o));
		if (!o) {
			xml_fail(x, -ENOMEM);
			return;
		}
		c->l.objects = o;
		c->alloc_objects = n;
	}
	memset(&c->l.objects[c->l.n_objects++], 0, sizeof(*c->l.objects));
	c->has_key = false;
}

static int add_prefix(struct listing_ctx *c, const char *text)
{
	if (c->l.n_prefixes == c->alloc_prefixes) {
		size_t n = c->alloc_prefixes ? 2 * c->alloc_prefixes : 16;
		char **p = reallocarray(c->l.prefixes, n, sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->l.prefixes = p;
		c->alloc_prefixes = n;
	}
	c->l.prefixes[c->l.n_prefixes] = strdup(text);
	if (!c->l.prefixes[c->l.n_prefixes])
		return -ENOMEM;
	c->l.n_prefixes++;
	return 0;
}

static int object_field(struct rfs_s3_object *o, const char *name,
			const char *text, size_t len, bool *has_key)
{
	char *end;

	if (!strcmp(name, "Key")) {
		if (*has_key)
			return -EBADMSG;
		o->key = strdup(text);
		*has_key = true;
		return o->key ? 0 : -ENOMEM;
	}
	if (!strcmp(name, "Size")) {
		errno = 0;
		o->size = strtoll(text, &end, 10);
		if (errno || end == text || *end || o->size < 0)
			return -EBADMSG;
		return 0;
	}
	if (!strcmp(name, "LastModified")) {
		int r = parse_time(text, &o->mtime_ns);

		/* an impossible time is an error for this object alone */
		o->time_out_of_range = r == -ERANGE;
		return r == -ERANGE ? 0 : r;
	}
	if (!strcmp(name, "ETag"))
		return copy_etag(o->etag, sizeof(o->etag), text, len);
	return 0;
}

static void listing_end(struct xml_ctx *x, const char *name, const char *text,
			size_t len)
{
	struct listing_ctx *c = x->user;
	const char *parent = xml_name_at(x, x->depth - 1);
	int r = 0;

	if (x->depth == 2) {
		if (!strcmp(name, "IsTruncated"))
			c->l.truncated = !strcmp(text, "true");
		else if (!strcmp(name, "EncodingType"))
			c->url = !strcmp(text, "url");
		else if (!strcmp(name, "NextContinuationToken") &&
			 !c->l.next_token && *text)
			r = (c->l.next_token = strdup(text)) ? 0 : -ENOMEM;
		else if (!strcmp(name, "Contents") && !c->has_key)
			r = -EBADMSG;
	} else if (x->depth == 3 && !strcmp(parent, "Contents")) {
		r = object_field(&c->l.objects[c->l.n_objects - 1], name, text,
				 len, &c->has_key);
	} else if (x->depth == 3 && !strcmp(parent, "CommonPrefixes") &&
		   !strcmp(name, "Prefix")) {
		r = add_prefix(c, text);
	}
	if (r < 0)
		xml_fail(x, r);
}

static int listing_decode(struct rfs_s3_listing *l)
{
	size_t i;

	for (i = 0; i < l->n_objects; i++)
		if (url_decode(l->objects[i].key) < 0)
			return -EBADMSG;
	for (i = 0; i < l->n_prefixes; i++)
		if (url_decode(l->prefixes[i]) < 0)
			return -EBADMSG;
	return 0;
}

void rfs_s3_listing_release(struct rfs_s3_listing *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n_objects; i++)
		free(l->objects[i].key);
	free(l->objects);
	for (i = 0; i < l->n_prefixes; i++)
		free(l->prefixes[i]);
	free(l->prefixes);
	free(l->next_token);
	memset(l, 0, sizeof(*l));
}

int rfs_s3_parse_listing(const char *xml, size_t len,
			 struct rfs_s3_listing *out)
{
	struct listing_ctx c = { 0 };
	struct xml_ctx x = { .start = listing_start,
			     .end = listing_end,
			     .user = &c };
	int r = xml_run(&x, xml, len);

	if (!r && c.url)
		r = listing_decode(&c.l);
	if (r < 0) {
		rfs_s3_listing_release(&c.l);
		return r;
	}
	*out = c.l;
	return 0;
}

/* --------------------------------------------------------------- error */

struct error_ctx {
	char *code, *message;
	size_t code_size, message_size;
};

/* Copy at most size - 1 bytes, not cutting a UTF-8 sequence. */
static void copy_text(char *out, size_t size, const char *s, size_t n)
{
	if (!size)
		return;
	if (n >= size) {
		n = size - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

static void error_start(struct xml_ctx *x, const char *name)
{
	if (x->depth == 1 && strcmp(name, "Error"))
		xml_fail(x, -EBADMSG);
}

static void error_end(struct xml_ctx *x, const char *name, const char *text,
		      size_t len)
{
	struct error_ctx *c = x->user;

	if (x->depth != 2)
		return;
	if (!strcmp(name, "Code"))
		copy_text(c->code, c->code_size, text, len);
	else if (!strcmp(name, "Message"))
		copy_text(c->message, c->message_size, text, len);
}

int rfs_s3_parse_error(const char *xml, size_t len, char *code,
		       size_t code_size, char *message, size_t message_size)
{
	struct error_ctx c = { code, message, code_size, message_size };
	struct xml_ctx x = { .start = error_start,
			     .end = error_end,
			     .user = &c };

	if (code_size)
		code[0] = '\0';
	if (message_size)
		message[0] = '\0';
	return xml_run(&x, xml, len);
}

/* --------------------------------------------------------------- value */

struct value_ctx {
	const char *name;
	char *value;
};

static void value_end(struct xml_ctx *x, const char *name, const char *text,
		      size_t len)
{
	struct value_ctx *c = x->user;

	if (c->value || strcmp(name, c->name))
		return;
	c->value = strndup(text, len);
	if (!c->value)
		xml_fail(x, -ENOMEM);
}

int rfs_s3_parse_value(const char *xml, size_t len, const char *name,
		       char **value)
{
	struct value_ctx c = { name, NULL };
	struct xml_ctx x = { .end = value_end, .user = &c };
	int r = xml_run(&x, xml, len);

	if (!r && !c.value)
		r = -ENOENT;
	if (r < 0) {
		free(c.value);
		return r;
	}
	*value = c.value;
	return 0;
}

/* --------------------------------------------------------- copy result */

int rfs_s3_parse_copy_result(const char *xml, size_t len, char *etag,
			     size_t etag_size, int64_t *mtime_ns)
{
	char *v = NULL;
	int r = rfs_s3_parse_value(xml, len, "ETag", &v);

	if (!r)
		r = copy_etag(etag, etag_size, v, strlen(v));
	free(v);
	v = NULL;
	if (!r)
		r = rfs_s3_parse_value(xml, len, "LastModified", &v);
	if (!r)
		r = parse_time(v, mtime_ns);
	free(v);
	return r;
}

int rfs_s3_parse_copy_checksum(const char *xml, size_t len, char hex[65])
{
	unsigned char d[48];
	char *v = NULL;
	int r = rfs_s3_parse_value(xml, len, "ChecksumSHA256", &v);

	hex[0] = '\0';
	if (!r && (strlen(v) != 44 ||
		   EVP_DecodeBlock(d, (const unsigned char *)v, 44) != 33 ||
		   v[43] != '=' || v[42] == '='))
		r = -EINVAL;
	for (int i = 0; !r && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	free(v);
	return r;
}
