/**
 * A tiny seeded PRNG (mulberry32) so that the example models are reproducible byte for byte:
 * the same seed gives the same datasets, the same initial weights and so the same model bytes
 * (and model id) on every machine. No Math.random, no clock.
 */
export interface Prng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number
  /** Approximately standard normal (Irwin–Hall: sum of 12 uniforms − 6), additions only. */
  normal(): number
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      let s = 0
      for (let i = 0; i < 12; i++) s += next()
      return s - 6
    },
  }
}
