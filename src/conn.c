// SPDX-License-Identifier: GPL-2.0
/*
 * The connection table (claims 13, 15, 16, 18): every connection psteer
 * sees is mapped to the hash bucket its packets hash to, and lives in
 * that bucket. The bucket's owner CPU creates and updates its entries as
 * it handles the packets, and that CPU's timer thread expires them
 * (src/timer.c): a CPU only ever processes the connections of the buckets
 * assigned to it, and all CPUs do so at once. When a bucket moves, its
 * connections move with it, as nothing but the bucket refers to them.
 *
 * Principles:
 * - No cross-CPU writes per packet: a bucket's entries, chains, lists
 *   and lock are written by the CPU handling the bucket. The table-wide
 *   entry count is an atomic touched once per connection, not per packet.
 * - Bounded: at most max_conns entries. Past it, a new connection is not
 *   tracked and counted; its packets pass as always (never dropped for
 *   it). No memory also means untracked, never a drop.
 * - Lookup: each bucket has 2^slot_bits hash chains, sized at creation so
 *   that max_conns entries make chains of about one entry; the chain comes
 *   from the packet's flow hash, mixed with a secret (psteer_conn_slot()).
 *   That hash may be unkeyed (a NIC's Toeplitz hash, whose key is often
 *   public): flows sharing a whole hash share a chain, which holds at most
 *   chain_max entries, so a walk costs a bounded number of compares
 *   whatever anyone sends. Past it a new connection passes untracked.
 * - Expiry stays bounded with a million entries: each bucket keeps one
 *   list per class (TCP, UDP, other, closing), ordered by last packet,
 *   and every entry of a list has the same timeout, so a list's head is
 *   its next entry to expire. A timer pass over a bucket pops expired
 *   heads and stops at the first live one: it costs O(buckets owned +
 *   entries expired), whatever the number of live entries. Keeping the
 *   order costs a list move per packet, at most once per jiffy per entry.
 */

#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/tcp.h>

#include "compat.h"
#include "conn.h"
#include "psteer_trace.h"

#define PSTEER_CONN4_SIZE	(sizeof(struct psteer_conn) + 2 * sizeof(__be32))
#define PSTEER_CONN6_SIZE	(sizeof(struct psteer_conn) + 8 * sizeof(__be32))

/* Frees what psteer_conntab_create() allocated; the table holds no entry. */
static void psteer_conntab_free(struct psteer_conntab *ct)
{
	free_percpu(ct->pcpu);
	kvfree(ct->slots);
	kvfree(ct->b);
	kmem_cache_destroy(ct->v6);
	kmem_cache_destroy(ct->v4);
	kfree(ct);
}

/**
 * psteer_conntab_create() - an empty connection table
 * @nbuckets: as the bucket table, 1..PSTEER_MAX_BUCKETS
 * @max: most entries, 0..PSTEER_MAX_CONNS (0: track nothing)
 * @name: prefix of the names of its two entry caches (@name4 and @name6
 *	in /proc/slabinfo), at most 18 characters
 *
 * Timeouts start at the defaults (TCP 300 s, UDP and other 30 s).
 *
 * Context: process, may sleep.
 * Return: the table or an ERR_PTR.
 */
struct psteer_conntab *psteer_conntab_create(u32 nbuckets, u32 max,
					     const char *name)
{
	struct psteer_conntab *ct;
	u32 per, i, k;

	BUILD_BUG_ON(PSTEER_CONN4_SIZE != 64);
	if (!nbuckets || nbuckets > PSTEER_MAX_BUCKETS ||
	    max > PSTEER_MAX_CONNS ||
	    strlen(name) + 2 > sizeof(ct->cache_name[0]))
		return ERR_PTR(-EINVAL);
	ct = kzalloc_obj(*ct, GFP_KERNEL);
	if (!ct)
		return ERR_PTR(-ENOMEM);
	ct->nbuckets = nbuckets;
	ct->max = max;
	per = DIV_ROUND_UP(max, nbuckets);
	ct->slot_bits = per > 1 ? min_t(u32, ilog2(roundup_pow_of_two(per)),
					PSTEER_CONN_MAX_SLOT_BITS) : 0;
	/* Four times the mean chain at max: a random hash never reaches it. */
	ct->chain_max = max_t(u32, PSTEER_CONN_CHAIN_MIN,
			      4 * DIV_ROUND_UP(per, 1U << ct->slot_bits));
	ct->timeout[PSTEER_CONN_TCP] = 300 * HZ;
	ct->timeout[PSTEER_CONN_UDP] = 30 * HZ;
	ct->timeout[PSTEER_CONN_OTHER] = 30 * HZ;
	ct->timeout[PSTEER_CONN_CLOSING] = PSTEER_CONN_CLOSING_TIMEOUT * HZ;
	atomic_set(&ct->count, 0);
	atomic_set(&ct->count6, 0);
	ct->seed = get_random_u32();
	snprintf(ct->cache_name[0], sizeof(ct->cache_name[0]), "%s4", name);
	snprintf(ct->cache_name[1], sizeof(ct->cache_name[1]), "%s6", name);
	ct->v4 = kmem_cache_create(ct->cache_name[0], PSTEER_CONN4_SIZE, 0,
				   SLAB_HWCACHE_ALIGN, NULL);
	ct->v6 = kmem_cache_create(ct->cache_name[1], PSTEER_CONN6_SIZE, 0, 0,
				   NULL);
	ct->b = kvcalloc(nbuckets, sizeof(*ct->b), GFP_KERNEL);
	ct->slots = kvcalloc((size_t)nbuckets << ct->slot_bits,
			     sizeof(*ct->slots), GFP_KERNEL);
	ct->pcpu = alloc_percpu(struct psteer_conn_pcpu);
	if (!ct->v4 || !ct->v6 || !ct->b || !ct->slots || !ct->pcpu) {
		psteer_conntab_free(ct);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < nbuckets; i++) {
		spin_lock_init(&ct->b[i].lock);
		for (k = 0; k < PSTEER_CONN_NCLASS; k++)
			INIT_LIST_HEAD(&ct->b[i].lru[k]);
	}
	return ct;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conntab_create);

/**
 * psteer_conntab_destroy() - free a table and all its entries
 * @ct: table; nothing may track or walk any more
 *
 * Context: process.
 */
void psteer_conntab_destroy(struct psteer_conntab *ct)
{
	psteer_conn_flush(ct, 0);
	WARN_ON_ONCE(atomic_read(&ct->count));
	psteer_conntab_free(ct);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conntab_destroy);

static unsigned int psteer_conn_addr_words(const struct psteer_tuple *t)
{
	return t->family == AF_INET6 ? 4 : 1;
}

/* Are the four words at @a those at @b? Word by word, no memcmp() call. */
static bool psteer_conn_addr6_equal(const __be32 *a, const __be32 *b)
{
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) |
		 (a[3] ^ b[3]));
}

/*
 * Per tracked packet, on every entry of a chain until one matches: the
 * addresses are compared as words (an IPv4 entry holds two).
 */
static bool psteer_conn_match(const struct psteer_conn *c,
			      const struct psteer_tuple *t, u32 netns)
{
	bool v6 = t->family == AF_INET6;

	if (c->netns != netns || c->port[0] != t->sport ||
	    c->port[1] != t->dport || c->proto != t->proto ||
	    c->ports != t->ports || c->v6 != v6)
		return false;
	if (!c->v6)
		return c->addr[0] == t->src[0] && c->addr[1] == t->dst[0];
	return psteer_conn_addr6_equal(c->addr, t->src) &&
	       psteer_conn_addr6_equal(c->addr + 4, t->dst);
}

/**
 * psteer_conn_tuple() - the key of @c as a tuple
 * @c: an entry
 * @t: result, fully initialised (as psteer_parse_tuple() leaves it)
 */
void psteer_conn_tuple(const struct psteer_conn *c, struct psteer_tuple *t)
{
	unsigned int n = c->v6 ? 4 : 1;

	memset(t, 0, sizeof(*t));
	t->family = c->v6 ? AF_INET6 : AF_INET;
	memcpy(t->src, c->addr, n * sizeof(__be32));
	memcpy(t->dst, c->addr + n, n * sizeof(__be32));
	t->sport = c->port[0];
	t->dport = c->port[1];
	t->ports = c->ports;
	t->proto = c->proto;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_tuple);

static enum psteer_conn_class psteer_conn_class_of(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return PSTEER_CONN_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return PSTEER_CONN_UDP;
	}
	return PSTEER_CONN_OTHER;
}

static struct psteer_conn *psteer_conn_new(struct psteer_conntab *ct,
					   const struct psteer_tuple *t,
					   u32 netns, u32 slot, u32 now)
{
	unsigned int n = psteer_conn_addr_words(t);
	struct psteer_conn *c;

	/* Never more than max: the count only grows below it. */
	if (!atomic_add_unless(&ct->count, 1, ct->max))
		return NULL;
	c = kmem_cache_alloc(n == 4 ? ct->v6 : ct->v4,
			     GFP_ATOMIC | __GFP_NOWARN);
	if (!c) {
		atomic_dec(&ct->count);
		return NULL;
	}
	c->bytes = 0;
	c->packets = 0;
	c->first = now;
	c->last = now;
	c->netns = netns;
	c->port[0] = t->sport;
	c->port[1] = t->dport;
	c->ports = t->ports;
	c->proto = t->proto;
	c->class = psteer_conn_class_of(t->proto);
	c->v6 = n == 4;
	c->slot = slot;
	if (c->v6)
		atomic_inc(&ct->count6);
	memcpy(c->addr, t->src, n * sizeof(__be32));
	memcpy(c->addr + n, t->dst, n * sizeof(__be32));
	return c;
}

/*
 * The chain of a key within its bucket: the top bits of a product, so
 * every bit of the hash counts (a NIC's hash picked the bucket by its low
 * bits, alike within a bucket). The namespace is folded in, so that
 * containers with the same addresses do not share chains, and a secret,
 * so that distinct hashes cannot be aimed at one chain by their value.
 */
static u32 psteer_conn_slot(const struct psteer_conntab *ct, u32 hash,
			    u32 netns)
{
	if (!ct->slot_bits)
		return 0;
	return hash_32(hash ^ netns ^ ct->seed, ct->slot_bits);
}

static struct psteer_conn **psteer_conn_chain(struct psteer_conntab *ct,
					      u32 bucket, u32 slot)
{
	return &ct->slots[((size_t)bucket << ct->slot_bits) + slot];
}

/**
 * psteer_conn_track_in() - account one packet to its connection
 * @ct: table
 * @bucket: the packet's bucket, 0..@ct->nbuckets - 1: the one its hash
 *	falls in, or the one a NIC psteer drives picked by its own hash
 *	(src/nic.c), so that the connection lives where its packets go
 * @hash: the packet's flow hash, keyed or not (its chain)
 * @t: its tuple, in the order psteer hashed it (canonical if symmetric)
 * @netns: its namespace's inode number
 * @len: its length
 * @tcp_flags: TCP flags byte (TCPHDR_*), 0 for other protocols
 * @now: jiffies
 *
 * Finds or creates the entry in the bucket, counts the packet, and keeps
 * the bucket's lists ordered by last packet. A TCP FIN or RST moves the
 * entry to the closing class; a SYN alone brings a closing one back.
 *
 * Context: softirq on the CPU handling the bucket's packets, or BHs off.
 * Return: an enum psteer_conn_result.
 */
int psteer_conn_track_in(struct psteer_conntab *ct, u32 bucket, u32 hash,
			 const struct psteer_tuple *t, u32 netns,
			 unsigned int len, u8 tcp_flags, u32 now)
{
	struct psteer_conn_pcpu *pc = this_cpu_ptr(ct->pcpu);
	bool timed = !(pc->calls++ % PSTEER_CONN_SAMPLE);
	u64 start = timed ? local_clock() : 0;
	u32 slot = psteer_conn_slot(ct, hash, netns);
	struct psteer_conn_bucket *cb = &ct->b[bucket];
	struct psteer_conn **chain = psteer_conn_chain(ct, bucket, slot);
	int ret = PSTEER_CONN_FOUND;
	struct psteer_conn *c;
	u32 walked = 0;
	u8 class;

	lockdep_assert_in_softirq();
	spin_lock(&cb->lock);
	for (c = *chain; c; c = c->next, walked++)
		if (psteer_conn_match(c, t, netns))
			break;
	if (!c) {
		/* A full chain: see "Lookup" above. */
		if (walked < ct->chain_max)
			c = psteer_conn_new(ct, t, netns, slot, now);
		if (!c) {
			spin_unlock(&cb->lock);
			pc->untracked++;
			return PSTEER_CONN_UNTRACKED;
		}
		c->next = *chain;
		*chain = c;
		list_add_tail(&c->lru, &cb->lru[c->class]);
		WRITE_ONCE(cb->count, cb->count + 1);
		pc->created++;
		ret = PSTEER_CONN_CREATED;
	}
	class = c->class;
	if (c->proto == IPPROTO_TCP) {
		if (tcp_flags & (TCPHDR_FIN | TCPHDR_RST))
			class = PSTEER_CONN_CLOSING;
		else if ((tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN)
			class = PSTEER_CONN_TCP;
	}
	/*
	 * Moved to its list's tail at most once per jiffy: entries after it
	 * were all seen in the same jiffy, so the list stays in order.
	 */
	if (class != c->class || c->last != now) {
		c->class = class;
		list_move_tail(&c->lru, &cb->lru[class]);
	}
	c->last = now;
	c->packets++;
	c->bytes += len;
	spin_unlock(&cb->lock);
	if (timed) {
		pc->lookup_ns += local_clock() - start;
		pc->lookups++;
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_track_in);

/**
 * psteer_conntab_set_timeout() - set the idle timeout of a class
 * @ct: table
 * @class: enum psteer_conn_class
 * @seconds: 1..PSTEER_CONN_MAX_TIMEOUT
 *
 * Context: any; a timer pass sees the new value at its next bucket.
 */
void psteer_conntab_set_timeout(struct psteer_conntab *ct,
				enum psteer_conn_class class,
				unsigned int seconds)
{
	/* Pairs with READ_ONCE() in psteer_conn_expire_bucket(). */
	WRITE_ONCE(ct->timeout[class], seconds * HZ);
}

/**
 * psteer_conntab_min_timeout() - the shortest idle timeout of the classes
 * @ct: table
 *
 * No entry created or refreshed from now on expires sooner than this.
 *
 * Context: any.
 * Return: jiffies.
 */
u32 psteer_conntab_min_timeout(const struct psteer_conntab *ct)
{
	u32 min = U32_MAX;
	int k;

	for (k = 0; k < PSTEER_CONN_NCLASS; k++)
		min = min(min, READ_ONCE(ct->timeout[k]));
	return min;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conntab_min_timeout);

/* Unlinks and frees @c; caller holds its bucket's lock. */
static void psteer_conn_free(struct psteer_conntab *ct, u32 bucket,
			     struct psteer_conn *c)
{
	struct psteer_conn **p = psteer_conn_chain(ct, bucket, c->slot);
	struct psteer_conn_bucket *cb = &ct->b[bucket];

	lockdep_assert_held(&cb->lock);
	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	list_del(&c->lru);
	WRITE_ONCE(cb->count, cb->count - 1);
	atomic_dec(&ct->count);
	if (c->v6)
		atomic_dec(&ct->count6);
	kmem_cache_free(c->v6 ? ct->v6 : ct->v4, c);
}

/*
 * Lowers *@next to the jiffies from @now until @c expires, with @timeout
 * its class's; @c is live, so that is at least 1.
 */
static void psteer_conn_note_next(const struct psteer_conn *c, u32 now,
				  u32 timeout, u32 *next)
{
	u32 left = timeout - (s32)(now - c->last);

	if (next && left < *next)
		*next = left;
}

/**
 * psteer_conn_expire_some() - free at most @max expired entries of a bucket
 * @ct: table
 * @bucket: bucket index
 * @now: jiffies
 * @max: most entries to free under one hold of the bucket lock
 * @next: NULL, or in/out: lowered to the jiffies from @now until the
 *	first live entry of a list it reached expires
 *
 * An entry expires once it has been idle for its class's timeout (at
 * most PSTEER_CONN_MAX_TIMEOUT seconds, far below 2^31 jiffies). Each
 * list is oldest first, so the walk stops at the first live entry.
 *
 * Context: process or softirq; takes the bucket lock with BHs off.
 * Return: the number of entries freed; @max when more may be expired.
 */
VISIBLE_IF_KUNIT unsigned int psteer_conn_expire_some(struct psteer_conntab *ct,
						      u32 bucket, u32 now,
						      unsigned int max,
						      u32 *next)
{
	struct psteer_conn_bucket *cb = &ct->b[bucket];
	unsigned int n = 0, k;

	if (!READ_ONCE(cb->count))
		return 0;
	spin_lock_bh(&cb->lock);
	for (k = 0; k < PSTEER_CONN_NCLASS && n < max; k++) {
		u32 timeout = READ_ONCE(ct->timeout[k]);
		struct psteer_conn *c;

		while (n < max &&
		       (c = list_first_entry_or_null(&cb->lru[k],
						     struct psteer_conn, lru))) {
			/*
			 * Signed: a packet handled since the caller read
			 * @now leaves c->last ahead of it, and is live.
			 */
			if ((s32)(now - c->last) < (s32)timeout) {
				psteer_conn_note_next(c, now, timeout, next);
				break;
			}
			psteer_conn_free(ct, bucket, c);
			n++;
		}
	}
	spin_unlock_bh(&cb->lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_expire_some);

/* psteer_conn_expire_bucket(), lowering *@next as psteer_conn_expire_some(). */
static unsigned int psteer_conn_expire_next(struct psteer_conntab *ct,
					    u32 bucket, u32 now, u32 *next)
{
	unsigned int n = 0, k;

	do {
		k = psteer_conn_expire_some(ct, bucket, now, PSTEER_CONN_BATCH,
					    next);
		n += k;
	} while (k == PSTEER_CONN_BATCH);
	return n;
}

/**
 * psteer_conn_expire_bucket() - free the expired entries of one bucket
 * @ct: table
 * @bucket: bucket index
 * @now: jiffies
 *
 * In batches of PSTEER_CONN_BATCH entries per hold of the bucket lock,
 * so that the owner's packets (which take it) wait for one batch at
 * most, however many entries expire at once.
 *
 * Context: process or softirq; takes the bucket lock with BHs off.
 * Return: the number of entries freed.
 */
unsigned int psteer_conn_expire_bucket(struct psteer_conntab *ct, u32 bucket,
				       u32 now)
{
	return psteer_conn_expire_next(ct, bucket, now, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_expire_bucket);

/**
 * psteer_conn_pass() - one timer pass of @cpu: expire in the buckets it owns
 * @ct: table
 * @tbl: the bucket table, for who owns what
 * @cpu: the CPU whose buckets to walk (its timer thread's CPU)
 * @now: jiffies
 * @next: out: jiffies from @now until the first entry it left expires, or
 *	PSTEER_CONN_NONE_LEFT when it left none; an entry a packet refreshed
 *	since only expires later
 *
 * Walks the CPU's owned-bucket bitmap, not the whole table. A bucket
 * moving during the pass may be walked by its old and new owner alike;
 * the bucket lock makes that harmless.
 *
 * Context: process (the timer thread); may sleep.
 * Return: the number of entries expired; added to @cpu's counters.
 */
unsigned int psteer_conn_pass(struct psteer_conntab *ct,
			      struct psteer_table *tbl, int cpu, u32 now,
			      u32 *next)
{
	struct psteer_conn_pcpu *pc = per_cpu_ptr(ct->pcpu, cpu);
	const unsigned long *owned = per_cpu_ptr(tbl->pcpu, cpu)->owned;
	u64 start = local_clock(), ns;
	unsigned int n = 0;
	unsigned long i;

	*next = PSTEER_CONN_NONE_LEFT;
	if (owned)
		for_each_set_bit(i, owned, tbl->nbuckets) {
			n += psteer_conn_expire_next(ct, i, now, next);
			/* Expiring a million entries takes a while. */
			cond_resched();
		}
	ns = local_clock() - start;
	/* Written only by @cpu's timer thread (or a KUnit case). */
	WRITE_ONCE(pc->expired, pc->expired + n);
	WRITE_ONCE(pc->passes, pc->passes + 1);
	WRITE_ONCE(pc->pass_ns, ns);
	if (ns > pc->pass_ns_max)
		WRITE_ONCE(pc->pass_ns_max, ns);
	if (n)
		trace_conn_expire(cpu, n, ns);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_pass);

/**
 * psteer_conn_flush_match() - free the entries @match selects
 * @ct: table
 * @match: selects by namespace inode number (the exiting namespaces)
 * @arg: passed to @match
 *
 * PSTEER_CONN_BATCH entries per hold of a bucket lock, as expiry; a batch
 * walks from the bucket's list heads again, past entries it keeps.
 *
 * Context: process; may sleep. Takes the bucket locks with BHs off.
 * Return: the number of entries freed.
 */
unsigned int psteer_conn_flush_match(struct psteer_conntab *ct,
				     bool (*match)(u32 netns, const void *arg),
				     const void *arg)
{
	unsigned int n = 0, batch, k;
	u32 i;

	for (i = 0; i < ct->nbuckets; i++) {
		struct psteer_conn_bucket *cb = &ct->b[i];
		struct psteer_conn *c, *tmp;

		do {
			batch = 0;
			if (!READ_ONCE(cb->count))
				break;
			spin_lock_bh(&cb->lock);
			for (k = 0; k < PSTEER_CONN_NCLASS; k++)
				list_for_each_entry_safe(c, tmp, &cb->lru[k], lru) {
					if (batch == PSTEER_CONN_BATCH)
						break;
					if (!match(c->netns, arg))
						continue;
					psteer_conn_free(ct, i, c);
					batch++;
				}
			spin_unlock_bh(&cb->lock);
			n += batch;
			cond_resched();
		} while (batch == PSTEER_CONN_BATCH);
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_flush_match);

static bool psteer_conn_of_netns(u32 netns, const void *arg)
{
	const u32 *want = arg;

	return !*want || netns == *want;
}

/**
 * psteer_conn_flush() - free the entries of a namespace, or all
 * @ct: table
 * @netns: a namespace's inode number, or 0 for every entry
 *
 * Context: process; may sleep. Takes the bucket locks with BHs off.
 * Return: the number of entries freed.
 */
unsigned int psteer_conn_flush(struct psteer_conntab *ct, u32 netns)
{
	return psteer_conn_flush_match(ct, psteer_conn_of_netns, &netns);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_flush);

/*
 * Copies the entries of @netns in chain @cur->slot of @cur->bucket, past
 * the @cur->skip first, into @rows from @n on, up to @max. Returns the new
 * @n; with room left, the chain is done. Caller holds the bucket lock.
 */
static unsigned int psteer_conn_walk_chain(struct psteer_conntab *ct,
					   struct psteer_conn_cursor *cur,
					   u32 netns,
					   struct psteer_conn_row *rows,
					   unsigned int n, unsigned int max,
					   u32 *visited)
{
	const struct psteer_conn *c;
	u32 skip = cur->skip;

	for (c = *psteer_conn_chain(ct, cur->bucket, cur->slot); c;
	     c = c->next) {
		++*visited;
		if (c->netns != netns || (skip && skip--))
			continue;
		if (n == max)
			break;
		psteer_conn_tuple(c, &rows[n].t);
		rows[n].bytes = c->bytes;
		rows[n].packets = c->packets;
		rows[n].last = c->last;
		rows[n].class = c->class;
		n++;
		cur->skip++;
	}
	return n;
}

/**
 * psteer_conn_walk() - copy out the next entries of a namespace
 * @ct: table
 * @cur: where the walk is; updated
 * @netns: the namespace's inode number
 * @rows: where the entries go
 * @max: room in @rows, at least 1
 * @bucket: set to the bucket the entries are in
 *
 * A reader's cost is bounded per lock hold: one hold reads at most
 * PSTEER_CONN_WALK_SLOTS chains of one bucket (chains are about one entry
 * long, see psteer_conn_slot()), and copies at most @max entries. A whole
 * walk reads each chain once, entries of every namespace included, as
 * /proc/net/tcp walks the shared established hash: its cost is that of
 * the table, never quadratic. An entry that comes or goes while the walk
 * is between holds may be missed or shown twice.
 *
 * Context: process; may sleep. Takes bucket locks with BHs off.
 * Return: the number of entries copied, all of bucket *@bucket; 0 when
 * the walk is over.
 */
unsigned int psteer_conn_walk(struct psteer_conntab *ct,
			      struct psteer_conn_cursor *cur, u32 netns,
			      struct psteer_conn_row *rows, unsigned int max,
			      u32 *bucket)
{
	u32 nslots = 1U << ct->slot_bits;
	unsigned int n = 0;

	while (cur->bucket < ct->nbuckets) {
		struct psteer_conn_bucket *cb = &ct->b[cur->bucket];
		u32 end = min(cur->slot + PSTEER_CONN_WALK_SLOTS, nslots);
		u32 visited = 0;

		*bucket = cur->bucket;
		if (READ_ONCE(cb->count)) {
			spin_lock_bh(&cb->lock);
			for (; cur->slot < end; cur->slot++, cur->skip = 0) {
				n = psteer_conn_walk_chain(ct, cur, netns, rows,
							   n, max, &visited);
				if (n == max)
					break;
			}
			spin_unlock_bh(&cb->lock);
			cur->holds++;
			cur->visited += visited;
			cur->max_visited = max(cur->max_visited, visited);
		} else {
			cur->slot = nslots;
		}
		if (cur->slot >= nslots) {
			cur->bucket++;
			cur->slot = 0;
			cur->skip = 0;
		}
		if (n)
			return n;
		cond_resched();
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_conn_walk);

/**
 * psteer_conntab_memory() - bytes the table takes: entries and arrays
 * @ct: table
 *
 * Context: any; a racy snapshot.
 */
size_t psteer_conntab_memory(const struct psteer_conntab *ct)
{
	size_t sz = sizeof(*ct) + (size_t)ct->nbuckets * sizeof(*ct->b) +
		    ((size_t)ct->nbuckets << ct->slot_bits) * sizeof(*ct->slots);

	int n6 = atomic_read(&ct->count6);

	return sz + (size_t)(atomic_read(&ct->count) - n6) *
		    kmem_cache_size(ct->v4) +
		    (size_t)n6 * kmem_cache_size(ct->v6);
}
