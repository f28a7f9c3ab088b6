/**
 * The scalar arithmetic of canonical inference (docs/CANONICAL_INFERENCE.md): binary32 rounding
 * and the transcendental functions, built from IEEE-754 binary64 basic operations only (+, −, ×,
 * ÷, floor), each of which every conforming JavaScript engine and CPU rounds the same way. No
 * `Math.exp`/`Math.tanh`: the language leaves their last bits to the engine.
 *
 * binary32 operations come from binary64 ones: for a, b binary32, `fround(a ∘ b)` is the correctly
 * rounded binary32 result of ∘ ∈ {+, −, ×, ÷} and of √ (binary64 carries more than 2·24 + 2 bits,
 * so rounding twice equals rounding once), which is what a binary32 FPU or WebAssembly's f32 and
 * f32x4 instructions compute. A store into a Float32Array rounds the same way as `Math.fround`.
 */

/** Rounds a binary64 value to the nearest binary32 (ties to even). */
export const f32 = Math.fround

/** Powers of two 2^n for n in [-POW2_OFFSET, POW2_OFFSET], exact (built by doubling and halving). */
const POW2_OFFSET = 160
const POW2 = new Float64Array(2 * POW2_OFFSET + 1)
POW2[POW2_OFFSET] = 1
for (let n = 1; n <= POW2_OFFSET; n++) {
  POW2[POW2_OFFSET + n] = POW2[POW2_OFFSET + n - 1] * 2
  POW2[POW2_OFFSET - n] = POW2[POW2_OFFSET - n + 1] / 2
}

/** log2(e), and ln 2 split in a high part with 21 trailing zero bits (n · LN2_HI is exact for |n| < 2^11) and the rest (fdlibm's constants). */
const LOG2E = 1.4426950408889634
const LN2_HI = 6.9314718036912381649e-1
const LN2_LO = 1.9082149292705877e-10

/** 1/k! for k = 0..12, each a correctly rounded binary64 division of exact integers. */
const INV_FACTORIAL: readonly number[] = (() => {
  const out: number[] = []
  let fact = 1
  for (let k = 0; k <= 12; k++) {
    if (k > 0) fact *= k // exact: 12! < 2^53
    out.push(1 / fact)
  }
  return out
})()

/** Above this, e^x overflows binary32 (e^88.73 > 3.4028235e38). */
const EXP_OVERFLOW = 89
/** Below this, e^x rounds to +0 in binary32 (e^-104 < 2^-150, half the smallest subnormal). */
const EXP_UNDERFLOW = -104

/**
 * e^x in binary64 for a binary32 (or any finite binary64) x, by a fixed recipe: n = floor(x·log2e + ½),
 * r = (x − n·LN2_HI) − n·LN2_LO, e^r by the degree-12 Taylor polynomial in Horner form
 * (((c12·r + c11)·r + …)·r + c0, ck = 1/k!), times 2^n. Relative error below 1e-15: far below
 * binary32's half ulp, so rounding the result to binary32 gives the correctly rounded value
 * except in rare ties, and always the same value on every machine.
 */
export function exp64(x: number): number {
  if (x !== x) return NaN
  if (x > EXP_OVERFLOW) return Infinity
  if (x < EXP_UNDERFLOW) return 0
  const n = Math.floor(x * LOG2E + 0.5)
  const r = x - n * LN2_HI - n * LN2_LO
  let p = INV_FACTORIAL[12]
  for (let k = 11; k >= 0; k--) p = p * r + INV_FACTORIAL[k]
  return p * POW2[POW2_OFFSET + n]
}

/** Canonical binary32 e^x. */
export function expF32(x: number): number {
  return f32(exp64(x))
}

/** Canonical binary32 logistic sigmoid: f32(1 / (1 + exp64(−x))). */
export function sigmoidF32(x: number): number {
  return f32(1 / (1 + exp64(-x)))
}

/** Below this magnitude tanh(x) rounds to x in binary32 (|tanh x − x| < x³/3, under half an ulp of x). */
const TANH_LINEAR = 2 ** -13
/** Above this magnitude tanh(x) rounds to ±1 in binary32 (1 − tanh 10 ≈ 4e-9, under half an ulp of 1). */
const TANH_SATURATE = 10

/** Canonical binary32 tanh: x for |x| < 2^-13, ±1 for |x| > 10, else ±f32((e − 1)/(e + 1)) with e = exp64(2|x|). */
export function tanhF32(x: number): number {
  if (x !== x) return NaN
  const a = x < 0 ? -x : x
  if (a < TANH_LINEAR) return x
  if (a > TANH_SATURATE) return x < 0 ? -1 : 1
  const e = exp64(2 * a)
  const t = f32((e - 1) / (e + 1))
  return x < 0 ? -t : t
}

/** Rounds to the nearest integer, ties to even (ONNX QuantizeLinear's rounding); exact for |v| < 2^52. */
export function roundHalfEven(v: number): number {
  const floor = Math.floor(v)
  const frac = v - floor
  if (frac > 0.5) return floor + 1
  if (frac < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

/** IEEE-754 maximum: NaN if either is NaN, else the larger; on equal values (±0) the first. */
export function maxF(a: number, b: number): number {
  if (a !== a || b !== b) return NaN
  return b > a ? b : a
}

/** IEEE-754 minimum: NaN if either is NaN, else the smaller; on equal values (±0) the first. */
export function minF(a: number, b: number): number {
  if (a !== a || b !== b) return NaN
  return b < a ? b : a
}
