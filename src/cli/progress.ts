// Progress on stderr for long work: a bar only on a TTY and only once the work has run for a second,
// so quick commands and scripts stay quiet. Operations report through a callback; this renders it.
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

import type { ProgressFn } from '../ops/progress.js';

export type { ProgressEvent, ProgressFn } from '../ops/progress.js';

// Loaded on the first bar (~20 ms and 20 files): most runs, scripts and --json included, draw none.
const requireCjs = createRequire(import.meta.url);
let loaded: typeof cliProgressModule | undefined;
const cliProgress = (): typeof cliProgressModule => (loaded ??= requireCjs('cli-progress') as typeof cliProgressModule);

export function progressRenderer(enabled: boolean, delayMs = 1000): { report: ProgressFn; stop: () => void } {
  if (!enabled) return { report: () => undefined, stop: () => undefined };
  const started = Date.now();
  let bar: cliProgressModule.SingleBar | undefined;
  let phase = '';
  let phaseStart = Date.now();
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const report: ProgressFn = (e) => {
    if (bar === undefined && Date.now() - started < delayMs) return;
    if (bar === undefined || e.phase !== phase) {
      stop();
      phase = e.phase;
      const bytes = e.unit === 'bytes';
      const moved = e.bytes !== undefined ? ' | {moved} at {rate}' : '';
      phaseStart = Date.now();
      bar = new (cliProgress().SingleBar)(
        {
          format: `${e.phase.padEnd(12)} [{bar}] {percentage}% | {value}/{total} ${bytes ? 'MiB' : (e.unit ?? '')}${moved} | {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
          formatValue: (v, _o, type) => (bytes && (type === 'value' || type === 'total') ? (v / 1048576).toFixed(1) : String(v)),
        },
        cliProgress().Presets.shades_classic,
      );
      bar.start(e.total ?? 0, e.done, { moved: '', rate: '' });
    }
    if (e.total !== undefined) bar.setTotal(e.total);
    if (e.bytes !== undefined) {
      const secs = Math.max(0.001, (Date.now() - phaseStart) / 1000);
      bar.update(e.done, { moved: mib(e.bytes), rate: `${mib(e.bytes / secs)}/s` });
    } else bar.update(e.done);
  };
  return { report, stop };
}

function mib(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}
