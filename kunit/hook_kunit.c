// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: what a stolen packet owes the stack (src/hook.c,
 * psteer_hold_refs()), as __nf_queue() pays it: a reference on a socket
 * bpf_sk_assign() attached without one, and on a noref dst, or a drop
 * when that dst is dying.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "psteer.h"

/*
 * Issue 10, defect 2: bpf_sk_assign() at tc ingress attaches a UDP socket
 * (SOCK_RCU_FREE, freed a grace period after its close) with no
 * reference and sock_pfree as destructor. A queued packet outlives the
 * receive path's RCU section: it must hold a reference, dropped by
 * sock_edemux when it is consumed.
 */
static void psteer_hook_prefetched_sock(struct kunit *test)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct socket *sock;
	struct sk_buff *skb;
	struct sock *sk;
	int refs;

	KUNIT_ASSERT_EQ(test, 0, sock_create_kern(&init_net, PF_INET,
						  SOCK_DGRAM, IPPROTO_UDP,
						  &sock));
	/* Port 0: udp_lib_get_port() picks one and sets SOCK_RCU_FREE. */
	if (kernel_bind(sock, (struct sockaddr_unsized *)&sin, sizeof(sin))) {
		sock_release(sock);
		KUNIT_FAIL(test, "cannot bind a UDP socket");
		return;
	}
	sk = sock->sk;
	KUNIT_EXPECT_FALSE(test, sk_is_refcounted(sk));
	skb = alloc_skb(64, GFP_KERNEL);
	if (!skb) {
		sock_release(sock);
		KUNIT_FAIL(test, "no memory");
		return;
	}
	/* What bpf_sk_assign() does with such a socket. */
	skb->sk = sk;
	skb->destructor = sock_pfree;
	KUNIT_EXPECT_TRUE(test, skb_sk_is_prefetched(skb));
	refs = refcount_read(&sk->sk_refcnt);
	KUNIT_EXPECT_TRUE(test, psteer_hold_refs(skb));
	KUNIT_EXPECT_EQ(test, refcount_read(&sk->sk_refcnt), refs + 1);
	KUNIT_EXPECT_TRUE(test, skb->destructor == sock_edemux);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, refcount_read(&sk->sk_refcnt), refs);
	sock_release(sock);
}

/* A dst with one reference, or (@dead) one whose last reference went. */
static struct dst_entry *psteer_test_dst(struct kunit *test, bool dead)
{
	struct dst_entry *dst = kunit_kzalloc(test, sizeof(*dst), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dst);
#ifdef PSTEER_HAVE_DST_RCUREF
	rcuref_init(&dst->__rcuref, 1);
	if (dead)
		KUNIT_ASSERT_TRUE(test, rcuref_put(&dst->__rcuref));
#else
	atomic_set(&dst->__refcnt, dead ? 0 : 1);
#endif
	return dst;
}

/*
 * Issue 10, defect 3: a noref dst gets a reference; if it was dying,
 * skb_dst_force() leaves none and the packet must be dropped (okfns such
 * as seg6local's End.DX4/DX6 read the dst), as __nf_queue() does.
 */
static void psteer_hook_dst_dying(struct kunit *test)
{
	struct dst_entry *live = psteer_test_dst(test, false);
	struct dst_entry *dying = psteer_test_dst(test, true);
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);
	bool held;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	rcu_read_lock();
	skb_dst_set_noref(skb, live);
	held = psteer_hold_refs(skb);
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, held);
	KUNIT_EXPECT_FALSE(test, skb_dst_is_noref(skb));
	KUNIT_EXPECT_PTR_EQ(test, skb_dst(skb), live);
	/* Give its reference back, not the test's: live is never freed. */
	skb_dst_drop(skb);

	rcu_read_lock();
	skb_dst_set_noref(skb, dying);
	held = psteer_hold_refs(skb);
	rcu_read_unlock();
	KUNIT_EXPECT_FALSE(test, held);
	KUNIT_EXPECT_NULL(test, skb_dst(skb));
	kfree_skb(skb);

	/* No dst at all is fine: nothing to hold. */
	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_TRUE(test, psteer_hold_refs(skb));
	kfree_skb(skb);
}

static struct kunit_case psteer_hook_cases[] = {
	KUNIT_CASE(psteer_hook_prefetched_sock),
	KUNIT_CASE(psteer_hook_dst_dying),
	{}
};

static struct kunit_suite psteer_hook_suite = {
	.name = "psteer_hook",
	.test_cases = psteer_hook_cases,
};

kunit_test_suite(psteer_hook_suite);
