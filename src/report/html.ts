/**
 * Self-contained HTML report (`--html`): header, pool-over-time charts, findings table. The chart
 * library's code comes in as text from the caller (src/cli reads it from node_modules); nothing
 * in the page loads from the network.
 */
import type { Finding, IntervalSample, Report } from '../sim/report.js';
import { sortFindings } from './json.js';

/** The chart library (uPlot): its minified IIFE build and stylesheet. */
export interface ChartLib {
  js: string;
  css: string;
}

export interface HtmlOptions {
  /** Page title (the command that made it). */
  title: string;
  /** compare: one chart per metric and scenario with every branch overlaid; else charts per report. */
  overlay: boolean;
  lib: ChartLib;
}

/** One chart as the page draws it: x in seconds (interval ends), one y array per series. */
export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
  /** First occurrence of each finding, marked on the time axis (seconds). */
  markers: { t: number; label: string }[];
}

type Metric = { key: string; label: string; get: (x: IntervalSample) => number };

const POOL: Metric[] = [
  { key: 'inflight', label: 'inflight', get: (x) => x.inflight },
  { key: 'rx_ring', label: 'on RX ring', get: (x) => x.rx_ring },
  { key: 'in_stack', label: 'in stack', get: (x) => x.in_stack },
  { key: 'pool_cache', label: 'alloc cache', get: (x) => x.pool_cache },
  { key: 'pool_ring', label: 'ptr_ring', get: (x) => x.pool_ring },
];
const RATES: Metric[] = [
  { key: 'recycled', label: 'recycled', get: (x) => x.recycled },
  { key: 'released', label: 'released', get: (x) => x.released },
  { key: 'alloc_slow', label: 'slow alloc', get: (x) => x.alloc_slow },
  { key: 'drops', label: 'rx drops', get: (x) => x.drops },
];
const DMA: Metric[] = [
  { key: 'dma_map', label: 'map', get: (x) => x.dma_map },
  { key: 'dma_unmap', label: 'unmap', get: (x) => x.dma_unmap },
  { key: 'dma_sync_for_cpu', label: 'sync for cpu', get: (x) => x.dma_sync_for_cpu },
  { key: 'dma_sync_for_device', label: 'sync for device', get: (x) => x.dma_sync_for_device },
];
const MBIT: Metric = { key: 'mbit', label: 'Mbit/s', get: (x) => mbit(x, x.flows.reduce((s, f) => s + f.bytes, 0)) };

function mbit(x: IntervalSample, bytes: number): number {
  const s = (x.end_ns - x.start_ns) / 1e9;
  return s > 0 ? Math.round((bytes * 8) / s / 1e3) / 1e3 : 0;
}

function seconds(ns: number): number {
  return ns / 1e9;
}

function markersOf(r: Report, prefix = ''): ChartSpec['markers'] {
  return [...sortFindings(r.violations), ...sortFindings(r.leaks)]
    .filter((f) => f.first.t_ns > 0)
    .map((f) => ({ t: seconds(f.first.t_ns), label: `${prefix}${f.kind}` }));
}

/** The charts of one report: pool pages, page rates, DMA operations, throughput per flow. */
export function reportCharts(r: Report, idPrefix: string): ChartSpec[] {
  const xs = r.series ?? [];
  if (xs.length === 0) return [];
  const x = xs.map((s) => seconds(s.end_ns));
  const markers = markersOf(r);
  const group = (id: string, title: string, unit: string, ms: Metric[]): ChartSpec => ({
    id: `${idPrefix}-${id}`, title, unit, x, markers, series: ms.map((m) => ({ label: m.label, values: xs.map(m.get) })),
  });
  const flows = [...new Set(xs.flatMap((s) => s.flows.map((f) => f.flow)))];
  return [
    group('pool', 'Pool pages', 'pages', POOL),
    group('rates', 'Pages per interval', 'pages', RATES),
    group('dma', 'DMA operations per interval', 'ops', DMA),
    {
      id: `${idPrefix}-flows`, title: 'Throughput per flow (application reads)', unit: 'Mbit/s', x, markers,
      series: flows.map((fl) => ({ label: fl, values: xs.map((s) => mbit(s, s.flows.filter((f) => f.flow === fl).reduce((a, f) => a + f.bytes, 0))) })),
    },
  ];
}

/** compare: per scenario, one chart per metric with one series per branch on a shared time axis. */
export function overlayCharts(reports: readonly Report[]): ChartSpec[] {
  const out: ChartSpec[] = [];
  const scenarios = [...new Set(reports.map((r) => r.scenario))];
  scenarios.forEach((sc, si) => {
    const rs = reports.filter((r) => r.scenario === sc && (r.series?.length ?? 0) > 0);
    if (rs.length === 0) return;
    const x = [...new Set(rs.flatMap((r) => r.series!.map((s) => s.end_ns)))].sort((a, b) => a - b);
    const markers = rs.flatMap((r) => markersOf(r, `${r.branch}: `));
    for (const m of [...POOL, ...RATES, DMA[0]!, DMA[1]!, MBIT]) {
      out.push({
        id: `s${String(si)}-${m.key}`,
        title: `${sc}: ${m.label}`,
        unit: m === MBIT ? 'Mbit/s' : POOL.includes(m) ? 'pages' : 'per interval',
        x: x.map(seconds),
        markers,
        series: rs.map((r) => {
          const at = new Map(r.series!.map((s) => [s.end_ns, s]));
          return { label: r.branch, values: x.map((t) => { const s = at.get(t); return s ? m.get(s) : null; }) };
        }),
      });
    }
  });
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function findingRows(r: Report): string {
  const row = (cls: string, f: Finding<string>): string =>
    `<tr data-kind="${esc(f.kind)}" data-class="${cls}"><td>${esc(r.branch)}</td><td>${cls}</td><td><b>${esc(f.kind)}</b></td><td class="n">${String(f.count)}</td>` +
    `<td class="n">${(f.first.t_ns / 1e6).toFixed(3)}</td><td class="n">${String(f.first.frame)}</td><td>${esc(f.first.object)}</td>` +
    `<td class="path">${f.first.path.map(esc).join(' → ')}</td><td>${esc(f.kernel)}</td></tr>`;
  return [...sortFindings(r.violations).map((f) => row('violation', f)), ...sortFindings(r.leaks).map((f) => row('leak', f))].join('\n');
}

function findingsTable(reports: readonly Report[]): string {
  const rows = reports.map(findingRows).filter((s) => s.length > 0).join('\n');
  if (rows.length === 0) return '<p class="clean">No violations, no leaks.</p>';
  return `<table class="findings"><thead><tr><th>branch</th><th>class</th><th>kind</th><th>count</th><th>first (ms)</th><th>frame</th><th>object</th><th>call path</th><th>kernel</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

function header(r: Report): string {
  const knobs = Object.entries(r.knobs).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('');
  const ms = (r.sim.duration_ns / 1e6).toFixed(0);
  return `<div class="hdr"><span><b>scenario</b> ${esc(r.scenario)}</span><span><b>branch</b> ${esc(r.branch)}</span>` +
    `<span><b>platform</b> ${esc(r.platform)}</span><span><b>seed</b> ${String(r.seed)}</span><span><b>simulated</b> ${ms} ms</span>` +
    `<span><b>frames</b> ${String(r.sim.frames)}</span><span class="${r.result}"><b>result</b> ${r.result}</span></div>` +
    `<details><summary>knobs of ${esc(r.branch)}</summary><table class="knobs">${knobs}</table></details>`;
}

function chartDivs(cs: readonly ChartSpec[]): string {
  return cs.map((c) => `<div class="chart" id="${esc(c.id)}"></div>`).join('\n');
}

const CSS = `body{font:14px system-ui,sans-serif;margin:16px;color:#222}h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
.hdr{display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0}.pass{color:#070}.fail{color:#b00}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #ddd;padding:4px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}
td.n{text-align:right}td.path{font-family:monospace;max-width:520px}.knobs td{font-family:monospace}.clean{color:#070}.none{color:#777}`;

const CLIENT = `(function(){
var data=JSON.parse(document.getElementById('pp-data').textContent);
var pal=['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#17becf','#7f7f7f','#bcbd22'];
function marks(ms){return{hooks:{draw:[function(u){var c=u.ctx;c.save();c.strokeStyle='#b00';c.fillStyle='#b00';c.setLineDash([5,4]);c.font=(10*devicePixelRatio)+'px sans-serif';
ms.forEach(function(m,i){var x=u.valToPos(m.t,'x',true);if(x<u.bbox.left||x>u.bbox.left+u.bbox.width)return;c.beginPath();c.moveTo(x,u.bbox.top);c.lineTo(x,u.bbox.top+u.bbox.height);c.stroke();
c.fillText(m.label,x+3,u.bbox.top+12*devicePixelRatio*(1+i%4));});c.restore();}]}};}
data.charts.forEach(function(s){var el=document.getElementById(s.id);
var o={title:s.title,width:560,height:260,scales:{x:{time:false,range:function(u,lo,hi){return[0,hi>0?hi:1];}}},legend:{live:false},
axes:[{label:'time (s)'},{label:s.unit,size:70}],
series:[{label:'t (s)'}].concat(s.series.map(function(x,i){return{label:x.label,stroke:pal[i%pal.length],width:1.5,points:{show:s.x.length<3}};})),plugins:[marks(s.markers)]};
el.uplot=new uPlot(o,[s.x].concat(s.series.map(function(x){return x.values;})),el);});
document.body.setAttribute('data-charts-ready',String(data.charts.length));
})();`;

/** The whole page for one or more reports. */
export function renderHtml(reports: readonly Report[], o: HtmlOptions): string {
  const charts: ChartSpec[] = [];
  const body: string[] = [];
  if (o.overlay) {
    const branches = [...new Set(reports.map((r) => r.branch))];
    const scenarios = [...new Set(reports.map((r) => r.scenario))];
    body.push(`<div class="hdr"><span><b>branches</b> ${branches.map(esc).join(', ')}</span><span><b>scenarios</b> ${scenarios.map(esc).join(', ')}</span>` +
      `<span><b>seed</b> ${[...new Set(reports.map((r) => r.seed))].join(', ')}</span></div>`);
    for (const b of branches) {
      const r = reports.find((x) => x.branch === b)!;
      body.push(`<details><summary>knobs of ${esc(b)}</summary><table class="knobs">${Object.entries(r.knobs).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table></details>`);
    }
    const cs = overlayCharts(reports);
    charts.push(...cs);
    scenarios.forEach((sc, si) => {
      const mine = cs.filter((c) => c.id.startsWith(`s${String(si)}-`));
      body.push(`<h2>${esc(sc)}</h2>`, mine.length > 0 ? `<div class="charts">${chartDivs(mine)}</div>` : '<p class="none">steps scenario: no intervals</p>');
      body.push(findingsTable(reports.filter((r) => r.scenario === sc)));
    });
  } else {
    reports.forEach((r, i) => {
      const cs = reportCharts(r, `r${String(i)}`);
      charts.push(...cs);
      body.push(`<h2>${esc(r.scenario)} [${esc(r.branch)}]</h2>`, header(r));
      body.push(cs.length > 0 ? `<div class="charts">${chartDivs(cs)}</div>` : '<p class="none">steps scenario: no intervals</p>');
      body.push('<h3>Findings</h3>', findingsTable([r]));
    });
  }
  const data = JSON.stringify({ charts, reports: reports.length }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(o.title)}</title>
<style>${o.lib.css}</style>
<style>${CSS}</style>
</head><body>
<h1>${esc(o.title)}</h1>
${body.join('\n')}
<p class="none">pp-sim ${esc(reports[0]?.tool.version ?? '')}; charts: uPlot (bundled)</p>
<script type="application/json" id="pp-data">${data}</script>
<script>${o.lib.js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
