/**
 * @file s3_priv.h
 * @brief What the files of the S3 adapter share (backends/s3/ only).
 *
 * The adapter is split by concern, as curl splits lib/vtls:
 *  - creds.c: where endpoint, region and keys come from (AWS conventions);
 *  - sign.c:  AWS Signature Version 4 over OpenSSL (HMAC, SHA-256);
 *  - xml.c:   the XML responses, parsed with expat;
 *  - http.c:  requests over libcurl: a pool of handles, retries with
 *             backoff and jitter, HTTP and S3 errors mapped to errno;
 *  - s3.c:    the ops table; req.c the request primitives; stat.c
 *             attributes through the listing and attribute caches;
 *  - io.c:    open files: ranged reads with read-ahead, writes staged in
 *             a temporary file and uploaded on close (multipart above the
 *             part size, parts in parallel).
 * The client's pool is in client.c (http_priv.h); the backend's files
 * (s3.c, req.c, stat.c, cache.c, list.c, dir.c, meta.c, io.c,
 * transfer.c, fresh.c, seen.c) share s3_ops.h. docs/internals/s3-backend.md
 * describes them.
 */
#ifndef RFS_BACKENDS_S3_PRIV_H
#define RFS_BACKENDS_S3_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct rfs_buf;
struct rfs_error;

/* ---------------------------------------------------------------- creds */

/** Where to reach a bucket and how to sign for it. Strings are owned. */
struct rfs_s3_conf {
	char *endpoint;	     /**< "https://s3.us-east-1.amazonaws.com" */
	char *region;	     /**< "us-east-1"; "auto" for GCS */
	char *bucket;	     /**< the bucket name */
	char *prefix;	     /**< "" or "a/b" (no slashes at the ends) */
	bool path_style;     /**< bucket in the path, not the host name */
	char *access_key;    /**< never logged */
	char *secret_key;    /**< never logged, never in messages */
	char *session_token; /**< or NULL */
	char *ca_bundle;     /**< AWS_CA_BUNDLE, or NULL */
	char *profile;	     /**< the profile used, for messages */
	int cache_ttl;	     /**< seconds */
	size_t part_size;    /**< bytes */
	/** Sequential reads fetch ahead by ranged GETs of this many bytes
	 * (read_part, MiB) */
	size_t read_part;
	/** and this many of them at once (read_parallel) */
	unsigned int read_parallel;
	/** HEADs of a listing in flight at once (head_parallel) */
	unsigned int head_parallel;
	/** The largest object copied into this storage with one
	 * CopyObject (copy_max, bytes); larger ones are copied in parts */
	size_t copy_max;
	bool verify_etag; /**< verify server-side copies by ETag */
	/** verify=full: copies are verified by reading them back, never
	 * by what the server attests */
	bool verify_full;
	/** attrs=listing: attributes are the listing's (size, Last-Modified
	 * in whole seconds, mode 0644/0755, the process's owner), never
	 * x-amz-meta-*, so a listing needs no HEAD per object */
	bool attrs_listing;
	/** checksum=read: the SHA-256 of an archived object is always
	 * computed from its bytes read here, never taken from the server's
	 * additional checksum (checksum=auto, the default) */
	bool checksum_read;
};

/**
 * Build the configuration of an "s3" or "gs" URI. Each setting comes
 * from the first place that has it: the URI's options; the environment;
 * the profile's files; the defaults.
 *  - Keys: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *    (skipped when the URI names a profile, as botocore skips them for an
 *    explicit profile); then the profile (URI `profile=`, else
 *    AWS_PROFILE, else "default") in AWS_SHARED_CREDENTIALS_FILE
 *    (~/.aws/credentials), then in AWS_CONFIG_FILE (~/.aws/config,
 *    "[default]" and "[profile NAME]" sections).
 *  - Region: AWS_REGION, AWS_DEFAULT_REGION, the config's region,
 *    "us-east-1".
 *  - Endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the config's
 *    "s3 =" block's endpoint_url, its endpoint_url,
 *    https://s3.REGION.amazonaws.com. It must be http(s)://host[:port].
 *  - CA bundle: AWS_CA_BUNDLE, the config's ca_bundle.
 *  - "gs" takes region and endpoint only from the URI, else "auto" and
 *    https://storage.googleapis.com (AWS settings name AWS); its HMAC
 *    keys come from the places above.
 *  - Path style: `path_style=` of the URI, else on when the endpoint's
 *    host is an IP address or localhost or the bucket name has a dot.
 * Bucket names are 3 to 63 of [a-z0-9.-] ('_' too for gs), starting and
 * ending with a letter or digit. Unknown or repeated URI options are
 * refused. Messages name the storage (without its query) and the places
 * looked at, never a key. Thread-safe (reads the environment).
 * @param scheme "s3" or "gs"
 * @param bucket the URI's authority
 * @param path   the URI's decoded path: the prefix (slashes at its ends
 *               are dropped); may be NULL
 * @param query  the URI's raw query (options), or NULL
 * @param uri    the URI, for messages
 * @param out    filled on success; release with rfs_s3_conf_release()
 * @param err    the reason of a failure, never with a secret
 * @return 0, -EINVAL (bad option, bucket or endpoint), -EACCES (no or
 *         incomplete credentials, unreadable file), -ENOMEM
 */
int rfs_s3_conf_load(const char *scheme, const char *bucket, const char *path,
		     const char *query, const char *uri,
		     struct rfs_s3_conf *out, struct rfs_error *err);

/**
 * Check what an "s3" or "gs" URI says by itself, as rfs_s3_conf_load()
 * would, without reading the environment or the AWS files: the options
 * (known, given once, valid values: region, endpoint, path_style,
 * profile, cache_ttl, part_size, verify, attrs, read_part,
 * read_parallel, head_parallel, copy_max) and the bucket name.
 * For `storage add`, which may run where the keys are not. Thread-safe.
 * @param scheme "s3" or "gs"
 * @param bucket the URI's authority
 * @param query  the URI's raw query, or NULL
 * @param uri    the URI, for messages
 * @param err    the reason, naming the storage and the option
 * @return 0, -EINVAL, -ENOMEM
 */
int rfs_s3_conf_check(const char *scheme, const char *bucket, const char *query,
		      const char *uri, struct rfs_error *err);

/** Free what @p c owns, wiping the keys and token; @p c may be NULL. */
void rfs_s3_conf_release(struct rfs_s3_conf *c);

/* ------------------------------------------------------------------ ini */

/** One "key = value" of a section; keys of a nested block read "s3.key". */
struct rfs_s3_ini_entry {
	char *section; /**< "default", "profile prod", ... */
	char *key;     /**< the key, lower case */
	char *value;   /**< may be a secret: wiped when freed */
};

/** An AWS credentials or config file. Zero-initialise before loading. */
struct rfs_s3_ini {
	struct rfs_s3_ini_entry *e; /**< the entries, in file order */
	/** Entries in use. */
	size_t n;
	size_t alloc; /**< entries allocated */
};

/**
 * Read an AWS credentials or config file (ini.c). An absent file reads
 * as empty. Thread-safe.
 * @param f     filled; release with rfs_s3_ini_release() in any case
 * @param path  the file
 * @param shown the storage, for messages
 * @param err   the reason when the file cannot be read
 * @return 0, -EACCES (unreadable, with the reason in @p err), -ENOMEM
 */
int rfs_s3_ini_load(struct rfs_s3_ini *f, const char *path, const char *shown,
		    struct rfs_error *err);

/**
 * The value of @p key in @p section (the last one given wins).
 * @return a borrowed string, or NULL when absent or empty
 */
const char *rfs_s3_ini_get(const struct rfs_s3_ini *f, const char *section,
			   const char *key);

/** Free what @p f holds, wiping the values. */
void rfs_s3_ini_release(struct rfs_s3_ini *f);

/* ----------------------------------------------------------------- sign */

/** A request to sign. */
struct rfs_s3_sigreq {
	const char *method; /**< "GET", "PUT", ... */
	const char *host;   /**< the Host header value (with :port if any) */
	const char *path;   /**< the absolute, already URI-encoded path */
	const char *query;  /**< raw query "a=1&b=x%2Fy" (encoded), or "" */
	/** Extra headers to sign, "name:value" lower-case names, or NULL */
	const char *const *headers;
	size_t n_headers;	    /**< entries in @p headers */
	const char *payload_sha256; /**< hex, or "UNSIGNED-PAYLOAD" */
	time_t when;		    /**< the request time (UTC) */
};

/**
 * Sign with AWS Signature Version 4 (service "s3").
 *
 * Signed are: host, x-amz-content-sha256 (@p r->payload_sha256, or the
 * hash of an empty body when NULL), x-amz-date and the caller's headers
 * (a caller's header named like one of the first three is ignored; the
 * caller sends x-amz-content-sha256 and x-amz-date with these values).
 * The path is signed exactly as given. The query is canonicalised: each
 * name and value is %-decoded (a literal '+' is a space, as servers read
 * it: encode a '+' as %2B), re-encoded as rfs_s3_uri_encode() does ('/'
 * encoded) and sorted by name, then value; so a query built with
 * rfs_s3_uri_encode() is signed as sent.
 * Thread-safe; the secret is not kept.
 * @param r          the request
 * @param access_key the key id
 * @param secret_key the secret (never logged)
 * @param region     the signing region
 * @param auth    the Authorization header's value is appended to it
 * @param amzdate receives the x-amz-date value (YYYYMMDDTHHMMSSZ), 17 bytes
 * @return 0, -ENOMEM, -EIO (OpenSSL failed), -EINVAL (@p r->when out of
 *         range, or a header without "name:" or with a name of 128 bytes
 *         or more); on failure @p auth is unchanged
 */
int rfs_s3_sign(const struct rfs_s3_sigreq *r, const char *access_key,
		const char *secret_key, const char *region,
		struct rfs_buf *auth, char amzdate[17]);

/**
 * The canonical request of SigV4 for @p r at @p amzdate, as
 * rfs_s3_sign() hashes it (for tests and debug logs: it holds no secret).
 * @param r              the request
 * @param amzdate        the x-amz-date value signed
 * @param out            the canonical request is appended to it
 * @param signed_headers the SignedHeaders list is appended to it
 * @return 0, -ENOMEM, -EINVAL (a bad header, as rfs_s3_sign()); on
 *         failure both buffers are unchanged
 */
int rfs_s3_canonical_request(const struct rfs_s3_sigreq *r, const char *amzdate,
			     struct rfs_buf *out,
			     struct rfs_buf *signed_headers);

/**
 * URI-encode for S3: unreserved characters stay, everything else is %XX
 * (upper case), byte by byte (UTF-8 sequences are encoded per byte);
 * '/' stays when @p keep_slash. Thread-safe.
 * @return as rfs_buf_add(); on failure @p out is unchanged
 */
int rfs_s3_uri_encode(struct rfs_buf *out, const char *s, bool keep_slash);

/* ------------------------------------------------------------------ xml */

/** One object of a listing. */
struct rfs_s3_object {
	char *key;	  /**< decoded */
	int64_t size;	  /**< bytes */
	int64_t mtime_ns; /**< LastModified; 0 when time_out_of_range */
	char etag[72];	  /**< with its quotes removed */
	/** LastModified is a real date outside the range of
	 * util/timestamp.h (year 9999): the object's time is unknown */
	bool time_out_of_range;
};

/** A page of ListObjectsV2. */
struct rfs_s3_listing {
	struct rfs_s3_object *objects; /**< Contents, in order */
	size_t n_objects;	       /**< entries in objects */
	char **prefixes;	       /**< CommonPrefixes, decoded */
	size_t n_prefixes;	       /**< entries in prefixes */
	bool truncated;		       /**< IsTruncated: more pages follow */
	char *next_token;	       /**< NextContinuationToken, or NULL */
};

/**
 * Parse a ListObjectsV2 response (encoding-type=url keys are decoded).
 * A LastModified that is not a time fails the page (-EBADMSG); one that
 * is a date outside the range of util/timestamp.h only marks its object
 * (rfs_s3_object.time_out_of_range), never a wrapped value.
 * @return 0, -EBADMSG (not a listing), -ENOMEM
 */
int rfs_s3_parse_listing(const char *xml, size_t len,
			 struct rfs_s3_listing *out);

/** Free a listing. */
void rfs_s3_listing_release(struct rfs_s3_listing *l);

/**
 * Parse an S3 error body (an `Error` element with `Code` and `Message`).
 * @param xml          the body
 * @param len          its length
 * @param code         receives the code, NUL-terminated (possibly empty)
 * @param code_size    bytes in @p code
 * @param message      receives the message, likewise
 * @param message_size bytes in @p message
 * @return 0, -EBADMSG
 */
int rfs_s3_parse_error(const char *xml, size_t len, char *code,
		       size_t code_size, char *message, size_t message_size);

/**
 * Take the text of the first element named @p name (UploadId, ETag, ...)
 * in any S3 response.
 * @return 0, -ENOENT (no such element), -EBADMSG, -ENOMEM
 */
int rfs_s3_parse_value(const char *xml, size_t len, const char *name,
		       char **value);

/**
 * Read the ETag (without its quotes) and LastModified of a CopyObject
 * answer (CopyObjectResult).
 * @param xml       the answer's body
 * @param len       its length
 * @param etag      receives the ETag
 * @param etag_size bytes in @p etag
 * @param mtime_ns  receives LastModified, ns since the epoch
 * @return 0, -ENOENT (an element missing), -EBADMSG, -ENOMEM, -ERANGE
 *         (LastModified outside the range of util/timestamp.h)
 */
int rfs_s3_parse_copy_result(const char *xml, size_t len, char *etag,
			     size_t etag_size, int64_t *mtime_ns);

/**
 * The ChecksumSHA256 of a CopyObjectResult (base64 of 32 bytes) as 64
 * lower-case hex digits. Anything else (another algorithm's size, a
 * multipart copy's composite "...-N", bad characters or padding) is
 * refused. Thread-safe.
 * @param xml the answer's body
 * @param len its length
 * @param hex receives the digest; "" on any failure
 * @return 0, -ENOENT (none), -EINVAL (not base64 of 32 bytes), -EBADMSG
 *         (not XML), -ENOMEM
 */
int rfs_s3_parse_copy_checksum(const char *xml, size_t len, char hex[65]);

/* ----------------------------------------------------------------- http */

struct rfs_s3_client;

/** One request. */
struct rfs_s3_request {
	const char *method; /**< "GET", "HEAD", "PUT", "POST", "DELETE" */
	const char *key;    /**< object key (full, with the prefix), or NULL */
	const char *query;  /**< raw query, encoded, sorted or not; or NULL */
	const char *const *headers; /**< extra "Name: value", or NULL */
	size_t n_headers;	    /**< how many in @p headers */
	/* The body: memory, or a range of a file descriptor. */
	const void *body; /**< the body in memory (body_fd < 0) */
	size_t body_len;  /**< its length, 0 for none */
	int body_fd;	  /**< -1 when the body is in memory */
	off_t body_off;	  /**< where the body starts in body_fd */
	bool idempotent;  /**< safe to retry */
	/* The response. */
	struct rfs_buf *out;	  /**< body, or NULL to drop it */
	void *out_mem;		  /**< or a fixed buffer (ranged GET) */
	size_t out_mem_size;	  /**< the size of out_mem */
	size_t out_mem_len;	  /**< bytes written into out_mem */
	long status;		  /**< HTTP status */
	char etag[72];		  /**< ETag, quotes removed */
	int64_t content_length;	  /**< Content-Length, -1 when none */
	int64_t last_modified_ns; /**< Last-Modified, 0 when none */
	char last_modified[40];	  /**< Last-Modified as sent, or "" */
	/** Last-Modified is a date outside the range of util/timestamp.h
	 * (year 9999): last_modified_ns is 0, the object's time unknown */
	bool last_modified_bad;
	char meta_mtime[40];  /**< x-amz-meta-mtime, or "" */
	char meta_mode[16];   /**< x-amz-meta-mode, or "" */
	char meta_uid[16];    /**< x-amz-meta-uid, or "" */
	char meta_gid[16];    /**< x-amz-meta-gid, or "" */
	char meta_sha256[72]; /**< x-amz-meta-sha256, or "" */
	char meta_md5[40];    /**< x-amz-meta-md5, or "" */
	/** x-amz-checksum-sha256 (base64), or "" */
	char checksum_sha256[64];
	char meta_atime[40];	/**< x-amz-meta-atime, or "" */
	char content_type[128]; /**< Content-Type, or "" */
	char s3_code[64];	/**< the S3 error code of a failure, or "" */
};

/**
 * A client: configuration plus a pool of curl handles (keep-alive).
 * Thread-safe.
 */
int rfs_s3_client_new(const struct rfs_s3_conf *conf, const char *name,
		      struct rfs_s3_client **out, struct rfs_error *err);

/** Free a client. */
void rfs_s3_client_free(struct rfs_s3_client *c);

/**
 * Perform a request: sign it, send it, retry idempotent ones on 5xx, 429,
 * SlowDown, timeouts and connection resets (exponential backoff with
 * jitter, a few attempts), map the outcome to errno in one place
 * (2xx -> 0; 404 -> -ENOENT; 403 -> -EACCES; 409 -> -EEXIST or -EBUSY by
 * S3 code; 412 -> -EEXIST; 416 -> -ERANGE; 400 -> -EINVAL; 5xx and
 * network -> -EIO after retries), log the S3 code and message at debug
 * level, and put a message naming the storage (never a secret) in @p err.
 * @return 0 or -errno
 */
int rfs_s3_perform(struct rfs_s3_client *c, struct rfs_s3_request *r,
		   struct rfs_error *err);

/**
 * Take one response header line ("Name: value", CRLF or not) into the
 * response fields of @p r: the x-amz-meta-* values, ETag, Content-Type,
 * Content-Length and Last-Modified; a "HTTP/" status line starts a new
 * response (after 100 Continue). Other headers are ignored; values too
 * long for their field are cut. Last-Modified goes through the checked
 * conversion of util/timestamp.h: a date outside its range sets
 * last_modified_bad, never a wrapped last_modified_ns. This is http.c's header
 * callback; any bytes are safe. Thread-safe for distinct requests.
 * @param r    the request whose response this is
 * @param line the header line (not NUL-terminated)
 * @param n    its length
 */
void rfs_s3_take_header(struct rfs_s3_request *r, const char *line, size_t n);

/** The configuration of a client (borrowed). */
const struct rfs_s3_conf *rfs_s3_client_conf(const struct rfs_s3_client *c);

/** The storage name used in messages ("s3://bucket/prefix"), borrowed. */
const char *rfs_s3_client_name(const struct rfs_s3_client *c);

/**
 * True when @p a and @p b reach the same endpoint and region with the same
 * credentials, so that one can copy server-side from the other's buckets.
 * Compares the secrets without revealing them. Thread-safe.
 */
bool rfs_s3_client_same_account(const struct rfs_s3_client *a,
				const struct rfs_s3_client *b);

#endif
