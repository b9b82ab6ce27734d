import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeTargets, FigureValue, targetsMet } from './figure';
import { Machine } from './machine';

export interface RunInfo {
  mode: 'quick' | 'full';
  startedAt: string;
  seconds: number;
  statsContacts: number;
  workerConcurrency: number;
  /** API processes and workers of the intake figure's second run (--processes), 1 without. */
  processes: number;
}

function formatNumber(value: number | null, unit?: string): string {
  if (value === null || Number.isNaN(value)) return '—';
  const text = value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 2 : 1 });
  return unit ? `${text} ${unit}` : text;
}

function formatRatio(ratio: number | null): string {
  if (ratio === null) return '—';
  return ratio >= 0.095 && ratio < 10 ? `${Math.round(ratio * 100)}%` : `${ratio.toFixed(2)}×`;
}

function verdict(figure: FigureValue): string {
  if (figure.failed) return `failed: ${figure.failed}`;
  if (figure.unavailable) return `not available yet: ${figure.unavailable}`;
  const met = targetsMet(figure);
  const verdict = met === null ? '' : met ? 'met' : 'MISSED';
  return figure.warning ? `${verdict}${verdict ? ' ' : ''}(${figure.warning})` : verdict;
}

export function formatTable(machine: Machine, run: RunInfo, figures: FigureValue[]): string {
  const rows = figures.map((f) => [
    f.name,
    formatNumber(f.value, f.value === null ? undefined : f.unit),
    formatNumber(f.baseline, f.baseline === null ? undefined : baselineUnit(f)),
    formatRatio(f.ratio),
    describeTargets(f),
    verdict(f),
  ]);
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  widths[widths.length - 1] = 0;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    `Mayak bench (${run.mode}, ${run.startedAt}, ${Math.round(run.seconds)} s)`,
    `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memory}, node ${machine.node}, load ${machine.loadavg.join(' ')}`,
    `         PostgreSQL ${machine.postgres}; Redis ${machine.redis}; worker concurrency ${run.workerConcurrency}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w || 7))),
    ...rows.map(line),
    '',
    'ratio = value ÷ baseline measured in this run on the same servers (see bench/README.md).',
  ].join('\n');
}

/** The baseline of a throughput figure is in its own unit (rows/s, jobs/s); of a latency, the same. */
function baselineUnit(figure: FigureValue): string {
  // A figure against another of Mayak's own (the single-process run, say) shares its unit.
  if (figure.name.includes('.processes_') || figure.name.includes('.repeat_caller.'))
    return figure.unit;
  if (figure.name.startsWith('intake.throughput') || figure.name.startsWith('probe.throughput'))
    return 'rows/s';
  if (figure.name.startsWith('routing.')) return 'jobs/s';
  return figure.unit;
}

/** bench/results/latest.json and a dated copy; the path of the dated copy is returned. */
export async function writeResults(
  root: string,
  machine: Machine,
  run: RunInfo,
  figures: FigureValue[],
): Promise<string> {
  const dir = path.join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const document = {
    machine,
    run,
    figures: figures.map((f) => ({
      name: f.name,
      value: f.value,
      unit: f.unit,
      baseline: f.baseline,
      ratio: f.ratio === null ? null : Math.round(f.ratio * 1000) / 1000,
      target: describeTargets(f) || undefined,
      met: targetsMet(f) ?? undefined,
      unavailable: f.unavailable,
      failed: f.failed,
      warning: f.warning,
      note: f.note,
    })),
  };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  // ISO 8601 basic format: no colons, so the name is valid on every file system.
  const stamp = run.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dated = path.join(dir, `${stamp}.json`);
  await writeFile(dated, json);
  await writeFile(path.join(dir, 'latest.json'), json);
  return dated;
}
