// The HTML report in a real browser (issue 15): headless Chromium opens the file, draws every chart
// with its series and points, logs no error, loads nothing from the network, and its findings table
// says what the JSON says. Skipped when no chromium binary is installed (apt-get install chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { loadChartLib } from '../../src/cli/pictures.js';
import { overlayCharts, renderHtml, reportCharts, type ChartSpec } from '../../src/report/html.js';
import type { Report } from '../../src/sim/report.js';
import { runYaml } from '../helpers.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && p !== '' && existsSync(p));
const TMP = mkdtempSync(join(tmpdir(), 'pp-sim-html-'));
const TCP = 'name: tcp\ntraffic:\n  - { kind: tcp, dst: 192.168.200.1, port: 5001 }\n';

interface Seen {
  charts: { id: string; series: string[]; points: number }[];
  rows: { kind: string; cls: string; count: number; path: string }[];
  errors: string[];
  external: string[];
}

async function open(html: string, name: string): Promise<Seen> {
  const file = join(TMP, `${name}.html`);
  writeFileSync(file, html);
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const external: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => { errors.push(e.message); });
    page.on('request', (r) => { if (!r.url().startsWith('file:')) external.push(r.url()); });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts-ready]');
    const dir = process.env.PP_SIM_SCREENSHOTS;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
    }
    // Runs in the page (a string: the project's TypeScript has no DOM types).
    const seen = await page.evaluate<{ charts: (Seen['charts'][number] & { canvas: number })[]; rows: Seen['rows'] }>(`({
      charts: [...document.querySelectorAll('.chart')].map((el) => ({
        id: el.id, series: el.uplot.series.slice(1).map((s) => s.label), points: el.uplot.data[0].length, canvas: el.querySelectorAll('canvas').length,
      })),
      rows: [...document.querySelectorAll('tr[data-kind]')].map((tr) => ({
        kind: tr.getAttribute('data-kind'), cls: tr.getAttribute('data-class'),
        count: Number(tr.children[3].textContent), path: tr.querySelector('.path').textContent,
      })),
    })`);
    for (const c of seen.charts) assert.equal(c.canvas, 1, `chart ${c.id} has a canvas`);
    return { charts: seen.charts.map(({ id, series, points }) => ({ id, series, points })), rows: seen.rows, errors, external };
  } finally {
    await browser.close();
  }
}

function expected(cs: readonly ChartSpec[]): Seen['charts'] {
  return cs.map((c) => ({ id: c.id, series: c.series.map((s) => s.label), points: c.x.length }));
}

function rowsOf(rs: readonly Report[]): Seen['rows'] {
  return rs.flatMap((r) => [
    ...r.violations.map((f) => ({ kind: f.kind, cls: 'violation', count: f.count, path: f.first.path.join(' → ') })),
    ...r.leaks.map((f) => ({ kind: f.kind, cls: 'leak', count: f.count, path: f.first.path.join(' → ') })),
  ]).sort((a, b) => (a.cls === b.cls ? 0 : a.cls === 'violation' ? -1 : 1) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

test('HTML of a run: every chart drawn with its series and points, no errors, no network, findings as in the JSON', { skip: CHROMIUM ? false : 'no chromium binary (apt-get install chromium, or set CHROMIUM_PATH)' }, async () => {
  const r = runYaml(TCP, { branch: 'mvneta_03', duration: 400e6, interval: 50e6 });
  assert.ok(r.violations.length > 0, 'mvneta_03 TCP has findings to show');
  const seen = await open(renderHtml([r], { title: 'pp-sim run tcp --branch mvneta_03', overlay: false, lib: loadChartLib() }), 'run-tcp-mvneta_03');
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.external, []);
  assert.equal(seen.charts.length, 4);
  assert.deepEqual(seen.charts, expected(reportCharts(r, 'r0')));
  assert.equal(seen.charts[0]!.points, 8);
  assert.deepEqual(seen.rows, rowsOf([r]));
});

test('HTML of a compare: the branches overlaid, one series per branch on every chart', { skip: CHROMIUM ? false : 'no chromium binary (apt-get install chromium, or set CHROMIUM_PATH)' }, async () => {
  const branches = ['mvneta_03', 'mvneta_04', 'mvneta_07', 'upstream-6.1'];
  const rs = branches.map((branch) => runYaml(TCP, { branch, duration: 300e6, interval: 50e6 }));
  const seen = await open(renderHtml(rs, { title: `pp-sim compare ${branches.join(' ')}`, overlay: true, lib: loadChartLib() }), 'compare-tcp');
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.external, []);
  assert.deepEqual(seen.charts, expected(overlayCharts(rs)));
  assert.ok(seen.charts.length >= 10);
  for (const c of seen.charts) {
    assert.deepEqual(c.series, branches);
    assert.equal(c.points, 6);
  }
  assert.deepEqual(seen.rows.map((x) => `${x.cls}:${x.kind}:${String(x.count)}`).sort(), rowsOf(rs).map((x) => `${x.cls}:${x.kind}:${String(x.count)}`).sort());
});
