import { useId } from 'react';
import { useI18n } from '../../i18n/i18n';
import { axisTicks, knownCount, type Value } from './stats';

/** How a value reads: a number, "< k" for a withheld one, "≥ n" when known only from below. */
export function useValueText(k: number): (value: Value) => string {
  const { number } = useI18n();
  return (value) => {
    switch (value.kind) {
      case 'count':
        return number(value.count);
      case 'suppressed':
        return `< ${number(k)}`;
      case 'atLeast':
        return `≥ ${number(value.count)}`;
    }
  };
}

export interface LinePoint {
  key: string;
  label: string;
  value: Value;
}

const W = 760;
const H = 230;
const PAD = { left: 48, right: 16, top: 16, bottom: 34 };

/**
 * Counts over time as an SVG line (attributes only: the CSP allows no inline style). A
 * withheld period breaks the line and is marked on the axis with "< k"; each point carries
 * its value as a tooltip, and the numbers are also in the table below the chart.
 */
export function LineChart({ points, k, title }: { points: LinePoint[]; k: number; title: string }) {
  const titleId = useId();
  const text = useValueText(k);
  const max = Math.max(k, ...points.map((p) => knownCount(p.value)));
  const ticks = axisTicks(max);
  const top = ticks[ticks.length - 1] ?? max;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) =>
    PAD.left + (points.length <= 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v: number) => PAD.top + innerH - (v / top) * innerH;

  // One path segment per run of published points; a withheld point ends the run.
  let d = '';
  let drawing = false;
  points.forEach((point, i) => {
    if (point.value.kind === 'suppressed') {
      drawing = false;
      return;
    }
    d += `${drawing ? 'L' : 'M'}${x(i).toFixed(1)} ${y(point.value.count).toFixed(1)}`;
    drawing = true;
  });
  const labelEvery = Math.max(1, Math.ceil(points.length / 12));

  return (
    <svg
      className="chart chart--line"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby={titleId}
    >
      <title id={titleId}>{title}</title>
      {ticks.map((tick) => (
        <g key={tick}>
          <line
            className="chart__grid"
            x1={PAD.left}
            x2={W - PAD.right}
            y1={y(tick)}
            y2={y(tick)}
          />
          <text className="chart__axis" x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
            {tick}
          </text>
        </g>
      ))}
      <line className="chart__threshold" x1={PAD.left} x2={W - PAD.right} y1={y(k)} y2={y(k)} />
      <path className="chart__line" d={d} />
      {points.map((point, i) =>
        point.value.kind === 'suppressed' ? (
          <g key={point.key} className="chart__withheld">
            <title>{`${point.label}: ${text(point.value)}`}</title>
            <rect
              className="chart__withheld-band"
              x={x(i) - 7}
              y={y(k)}
              width={14}
              height={y(0) - y(k)}
            />
            <text className="chart__withheld-label" x={x(i)} y={y(k) - 5} textAnchor="middle">
              {text(point.value)}
            </text>
          </g>
        ) : (
          <circle
            key={point.key}
            className="chart__point"
            cx={x(i)}
            cy={y(point.value.count)}
            r={4}
          >
            <title>{`${point.label}: ${text(point.value)}`}</title>
          </circle>
        ),
      )}
      {points.map((point, i) =>
        i % labelEvery === 0 ? (
          <text
            key={point.key}
            className="chart__axis"
            x={x(i)}
            y={H - PAD.bottom + 18}
            textAnchor="middle"
          >
            {point.label}
          </text>
        ) : null,
      )}
    </svg>
  );
}

export interface Bar {
  key: string;
  label: string;
  value: Value;
}

/**
 * Horizontal bars: names as text (they wrap, and screen readers read them in order), each
 * bar an SVG rectangle sized by attribute. A withheld value is a dashed outline up to k,
 * "somewhere below k", never a solid bar that would pretend to a number.
 */
export function BarChart({ bars, k, title }: { bars: Bar[]; k: number; title: string }) {
  const text = useValueText(k);
  const max = Math.max(k, ...bars.map((b) => knownCount(b.value)));
  const pct = (v: number) => `${((v / max) * 100).toFixed(2)}%`;
  return (
    <figure className="bars">
      <figcaption className="bars__title">{title}</figcaption>
      <ul className="bars__list">
        {bars.map((bar) => (
          <li key={bar.key} className="bars__item">
            <span className="bars__label">{bar.label}</span>
            <svg className="bars__bar" aria-hidden="true" focusable="false">
              {bar.value.kind === 'suppressed' ? (
                <rect
                  className="bars__rect bars__rect--withheld"
                  x="1"
                  y="3"
                  width={pct(k)}
                  height="14"
                />
              ) : (
                <rect
                  className={
                    bar.value.kind === 'atLeast' ? 'bars__rect bars__rect--partial' : 'bars__rect'
                  }
                  x="0"
                  y="2"
                  width={pct(bar.value.count)}
                  height="16"
                />
              )}
            </svg>
            <span
              className={
                bar.value.kind === 'suppressed'
                  ? 'bars__value bars__value--withheld'
                  : 'bars__value'
              }
            >
              {text(bar.value)}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
