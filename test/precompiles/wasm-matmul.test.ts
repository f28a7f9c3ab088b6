/**
 * The WebAssembly SIMD matmul (precompiles/canonical/wasm-matmul.ts) against the canonical
 * definition, bit for bit: out[i][j] = s_K, s_0 = +0, s_{k+1} = f32(s_k + f32(A[i][k]·B[k][j])).
 * Results are compared as Uint32 bit patterns, never with a tolerance; the one exception is NaN,
 * whose bits are not specified (only NaN-ness is). The last block shows that this comparison does
 * fail for the tempting alternatives (fused multiply-add, a wider accumulator, sums split over k).
 */
import { describe, expect, it } from 'vitest'
import { matmulReference, WasmMatmul, wasmSimdAvailable } from '../../precompiles/canonical/wasm-matmul.ts'
import { createPrng, type Prng } from '../../scripts/models/prng.ts'

// ---------------------------------------------------------------------------------------------
// Bits, values and shapes
// ---------------------------------------------------------------------------------------------

const bitsOf = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)
const hex = (bits: number) => `0x${bits.toString(16).padStart(8, '0')}`

/** Indices where x and y differ in bits; two NaNs count as equal whatever their bits. */
function bitMismatches(x: Float32Array, y: Float32Array): number[] {
  expect(x.length).toBe(y.length)
  const bx = bitsOf(x)
  const by = bitsOf(y)
  const out: number[] = []
  for (let i = 0; i < x.length; i++) if (bx[i] !== by[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) out.push(i)
  return out
}

function expectSameBits(actual: Float32Array, expected: Float32Array, context: string): void {
  const bad = bitMismatches(actual, expected)
  if (bad.length === 0) return
  const i = bad[0]
  expect.fail(`${context}: ${bad.length} of ${actual.length} values differ; first at ${i}: ${hex(bitsOf(actual)[i])} (${actual[i]}) instead of ${hex(bitsOf(expected)[i])} (${expected[i]})`)
}

const fromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer)
const randomU32 = (p: Prng) => Math.floor(p.next() * 2 ** 32) >>> 0
const sign = (p: Prng) => (p.next() < 0.5 ? -1 : 1)
const pick = <T>(p: Prng, xs: readonly T[]): T => xs[Math.floor(p.next() * xs.length)]

/** Value families, each chosen so that the order of rounding matters somewhere. */
const GENERATORS: Record<string, (p: Prng) => number> = {
  normal: (p) => p.normal(),
  // 1e-8 … 1e8: most additions lose low bits, and which ones depends on the order
  'mixed magnitudes': (p) => sign(p) * 10 ** p.uniform(-8, 8),
  // large terms that cancel, so what the small ones left behind shows in the result
  cancellations: (p) => pick(p, [1e8, -1e8, 3e7, -3e7, 1, -1, 0.5, -3, 1e-3, 16777217, -16777216]),
  // subnormals, and tiny normals whose products and sums fall into the subnormal range
  subnormals: (p) => {
    const r = p.next()
    if (r < 0.4) return fromBits([(randomU32(p) & 0x807fffff) >>> 0])[0]
    if (r < 0.8) return sign(p) * 10 ** p.uniform(-25, -15)
    return sign(p) * p.uniform(0.5, 4)
  },
  'signed zeros': (p) => pick(p, [0, -0, 0, -0, 1, -1, 2.5, -1e-30]),
  // up to float32's largest: products and sums overflow to ±Infinity, Infinity − Infinity is NaN
  extremes: (p) => (p.next() < 0.05 ? sign(p) * Infinity : sign(p) * 10 ** p.uniform(15, 38.5)),
  // every bit pattern, NaNs and infinities included (one in 128 has the all-ones exponent)
  'random bits': (p) => fromBits([randomU32(p)])[0],
}
const GENERATOR_NAMES = Object.keys(GENERATORS)

function values(p: Prng, generator: string, n: number): Float32Array {
  const gen = GENERATORS[generator]
  return Float32Array.from({ length: n }, () => gen(p))
}

/** A dimension from 1 to 300, small ones more often, every N mod 24 and N mod 4 reached. */
const dimension = (p: Prng) => (p.next() < 0.3 ? 1 + Math.floor(p.next() * 8) : 1 + Math.floor(10 ** p.uniform(0, Math.log10(300))))

const EDGE_SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 1, 3], [1, 1, 4], [1, 1, 5], [2, 1, 300], [300, 1, 7], [7, 300, 1],
  [1, 64, 256], [1, 256, 256], [1, 256, 10], [2, 5, 23], [2, 5, 24], [2, 5, 25], [3, 9, 47], [3, 9, 48],
  [1, 300, 300], [300, 300, 2],
]

/** Multiplies through a WasmMatmul at 4-byte (not always 16-byte) aligned addresses, with guards around out. */
function wasmMatmul(mm: WasmMatmul, p: Prng, a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const mark = mm.mark()
  const skew = () => 4 * Math.floor(p.next() * 4)
  const aPtr = mm.alloc(a.length + 4) + skew()
  const bPtr = mm.alloc(b.length + 4) + skew()
  const guarded = mm.alloc(M * N + 8)
  const outPtr = guarded + 16
  mm.f32(aPtr, a.length).set(a)
  mm.f32(bPtr, b.length).set(b)
  bitsOf(mm.f32(guarded, M * N + 8)).fill(0x7fc0dead) // a NaN: out is overwritten, never read
  mm.matmul(aPtr, bPtr, outPtr, M, K, N)
  const guards = bitsOf(mm.f32(guarded, M * N + 8))
  for (const i of [0, 1, 2, 3, M * N + 4, M * N + 5, M * N + 6, M * N + 7]) expect(hex(guards[i]), `guard ${i} around out`).toBe('0x7fc0dead')
  const out = mm.f32(outPtr, M * N).slice()
  mm.reset(mark)
  return out
}

// ---------------------------------------------------------------------------------------------
// The alternatives the kernel must not be: each differs from the definition on some inputs.
// ---------------------------------------------------------------------------------------------

/**
 * s + a·b with the product unrounded (exact in a double) and the sum rounded to float32: what
 * FMA does (the sum is rounded through a double first, which the hand-made cases never notice).
 */
function matmulFused(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const out = new Float32Array(M * N)
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0
      for (let k = 0; k < K; k++) s = Math.fround(s + a[i * K + k] * b[k * N + j])
      out[i * N + j] = s
    }
  }
  return out
}

/** A double accumulator rounded once at the end: a "more accurate" sum. */
function matmulWideAccumulator(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const out = new Float32Array(M * N)
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0
      for (let k = 0; k < K; k++) s += Math.fround(a[i * K + k] * b[k * N + j])
      out[i * N + j] = s
    }
  }
  return out
}

/** Four partial sums over k mod 4, added at the end: what vectorizing over k would do. */
function matmulSplitK(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const out = new Float32Array(M * N)
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const lanes = [0, 0, 0, 0]
      for (let k = 0; k < K; k++) lanes[k % 4] = Math.fround(lanes[k % 4] + Math.fround(a[i * K + k] * b[k * N + j]))
      out[i * N + j] = Math.fround(Math.fround(Math.fround(lanes[0] + lanes[1]) + lanes[2]) + lanes[3])
    }
  }
  return out
}

/** The definition read literally: for each out[i][j], s from +0 over k = 0 … K-1. */
function matmulLiteral(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const out = new Float32Array(M * N)
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0
      for (let k = 0; k < K; k++) s = Math.fround(s + Math.fround(a[i * K + k] * b[k * N + j]))
      out[i * N + j] = s
    }
  }
  return out
}

const u = 2 ** -12
/** One column each (N = 1); `canonical` is the definition's bits, worked out by hand. */
const ROUNDING_CASES = [
  {
    // (1 + u)² = 1 + 2u + u² rounds (a tie, to even) to 1 + 2u, which the first term cancels: 0.
    // Fused, the product is not rounded and u² = 2^-24 survives.
    name: 'a product whose rounding is cancelled',
    a: Float32Array.of(-(1 + 2 * u), 1 + u),
    b: Float32Array.of(1, 1 + u),
    canonical: 0x00000000,
    fused: 2 ** -24,
    wide: 0,
    splitK: 0,
  },
  {
    // in order: 1e8 absorbs the three 1s (its ulp is 8), −1e8 cancels, then 1 + 1 + 1 = 3.
    // A double accumulator keeps the 1s: 6. Split over k mod 4: lane 0 gets 1e8 − 1e8 = 0,
    // lanes 1-3 get 2 each: 6.
    name: 'small terms absorbed by a large one before it cancels',
    a: Float32Array.of(1e8, 1, 1, 1, -1e8, 1, 1, 1),
    b: new Float32Array(8).fill(1),
    canonical: 0x40400000, // 3
    fused: 3,
    wide: 6,
    splitK: 6,
  },
  {
    // every product is −0; +0 + −0 = +0. Starting the sum from the first product would give −0.
    name: 'products that are all −0',
    a: Float32Array.of(-1, 0),
    b: Float32Array.of(0, -1),
    canonical: 0x00000000,
    fused: 0,
    wide: 0,
    splitK: 0,
  },
]

// ---------------------------------------------------------------------------------------------

describe('wasmSimdAvailable', () => {
  it('is true on the Node versions we run (so the kernel, not the fallback, is what these tests check)', () => {
    expect(wasmSimdAvailable()).toBe(true)
  })
})

describe('matmulReference', () => {
  it('is the definition read literally, bit for bit', () => {
    const p = createPrng(1)
    for (let t = 0; t < 60; t++) {
      const [M, K, N] = [dimension(p), dimension(p), dimension(p)].map((d) => Math.min(d, 40))
      const gen = GENERATOR_NAMES[t % GENERATOR_NAMES.length]
      const a = values(p, gen, M * K)
      const b = values(p, gen, K * N)
      expectSameBits(matmulReference(a, b, M, K, N), matmulLiteral(a, b, M, K, N), `[${M},${K}]·[${K},${N}] ${gen}`)
    }
  })

  it('rejects operands whose lengths do not match the shape', () => {
    expect(() => matmulReference(new Float32Array(6), new Float32Array(6), 2, 3, 3)).toThrow(RangeError)
  })
})

describe('WasmMatmul.matmul', () => {
  it('gives the reference bits on seeded random shapes and values of every family', () => {
    const p = createPrng(20_240_601)
    const mm = new WasmMatmul()
    const shapes: [number, number, number][] = [...EDGE_SHAPES]
    while (shapes.length < 500) {
      const shape: [number, number, number] = [dimension(p), dimension(p), dimension(p)]
      if (shape[0] * shape[1] * shape[2] <= 3_000_000) shapes.push(shape)
    }
    const seen = { nan: 0, infinity: 0, subnormal: 0, zero: 0 }
    shapes.forEach(([M, K, N], t) => {
      const genA = GENERATOR_NAMES[t % GENERATOR_NAMES.length]
      const genB = t % 3 === 0 ? pick(p, GENERATOR_NAMES) : genA
      const a = values(p, genA, M * K)
      const b = values(p, genB, K * N)
      const expected = matmulReference(a, b, M, K, N)
      expectSameBits(wasmMatmul(mm, p, a, b, M, K, N), expected, `[${M},${K}]·[${K},${N}] A ${genA}, B ${genB}`)
      for (const x of expected) {
        if (Number.isNaN(x)) seen.nan++
        else if (!Number.isFinite(x)) seen.infinity++
        else if (x === 0) seen.zero++
        else if (Math.abs(x) < 2 ** -126) seen.subnormal++
      }
    })
    // the corpus reaches every special case it claims to
    expect(seen.nan).toBeGreaterThan(0)
    expect(seen.infinity).toBeGreaterThan(0)
    expect(seen.subnormal).toBeGreaterThan(0)
    expect(seen.zero).toBeGreaterThan(0)
  })

  it('gives the reference bits on the hand-made cases where order, fusion or the start value matter', () => {
    const mm = new WasmMatmul()
    const p = createPrng(7)
    for (const c of ROUNDING_CASES) {
      expectSameBits(wasmMatmul(mm, p, c.a, c.b, 1, c.a.length, 1), fromBits([c.canonical]), c.name)
      expectSameBits(matmulReference(c.a, c.b, 1, c.a.length, 1), fromBits([c.canonical]), c.name)
    }
  })

  it('treats Infinity and NaN as IEEE-754 does: Infinity·0 and Infinity − Infinity are NaN, overflow is Infinity', () => {
    const mm = new WasmMatmul()
    const p = createPrng(8)
    const a = Float32Array.of(Infinity, 1, 3e38, 3e38)
    const b = Float32Array.of(0, 1, 1, NaN, 1e38, 0, -Infinity, 1, 0, 0)
    const out = wasmMatmul(mm, p, a, b, 2, 2, 5)
    const expected = [NaN, NaN, Infinity, NaN, Infinity, 0, -Infinity, Infinity, NaN, Infinity]
    expected.forEach((x, i) => (Number.isNaN(x) ? expect(out[i], `out ${i}`).toBeNaN() : expect(out[i], `out ${i}`).toBe(x)))
    expectSameBits(out, matmulReference(a, b, 2, 2, 5), 'infinities')
  })

  it('writes +0 everywhere when K = 0, and writes nothing when M or N is 0', () => {
    const mm = new WasmMatmul()
    const out = mm.alloc(12)
    mm.f32(out, 12).fill(-1)
    mm.matmul(0, 0, out, 3, 0, 4)
    expect([...bitsOf(mm.f32(out, 12))]).toEqual(new Array(12).fill(0))
    mm.f32(out, 12).fill(-1)
    mm.matmul(0, 0, out, 0, 5, 4)
    mm.matmul(0, 0, out, 3, 5, 0)
    expect([...mm.f32(out, 12)]).toEqual(new Array(12).fill(-1))
  })

  it('rejects operands beyond the memory, misaligned addresses, bad dimensions and an out that overlaps A or B', () => {
    const mm = new WasmMatmul(65_536)
    const a = mm.alloc(16)
    const b = mm.alloc(16)
    const out = mm.alloc(16)
    expect(() => mm.matmul(a, b, 65_536 - 8, 4, 4, 4)).toThrow(/out \[65528, 65592\) is beyond the memory/)
    expect(() => mm.matmul(a + 2, b, out, 4, 4, 4)).toThrow(/A address must be a non-negative multiple of 4/)
    expect(() => mm.matmul(a, b, out, 4, 1.5, 4)).toThrow(/K must be an integer/)
    expect(() => mm.matmul(a, b, a + 8, 2, 2, 2)).toThrow(/out overlaps A or B/)
    expect(() => mm.matmul(a, b, b, 4, 4, 4)).toThrow(/out overlaps A or B/)
    mm.matmul(a, a, out, 4, 4, 4) // A and B may be the same matrix
  })
})

describe('WasmMatmul memory', () => {
  it('keeps earlier allocations intact when the memory grows, at the same addresses', () => {
    const mm = new WasmMatmul(0)
    const p = createPrng(3)
    const a = values(p, 'normal', 5 * 7)
    const b = values(p, 'normal', 7 * 9)
    const aPtr = mm.alloc(a.length)
    const bPtr = mm.alloc(b.length)
    mm.f32(aPtr, a.length).set(a)
    mm.f32(bPtr, b.length).set(b)
    const before = mm.memory.buffer.byteLength
    const oldView = mm.f32(aPtr, a.length)

    const big = mm.alloc(3 * 2 ** 20) // 12 MiB: grows the memory
    expect(mm.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 12 * 2 ** 20)
    expect(mm.memory.buffer.byteLength).toBeGreaterThan(before)
    expect(oldView.length).toBe(0) // views made before a growth are detached: make them again
    expectSameBits(mm.f32(aPtr, a.length), a, 'A after growth')
    expectSameBits(mm.f32(bPtr, b.length), b, 'B after growth')

    const outPtr = mm.alloc(5 * 9)
    mm.matmul(aPtr, bPtr, outPtr, 5, 7, 9)
    expectSameBits(mm.f32(outPtr, 45), matmulReference(a, b, 5, 7, 9), 'product after growth')
  })

  it('frees scratch with reset(mark) and keeps the resident weights below the mark', () => {
    const mm = new WasmMatmul()
    const p = createPrng(4)
    const w = values(p, 'mixed magnitudes', 64 * 10)
    const wPtr = mm.alloc(w.length)
    mm.f32(wPtr, w.length).set(w)
    const mark = mm.mark()
    let firstScratch: number | undefined
    for (let call = 0; call < 5; call++) {
      mm.reset(mark)
      const x = values(p, 'mixed magnitudes', 64)
      const xPtr = mm.alloc(64)
      const yPtr = mm.alloc(10)
      firstScratch ??= xPtr
      expect(xPtr).toBe(firstScratch) // the same scratch, call after call
      mm.f32(xPtr, 64).set(x)
      mm.matmul(xPtr, wPtr, yPtr, 1, 64, 10)
      expectSameBits(mm.f32(yPtr, 10), matmulReference(x, w, 1, 64, 10), `call ${call}`)
    }
    expect(mm.allocatedBytes).toBe(mark + 64 * 4 + 12 * 4) // 10 floats take 12: 16-byte steps
    expectSameBits(mm.f32(wPtr, w.length), w, 'weights')
    expect(() => mm.reset(mm.allocatedBytes + 16)).toThrow(RangeError)
    expect(() => mm.reset(8)).toThrow(RangeError)
  })

  it('hands out 16-byte aligned, disjoint allocations, and instances do not share memory', () => {
    const mm = new WasmMatmul()
    const ptrs = [1, 3, 4, 0, 5].map((n) => [mm.alloc(n), n] as const)
    for (const [ptr] of ptrs) expect(ptr % 16).toBe(0)
    for (let i = 1; i < ptrs.length; i++) expect(ptrs[i][0]).toBeGreaterThanOrEqual(ptrs[i - 1][0] + 4 * ptrs[i - 1][1])

    const other = new WasmMatmul()
    mm.f32(0, 4).fill(1)
    expect([...other.f32(0, 4)]).toEqual([0, 0, 0, 0])
  })
})

// ---------------------------------------------------------------------------------------------
// The check can fail: the alternatives give other bits, and bitMismatches sees it.
// ---------------------------------------------------------------------------------------------

describe('what the bit-exact check catches', () => {
  it('tells fused multiply-add, a double accumulator and sums split over k from the definition', () => {
    for (const c of ROUNDING_CASES) {
      const K = c.a.length
      const canonical = fromBits([c.canonical])
      expect(matmulFused(c.a, c.b, 1, K, 1)[0], `${c.name}: fused`).toBe(c.fused)
      expect(matmulWideAccumulator(c.a, c.b, 1, K, 1)[0], `${c.name}: double accumulator`).toBe(c.wide)
      expect(matmulSplitK(c.a, c.b, 1, K, 1)[0], `${c.name}: split over k`).toBe(c.splitK)
      for (const [alt, value] of [['fused', c.fused], ['wide', c.wide], ['splitK', c.splitK]] as const) {
        const differs = bitMismatches(Float32Array.of(value), canonical).length > 0
        expect(differs, `${c.name}: ${alt}`).toBe(value !== canonical[0])
      }
    }
    expect(bitMismatches(matmulFused(ROUNDING_CASES[0].a, ROUNDING_CASES[0].b, 1, 2, 1), fromBits([0]))).toEqual([0])
  })

  it('tells a sum that starts from the first product (−0 + … ) from one that starts from +0', () => {
    const startsFromFirstProduct = Float32Array.of(Math.fround(-1 * 0) + Math.fround(0 * -1)) // −0 + −0 = −0
    expect(bitMismatches(startsFromFirstProduct, fromBits([0]))).toEqual([0])
  })

  it('finds many differences on random data for each alternative, so a kernel doing any of them would fail', () => {
    const p = createPrng(5)
    const [M, K, N] = [4, 256, 64]
    for (const gen of ['normal', 'mixed magnitudes', 'cancellations']) {
      const a = values(p, gen, M * K)
      const b = values(p, gen, K * N)
      const canonical = matmulReference(a, b, M, K, N)
      for (const alt of [matmulFused, matmulWideAccumulator, matmulSplitK]) {
        expect(bitMismatches(alt(a, b, M, K, N), canonical).length, `${alt.name} on ${gen}`).toBeGreaterThan(M * N * 0.05)
      }
    }
  })
})
