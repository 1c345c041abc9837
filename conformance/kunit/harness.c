// SPDX-License-Identifier: GPL-2.0
/*
 * pp-sim conformance harness: a bare page_pool driver (flags 0, no DMA mapping, no ring prefill,
 * PAGE_SIZE pages) and the skb operations of pp-sim's conformance cases, run on the real kernel.
 * Each case prints "ppsim-conf: <case> key=value ..." chunks; pp-sim's recorder joins them per case.
 * The case functions after this harness are generated from the YAML files in conformance/cases/ by
 * conformance/kunit.ts. This file is pp-sim's own code (GPL-2.0, as it links into the kernel).
 */
#include <kunit/test.h>
#include <linux/version.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/mm.h>
#include <linux/ptr_ring.h>
#include <net/gro.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif

#define PPSIM_HEADROOM 256
#define PPSIM_GRO_OFFSET 52
#define PPSIM_MAX_SKBS 96
#define PPSIM_MAX_PAGES 8

enum { PPSIM_HEAD_POOL, PPSIM_HEAD_KMALLOC, PPSIM_HEAD_FRAG };
enum { PPSIM_KFREE, PPSIM_CONSUME, PPSIM_NAPI_CONSUME };

struct ppsim {
	struct kunit *test;
	const char *name;
	struct page_pool *pool;
	struct net_device *dev;
	struct napi_struct *napi;
	struct sk_buff *skb[PPSIM_MAX_SKBS];
	bool gro_held[PPSIM_MAX_SKBS];
	struct page *page[PPSIM_MAX_PAGES];
	bool destroyed;
	long inflight_after;
	char buf[640];
	int used;
};

static void ppsim_flush(struct ppsim *c)
{
	if (c->used)
		pr_info("ppsim-conf: %s%s\n", c->name, c->buf);
	c->used = 0;
	c->buf[0] = 0;
}

static __printf(2, 3) void ppsim_field(struct ppsim *c, const char *fmt, ...)
{
	va_list ap;

	if (c->used > 480)
		ppsim_flush(c);
	c->buf[c->used++] = ' ';
	va_start(ap, fmt);
	c->used += vscnprintf(c->buf + c->used, sizeof(c->buf) - c->used, fmt, ap);
	va_end(ap);
}

static struct ppsim *ppsim_begin(struct kunit *test, const char *name, int pool_size)
{
	struct page_pool_params pp = {};
	struct ppsim *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->name = name;
	pp.flags = 0;
	pp.order = 0;
	pp.pool_size = pool_size;
	pp.nid = NUMA_NO_NODE;
	pp.dma_dir = DMA_FROM_DEVICE;
	pp.offset = PPSIM_HEADROOM;
	pp.max_len = PAGE_SIZE - PPSIM_HEADROOM;
	c->pool = page_pool_create(&pp);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(c->pool));
	c->dev = alloc_etherdev(0);
	KUNIT_ASSERT_NOT_NULL(test, c->dev);
	c->napi = kunit_kzalloc(test, sizeof(*c->napi), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->napi);
	c->napi->dev = c->dev;
	pr_info("ppsim-conf: %s begin\n", name);
	return c;
}

static void ppsim_rx(struct ppsim *c, int id, int head, int len, int frags, int frag_len)
{
	struct sk_buff *skb;
	struct page *page;
	int i;

	if (head == PPSIM_HEAD_POOL) {
		page = page_pool_dev_alloc_pages(c->pool);
		KUNIT_ASSERT_NOT_NULL(c->test, page);
		skb = build_skb(page_address(page), PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(c->test, skb);
		skb_reserve(skb, PPSIM_HEADROOM);
	} else if (head == PPSIM_HEAD_KMALLOC) {
		skb = alloc_skb(PPSIM_HEADROOM + len, GFP_ATOMIC);
		KUNIT_ASSERT_NOT_NULL(c->test, skb);
		skb_reserve(skb, PPSIM_HEADROOM);
	} else {
		local_bh_disable();
		skb = napi_alloc_skb(c->napi, len);
		local_bh_enable();
		KUNIT_ASSERT_NOT_NULL(c->test, skb);
	}
	skb_put(skb, len);
	for (i = 0; i < frags; i++) {
		page = head == PPSIM_HEAD_POOL ? page_pool_dev_alloc_pages(c->pool) : alloc_page(GFP_ATOMIC);
		KUNIT_ASSERT_NOT_NULL(c->test, page);
		skb_add_rx_frag(skb, i, page, 0, frag_len, PAGE_SIZE);
	}
	if (head == PPSIM_HEAD_POOL)
		skb_mark_for_recycle(skb);
	skb->dev = c->dev;
	c->skb[id] = skb;
}

static void ppsim_snap(struct ppsim *c, int step, const char *name, int id)
{
	struct sk_buff *skb = c->skb[id];

	if (!skb)
		return;
	ppsim_field(c, "@%d.%s.len=%u", step, name, skb->len);
	ppsim_field(c, "@%d.%s.headlen=%u", step, name, skb_headlen(skb));
	ppsim_field(c, "@%d.%s.nr_frags=%u", step, name, skb_shinfo(skb)->nr_frags);
	ppsim_field(c, "@%d.%s.pp_recycle=%u", step, name, skb->pp_recycle);
	ppsim_field(c, "@%d.%s.head_frag=%u", step, name, skb->head_frag);
	ppsim_field(c, "@%d.%s.cloned=%u", step, name, skb->cloned);
}

static void ppsim_free(struct ppsim *c, int id, int how)
{
	struct sk_buff *skb = c->skb[id];

	KUNIT_ASSERT_NOT_NULL(c->test, skb);
	c->skb[id] = NULL;
	if (how == PPSIM_KFREE) {
		kfree_skb(skb);
	} else if (how == PPSIM_CONSUME) {
		consume_skb(skb);
	} else {
		local_bh_disable();
		napi_consume_skb(skb, 64);
		local_bh_enable();
	}
}

static void ppsim_clone(struct ppsim *c, int id, int as)
{
	c->skb[as] = skb_clone(c->skb[id], GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(c->test, c->skb[as]);
}

static void ppsim_copy(struct ppsim *c, int id, int as)
{
	c->skb[as] = skb_copy(c->skb[id], GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(c->test, c->skb[as]);
}

static void ppsim_pskb_copy(struct ppsim *c, int id, int as)
{
	c->skb[as] = pskb_copy(c->skb[id], GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(c->test, c->skb[as]);
}

static void ppsim_unshare(struct ppsim *c, int id, int as)
{
	struct sk_buff *skb = c->skb[id];

	c->skb[id] = NULL;
	c->skb[as] = skb_unshare(skb, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(c->test, c->skb[as]);
}

static void ppsim_expand(struct ppsim *c, int id)
{
	KUNIT_ASSERT_EQ(c->test, pskb_expand_head(c->skb[id], 0, 0, GFP_ATOMIC), 0);
}

static void ppsim_coalesce(struct ppsim *c, int step, int to, int from)
{
	struct sk_buff *t = c->skb[to], *f = c->skb[from];
	unsigned int data_len = t->data_len;
	bool stolen = false;
	int delta = 0;

	if (!skb_try_coalesce(t, f, &stolen, &delta)) {
		ppsim_field(c, "@%d.coalesce=refused", step);
		return;
	}
	ppsim_field(c, "@%d.coalesce=%s", step, stolen ? "stolen" : t->data_len == data_len ? "copied" : "frags");
	c->skb[from] = NULL;
	kfree_skb_partial(f, stolen);
}

static void ppsim_gro(struct ppsim *c, int step, int held, int id)
{
	struct sk_buff *p = c->skb[held], *skb = c->skb[id];
	int err;

	if (!c->gro_held[held]) {
		memset(p->cb, 0, sizeof(p->cb));
		NAPI_GRO_CB(p)->last = p;
		NAPI_GRO_CB(p)->count = 1;
		/* dev_gro_receive: a newly held skb's gso_size is its GRO payload length */
		skb_shinfo(p)->gso_size = p->len - PPSIM_GRO_OFFSET;
		c->gro_held[held] = true;
	}
	memset(skb->cb, 0, sizeof(skb->cb));
	NAPI_GRO_CB(skb)->data_offset = PPSIM_GRO_OFFSET;
	NAPI_GRO_CB(skb)->count = 1;
	err = skb_gro_receive(p, skb);
	if (err) {
		ppsim_field(c, "@%d.gro=refused", step);
		return;
	}
	c->skb[id] = NULL;
	if (NAPI_GRO_CB(skb)->free == NAPI_GRO_FREE_STOLEN_HEAD) {
		ppsim_field(c, "@%d.gro=stolen_head", step);
		local_bh_disable();
		napi_skb_free_stolen_head(skb);
		local_bh_enable();
	} else if (NAPI_GRO_CB(skb)->free) {
		ppsim_field(c, "@%d.gro=frags", step);
		__kfree_skb(skb);
	} else {
		ppsim_field(c, "@%d.gro=frag_list", step);
	}
}

static void ppsim_get_page(struct ppsim *c, int id, int frag, int as)
{
	struct sk_buff *skb = c->skb[id];
	struct page *page = frag < 0 ? virt_to_head_page(skb->head) : skb_frag_page(&skb_shinfo(skb)->frags[frag]);

	get_page(page);
	c->page[as] = page;
}

static void ppsim_page_ref(struct ppsim *c, int step, const char *name, int id)
{
	ppsim_field(c, "@%d.ref.%s=%d", step, name, page_ref_count(c->page[id]));
}

static void ppsim_put_page(struct ppsim *c, int id)
{
	if (c->page[id])
		put_page(c->page[id]);
	c->page[id] = NULL;
}

/* Entries between the consumer head and the producer: what page_pool_empty_ring will take. */
static int ppsim_ring_count(struct ptr_ring *r)
{
	int n;

	if (!r->queue[r->consumer_head])
		return 0;
	n = (r->producer - r->consumer_head + r->size) % r->size;
	return n ? n : r->size;
}

static void ppsim_stats(struct ppsim *c, const char *prefix, bool all)
{
	struct page_pool_stats st = {};

	page_pool_get_stats(c->pool, &st);
	if (all) {
		ppsim_field(c, "%s.alloc.fast=%llu", prefix, (u64)st.alloc_stats.fast);
		ppsim_field(c, "%s.alloc.slow=%llu", prefix, (u64)st.alloc_stats.slow);
		ppsim_field(c, "%s.alloc.slow_high_order=%llu", prefix, (u64)st.alloc_stats.slow_high_order);
		ppsim_field(c, "%s.alloc.empty=%llu", prefix, (u64)st.alloc_stats.empty);
		ppsim_field(c, "%s.alloc.refill=%llu", prefix, (u64)st.alloc_stats.refill);
		ppsim_field(c, "%s.alloc.waive=%llu", prefix, (u64)st.alloc_stats.waive);
		ppsim_field(c, "%s.recycle.cached=%llu", prefix, (u64)st.recycle_stats.cached);
		ppsim_field(c, "%s.recycle.cache_full=%llu", prefix, (u64)st.recycle_stats.cache_full);
	}
	ppsim_field(c, "%s.recycle.ring=%llu", prefix, (u64)st.recycle_stats.ring);
	ppsim_field(c, "%s.recycle.ring_full=%llu", prefix, (u64)st.recycle_stats.ring_full);
	ppsim_field(c, "%s.recycle.released_refcnt=%llu", prefix, (u64)st.recycle_stats.released_refcnt);
	ppsim_field(c, "%s.hold=%u", prefix, c->pool->pages_state_hold_cnt);
	ppsim_field(c, "%s.release=%u", prefix, atomic_read(&c->pool->pages_state_release_cnt));
}

static void ppsim_destroy(struct ppsim *c)
{
	s32 before = (s32)(c->pool->pages_state_hold_cnt - atomic_read(&c->pool->pages_state_release_cnt));
	long after = before - c->pool->alloc.count - ppsim_ring_count(&c->pool->ring);

	ppsim_stats(c, "pp", true);
	ppsim_field(c, "destroy.inflight_before=%d", before);
	page_pool_destroy(c->pool);
	c->destroyed = true;
	/* With nothing in flight after the scrub the pool is freed; otherwise it lives on for the retry work. */
	if (after > 0)
		after = (s32)(c->pool->pages_state_hold_cnt - atomic_read(&c->pool->pages_state_release_cnt));
	c->inflight_after = after;
	ppsim_field(c, "destroy.inflight_after=%ld", after);
}

static void ppsim_end(struct ppsim *c)
{
	int i;

	for (i = 0; i < PPSIM_MAX_PAGES; i++)
		ppsim_put_page(c, i);
	if (!c->destroyed)
		ppsim_destroy(c);
	else if (c->inflight_after > 0)
		ppsim_stats(c, "late", false);
	ppsim_flush(c);
	pr_info("ppsim-conf: %s end\n", c->name);
	free_netdev(c->dev);
}
