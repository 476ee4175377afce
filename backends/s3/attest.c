/*
 * Copies the server proves: a server-side copy that reads its source once
 * on the way (SHA-256 and MD5 of the same bytes, every read conditional
 * on the version copied), checks the copy's ETag against that MD5, and
 * records both digests on the copy (x-amz-meta-sha256, x-amz-meta-md5);
 * and the later proof, from one HEAD, that the object under a key still
 * holds those bytes: the server computes a single-part ETag from the
 * stored bytes, so an ETag equal to the recorded MD5, next to a recorded
 * SHA-256 equal to the manifest's, says the copy is the bytes hashed.
 *
 * What cannot be proven this way (a multipart ETag, an object without the
 * recorded digests, a storage set to verify=full) is left to the caller,
 * which reads the copy and hashes it.
 */
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/log.h"
#include "util/path.h"
#include "util/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/** Bytes of the source fetched by one GET while it is hashed. */
#define HASH_CHUNK ((size_t)8 << 20)

/* The MD5 of what @p ctx was fed, as 32 lower-case hex digits. */
static int md5_hex(EVP_MD_CTX *ctx, char out[33])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(ctx, d, &n) || n != 16)
		return -EIO;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* The MD5 of each part of a multipart copy, as the bytes go by: the
 * server's ETag of the copy is the MD5 of these digests, "-", and their
 * number. */
struct parts {
	size_t psize; /* 0: a single CopyObject, nothing to do */
	int64_t in_part;
	EVP_MD_CTX *ctx;
	unsigned char *d; /* 16 bytes a part */
	size_t n, alloc;
};

static int parts_end(struct parts *p)
{
	unsigned int len = 0;

	if (p->n == p->alloc) {
		size_t na = p->alloc ? 2 * p->alloc : 64;
		unsigned char *d = realloc(p->d, na * 16);

		if (!d)
			return -ENOMEM;
		p->d = d;
		p->alloc = na;
	}
	if (!EVP_DigestFinal_ex(p->ctx, p->d + 16 * p->n, &len) || len != 16 ||
	    !EVP_DigestInit_ex(p->ctx, EVP_md5(), NULL))
		return -EIO;
	p->n++;
	p->in_part = 0;
	return 0;
}

static int parts_feed(struct parts *p, const char *buf, size_t len)
{
	while (p->psize && len) {
		size_t take = p->psize - (size_t)p->in_part;

		take = take < len ? take : len;
		if (!EVP_DigestUpdate(p->ctx, buf, take))
			return -EIO;
		p->in_part += (int64_t)take;
		buf += take;
		len -= take;
		if ((size_t)p->in_part == p->psize && parts_end(p) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The multipart ETag the parts fed give, into @p out. */
static int parts_etag(struct parts *p, char out[72])
{
	EVP_MD_CTX *all = EVP_MD_CTX_new();
	int e = all ? 0 : -ENOMEM;

	if (!e && p->in_part)
		e = parts_end(p);
	if (!e && (!EVP_DigestInit_ex(all, EVP_md5(), NULL) ||
		   !EVP_DigestUpdate(all, p->d, 16 * p->n)))
		e = -EIO;
	if (!e)
		e = md5_hex(all, out);
	if (!e)
		snprintf(out + 32, 72 - 32, "-%zu", p->n);
	EVP_MD_CTX_free(all);
	return e;
}

/* GET the object @p full of @p m (its size and ETag) by ranges, each
 * If-Match its ETag, into SHA-256 and MD5 (and the MD5 of each part of
 * @p parts). @p got, when not NULL, receives the attributes the first
 * answer carries (x-amz-meta-*, Last-Modified) with @p m's size: a
 * version known from a listing alone is not a regular file (-EXDEV) when
 * they say so. */
static int hash_source(struct rfs_s3_backend *sb, const char *full,
		       const struct rfs_s3_meta *m, char sha[RFS_SHA256_HEX],
		       char md5[33], struct parts *parts,
		       struct rfs_s3_meta *got)
{
	size_t bufsize =
		m->size < (int64_t)HASH_CHUNK ? (size_t)m->size : HASH_CHUNK;
	char range[80], match[96];
	const char *lines[2] = { range, match };
	struct rfs_sha256 h = { 0 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *buf = malloc(bufsize ? bufsize : 1);
	int64_t off;
	int e = ctx && buf ? rfs_sha256_init(&h) : -ENOMEM;

	if (!e && !EVP_DigestInit_ex(ctx, EVP_md5(), NULL))
		e = -EIO;
	snprintf(match, sizeof(match), "If-Match: \"%s\"", m->etag);
	for (off = 0; !e && off < m->size; off += (int64_t)bufsize) {
		struct rfs_s3_request r;
		size_t len = m->size - off < (int64_t)bufsize
				     ? (size_t)(m->size - off)
				     : bufsize;

		snprintf(range, sizeof(range), "Range: bytes=%lld-%lld",
			 (long long)off, (long long)(off + (int64_t)len - 1));
		rfs_s3_req_init(&r, "GET", full);
		r.headers = lines;
		r.n_headers = 2;
		r.out_mem = buf;
		r.out_mem_size = len;
		e = rfs_s3_do(sb, &r);
		if (e == -EEXIST || e == -ENOENT) /* 412: replaced; 404 */
			e = rfs_s3_fail(ESTALE,
					"storage '%s': '%s' changed or went "
					"away while it was read",
					sb->name, full);
		if (!e && r.out_mem_len != len)
			e = rfs_s3_fail(EIO, "storage '%s': short read of '%s'",
					sb->name, full);
		if (!e && got && off == 0) {
			e = rfs_s3_meta_from(sb, &r, false, got);
			got->size = m->size;
			snprintf(got->etag, sizeof(got->etag), "%s", m->etag);
			if (!e && !S_ISREG(got->mode))
				e = -EXDEV; /* a symlink: the caller stats */
		}
		if (!e)
			e = rfs_sha256_update(&h, buf, len);
		if (!e && !EVP_DigestUpdate(ctx, buf, len))
			e = -EIO;
		if (!e)
			e = parts_feed(parts, buf, len);
	}
	if (!e)
		e = rfs_sha256_final(&h, sha);
	if (!e)
		e = md5_hex(ctx, md5);
	rfs_sha256_release(&h);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return e;
}

/* The source's attributes and ETag: a recent HEAD's, else (when
 * @p listed is not NULL) the version a late listing showed, whose other
 * attributes the first GET gives (*listed set), else a fresh HEAD. An
 * empty object is read by no GET: its attributes come from a HEAD. */
static int source_meta(struct rfs_s3_backend *sb, const char *full,
		       struct rfs_s3_meta *m, bool *listed)
{
	if (rfs_s3_cache_head_get(sb->cache, full, m) && S_ISREG(m->mode) &&
	    *m->etag)
		return 0;
	if (listed && rfs_s3_cache_listed_get(sb->cache, full, m) &&
	    m->size > 0 && *m->etag) {
		*listed = true;
		return 0;
	}
	return rfs_s3_head(sb, full, m);
}

/** The header that asks CopyObject for the SHA-256 of the copy. */
#define CHECKSUM_ASK "x-amz-checksum-algorithm: SHA256"

/* The SHA-256 the server stated for the copy @p made, or "" (none; or,
 * under the test hooks, RECYCLEFS_TEST_S3_NO_CHECKSUM set: as if the
 * server stated none). */
static const char *server_sha(const struct rfs_s3_meta *made)
{
#ifdef RFS_TEST_HOOKS
	if (getenv("RECYCLEFS_TEST_S3_NO_CHECKSUM"))
		return "";
#endif
	return made->server_sha256;
}

/* After a copy that asked for the server's SHA-256 (@p made) of bytes
 * whose SHA-256 @p sha was read here: a storage that states none, or
 * states it wrong, is never asked again; a wrong one fails the copy. */
static int checksum_learn(struct rfs_s3_backend *db, const char *dfull,
			  const struct rfs_s3_meta *made, const char *sha)
{
	const char *said = server_sha(made);
	int ok = *said && !strcasecmp(said, sha) ? 1 : -1;

	__atomic_store_n(&db->checksum_ok, ok, __ATOMIC_RELAXED);
	rfs_log(LOG_DEBUG, "storage '%s': %s additional checksums (SHA-256)",
		db->name, ok > 0 ? "states" : "does not state");
	if (*said && ok < 0)
		return rfs_s3_fail(EBADMSG,
				   "storage '%s': the server states SHA-256 "
				   "%s for the copy '%s', not the %s of the "
				   "bytes read from its source",
				   db->name, said, dfull, sha);
	return 0;
}

/* Whether @p db states SHA-256s (1), does not (-1), or is to be asked by
 * the caller's copy (0): the first caller asks (the state is 2 while it
 * does), the others wait for its answer. */
static int checksum_known(struct rfs_s3_backend *db)
{
	int k = 0;

	if (__atomic_compare_exchange_n(&db->checksum_ok, &k, 2, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	while (k == 2) {
		usleep(5000);
		k = __atomic_load_n(&db->checksum_ok, __ATOMIC_RELAXED);
		if (k == 0 && __atomic_compare_exchange_n(
				      &db->checksum_ok, &k, 2, false,
				      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return 0;
	}
	return k;
}

/* Copy the version @p m of @p sfull server-side, its SHA-256 the one the
 * server states for the copy's bytes: no byte of the source is read
 * here. With @p listed, @p m is a listing's version: a HEAD (which must
 * show that ETag) gives its x-amz-meta-*. The copy is conditional on the
 * ETag (x-amz-copy-source-if-match). -ENOTSUP: the server stated no
 * SHA-256 (the copy is made; the caller copies again, reading). */
static int server_copy(struct rfs_s3_backend *sb, const char *sfull,
		       struct rfs_s3_backend *db, const char *dfull,
		       struct rfs_s3_meta *m, bool listed,
		       char sha[RFS_SHA256_HEX], struct rfs_s3_meta *made)
{
	const char *extra[1] = { CHECKSUM_ASK };
	struct rfs_s3_meta rep, h;
	int e = 0;

	if (listed) {
		e = rfs_s3_head(sb, sfull, &h);
		if (e == -ENOENT || (!e && strcmp(h.etag, m->etag)))
			return rfs_s3_fail(ESTALE,
					   "storage '%s': '%s' changed or went "
					   "away since it was listed",
					   sb->name, sfull);
		if (e < 0)
			return e;
		if (!S_ISREG(h.mode))
			return -EXDEV; /* a symlink: the caller stats */
		*m = h;
		rfs_s3_cache_head_put(sb->cache, sfull, m);
	}
	rep = *m;
	rep.has_mtime = true; /* REPLACE sends the times stat showed */
	e = rfs_s3_copy_object_with(sb, sfull, db, dfull, m, &rep, extra, 1,
				    made);
	if (e < 0)
		return e;
	if (!*server_sha(made)) {
		__atomic_store_n(&db->checksum_ok, -1, __ATOMIC_RELAXED);
		return -ENOTSUP;
	}
	memcpy(sha, made->server_sha256, RFS_SHA256_HEX);
	memcpy(made->sha256, sha, sizeof(made->sha256));
	made->md5[0] = '\0';
	/* kept with the copy's ETag (rfs_s3_cache_made()): a listing that
	 * shows that ETag attests the copy without a HEAD (seen.c) */
	made->sha256_server = true;
	{
		struct rfs_s3_meta pin = *m;

		memcpy(pin.sha256, sha, sizeof(pin.sha256));
		pin.md5[0] = '\0';
		pin.sha256_server = true;
		rfs_s3_attrs_put(sb->attrs, sfull, &pin);
		rfs_s3_attrs_pin(sb->attrs, sfull, &pin);
	}
	return 0;
}

/* Read, then copy the version read; @p made is the copy's answer. With
 * @p listed, @p m is a listing's version: the first GET completes it. */
static int hash_and_copy(struct rfs_s3_backend *sb, const char *sfull,
			 struct rfs_s3_backend *db, const char *dfull,
			 struct rfs_s3_meta *m, bool listed, bool ask,
			 char sha[RFS_SHA256_HEX], struct rfs_s3_meta *made)
{
	struct rfs_s3_meta got;
	char md5[33], sha_line[100], md5_line[64], want[72] = "";
	const char *extra[3] = { sha_line, md5_line, NULL };
	struct rfs_s3_meta rep = *m;
	size_t n_extra = 2;
	/* above copy_max, a multipart copy in parts of this size */
	struct parts parts = { 0 };
	int e = 0;

	if (m->size > rfs_s3_copy_max(db)) {
		parts.psize = rfs_s3_part_size_for(db, m->size);
		parts.ctx = EVP_MD_CTX_new();
		if (!parts.ctx ||
		    !EVP_DigestInit_ex(parts.ctx, EVP_md5(), NULL))
			e = -ENOMEM;
	}
	if (!e)
		e = hash_source(sb, sfull, m, sha, md5, &parts,
				listed ? &got : NULL);
	if (!e && parts.psize)
		e = parts_etag(&parts, want);
	EVP_MD_CTX_free(parts.ctx);
	free(parts.d);
	if (e < 0)
		return e;
	if (listed) {
		/* what a HEAD would have said of the version read */
		*m = got;
		rfs_s3_cache_head_put(sb->cache, sfull, m);
		rep = *m;
	}
	/* A single-part ETag that is not the MD5 of the bytes the server
	 * sent for it: this storage's ETags are not MD5s (SSE-KMS, SSE-C),
	 * so nothing will be attested; the caller reads the copy back. */
	if (!strchr(m->etag, '-') && strcasecmp(m->etag, md5))
		n_extra = 1;
	snprintf(sha_line, sizeof(sha_line), "x-amz-meta-sha256: %s", sha);
	snprintf(md5_line, sizeof(md5_line), "x-amz-meta-md5: %s", md5);
	/* REPLACE sends the times stat showed, from x-amz-meta-mtime or
	 * else Last-Modified, so the copy shows the same ones */
	rep.has_mtime = true;
	/* the storage's first copy also asks for the server's SHA-256: the
	 * answer, checked against the bytes read, says whether later copies
	 * can take it instead of reading (server_copy()) */
	ask = ask && !parts.psize;
	if (ask)
		extra[n_extra] = CHECKSUM_ASK;
	e = rfs_s3_copy_object_with(sb, sfull, db, dfull, m, &rep, extra,
				    n_extra + ask, made);
	if (e == 0 && ask)
		e = checksum_learn(db, dfull, made, sha);
	if (e == 0) {
		/* the version read, and its copy, are known by their bytes
		 * now (the delete and verify steps look them up, fresh.c) */
		struct rfs_s3_meta pin = *m;

		memcpy(pin.sha256, sha, sizeof(pin.sha256));
		memcpy(pin.md5, md5, sizeof(pin.md5));
		pin.sha256_server = false; /* read here */
		rfs_s3_attrs_put(sb->attrs, sfull, &pin);
		rfs_s3_attrs_pin(sb->attrs, sfull, &pin);
		memcpy(made->sha256, sha, sizeof(made->sha256));
		memcpy(made->md5, md5, sizeof(made->md5));
		made->sha256_server = false;
	}
	if (e < 0 || n_extra < 2)
		return e;
	/* a multipart copy: the ETag of the parts' MD5s */
	if (*want && strcasecmp(made->etag, want))
		return rfs_s3_fail(EBADMSG,
				   "storage '%s': the server's copy '%s' has "
				   "ETag %s, not the %s of the parts read "
				   "from its source",
				   db->name, dfull, made->etag, want);
	if (*want || !*made->etag || strchr(made->etag, '-'))
		return e;
	if (strcasecmp(made->etag, md5))
		return rfs_s3_fail(EBADMSG,
				   "storage '%s': the server's copy '%s' has "
				   "ETag %s, not the MD5 %s of the bytes read "
				   "from its source",
				   db->name, dfull, made->etag, md5);
	return 0;
}

int rfs_s3_copy_hashed(struct rfs_backend *src, const char *src_key,
		       struct rfs_backend *dst, const char *dst_key,
		       char sha[65])
{
	return rfs_s3_copy_hashed_stat(src, src_key, dst, dst_key, sha, NULL);
}

int rfs_s3_copy_hashed_stat(struct rfs_backend *src, const char *src_key,
			    struct rfs_backend *dst, const char *dst_key,
			    char sha[65], struct stat *st)
{
	struct rfs_s3_backend *sb = rfs_s3_of(src), *db = rfs_s3_of(dst);
	struct rfs_buf sfull = RFS_BUF_INIT, dfull = RFS_BUF_INIT;
	struct rfs_s3_meta m, made;
	bool listed = false;
	int e, probing = 2;

	made.etag[0] = '\0';
	if (!rfs_path_is_clean(src_key) || !rfs_path_is_clean(dst_key) ||
	    !*src_key || !*dst_key)
		return -EINVAL;
	/* attrs=listing writes no x-amz-meta-*; other accounts stream */
	if (sb->conf->attrs_listing || db->conf->attrs_listing ||
	    !rfs_s3_client_same_account(sb->client, db->client))
		return -EXDEV;
	e = rfs_s3_full_key(sb, src_key, &sfull);
	if (!e)
		e = rfs_s3_full_key(db, dst_key, &dfull);
	if (!e)
		e = source_meta(sb, rfs_buf_str(&sfull), &m,
				st ? &listed : NULL);
	/* only a regular file of a known version */
	if (!e && (!S_ISREG(m.mode) || !*m.etag))
		e = -EXDEV;
	if (!e && !strcmp(sb->conf->bucket, db->conf->bucket) &&
	    !strcmp(rfs_buf_str(&sfull), rfs_buf_str(&dfull)))
		e = -EXDEV; /* the same object: the caller copies no bytes */
	if (!e) {
		/* single-part copies of a storage that states SHA-256s */
		bool single = m.size > 0 && m.size <= rfs_s3_copy_max(db) &&
			      !db->conf->checksum_read;
		int known = single ? checksum_known(db) : -1;

		e = -ENOTSUP;
		if (single && known > 0) {
			e = server_copy(sb, rfs_buf_str(&sfull), db,
					rfs_buf_str(&dfull), &m, listed, sha,
					&made);
			if (e == -ENOTSUP)
				listed = false; /* the HEAD completed m */
		}
		if (e == -ENOTSUP)
			e = hash_and_copy(sb, rfs_buf_str(&sfull), db,
					  rfs_buf_str(&dfull), &m, listed,
					  known == 0, sha, &made);
		if (known == 0) /* not learnt (the copy failed): next one */
			__atomic_compare_exchange_n(&db->checksum_ok, &probing,
						    0, false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
		/* the version a listing showed just before (the snapshot's)
		 * changed: that is the answer; a HEAD kept from earlier may
		 * just be out of date */
		if (e == -ESTALE && !listed) {
			/* a remembered version may be out of date: once
			 * more from a fresh HEAD */
			rfs_s3_invalidate(sb, src_key);
			e = rfs_s3_head(sb, rfs_buf_str(&sfull), &m);
			if (!e)
				e = hash_and_copy(sb, rfs_buf_str(&sfull), db,
						  rfs_buf_str(&dfull), &m,
						  false, false, sha, &made);
		}
		rfs_s3_cache_made(db, dst_key, rfs_buf_str(&dfull),
				  e ? NULL : &made);
	}
	if (!e && st)
		rfs_s3_meta_to_stat(sb, rfs_buf_str(&sfull), &m, st);
	rfs_buf_release(&sfull);
	rfs_buf_release(&dfull);
	return e;
}

/* x-amz-checksum-sha256 (base64 of 32 bytes) as hex. */
static int checksum_hex(const char *b64, char hex[RFS_SHA256_HEX])
{
	char xml[160];
	int n = snprintf(xml, sizeof(xml),
			 "<R><ChecksumSHA256>%s"
			 "</ChecksumSHA256></R>",
			 b64);

	if (n < 0 || (size_t)n >= sizeof(xml))
		return -EINVAL;
	return rfs_s3_parse_copy_checksum(xml, (size_t)n, hex);
}

int rfs_s3_attest(struct rfs_backend *b, const char *key, const char *sha)
{
	struct rfs_s3_backend *sb = rfs_s3_of(b);
	static const char *const mode[1] = { "x-amz-checksum-mode: ENABLED" };
	struct rfs_buf full = RFS_BUF_INIT;
	struct rfs_s3_request r;
	char got[RFS_SHA256_HEX];
	int e;

	if (sb->conf->verify_full)
		return -ENODATA;
	if (!rfs_path_is_clean(key) || !*key)
		return -EINVAL;
	e = rfs_s3_full_key(sb, key, &full);
	if (e < 0)
		return e;
	/* a listing just made (refresh) shows the ETag of the bytes whose
	 * digests we recorded when we made the copy */
	if (rfs_s3_fresh_attest(sb, rfs_buf_str(&full), sha)) {
		rfs_buf_release(&full);
		return 0;
	}
	/* the server's answer now, never a cache's; where the server keeps
	 * a SHA-256 of the stored bytes (server_copy()), that one */
	rfs_s3_req_init(&r, "HEAD", rfs_buf_str(&full));
	if (!sb->conf->checksum_read) {
		r.headers = mode;
		r.n_headers = 1;
	}
	e = rfs_s3_do(sb, &r);
	if (!e && *r.checksum_sha256 && !checksum_hex(r.checksum_sha256, got)) {
		if (strcasecmp(got, sha))
			e = rfs_s3_fail(EBADMSG,
					"storage '%s': the server states "
					"SHA-256 %s for the copy '%s', not the "
					"source's %s",
					sb->name, got, rfs_buf_str(&full), sha);
	} else if (!e && (!*r.meta_sha256 || !*r.meta_md5 || !*r.etag ||
			  strchr(r.etag, '-')))
		e = -ENODATA;
	else if (!e && strcasecmp(r.meta_sha256, sha))
		e = rfs_s3_fail(EBADMSG,
				"storage '%s': the copy '%s' records SHA-256 "
				"%s, not the source's %s",
				sb->name, rfs_buf_str(&full), r.meta_sha256,
				sha);
	else if (!e && strcasecmp(r.etag, r.meta_md5))
		e = rfs_s3_fail(EBADMSG,
				"storage '%s': the server states MD5 %s for "
				"the copy '%s', not the %s of the bytes read "
				"from its source",
				sb->name, r.etag, rfs_buf_str(&full),
				r.meta_md5);
	rfs_buf_release(&full);
	return e;
}
