/** The picture outputs of run, replay, compare, ci and report: --interval, --csv, --html. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InputError } from '../kernel/errors.js';
import { MAX_SAMPLES } from '../sim/engine.js';
import type { Report } from '../sim/report.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml, type ChartLib } from '../report/html.js';
import { parseTime } from '../workload/units.js';
import { writeOutput, type Io } from './context.js';

export interface PictureOptions {
  interval?: string;
  csv?: string;
  html?: string;
}

/** -i/--interval: a positive time; with the run's duration at most MAX_SAMPLES intervals. */
export function parseInterval(s: string | undefined, durationNs?: number): number | undefined {
  if (s === undefined) return undefined;
  let ns: number;
  try {
    ns = parseTime(s);
  } catch (e) {
    throw new InputError((e as Error).message, { file: '--interval' });
  }
  if (!(ns > 0)) throw new InputError(`takes a time above 0, got '${s}'`, { file: '--interval' });
  if (durationNs !== undefined && durationNs / ns > MAX_SAMPLES) {
    throw new InputError(`${s} makes more than ${String(MAX_SAMPLES)} intervals in the run's duration; take a longer interval`, { file: '--interval' });
  }
  return ns;
}

/** uPlot's minified build and stylesheet, read from the installed package. */
export function loadChartLib(): ChartLib {
  const req = createRequire(import.meta.url);
  return {
    js: readFileSync(req.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(req.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** Writes --csv and --html for the given reports. */
export function writePictures(io: Io, o: PictureOptions, reports: readonly Report[], title: string, overlay: boolean): void {
  if (o.csv !== undefined) writeOutput(io, o.csv, renderCsv(reports));
  if (o.html !== undefined) writeOutput(io, o.html, renderHtml(reports, { title, overlay, lib: loadChartLib() }));
}
