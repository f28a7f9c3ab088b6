/**
 * Canonical inference (precompiles/canonical/, docs/CANONICAL_INFERENCE.md): the kernels cover
 * the allowlist, the scalar functions are accurate and defined at the edges, the definition's
 * choices hold on small hand-made models (sum order, rounding, NaN, saturation, ties to even), and
 * across seeded random models of every operator the result agrees with onnxruntime: exactly
 * wherever onnxruntime's result is itself exact (integer arithmetic, data movement), within float
 * rounding elsewhere. Bit-exactness across machines is the golden vectors' job
 * (canonical-golden.test.ts).
 */
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { CANONICAL_OPS, compileModel, exp64, expF32, roundHalfEven, sigmoidF32, tanhF32, type Data } from '../../precompiles/canonical/index.ts'
import { ALLOWED_OPS, analyzeModel, ModelValidationError } from '../../precompiles/onnx/analyze.ts'
import { deterministicSessionOptions } from '../../precompiles/sessions.ts'
import { trialInput } from '../../precompiles/trial.ts'
import { buildModel, type InitializerSpec, type NodeSpec } from '../../scripts/models/index.ts'
import { createPrng } from '../../scripts/models/prng.ts'
import { randomOpModel } from '../../scripts/models/random-graphs.ts'

/** Distance in binary32 units in the last place (same sign assumed; both finite). */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat32(0, a)
  view.setFloat32(4, b)
  return Math.abs(view.getInt32(0) - view.getInt32(4))
}

/** A one-node float model y = op(x, …initializers) with x float32[n]. */
function oneNode(op: string, n: number, extra: { inits?: InitializerSpec[]; attrs?: NodeSpec['attrs']; outType?: 'float32' | 'uint8' | 'int8' | 'int32' | 'int64'; outShape?: number[]; inputs?: string[] } = {}): Uint8Array {
  return buildModel({
    opset: 17,
    inputs: [{ name: 'x', type: 'float32', shape: [n] }],
    outputs: [{ name: 'y', type: extra.outType ?? 'float32', shape: extra.outShape ?? [n] }],
    initializers: extra.inits ?? [],
    nodes: [{ op, inputs: extra.inputs ?? ['x', ...(extra.inits ?? []).map((i) => i.name)], outputs: ['y'], attrs: extra.attrs }],
  })
}

const run = (bytes: Uint8Array, x: Data) => Array.from(compileModel(bytes).run(x) as Float32Array)

describe('canonical kernels', () => {
  it('exist for exactly the allowlisted operators', () => {
    expect([...CANONICAL_OPS]).toEqual([...ALLOWED_OPS].sort())
  })
})

describe('canonical scalar functions', () => {
  it('exp is within one binary32 ulp of the true value over its whole range, and exact at the edges', () => {
    let worst = 0
    for (let x = -103.9; x < 88.7; x += 0.0137) {
      const xf = Math.fround(x)
      worst = Math.max(worst, ulps(expF32(xf), Math.fround(Math.exp(xf))))
    }
    expect(worst).toBeLessThanOrEqual(1)
    expect(expF32(0)).toBe(1)
    expect(expF32(Infinity)).toBe(Infinity)
    expect(expF32(89)).toBe(Infinity)
    expect(expF32(-Infinity)).toBe(0)
    expect(expF32(-105)).toBe(0)
    expect(Number.isNaN(expF32(NaN))).toBe(true)
    // binary64 accuracy of the recipe itself (the binary32 result rounds it once)
    for (const x of [-50, -1, -1e-6, 1e-6, 0.5, 1, 10, 80]) expect(Math.abs(exp64(x) / Math.exp(x) - 1)).toBeLessThan(1e-14)
  })

  it('tanh and sigmoid are within two ulps, odd/saturating as defined, and keep the sign of zero', () => {
    let worstTanh = 0
    let worstSigmoid = 0
    for (let x = -12; x < 12; x += 0.00731) {
      const xf = Math.fround(x)
      worstTanh = Math.max(worstTanh, ulps(tanhF32(xf), Math.fround(Math.tanh(xf))))
      worstSigmoid = Math.max(worstSigmoid, ulps(sigmoidF32(xf), Math.fround(1 / (1 + Math.exp(-xf)))))
    }
    expect(worstTanh).toBeLessThanOrEqual(2)
    expect(worstSigmoid).toBeLessThanOrEqual(2)
    expect(Object.is(tanhF32(-0), -0)).toBe(true)
    expect(tanhF32(Math.fround(1e-5))).toBe(Math.fround(1e-5))
    expect(tanhF32(11)).toBe(1)
    expect(tanhF32(-11)).toBe(-1)
    expect(tanhF32(Math.fround(-0.3))).toBe(-tanhF32(Math.fround(0.3)))
    expect(sigmoidF32(0)).toBe(0.5)
    expect(sigmoidF32(-Infinity)).toBe(0)
    expect(sigmoidF32(Infinity)).toBe(1)
  })

  it('rounds half to even', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([-2, -2, 0, 0, 2, 2, 4, 2, 3])
  })
})

describe('the definition on hand-made models', () => {
  it('sums a product in k order with binary32 rounding after each step (not in binary64, not fused)', () => {
    // x · w with x = [1e8, 1, -1e8], w = [1, 1, 1]: f32(1e8 + 1) = 1e8, then − 1e8 = 0 (binary64 would give 1)
    const bytes = buildModel({
      opset: 17,
      inputs: [{ name: 'x', type: 'float32', shape: [1, 3] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 1] }],
      initializers: [{ name: 'w', type: 'float32', shape: [3, 1], values: [1, 1, 1] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    })
    for (const simd of [true, false]) expect(Array.from(compileModel(bytes, { simd }).run(Float32Array.of(1e8, 1, -1e8)) as Float32Array)).toEqual([0])
    expect(1e8 + 1 - 1e8).toBe(1) // what a binary64 accumulator would give
    // the same terms in another order: [1e8, −1e8, 1] gives 1, so the order is k order
    expect(Array.from(compileModel(bytes).run(Float32Array.of(1e8, -1e8, 1)) as Float32Array)).toEqual([1])
  })

  it('Max and Min propagate NaN; Relu keeps NaN and maps −0 to +0', () => {
    const nan = Float32Array.of(NaN, 1, -1)
    const max = run(oneNode('Max', 3, { inits: [{ name: 'b', type: 'float32', shape: [3], values: [0, NaN, 0] }] }), nan)
    expect(max.map(Number.isNaN)).toEqual([true, true, false])
    expect(max[2]).toBe(0)
    const relu = run(oneNode('Relu', 3), Float32Array.of(NaN, -0, -3))
    expect(Number.isNaN(relu[0])).toBe(true)
    expect(Object.is(relu[1], 0)).toBe(true)
    expect(relu[2]).toBe(0)
  })

  it('Cast float32 → uint8 and int32 truncates toward zero and saturates; NaN becomes 0', () => {
    const x = Float32Array.of(-1.5, 2.9, 300, NaN, -3e9)
    expect(Array.from(compileModel(oneNode('Cast', 5, { attrs: { to: { int: 2 } }, outType: 'uint8' })).run(x) as Int32Array)).toEqual([0, 2, 255, 0, 0])
    expect(Array.from(compileModel(oneNode('Cast', 5, { attrs: { to: { int: 6 } }, outType: 'int32' })).run(x) as Int32Array)).toEqual([-1, 2, 300, 0, -2147483648])
  })

  it('QuantizeLinear divides in binary32, rounds half to even and saturates', () => {
    const bytes = buildModel({
      opset: 17,
      inputs: [{ name: 'x', type: 'float32', shape: [1, 6] }],
      outputs: [{ name: 'y', type: 'int8', shape: [1, 6] }],
      initializers: [
        { name: 's', type: 'float32', shape: [], values: [0.5] },
        { name: 'z', type: 'int8', shape: [], values: [1] },
      ],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'] }],
    })
    // x / 0.5 = 0.5, 1.5, 2.5, −2.5, 1000, −1000 → 0, 2, 2, −2 (+1) and saturation
    expect(Array.from(compileModel(bytes).run(Float32Array.of(0.25, 0.75, 1.25, -1.25, 500, -500)) as Int8Array)).toEqual([1, 3, 3, -1, 127, -128])
  })

  it('Softmax follows its recipe: max, f32(exp(x − max)), a sum in order, a division per element', () => {
    const x = Float32Array.of(1, 2, 3, 4)
    const e = Array.from(x, (v) => expF32(Math.fround(v - 4)))
    let s = 0
    for (const v of e) s = Math.fround(s + v)
    expect(run(oneNode('Softmax', 4, { attrs: { axis: { int: 0 } } }), x)).toEqual(e.map((v) => Math.fround(v / s)))
  })

  it('Conv skips padded taps, also with a non-finite weight (0 · ∞ would be NaN)', () => {
    const conv = (w: number[]) =>
      buildModel({
        opset: 17,
        inputs: [{ name: 'x', type: 'float32', shape: [1, 1, 3] }],
        outputs: [{ name: 'y', type: 'float32', shape: [1, 1, 3] }],
        initializers: [{ name: 'w', type: 'float32', shape: [1, 1, 3], values: w }],
        nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: { ints: [1, 1] } } }],
      })
    const x = Float32Array.of(1, 2, 4)
    // finite weights (the matrix-product path) and the definition's loop agree
    expect(Array.from(compileModel(conv([1, 10, 100])).run(x) as Float32Array)).toEqual([210, 421, 42])
    // y[0]'s window starts on a pad: the infinite weight there is skipped, not multiplied by 0
    const y = Array.from(compileModel(conv([Infinity, 1, 1])).run(x) as Float32Array)
    expect(y[0]).toBe(3)
    expect(y[1]).toBe(Infinity)
  })

  it('integer products wrap like two’s complement int32', () => {
    const bytes = buildModel({
      opset: 17,
      inputs: [{ name: 'x', type: 'int32', shape: [1, 2] }],
      outputs: [{ name: 'y', type: 'int32', shape: [1, 1] }],
      initializers: [{ name: 'w', type: 'int32', shape: [2, 1], values: [65536, 65536] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    })
    // 65536 · 65536 = 2^32 → 0; 32768 · 65536 = 2^31 → −2^31
    expect(Array.from(compileModel(bytes).run(Int32Array.of(65536, 32768)) as Int32Array)).toEqual([-2147483648])
  })
})

/**
 * Operators onnxruntime computes exactly (no float rounding that depends on its kernels), for
 * which the canonical result must be identical. Cast is excluded: float → integer out of range is
 * undefined behaviour in onnxruntime (x86 wraps, ARM saturates), the definition saturates.
 */
const FLOAT_ROUNDING = new Set(['Gemm', 'MatMul', 'Sigmoid', 'Tanh', 'Softmax', 'Exp', 'Conv', 'BatchNormalization', 'ReduceSum', 'ReduceMean', 'AveragePool', 'Cast'])

describe('agreement with onnxruntime over seeded random models of every operator', () => {
  it.each(ALLOWED_OPS.map((op) => [op]))('%s', async (op) => {
    let compared = 0
    for (let seed = 1; seed <= 8; seed++) {
      const m = randomOpModel(op, createPrng(31_000 + seed * 97 + ALLOWED_OPS.indexOf(op)), { maxElements: 2048 })
      let info
      try {
        info = analyzeModel(m.bytes)
      } catch (err) {
        if (err instanceof ModelValidationError) continue
        throw err
      }
      const input = trialInput(info.input.type, info.input.length)
      const session = await InferenceSession.create(m.bytes, { ...deterministicSessionOptions(), logSeverityLevel: 4 })
      const want = (await session.run({ [info.input.name]: new Tensor(info.input.type, input, info.input.shape) }))[info.output.name].data as Data
      await session.release()
      const got = compileModel(m.bytes).run(input)
      expect(got.length, m.description).toBe(want.length)
      const exact = !FLOAT_ROUNDING.has(op)
      for (let i = 0; i < want.length; i++) {
        const [a, b] = [Number(got[i]), Number(want[i])]
        if (exact || Number.isNaN(b)) expect(Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b)), `${m.description} [${i}]: ${a} vs ${b}`).toBe(true)
        else if (op !== 'Cast') expect(Math.abs(a - b), `${m.description} [${i}]: ${a} vs ${b}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(b)))
      }
      compared++
    }
    expect(compared).toBeGreaterThan(0)
  })
})
