import { InputError } from '../../kernel/errors.js';
import type { Report } from '../../sim/report.js';
import { reportFromJson } from '../../report/json.js';
import type { Io } from '../context.js';
import { readText } from '../load.js';
import { writePictures } from '../pictures.js';

export interface ReportCliOptions {
  html?: string;
  csv?: string;
}

/** The reports in one saved --json file: pp-sim/report@1, or the reports of compare@1 / ci@1. */
function reportsOf(file: string): { reports: Report[]; compare: boolean } {
  let data: unknown;
  try {
    data = JSON.parse(readText(file));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`not JSON: ${(e as Error).message}`, { file });
  }
  const d = data as { schema?: unknown; reports?: unknown };
  if (d.schema === 'pp-sim/report@1') return { reports: [data as Report], compare: false };
  if ((d.schema === 'pp-sim/compare@1' || d.schema === 'pp-sim/ci@1') && Array.isArray(d.reports)) {
    return { reports: d.reports as Report[], compare: d.schema === 'pp-sim/compare@1' };
  }
  throw new InputError(`schema is ${JSON.stringify(d.schema)}, want pp-sim/report@1, pp-sim/compare@1 or pp-sim/ci@1`, { file, key: 'schema' });
}

/** pp-sim report <file...> --html/--csv: renders saved JSON reports (CI artifacts). */
export function reportCommand(io: Io, files: string[], o: ReportCliOptions): number {
  if (o.html === undefined && o.csv === undefined) throw new InputError('report needs --html <file> or --csv <file>', { file: 'report' });
  const all = files.map(reportsOf);
  const reports = all.flatMap((x) => x.reports.map(reportFromJson));
  writePictures(io, o, reports, `pp-sim report ${files.join(' ')}`, all.every((x) => x.compare));
  if (o.html !== undefined && o.html !== '-') io.stderr(`pp-sim: wrote ${o.html} (${String(reports.length)} report${reports.length === 1 ? '' : 's'})\n`);
  return 0;
}
