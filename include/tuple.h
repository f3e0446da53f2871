/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow tuple extraction and hashing (src/tuple.c, src/hash.c).
 */
#ifndef _PSTEER_TUPLE_H
#define _PSTEER_TUPLE_H

#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/types.h>

#include "compat.h"

#define PSTEER_RSS_KEY_LEN	40

/**
 * struct psteer_tuple - what a packet is hashed by
 * @src: source address; an IPv4 address uses src[0] only
 * @dst: destination address, as @src
 * @sport: source port, 0 when @ports is 0
 * @dport: destination port, 0 when @ports is 0
 * @proto: IP protocol (IPv6: the upper-layer protocol after extensions)
 * @family: AF_INET or AF_INET6
 * @ports: 1 when @sport and @dport were read from the packet
 * @pad: zero, so siphash over the whole struct is deterministic
 *
 * Always fully initialised (padding included) by psteer_parse_tuple():
 * siphash reads every byte of it.
 */
struct psteer_tuple {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 family;
	u8 ports;
	u8 pad;
} __aligned(8);

/**
 * struct psteer_hint - where psteer_parse_packet() found a tuple, so that
 *	psteer_parse_hinted() rebuilds it without parsing again
 * @l4off: offset of the ports from the network header; 0 when the tuple
 *	has none
 * @proto: the tuple's protocol
 * @tcp_flags: the TCP flags byte (0 when not TCP, a fragment or cut short)
 * @swapped: set by the caller when psteer_tuple_canon() swapped the tuple
 */
struct psteer_hint {
	u16 l4off;
	u8 proto;
	u8 tcp_flags;
	u8 swapped;
};

enum psteer_hash_alg {
	PSTEER_HASH_SIPHASH,
	PSTEER_HASH_TOEPLITZ,
};

/**
 * struct psteer_hash_cfg - how tuples become hashes; fixed after load
 * @alg: siphash (default) or Toeplitz
 * @symmetric: put the tuple in canonical order first, so that both
 *	directions of a connection give the same hash
 * @sipkey: random key drawn at load for siphash
 * @rss_key: Toeplitz key (the NIC RSS key psteer mirrors)
 * @table: @rss_key's table (psteer_toeplitz_table_init()), or NULL: then
 *	Toeplitz runs bit by bit (psteer_toeplitz())
 */
/* The longest Toeplitz input: two IPv6 addresses and two ports. */
#define PSTEER_RSS_INPUT_MAX	36

/**
 * struct psteer_toeplitz_table - Toeplitz by input byte, for one key
 * @v: @v[i][b] is the hash of input byte b at position i alone; the hash
 *	of an input is the XOR of its bytes' entries (psteer_toeplitz_fast())
 */
struct psteer_toeplitz_table {
	u32 v[PSTEER_RSS_INPUT_MAX][256];
};

struct psteer_hash_cfg {
	enum psteer_hash_alg alg;
	bool symmetric;
	siphash_key_t sipkey;
	u8 rss_key[PSTEER_RSS_KEY_LEN];
	const struct psteer_toeplitz_table *table;
};

/* src/tuple.c */
int psteer_parse_tuple(const struct sk_buff *skb, u8 pf,
		       struct psteer_tuple *t);
int psteer_parse_packet(const struct sk_buff *skb, u8 pf,
			struct psteer_tuple *t, struct psteer_hint *hint);
int psteer_parse_hinted(const struct sk_buff *skb, u8 pf,
			const struct psteer_hint *hint, struct psteer_tuple *t);
int psteer_tuple_from_text(char *s, struct psteer_tuple *t);

/* src/hash.c */
extern const u8 psteer_default_rss_key[PSTEER_RSS_KEY_LEN];
#if PSTEER_KUNIT_VISIBLE
u32 psteer_toeplitz(const u8 *key, unsigned int keylen, const u8 *data,
		    unsigned int len);
#endif
void psteer_toeplitz_table_init(struct psteer_toeplitz_table *tt,
				const u8 key[PSTEER_RSS_KEY_LEN]);
u32 psteer_toeplitz_fast(const struct psteer_toeplitz_table *tt,
			 const u8 *data, unsigned int len);
bool psteer_tuple_canon(struct psteer_tuple *t);
void psteer_tuple_swap(struct psteer_tuple *t);
u32 psteer_hash_tuple(const struct psteer_hash_cfg *cfg,
		      const struct psteer_tuple *t);
u32 psteer_hash_ordered(const struct psteer_hash_cfg *cfg,
			const struct psteer_tuple *t);
u32 psteer_siphash_tuple(const struct psteer_tuple *t,
			 const siphash_key_t *key);

#endif /* _PSTEER_TUPLE_H */
