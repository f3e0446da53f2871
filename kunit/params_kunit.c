// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: parsing of the hash and rss_key parameters (src/params.c).
 */

#include <kunit/test.h>

#include "params.h"
#include "tuple.h"

struct psteer_key_case {
	const char *desc;
	const char *text;
	int err;
};

static const struct psteer_key_case psteer_key_cases[] = {
	{ "plain hex",
	  "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
	  0 },
	{ "colons",
	  "6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa",
	  0 },
	{ "upper case",
	  "6D5A56DA255B0EC24167253D43A38FB0D0CA2BCBAE7B30B477CB2DA38030F20C6A42B73BBEAC01FA",
	  0 },
	{ "short", "6d5a", -EINVAL },
	{ "one byte short",
	  "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01",
	  -EINVAL },
	{ "one byte long",
	  "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa00",
	  -EINVAL },
	{ "odd digit count",
	  "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa0",
	  -EINVAL },
	{ "non-hex",
	  "zz5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
	  -EINVAL },
	{ "leading colon",
	  ":6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
	  -EINVAL },
	{ "double colon",
	  "6d::5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
	  -EINVAL },
	{ "empty", "", -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(psteer_key, psteer_key_cases, desc);

static void psteer_rss_key_parse(struct kunit *test)
{
	const struct psteer_key_case *c = test->param_value;
	u8 key[PSTEER_RSS_KEY_LEN];

	KUNIT_ASSERT_EQ(test, psteer_parse_rss_key(c->text, key), c->err);
	if (!c->err)
		KUNIT_EXPECT_MEMEQ(test, key, psteer_default_rss_key,
				   PSTEER_RSS_KEY_LEN);
}

static void psteer_hash_names(struct kunit *test)
{
	enum psteer_hash_alg alg = PSTEER_HASH_TOEPLITZ;

	KUNIT_EXPECT_EQ(test, psteer_parse_hash("siphash", &alg), 0);
	KUNIT_EXPECT_EQ(test, alg, PSTEER_HASH_SIPHASH);
	KUNIT_EXPECT_EQ(test, psteer_parse_hash("toeplitz\n", &alg), 0);
	KUNIT_EXPECT_EQ(test, alg, PSTEER_HASH_TOEPLITZ);
	KUNIT_EXPECT_EQ(test, psteer_parse_hash("md5", &alg), -EINVAL);
	KUNIT_EXPECT_EQ(test, psteer_parse_hash("", &alg), -EINVAL);
	KUNIT_EXPECT_EQ(test, psteer_parse_hash("sip", &alg), -EINVAL);
	KUNIT_EXPECT_EQ(test, alg, PSTEER_HASH_TOEPLITZ);
}

static struct kunit_case psteer_params_cases[] = {
	KUNIT_CASE_PARAM(psteer_rss_key_parse, psteer_key_gen_params),
	KUNIT_CASE(psteer_hash_names),
	{}
};

static struct kunit_suite psteer_params_suite = {
	.name = "psteer_params",
	.test_cases = psteer_params_cases,
};

kunit_test_suite(psteer_params_suite);
