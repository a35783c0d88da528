/**
 * How benchmarks report: a line per figure on stdout and a JSON line in
 * bench-results/latest.jsonl, with the target beside the measurement when the issue gives one.
 */
import fs from 'node:fs';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** e.g. '< 60 s' or '>= 40% of bare' */
  target?: string;
  /** Whether the target holds; undefined when there is no target. */
  met?: boolean;
  detail?: Record<string, unknown>;
}

export function report(figure: Figure): void {
  const target = figure.target ? `  (target ${figure.target}: ${figure.met ? 'met' : 'NOT met'})` : '';
  const v = Number.isInteger(figure.value) ? figure.value : figure.value.toFixed(2);
  console.log(`${figure.name.padEnd(58)} ${String(v).padStart(12)} ${figure.unit}${target}`);
  fs.mkdirSync('bench-results', { recursive: true });
  fs.appendFileSync(
    'bench-results/latest.jsonl',
    `${JSON.stringify({ ...figure, at: new Date().toISOString() })}\n`,
  );
}

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}
