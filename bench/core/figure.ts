import type { BenchContext } from './context';

/** A bound a figure should meet; `of: 'ratio'` bounds the ratio to the baseline instead. */
export interface Target {
  op: '>=' | '<=';
  value: number;
  of?: 'value' | 'ratio';
}

/**
 * One line of the table and one entry of the JSON. A figure that cannot be measured yet has
 * `value: null` and says why in `unavailable`; its baseline may still have been measured.
 */
export interface FigureValue {
  name: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  targets: Target[];
  /** "not available yet: <this>" in the table. */
  unavailable?: string;
  /** The figure was attempted and broke: "failed: <this>". */
  failed?: string;
  /** Context worth keeping beside the number (sample size, route, row size…). */
  note?: string;
  /** The figure was measured, but not under the conditions the spec asks for. */
  warning?: string;
}

/** One module under bench/figures: measures one figure (and its baseline) end to end. */
export interface Figure {
  /** Used by --only. */
  readonly id: string;
  /** What it measures, one line, for the progress log and the README. */
  readonly title: string;
  /** The names this figure produces, so a figure that throws can still report each one. */
  readonly names: ReadonlyArray<{ name: string; unit: string; targets?: Target[] }>;
  run(ctx: BenchContext): Promise<FigureValue[]>;
}

export function measured(
  name: string,
  value: number,
  unit: string,
  options: {
    baseline?: number | null;
    targets?: Target[];
    note?: string;
    /** false when the baseline is a reference only and a ratio to it would mislead. */
    ratio?: boolean;
  } = {},
): FigureValue {
  const baseline = options.baseline ?? null;
  return {
    name,
    value,
    unit,
    baseline,
    ratio: baseline && options.ratio !== false ? value / baseline : null,
    targets: options.targets ?? [],
    note: options.note,
  };
}

export function unavailable(
  name: string,
  unit: string,
  why: string,
  options: { baseline?: number | null; targets?: Target[]; note?: string } = {},
): FigureValue {
  return {
    name,
    value: null,
    unit,
    baseline: options.baseline ?? null,
    ratio: null,
    targets: options.targets ?? [],
    unavailable: why,
    note: options.note,
  };
}

/** Whether every target is met; null when there is nothing to judge. */
export function targetsMet(figure: FigureValue): boolean | null {
  if (figure.value === null || figure.targets.length === 0) return null;
  return figure.targets.every((t) => {
    const x = t.of === 'ratio' ? figure.ratio : figure.value;
    if (x === null) return false;
    return t.op === '>=' ? x >= t.value : x <= t.value;
  });
}

export function describeTargets(figure: Pick<FigureValue, 'targets' | 'unit'>): string {
  return figure.targets
    .map((t) =>
      t.of === 'ratio'
        ? t.value > 1
          ? `${t.op === '>=' ? '≥' : '≤'} ${t.value}× baseline`
          : `${t.op === '>=' ? '≥' : '≤'} ${Math.round(t.value * 100)}% of baseline`
        : `${t.op === '>=' ? '≥' : '≤'} ${t.value.toLocaleString('en-US')} ${figure.unit}`,
    )
    .join(', ');
}

/** A figure whose measurement broke; the run exits 1, and its baselines are still reported. */
export function failed(
  name: string,
  unit: string,
  error: unknown,
  targets: Target[] = [],
): FigureValue {
  const message = error instanceof Error ? error.message : String(error);
  return {
    name,
    value: null,
    unit,
    baseline: null,
    ratio: null,
    targets,
    failed: message.split('\n')[0].slice(0, 400),
  };
}
