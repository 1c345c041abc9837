// The buddy allocator (mm/page_alloc.c: __rmqueue_smallest, expand, __free_one_page), as the model keeps
// it: the hand-out order is part of every report, so these cases pin it, including for the MAX_ORDER
// blocks never handed out since boot, which sit under the MAX_ORDER list as a range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuddyAllocator, MAX_ORDER, PageTable } from '../../src/kernel/page.js';

const BLOCK = 1 << MAX_ORDER;
const BASE = 0x10000;

function buddy(blocks: number, highFirst = false): BuddyAllocator {
  return new BuddyAllocator(new PageTable(BASE, blocks * BLOCK), highFirst);
}

test('boot: every MAX_ORDER block is free, handed out from the bottom of the window up', () => {
  const b = buddy(4);
  assert.equal(b.freePages, 4 * BLOCK);
  assert.deepEqual([0, 1, 2, 3].map(() => b.alloc(MAX_ORDER)), [0, 1, 2, 3].map((k) => BASE + k * BLOCK));
  assert.equal(b.alloc(MAX_ORDER), -1);
  assert.equal(b.alloc(0), -1);
  assert.equal(b.freePages, 0);
});

test('boot with high pages first (LPAE highmem window): handed out from the top down', () => {
  const b = buddy(3, true);
  assert.deepEqual([0, 1, 2].map(() => b.alloc(MAX_ORDER)), [2, 1, 0].map((k) => BASE + k * BLOCK));
  assert.equal(b.alloc(MAX_ORDER), -1);
});

test('__free_pages of a MAX_ORDER block: it goes out again before the blocks never handed out', () => {
  const b = buddy(4);
  const first = b.alloc(MAX_ORDER);
  const second = b.alloc(MAX_ORDER);
  b.free(first, MAX_ORDER);
  assert.equal(b.alloc(MAX_ORDER), first);
  b.free(second, MAX_ORDER);
  b.free(first, MAX_ORDER);
  assert.deepEqual([b.alloc(MAX_ORDER), b.alloc(MAX_ORDER), b.alloc(MAX_ORDER)], [first, second, BASE + 2 * BLOCK]);
});

test('expand: order-0 pages come out of one block in address order, its halves kept on the lower lists', () => {
  const b = buddy(2);
  const pages = Array.from({ length: BLOCK }, () => b.alloc(0));
  assert.deepEqual(pages, Array.from({ length: BLOCK }, (_, k) => BASE + k));
  assert.equal(b.alloc(0), BASE + BLOCK);
  assert.equal(b.freePages, BLOCK - 1);
});

test('__free_one_page: freed buddies merge back into the whole block, which is handed out first', () => {
  const b = buddy(2);
  const a0 = b.alloc(0);
  const a1 = b.alloc(0);
  assert.equal(b.isFreeHead(a1 + 1), true);
  b.free(a1, 0);
  b.free(a0, 0);
  assert.equal(b.freePages, 2 * BLOCK);
  assert.equal(b.isFreeHead(a0), true);
  assert.equal(b.isFreeHead(a1), false);
  assert.equal(b.alloc(MAX_ORDER), BASE);
  assert.equal(b.alloc(MAX_ORDER), BASE + BLOCK);
});

test('isFreeHead: the heads of blocks never handed out and of blocks on a list, nothing else', () => {
  const b = buddy(3, true);
  assert.deepEqual([0, 1, 2].map((k) => b.isFreeHead(BASE + k * BLOCK)), [true, true, true]);
  assert.equal(b.isFreeHead(BASE + 1), false);
  const top = b.alloc(MAX_ORDER);
  assert.equal(top, BASE + 2 * BLOCK);
  assert.deepEqual([0, 1, 2].map((k) => b.isFreeHead(BASE + k * BLOCK)), [true, true, false]);
  b.free(top, MAX_ORDER);
  assert.equal(b.isFreeHead(top), true);
});
