/**
 * Seeded pseudo-random numbers for the workload generator. The runner never uses
 * `Math.random`: every arrival time comes from these generators, so the same workload and
 * seed give the same numbers on every run and every machine.
 *
 * `mulberry32` is a 32-bit generator with a single word of state (period 2^32), plenty for
 * inter-arrival times; `splitSeed` derives independent per-stream seeds (splitmix32 mixing)
 * so adding a device to a workload does not change the arrivals of the others.
 */

/** A generator of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/** mulberry32 (Tommy Ettinger): one 32-bit state word, uniform output in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** splitmix32-style mixing of (seed, stream) into a well-spread 32-bit seed. */
export function splitSeed(seed: number, stream: number): number {
  let z = (seed >>> 0) ^ Math.imul((stream + 1) >>> 0, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** An exponentially distributed delay with the given mean (Poisson arrivals), >= 1. */
export function exponential(rng: Rng, mean: number): number {
  // 1 - u is in (0, 1], so the log is finite.
  return Math.max(1, Math.round(-Math.log(1 - rng.next()) * mean));
}

/** An integer in [0, n). */
export function pick(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}
