/**
 * A one-line progress bar on stderr, only when stderr is a terminal (never in pipes, CI
 * logs or --json runs). Redraws at most ~12 times per second and erases itself at the end.
 */

export interface ProgressSink {
  update(label: string, index: number, count: number, fraction: number): void;
  done(): void;
}

export const NO_PROGRESS: ProgressSink = { update() {}, done() {} };

export function progressBar(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (!stream.isTTY) return NO_PROGRESS;
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(label, index, count, fraction) {
      const now = performance.now();
      if (fraction < 1 && now - last < 80) return;
      last = now;
      const overall = (index + Math.min(1, fraction)) / count;
      const filled = Math.round(overall * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      stream.write(`\r[${bar}] ${String(Math.floor(overall * 100)).padStart(3)}%  ${label} (${index + 1}/${count})\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}
