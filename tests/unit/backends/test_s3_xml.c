/*
 * backends/s3/xml.c: ListObjectsV2 pages, error bodies and single values
 * of S3 responses.
 *
 * Bodies follow what AWS documents and what moto 5.2 and Ceph RGW send:
 * with encoding-type=url, moto and RGW encode a space as %20 and AWS as
 * '+'; all encode '+' as %2B; the EncodingType element may come after the
 * keys (moto puts it last).
 */
#include "backends/s3/s3_priv.h"
#include "util/buf.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static int parse(const char *xml, struct rfs_s3_listing *l)
{
	return rfs_s3_parse_listing(xml, strlen(xml), l);
}

Test(s3_xml, listing_with_objects_prefixes_and_token)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult " NS ">\n"
		"  <Name>bucket</Name>\n  <Prefix>lake/</Prefix>\n"
		"  <KeyCount>3</KeyCount>\n  <MaxKeys>3</MaxKeys>\n"
		"  <Delimiter>/</Delimiter>\n"
		"  <IsTruncated>true</IsTruncated>\n"
		"  <Contents>\n"
		"    <Key>lake/a.parquet</Key>\n"
		"    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
		"    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
		"    <Size>434234</Size>\n"
		"    <StorageClass>STANDARD</StorageClass>\n"
		"    <Owner><ID>x</ID><Key>not-a-key</Key></Owner>\n"
		"  </Contents>\n"
		"  <Contents><Key>lake/b</Key><Size>0</Size>"
		"<LastModified>2023-11-14T22:13:20.123Z</LastModified>"
		"<ETag>\"d41d8cd98f00b204e9800998ecf8427e-12\"</ETag></Contents>\n"
		"  <CommonPrefixes><Prefix>lake/dt=2013-01-01/</Prefix>"
		"</CommonPrefixes>\n"
		"  <CommonPrefixes><Prefix>lake/dt=2013-01-02/</Prefix>"
		"</CommonPrefixes>\n"
		"  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4"
		"vbOwM=</NextContinuationToken>\n"
		"  <Unknown><Contents><Key>deep</Key></Contents></Unknown>\n"
		"</ListBucketResult>\n";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_eq(l.n_objects, 2);
	cr_assert_str_eq(l.objects[0].key, "lake/a.parquet");
	cr_assert_eq(l.objects[0].size, 434234);
	cr_assert_eq(l.objects[0].mtime_ns, 1255369830LL * 1000000000);
	cr_assert_str_eq(l.objects[0].etag, "fba9dede5f27731c9771645a39863328");
	cr_assert_str_eq(l.objects[1].key, "lake/b");
	cr_assert_eq(l.objects[1].size, 0);
	cr_assert_eq(l.objects[1].mtime_ns, 1700000000123000000LL);
	cr_assert_str_eq(l.objects[1].etag,
			 "d41d8cd98f00b204e9800998ecf8427e-12");
	cr_assert_eq(l.n_prefixes, 2);
	cr_assert_str_eq(l.prefixes[0], "lake/dt=2013-01-01/");
	cr_assert_str_eq(l.prefixes[1], "lake/dt=2013-01-02/");
	cr_assert(l.truncated);
	cr_assert_str_eq(l.next_token,
			 "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	rfs_s3_listing_release(&l);
	rfs_s3_listing_release(&l); /* released twice: harmless */
}

Test(s3_xml, empty_last_page)
{
	struct rfs_s3_listing l;

	cr_assert_eq(parse("<ListBucketResult " NS "><Name>b</Name><Prefix/>"
			   "<KeyCount>0</KeyCount>"
			   "<IsTruncated>false</IsTruncated>"
			   "</ListBucketResult>",
			   &l),
		     0);
	cr_assert_eq(l.n_objects, 0);
	cr_assert_eq(l.n_prefixes, 0);
	cr_assert_not(l.truncated);
	cr_assert_null(l.next_token);
	rfs_s3_listing_release(&l);
}

/* moto 5.2's order: EncodingType after the keys; a space as %20. */
Test(s3_xml, url_encoded_keys_moto_style)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<ListBucketResult " NS "><IsTruncated>true</IsTruncated>"
		"<Contents><Key>100%25</Key><Size>1</Size></Contents>"
		"<Contents><Key>a%20b</Key><Size>1</Size></Contents>"
		"<Contents><Key>a%2Bb</Key><Size>1</Size></Contents>"
		"<Contents><Key>tilde~%2A%27%28%29%21</Key><Size>1</Size>"
		"</Contents>"
		"<Contents><Key>ctl%01x</Key><Size>1</Size></Contents>"
		"<Name>bkt1</Name><Prefix/><Delimiter>/</Delimiter>"
		"<CommonPrefixes><Prefix>donn%C3%A9es/</Prefix></CommonPrefixes>"
		"<EncodingType>url</EncodingType><KeyCount>6</KeyCount>"
		"<NextContinuationToken>abc%2B=</NextContinuationToken>"
		"</ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_eq(l.n_objects, 5);
	cr_assert_str_eq(l.objects[0].key, "100%");
	cr_assert_str_eq(l.objects[1].key, "a b");
	cr_assert_str_eq(l.objects[2].key, "a+b");
	cr_assert_str_eq(l.objects[3].key, "tilde~*'()!");
	cr_assert_str_eq(l.objects[4].key, "ctl\001x");
	cr_assert_str_eq(l.prefixes[0], "données/");
	/* the token is opaque: never decoded */
	cr_assert_str_eq(l.next_token, "abc%2B=");
	rfs_s3_listing_release(&l);
}

/* AWS's form: EncodingType first, a space as '+'. */
Test(s3_xml, url_encoded_keys_aws_style)
{
	const char *xml = "<ListBucketResult " NS "><Name>b</Name>"
			  "<EncodingType>url</EncodingType>"
			  "<Contents><Key>my+file%2B1+%E6%97%A5.txt</Key>"
			  "</Contents>"
			  "<CommonPrefixes><Prefix>a+b%2Fc/</Prefix>"
			  "</CommonPrefixes>"
			  "</ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_str_eq(l.objects[0].key, "my file+1 日.txt");
	cr_assert_str_eq(l.prefixes[0], "a b/c/");
	rfs_s3_listing_release(&l);
}

Test(s3_xml, plain_keys_are_not_decoded)
{
	const char *xml = "<ListBucketResult " NS ">"
			  "<Contents><Key>a+b%20c &amp; d&lt;é</Key></Contents>"
			  "</ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_str_eq(l.objects[0].key, "a+b%20c & d<é");
	rfs_s3_listing_release(&l);
}

Test(s3_xml, namespace_prefixes_and_keys_with_blanks)
{
	const char *xml =
		"<s3:ListBucketResult "
		"xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<s3:Contents><s3:Key> lead and trail </s3:Key>"
		"<s3:Size>7</s3:Size></s3:Contents>"
		"</s3:ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_str_eq(l.objects[0].key, " lead and trail ");
	cr_assert_eq(l.objects[0].size, 7);
	rfs_s3_listing_release(&l);
}

Test(s3_xml, bad_listings_are_ebadmsg)
{
	static const char *const bad[] = {
		"",
		"not xml",
		"<ListBucketResult><Contents><Key>a</Key></Contents>",
		"<ListBucketResult><Contents><Key>a</Contents></Key>"
		"</ListBucketResult>",
		"<Error><Code>NoSuchBucket</Code></Error>",
		"<ListBucketResult><Contents><Size>1</Size></Contents>"
		"</ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size>"
		"</Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>12x</Size>"
		"</Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday"
		"</LastModified></Contents></ListBucketResult>",
		"<ListBucketResult><EncodingType>url</EncodingType><Contents>"
		"<Key>a%G1</Key></Contents></ListBucketResult>",
		"<ListBucketResult><EncodingType>url</EncodingType><Contents>"
		"<Key>a%00</Key></Contents></ListBucketResult>",
		"<ListBucketResult><EncodingType>url</EncodingType><Contents>"
		"<Key>a%4</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><ETag>"
		"0123456789012345678901234567890123456789012345678901234567890"
		"123456789012</ETag></Contents></ListBucketResult>",
		"<ListBucketResult></ListBucketResult><ListBucketResult/>",
		"<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>"
		"<ListBucketResult><Contents><Key>&lol;</Key></Contents>"
		"</ListBucketResult>",
		"<ListBucketResult><Contents><Key>&undefined;</Key></Contents>"
		"</ListBucketResult>",
	};
	struct rfs_s3_listing l = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(bad[i], &l), -EBADMSG, "case %zu", i);
	cr_assert_null(l.objects); /* untouched on failure */
}

Test(s3_xml, ten_thousand_keys)
{
	struct rfs_buf x = RFS_BUF_INIT;
	struct rfs_s3_listing l;
	int i;

	cr_assert_eq(rfs_buf_addstr(&x, "<ListBucketResult " NS ">"
					"<EncodingType>url</EncodingType>"),
		     0);
	for (i = 0; i < 10000; i++)
		cr_assert_eq(rfs_buf_addf(&x,
					  "<Contents><Key>dt%%3D2013/part%%20"
					  "%05d.parquet</Key><Size>%d</Size>"
					  "<LastModified>2013-05-24T00:00:%02d."
					  "%03dZ</LastModified>"
					  "<ETag>&quot;%032x&quot;</ETag>"
					  "</Contents>",
					  i, i, i % 60, i % 1000, i),
			     0);
	cr_assert_eq(rfs_buf_addstr(&x, "</ListBucketResult>"), 0);
	cr_assert_eq(rfs_s3_parse_listing(x.data, x.len, &l), 0);
	cr_assert_eq(l.n_objects, 10000);
	cr_assert_str_eq(l.objects[9999].key, "dt=2013/part 09999.parquet");
	cr_assert_eq(l.objects[9999].size, 9999);
	cr_assert_eq(l.objects[9999].mtime_ns,
		     (1369353600LL + 9999 % 60) * 1000000000 +
			     (9999 % 1000) * 1000000LL);
	cr_assert_str_eq(l.objects[9999].etag,
			 "0000000000000000000000000000270f");
	rfs_s3_listing_release(&l);
	rfs_buf_release(&x);
}

Test(s3_xml, time_zones_and_fractions)
{
	const char *xml =
		"<ListBucketResult>"
		"<Contents><Key>a</Key><LastModified>2013-05-24T02:00:00.5+02:00"
		"</LastModified></Contents>"
		"<Contents><Key>b</Key><LastModified>2013-05-24T00:00:00Z"
		"</LastModified></Contents>"
		"<Contents><Key>c</Key><LastModified>2013-05-24T00:00:00."
		"123456789Z</LastModified></Contents>"
		"</ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_eq(l.objects[0].mtime_ns, 1369353600500000000LL);
	cr_assert_eq(l.objects[1].mtime_ns, 1369353600000000000LL);
	cr_assert_eq(l.objects[2].mtime_ns, 1369353600123456789LL);
	rfs_s3_listing_release(&l);
}

/* ---------------------------------------------------------------- errors */

Test(s3_xml, error_body)
{
	const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<Error><Code>NoSuchKey</Code>"
			  "<Message>The resource you requested does not "
			  "exist</Message>"
			  "<Resource>/mybucket/myfoto.jpg</Resource>"
			  "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
	char code[64], msg[256];

	cr_assert_eq(rfs_s3_parse_error(xml, strlen(xml), code, sizeof(code),
					msg, sizeof(msg)),
		     0);
	cr_assert_str_eq(code, "NoSuchKey");
	cr_assert_str_eq(msg, "The resource you requested does not exist");
}

Test(s3_xml, error_body_without_message_and_truncated)
{
	const char *a = "<Error><Code>SlowDown</Code></Error>";
	const char *b = "<Error><Message>é long message</Message>"
			"<Code>InternalError</Code></Error>";
	char code[9], msg[5];

	cr_assert_eq(rfs_s3_parse_error(a, strlen(a), code, sizeof(code), msg,
					sizeof(msg)),
		     0);
	cr_assert_str_eq(code, "SlowDown");
	cr_assert_str_eq(msg, "");
	cr_assert_eq(rfs_s3_parse_error(b, strlen(b), code, sizeof(code), msg,
					sizeof(msg)),
		     0);
	cr_assert_str_eq(code, "Internal");
	cr_assert_str_eq(msg, "é l"); /* never a cut UTF-8 sequence */
}

Test(s3_xml, bad_error_bodies)
{
	char code[16], msg[16];

	cr_assert_eq(
		rfs_s3_parse_error("", 0, code, sizeof(code), msg, sizeof(msg)),
		-EBADMSG);
	cr_assert_str_eq(code, "");
	cr_assert_eq(rfs_s3_parse_error("<html>", 6, code, sizeof(code), msg,
					sizeof(msg)),
		     -EBADMSG);
	cr_assert_eq(rfs_s3_parse_error("<ListBucketResult/>", 19, code,
					sizeof(code), msg, sizeof(msg)),
		     -EBADMSG);
}

/* ---------------------------------------------------------------- values */

Test(s3_xml, upload_id_and_etags)
{
	const char *init = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<InitiateMultipartUploadResult " NS ">"
			   "<Bucket>b</Bucket><Key>k</Key>"
			   "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3Zp"
			   "ZS5tMnRzIHVwbG9hZA</UploadId>"
			   "</InitiateMultipartUploadResult>";
	const char *copy = "<CopyObjectResult><LastModified>2009-10-12T17:50:30"
			   ".000Z</LastModified>"
			   "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;"
			   "</ETag></CopyObjectResult>";
	char *v = NULL;

	cr_assert_eq(rfs_s3_parse_value(init, strlen(init), "UploadId", &v), 0);
	cr_assert_str_eq(v, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIH"
			    "VwbG9hZA");
	free(v);
	cr_assert_eq(rfs_s3_parse_value(copy, strlen(copy), "ETag", &v), 0);
	cr_assert_str_eq(v, "\"9b2cf535f27731c974343645a3985328\"");
	free(v);
	v = NULL;
	cr_assert_eq(rfs_s3_parse_value(copy, strlen(copy), "UploadId", &v),
		     -ENOENT);
	cr_assert_null(v);
	cr_assert_eq(rfs_s3_parse_value("<a><b>", 6, "b", &v), -EBADMSG);
	cr_assert_null(v);
}

Test(s3_xml, value_is_the_first_of_its_name)
{
	const char *xml = "<R><X><Key>first</Key></X><Key>second</Key></R>";
	char *v;

	cr_assert_eq(rfs_s3_parse_value(xml, strlen(xml), "Key", &v), 0);
	cr_assert_str_eq(v, "first");
	free(v);
}

Test(s3_xml, copy_result)
{
	const char *ok = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/"
			 "doc/2006-03-01/\"><LastModified>2026-11-24T13:05:"
			 "07.123Z</LastModified><ETag>&quot;9b2cf535f27731c9"
			 "74343645a3985328&quot;</ETag></CopyObjectResult>";
	const char *no_time = "<CopyObjectResult><ETag>\"e\"</ETag>"
			      "</CopyObjectResult>";
	const char *bad_time = "<CopyObjectResult><ETag>\"e\"</ETag>"
			       "<LastModified>yesterday</LastModified>"
			       "</CopyObjectResult>";
	char etag[72];
	int64_t t = 0;

	cr_assert_eq(rfs_s3_parse_copy_result(ok, strlen(ok), etag,
					      sizeof(etag), &t),
		     0);
	cr_assert_str_eq(etag, "9b2cf535f27731c974343645a3985328");
	cr_assert_eq(t, 1795525507123000000LL);
	cr_assert_eq(rfs_s3_parse_copy_result(no_time, strlen(no_time), etag,
					      sizeof(etag), &t),
		     -ENOENT);
	cr_assert_eq(rfs_s3_parse_copy_result(bad_time, strlen(bad_time), etag,
					      sizeof(etag), &t),
		     -EBADMSG);
	cr_assert_eq(rfs_s3_parse_copy_result(ok, strlen(ok), etag, 8, &t),
		     -EBADMSG);
}

/* ------------------------------------- the SHA-256 a CopyObject states */

/* A CopyObjectResult as moto and AWS send it when the copy asked for
 * x-amz-checksum-algorithm SHA256 (here the SHA-256 of "hello\n"). */
#define COPY_SHA(v)                                                            \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<CopyObjectResult " NS "><LastModified>2026-11-24T13:05:07.000Z"      \
	"</LastModified><ETag>&quot;b1946ac92492d2347c6235b4d2611184&quot;"    \
	"</ETag><ChecksumSHA256>" v "</ChecksumSHA256></CopyObjectResult>"

static int copy_sha(const char *xml, char hex[65])
{
	return rfs_s3_parse_copy_checksum(xml, strlen(xml), hex);
}

Test(s3_xml, copy_checksum_is_the_sha256_in_hex)
{
	const char *ok =
		COPY_SHA("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=");
	char hex[65], etag[72];
	int64_t t = 0;

	cr_assert_eq(copy_sha(ok, hex), 0);
	cr_assert_str_eq(hex, "5891b5b522d5df086d0ff0b110fbd9d2"
			      "1bb4fc7163af34d08286a2e846f6be03");
	/* the ETag and time of the same answer read as before */
	cr_assert_eq(rfs_s3_parse_copy_result(ok, strlen(ok), etag,
					      sizeof(etag), &t),
		     0);
	cr_assert_str_eq(etag, "b1946ac92492d2347c6235b4d2611184");
	/* the element may come first, as some servers put it */
	cr_assert_eq(copy_sha("<CopyObjectResult><ChecksumSHA256>"
			      "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="
			      "</ChecksumSHA256><ETag>\"e\"</ETag>"
			      "</CopyObjectResult>",
			      hex),
		     0);
	cr_assert_str_eq(hex, "5891b5b522d5df086d0ff0b110fbd9d2"
			      "1bb4fc7163af34d08286a2e846f6be03");
}

/* No checksum (RGW, a copy that did not ask): -ENOENT, and nothing is
 * taken for one. */
Test(s3_xml, copy_checksum_absent_is_enoent)
{
	const char *none = "<CopyObjectResult " NS "><LastModified>2026-11-"
			   "24T13:05:07.000Z</LastModified><ETag>\"e\"</ETag>"
			   "</CopyObjectResult>";
	char hex[65] = "x";

	cr_assert_eq(copy_sha(none, hex), -ENOENT);
	cr_assert_str_eq(hex, "");
	cr_assert_eq(copy_sha(COPY_SHA(""), hex) < 0, true);
	cr_assert_str_eq(hex, "");
}

/* Whatever is not the base64 of exactly 32 bytes is refused, never read
 * as a digest: the SHA-256 of another algorithm's size (CRC32, SHA-1),
 * a multipart copy's composite value ("...-3"), bad characters, wrong
 * padding, hex instead of base64, and bodies that are not XML. */
Test(s3_xml, copy_checksum_bad_values_are_refused)
{
	static const char *const bad[] = {
		/* CRC32: 4 bytes */
		COPY_SHA("NhCmhg=="),
		/* SHA-1: 20 bytes */
		COPY_SHA("9/u6bgY2+JDlb7vzKD5STG+jIEE="),
		/* a composite checksum of 3 parts */
		COPY_SHA("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=-3"),
		/* 33 bytes (no padding) and 31 bytes (two pad chars) */
		COPY_SHA("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgMA"),
		COPY_SHA("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vg=="),
		/* a character outside base64, a blank inside */
		COPY_SHA("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2v*M="),
		COPY_SHA("WJG1tSLV3whtD/CxEPvZ0hu0 HFjrzTQgoai6Eb2vgM="),
		/* the hex digest itself */
		COPY_SHA("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d0"
			 "8286a2e846f6be03"),
		/* a nested element */
		COPY_SHA("<x>WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=</x>"),
	};
	char hex[65];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		strcpy(hex, "x");
		cr_expect_lt(copy_sha(bad[i], hex), 0, "value %zu taken", i);
		cr_expect_str_eq(hex, "", "value %zu left '%s'", i, hex);
	}
	/* not XML, cut short, empty */
	cr_expect_eq(copy_sha("<CopyObjectResult><ChecksumSHA256>WJG1", hex),
		     -EBADMSG);
	cr_expect_str_eq(hex, "");
	cr_expect_lt(copy_sha("", hex), 0);
	cr_expect_lt(copy_sha("not xml at all", hex), 0);
}

/* ------------------------------------------- times beyond int64_t ns */

/* Issue 17: year 9999 overflowed int64_t nanoseconds (UB, then a wrapped
 * time). The object is marked; the page and its other objects stand. */
Test(s3_xml, listing_time_in_year_9999_marks_only_that_object)
{
	const char *xml = "<ListBucketResult><Contents><Key>a</Key>"
			  "<LastModified>9999-01-01T00:00:00Z</LastModified>"
			  "</Contents><Contents><Key>b</Key><LastModified>"
			  "2013-05-24T00:00:00Z</LastModified></Contents>"
			  "</ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_eq(l.n_objects, 2);
	cr_assert_str_eq(l.objects[0].key, "a");
	cr_assert(l.objects[0].time_out_of_range);
	cr_assert_eq(l.objects[0].mtime_ns, 0, "no wrapped time");
	cr_assert_not(l.objects[1].time_out_of_range);
	cr_assert_eq(l.objects[1].mtime_ns, 1369353600000000000LL);
	rfs_s3_listing_release(&l);
}

/* Issue 17: a CopyObjectResult in year 1000 is refused, not wrapped. */
Test(s3_xml, copy_result_time_in_year_1000_is_erange)
{
	const char *xml = "<CopyObjectResult><LastModified>1000-01-01T00:00:"
			  "00.000Z</LastModified><ETag>\"e\"</ETag>"
			  "</CopyObjectResult>";
	char etag[72];
	int64_t t = 7;

	cr_assert_eq(rfs_s3_parse_copy_result(xml, strlen(xml), etag,
					      sizeof(etag), &t),
		     -ERANGE);
	cr_assert_eq(t, 7);
}

Test(s3_xml, listing_times_at_the_ends_of_the_range)
{
	const char *xml = "<ListBucketResult><Contents><Key>a</Key>"
			  "<LastModified>2262-04-11T23:47:15.999Z"
			  "</LastModified></Contents><Contents><Key>b</Key>"
			  "<LastModified>1677-09-21T00:12:44Z</LastModified>"
			  "</Contents><Contents><Key>c</Key><LastModified>"
			  "2262-04-11T23:47:16Z</LastModified></Contents>"
			  "</ListBucketResult>";
	struct rfs_s3_listing l;

	cr_assert_eq(parse(xml, &l), 0);
	cr_assert_eq(l.objects[0].mtime_ns, 9223372035999000000LL);
	cr_assert_eq(l.objects[1].mtime_ns, -9223372036000000000LL);
	cr_assert_not(l.objects[0].time_out_of_range);
	cr_assert_not(l.objects[1].time_out_of_range);
	cr_assert(l.objects[2].time_out_of_range);
	rfs_s3_listing_release(&l);
}
