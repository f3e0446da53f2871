/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection table (src/conn.c); the per-CPU timer threads that
 * expire its entries are in include/timer.h.
 */
#ifndef _PSTEER_CONN_H
#define _PSTEER_CONN_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "table.h"
#include "tuple.h"

#define PSTEER_DEFAULT_MAX_CONNS	262144
#define PSTEER_MAX_CONNS		16777216
/* Hash chains per bucket: at most 2^16, since an entry keeps its chain in a u16. */
#define PSTEER_CONN_MAX_SLOT_BITS	16
/* Most entries a chain holds, at least: see struct psteer_conntab. */
#define PSTEER_CONN_CHAIN_MIN		16
/* Timeouts: seconds, 1..a day; a closed TCP connection lingers 10 s. */
#define PSTEER_CONN_MAX_TIMEOUT		86400
#define PSTEER_CONN_CLOSING_TIMEOUT	10

/*
 * Each class has its own timeout, and each bucket one list per class:
 * in a list every entry has the same timeout, so ordering it by last
 * packet also orders it by expiry time.
 */
enum psteer_conn_class {
	PSTEER_CONN_TCP,
	PSTEER_CONN_UDP,
	PSTEER_CONN_OTHER,
	PSTEER_CONN_CLOSING,	/* TCP after a FIN or RST */
	PSTEER_CONN_NCLASS,
};

/**
 * struct psteer_conn - one tracked connection
 * @next: next entry on the same hash chain of the bucket
 * @lru: link on its bucket's list for @class, least recently seen first
 * @bytes: bytes seen, both directions
 * @packets: packets seen, both directions (wraps at 2^32)
 * @first: jiffies (low 32 bits) of the first packet
 * @last: jiffies (low 32 bits) of the last packet
 * @netns: inode number of its network namespace (net->ns.inum)
 * @port: ports of the key (0 for protocols without ports and fragments)
 * @proto: IP protocol
 * @ports: @port was read from the packet (a port-0 datagram has ports 0
 *	too; a fragment between the same addresses is another key)
 * @class: enum psteer_conn_class
 * @v6: @addr holds two IPv6 addresses, else two IPv4 addresses
 * @slot: its hash chain within the bucket
 * @addr: the key's two addresses, IPv4 (2 words) or IPv6 (8 words)
 *
 * The key is the tuple (addresses, ports, protocol) and the namespace,
 * in the order psteer hashes it: with symmetric=1 (the default) the
 * canonical order, so both directions of a connection find one entry.
 * An IPv4 entry is one 64-byte cache line (BUILD_BUG_ON in src/conn.c);
 * an IPv6 entry is 88 bytes. The hash is not stored: /proc recomputes it.
 */
struct psteer_conn {
	struct psteer_conn *next;
	struct list_head lru;
	u64 bytes;
	u32 packets;
	u32 first;
	u32 last;
	u32 netns;
	__be16 port[2];
	u8 proto;
	u8 class:2;
	u8 v6:1;
	u8 ports:1;
	u16 slot;
	__be32 addr[];
};

/**
 * struct psteer_conn_bucket - the connections of one hash bucket
 * @lock: guards everything here and the bucket's hash chains. Taken by
 *	the CPU handling the bucket's packets (its owner, or its drainer
 *	during a hand-over), by the owner's timer thread, and by /proc
 *	readers; normally only ever by the owner, so its line stays local.
 * @count: entries in the bucket
 * @lru: per class, entries ordered by last packet, oldest first
 *
 * Cache-line aligned: neighbouring buckets belong to different CPUs
 * (owners are dealt round-robin), and the owner writes here per packet.
 */
struct psteer_conn_bucket {
	spinlock_t lock; /* see above */
	u32 count;
	struct list_head lru[PSTEER_CONN_NCLASS];
} ____cacheline_aligned_in_smp;

/**
 * struct psteer_conn_pcpu - per-CPU counters of the table
 * @created: entries created by this CPU
 * @untracked: packets of new connections not tracked: max_conns reached,
 *	their chain full, or no memory
 * @expired: entries this CPU's timer thread expired
 * @passes: timer passes run on this CPU
 * @pass_ns: duration of the last pass
 * @pass_ns_max: longest pass
 * @lookup_ns: time in psteer_conn_track() of the sampled calls
 * @lookups: calls sampled (one in PSTEER_CONN_SAMPLE)
 * @calls: all calls on this CPU, for the sampling
 */
struct psteer_conn_pcpu {
	u64 created;
	u64 untracked;
	u64 expired;
	u64 passes;
	u64 pass_ns;
	u64 pass_ns_max;
	u64 lookup_ns;
	u64 lookups;
	u32 calls;
};

/* One call in this many is timed: an always-on, cheap cost estimate. */
#define PSTEER_CONN_SAMPLE	64

/*
 * Most entries expiry or a flush frees under one hold of a bucket lock,
 * which the owner's packets wait for.
 */
#define PSTEER_CONN_BATCH	64

/*
 * Most chains a walk of one namespace's entries (psteer_conn_walk()) reads
 * under one hold of a bucket lock.
 */
#define PSTEER_CONN_WALK_SLOTS	64

/**
 * struct psteer_conn_row - what a reader sees of an entry, copied out
 * @t: its tuple
 * @bytes: bytes seen
 * @packets: packets seen
 * @last: jiffies of its last packet
 * @class: its psteer_conn_class
 */
struct psteer_conn_row {
	struct psteer_tuple t;
	u64 bytes;
	u32 packets;
	u32 last;
	u8 class;
};

/**
 * struct psteer_conn_cursor - where a walk of a namespace's entries is
 * @bucket: the bucket to read next; nbuckets at the end
 * @slot: its chain to read next
 * @skip: entries of the namespace in that chain already returned
 * @visited: entries looked at so far, of any namespace
 * @holds: bucket lock holds so far
 * @max_visited: most entries looked at in one hold
 *
 * Zeroed, it starts at the beginning.
 */
struct psteer_conn_cursor {
	u32 bucket;
	u32 slot;
	u32 skip;
	u64 visited;
	u32 holds;
	u32 max_visited;
};

/**
 * struct psteer_conntab - connections in their buckets
 * @nbuckets: as the bucket table
 * @slot_bits: each bucket has 2^@slot_bits hash chains
 * @max: most entries (max_conns)
 * @timeout: per class, idle jiffies after which an entry expires;
 *	READ_ONCE, tunable at run time
 * @chain_max: most entries in a chain (see src/conn.c, "Lookup")
 * @seed: secret mixed into every chain's choice, drawn at creation
 * @count: entries in the table
 * @count6: the IPv6 entries among them
 * @v4: entries of IPv4 connections, a cache of the table's own
 * @v6: entries of IPv6 connections, as @v4
 * @cache_name: names of @v4 and @v6
 * @b: @nbuckets buckets
 * @slots: @nbuckets << @slot_bits chain heads, bucket by bucket
 * @pcpu: per-CPU counters
 */
struct psteer_conntab {
	u32 nbuckets;
	u32 slot_bits;
	u32 max;
	u32 timeout[PSTEER_CONN_NCLASS];
	u32 chain_max;
	u32 seed;
	atomic_t count;
	atomic_t count6;
	struct kmem_cache *v4;
	struct kmem_cache *v6;
	char cache_name[2][20];
	struct psteer_conn_bucket *b;
	struct psteer_conn **slots;
	struct psteer_conn_pcpu __percpu *pcpu;
};

/* What psteer_conn_track() did. */
enum psteer_conn_result {
	PSTEER_CONN_FOUND,
	PSTEER_CONN_CREATED,
	PSTEER_CONN_UNTRACKED,
};

/* src/conn.c */
struct psteer_conntab *psteer_conntab_create(u32 nbuckets, u32 max,
					     const char *name);
void psteer_conntab_destroy(struct psteer_conntab *ct);
void psteer_conntab_set_timeout(struct psteer_conntab *ct,
				enum psteer_conn_class class,
				unsigned int seconds);
int psteer_conn_track_in(struct psteer_conntab *ct, u32 bucket, u32 hash,
			 const struct psteer_tuple *t, u32 netns,
			 unsigned int len, u8 tcp_flags, u32 now);

/*
 * psteer_conn_track() - psteer_conn_track_in() in the bucket @hash falls
 * in, as for a packet whose bucket psteer chose by that hash
 */
static inline int psteer_conn_track(struct psteer_conntab *ct, u32 hash,
				    const struct psteer_tuple *t, u32 netns,
				    unsigned int len, u8 tcp_flags, u32 now)
{
	return psteer_conn_track_in(ct, psteer_bucket_index(hash, ct->nbuckets),
				    hash, t, netns, len, tcp_flags, now);
}

unsigned int psteer_conn_expire_bucket(struct psteer_conntab *ct, u32 bucket,
				       u32 now);
#if PSTEER_KUNIT_VISIBLE
unsigned int psteer_conn_expire_some(struct psteer_conntab *ct, u32 bucket,
				     u32 now, unsigned int max, u32 *next);
#endif
/* psteer_conn_pass()'s @next when the buckets it walked hold no entry. */
#define PSTEER_CONN_NONE_LEFT	U32_MAX
unsigned int psteer_conn_pass(struct psteer_conntab *ct,
			      struct psteer_table *tbl, int cpu, u32 now,
			      u32 *next);
u32 psteer_conntab_min_timeout(const struct psteer_conntab *ct);
unsigned int psteer_conn_flush_match(struct psteer_conntab *ct,
				     bool (*match)(u32 netns, const void *arg),
				     const void *arg);
unsigned int psteer_conn_flush(struct psteer_conntab *ct, u32 netns);
void psteer_conn_tuple(const struct psteer_conn *c, struct psteer_tuple *t);
unsigned int psteer_conn_walk(struct psteer_conntab *ct,
			      struct psteer_conn_cursor *cur, u32 netns,
			      struct psteer_conn_row *rows, unsigned int max,
			      u32 *bucket);
size_t psteer_conntab_memory(const struct psteer_conntab *ct);

static inline u32 psteer_conn_count(const struct psteer_conntab *ct,
				    u32 bucket)
{
	return READ_ONCE(ct->b[bucket].count);
}

#endif /* _PSTEER_CONN_H */
