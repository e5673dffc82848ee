/** A one-line sweep progress bar with an ETA, on a terminal only (erased at the end). */
export interface SweepProgress {
  update(done: number, total: number, skipped: number): void;
  done(): void;
}

export function sweepProgress(stream: NodeJS.WriteStream | undefined): SweepProgress {
  if (!stream?.isTTY) return { update() {}, done() {} };
  const t0 = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total, skipped) {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      const ran = done - skipped;
      const left = total - done;
      const eta = ran > 0 ? ((now - t0) / ran) * left : NaN;
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} cells${skipped ? ` (${skipped} resumed)` : ""}  ETA ${formatEta(eta)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}

export function formatEta(ms: number): string {
  if (!Number.isFinite(ms)) return "--";
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
