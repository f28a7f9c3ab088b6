import { describe, expect, it } from 'vitest'
import {
  type Hex,
  bytesToHex,
  decodeErrorResult,
  decodeFunctionData,
  encodeFunctionData,
  encodeFunctionResult,
  hexToBytes,
  keccak256,
  parseAbi,
  toHex,
} from 'viem'
import {
  CodecError,
  FIXED_POINT_SCALE,
  FLOAT32_MAX_FIXED,
  INFER_SELECTOR,
  INT256_MAX,
  INT256_MIN,
  decodeInferCall,
  encodeInferCall,
  encodeInferResult,
  encodeRevertReason,
  fromTensorData,
  toTensorData,
  packWords,
} from '../../precompiles/tensor-codec.ts'
import { createPrng } from '../../scripts/models/prng.ts'

const E18 = FIXED_POINT_SCALE

// ---------------------------------------------------------------------------------------------
// float32 helpers (independent of the codec)

function bitsToF32(bits: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setUint32(0, bits >>> 0)
  return view.getFloat32(0)
}

function f32ToBits(x: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setFloat32(0, x)
  return view.getUint32(0)
}

function toBits(values: bigint[]): number[] {
  return [...(toTensorData(values, 'float32', values.length) as Float32Array)].map(f32ToBits)
}

/** A finite float32 (by bits) as M·2^E exactly, with sign. */
function exactParts(bits: number): { neg: boolean; M: bigint; E: number } {
  const exp = (bits >>> 23) & 0xff
  const frac = bits & 0x7fffff
  return { neg: bits >>> 31 === 1, M: BigInt(exp === 0 ? frac : frac | 0x800000), E: exp === 0 ? -149 : exp - 150 }
}

/**
 * Reference rounding of v/1e18 to float32 by search: start from the (possibly wrong)
 * double-rounded candidate and pick, among its neighbours, the float32 at the exactly smallest
 * distance, ties to the even significand. Distances are compared as integers scaled by 1e18·2^149.
 */
function referenceBits(v: bigint): number {
  const neg = v < 0n
  const m = neg ? -v : v
  const guess = f32ToBits(Math.fround(Number(m) / 1e18)) & 0x7fffffff
  let best = -1
  let bestDist = 0n
  for (let b = Math.max(0, guess - 3); b <= Math.min(0x7f7fffff, guess + 3); b++) {
    const { M, E } = exactParts(b)
    const target = m << 149n
    const candidate = (M * E18) << BigInt(E + 149)
    const dist = target > candidate ? target - candidate : candidate - target
    if (best < 0 || dist < bestDist || (dist === bestDist && (b & 1) === 0)) {
      best = b
      bestDist = dist
    }
  }
  return (best | (neg && best !== 0 ? 0x80000000 : 0)) >>> 0
}

const rng = (seed: number): (() => number) => createPrng(seed).next

function randomBigint(rand: () => number, bits: number): bigint {
  let x = 0n
  for (let i = 0; i < bits; i += 32) x = (x << 32n) | BigInt(Math.floor(rand() * 2 ** 32))
  return x >> BigInt(Math.ceil(bits / 32) * 32 - bits)
}

function expectCodecError(fn: () => unknown, message: string | RegExp): void {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown).toBeInstanceOf(CodecError)
  if (typeof message === 'string') expect((thrown as Error).message).toBe(message)
  else expect((thrown as Error).message).toMatch(message)
}

// ---------------------------------------------------------------------------------------------

describe('toTensorData float32 (int256 / 1e18 → nearest float32, ties to even)', () => {
  it('converts exact values exactly', () => {
    expect([...(toTensorData([0n, E18, -E18, 3n * E18 / 2n, -(E18 / 4n), 100n * E18], 'float32', 6) as Float32Array)]).toEqual([0, 1, -1, 1.5, -0.25, 100])
    expect(Object.is((toTensorData([0n], 'float32', 1) as Float32Array)[0], 0)).toBe(true) // +0, not -0
  })

  it('rounds 1e18/3 to the float32 nearest to 1/3', () => {
    expect(toBits([E18 / 3n])).toEqual([0x3eaaaaab])
    expect(toBits([-(E18 / 3n)])).toEqual([0xbeaaaaab])
    expect(toBits([(2n * E18) / 3n])).toEqual([f32ToBits(Math.fround(2 / 3))])
  })

  it('breaks exact ties to the even significand', () => {
    // 2^24 + 1 lies halfway between 2^24 and 2^24 + 2 (spacing 2 there): even is 2^24
    expect(toBits([(2n ** 24n + 1n) * E18])).toEqual([f32ToBits(2 ** 24)])
    // 2^24 + 3 halfway between 2^24 + 2 (odd significand) and 2^24 + 4 (even): goes up
    expect(toBits([(2n ** 24n + 3n) * E18])).toEqual([f32ToBits(2 ** 24 + 4)])
    // one unit (1e-18) off the tie decides it
    expect(toBits([(2n ** 24n + 1n) * E18 + 1n])).toEqual([f32ToBits(2 ** 24 + 2)])
    expect(toBits([(2n ** 24n + 3n) * E18 - 1n])).toEqual([f32ToBits(2 ** 24 + 2)])
    // 128 + 2^-17 is halfway between 128 and 128 + 2^-16: even is 128. In fixed point:
    // 2^-17 · 1e18 = 2 · 5^18, an integer.
    const halfUlp = E18 >> 17n
    expect(halfUlp * 2n ** 17n).toBe(E18)
    expect(toBits([128n * E18 + halfUlp])).toEqual([f32ToBits(128)])
    expect(toBits([128n * E18 + 3n * halfUlp])).toEqual([f32ToBits(128 + 2 ** -15)])
    // symmetric for negative values
    expect(toBits([-(128n * E18 + halfUlp), -(128n * E18 + 3n * halfUlp)])).toEqual([f32ToBits(-128), f32ToBits(-(128 + 2 ** -15))])
  })

  it('differs from the double-rounded Math.fround(Number(v) / 1e18) where that is wrong', () => {
    // The tie between 1 and 1 + 2^-23 is (1 + 2^-24)·1e18 = 1e18 + 5^18/64, not an integer.
    // The integer just above it must round up to 1 + 2^-23; through a double it lands on the
    // tie exactly and goes to the even 1.
    const above = E18 + 5n ** 18n / 64n + 1n
    expect(64n * above > 64n * E18 + 5n ** 18n).toBe(true)
    expect(toBits([above])).toEqual([f32ToBits(1 + 2 ** -23)])
    expect(f32ToBits(Math.fround(Number(above) / 1e18))).toBe(f32ToBits(1))
    expect(toBits([above - 1n])).toEqual([f32ToBits(1)])
  })

  it('matches an exact search-based reference on random values of every magnitude', () => {
    const rand = rng(42)
    const values: bigint[] = []
    for (let i = 0; i < 3000; i++) {
      const bits = 1 + Math.floor(rand() * 186) // up to ~2^187 ≈ FLT_MAX·1e18
      let v = randomBigint(rand, bits)
      if (v > FLOAT32_MAX_FIXED) v = FLOAT32_MAX_FIXED
      values.push(rand() < 0.5 ? -v : v)
    }
    values.push(1n, -1n, 2n, 7n, FLOAT32_MAX_FIXED, -FLOAT32_MAX_FIXED, FLOAT32_MAX_FIXED - 1n)
    expect(toBits(values)).toEqual(values.map(referenceBits))
  })

  it('matches the reference next to rounding boundaries (float32 midpoints), where the double fast path must not decide', () => {
    const rand = rng(43)
    const values: bigint[] = []
    for (let i = 0; i < 300; i++) {
      // a float32 midpoint (2·mant + 1)·2^(E−1) with E from 2^-40 to 2^100 magnitudes, times 1e18
      const mant = BigInt(0x800000 + Math.floor(rand() * 0x7fffff))
      const E = Math.floor(rand() * 140) - 63
      const num = (2n * mant + 1n) * E18
      const mid = E - 1 >= 0 ? num << BigInt(E - 1) : num >> BigInt(1 - E) // floor of the midpoint
      const step = mid >> 50n // about 2^-50 relative: a few double ulps
      for (const k of [-64n, -17n, -16n, -3n, -2n, -1n, 0n, 1n, 2n, 3n, 16n, 17n, 64n]) values.push(mid + k * step, mid + k)
    }
    const withSigns = values.flatMap((v) => [v, -v]).filter((v) => v !== 0n)
    expect(toBits(withSigns)).toEqual(withSigns.map(referenceBits))
  })

  it('turns the smallest inputs into normal floats near 1e-18, never zero or subnormal', () => {
    const [a, b] = toBits([1n, -1n])
    expect(bitsToF32(a)).toBe(Math.fround(1e-18))
    expect(bitsToF32(b)).toBe(-Math.fround(1e-18))
    expect((a >>> 23) & 0xff).toBeGreaterThan(0)
  })

  it('accepts up to FLT_MAX exactly and rejects anything beyond, without saturating', () => {
    expect(FLOAT32_MAX_FIXED).toBe(BigInt(3.4028234663852886e38) * E18)
    expect(toBits([FLOAT32_MAX_FIXED, -FLOAT32_MAX_FIXED])).toEqual([0x7f7fffff, 0xff7fffff])
    expectCodecError(() => toTensorData([0n, FLOAT32_MAX_FIXED + 1n], 'float32', 2), 'input[1] out of float32 range')
    expectCodecError(() => toTensorData([-FLOAT32_MAX_FIXED - 1n], 'float32', 1), 'input[0] out of float32 range')
    expectCodecError(() => toTensorData([INT256_MAX], 'float32', 1), 'input[0] out of float32 range')
    expectCodecError(() => toTensorData([INT256_MIN], 'float32', 1), 'input[0] out of float32 range')
  })

  it('checks the length and the int256 range', () => {
    expectCodecError(() => toTensorData([1n, 2n, 3n], 'float32', 4), 'input has 3 values, the model takes 4')
    expectCodecError(() => toTensorData([1n, 2n, 3n], 'int8', 2), 'input has 3 values, the model takes 2')
    expectCodecError(() => toTensorData([1n, INT256_MAX + 1n], 'int32', 2), `input[1] = ${INT256_MAX + 1n} is out of int256 range`)
    expectCodecError(() => toTensorData([INT256_MIN - 1n], 'float32', 1), `input[0] = ${INT256_MIN - 1n} is out of int256 range`)
    expect(toTensorData([], 'float32', 0)).toEqual(new Float32Array(0))
  })
})

describe('toTensorData integer types (plain integers, range-checked, no saturation)', () => {
  const cases = [
    ['int8', -128n, 127n, Int8Array],
    ['uint8', 0n, 255n, Uint8Array],
    ['int32', -(2n ** 31n), 2n ** 31n - 1n, Int32Array],
    ['int64', -(2n ** 63n), 2n ** 63n - 1n, BigInt64Array],
  ] as const
  for (const [type, lo, hi, Ctor] of cases) {
    it(`${type}: [${lo}, ${hi}]`, () => {
      const data = toTensorData([lo, 0n, 1n, hi], type, 4)
      expect(data).toBeInstanceOf(Ctor)
      expect(fromTensorData(data, type)).toEqual([lo, 0n, 1n, hi])
      expectCodecError(() => toTensorData([0n, hi + 1n], type, 2), `input[1] = ${hi + 1n} is out of ${type} range`)
      expectCodecError(() => toTensorData([lo - 1n], type, 1), `input[0] = ${lo - 1n} is out of ${type} range`)
    })
  }

  it('has the message format of the rule', () => {
    expectCodecError(() => toTensorData([5n, 300n], 'int8', 2), 'input[1] = 300 is out of int8 range')
    expectCodecError(() => toTensorData([-1n], 'uint8', 1), 'input[0] = -1 is out of uint8 range')
  })
})

describe('fromTensorData float32 (exact x·1e18, nearest integer, ties to even)', () => {
  it('converts exactly', () => {
    expect(fromTensorData(new Float32Array([0, 1, -1, 1.5, 0.1, 3.4028234663852886e38]), 'float32')).toEqual([
      0n,
      E18,
      -E18,
      3n * E18 / 2n,
      100000001490116119n, // float32(0.1) = 13421773·2^-27 = 0.100000001490116119384765625
      FLOAT32_MAX_FIXED,
    ])
  })

  it('maps -0 to 0', () => {
    const [z] = fromTensorData(new Float32Array([-0]), 'float32')
    expect(z).toBe(0n)
  })

  it('rounds ties to even', () => {
    // 2^-19 · 1e18 = 5^18 / 2 = 1907348632812.5 → 1907348632812 (even)
    // 3·2^-19 · 1e18 = 5722045898437.5 → 5722045898438 (even)
    expect(5n ** 18n).toBe(3814697265625n)
    expect(fromTensorData(new Float32Array([2 ** -19, 3 * 2 ** -19, -(2 ** -19), -3 * 2 ** -19]), 'float32')).toEqual([
      1907348632812n,
      5722045898438n,
      -1907348632812n,
      -5722045898438n,
    ])
    // not a tie: 2^-20·1e18 = 953674316406.25 → down; 3·2^-20·1e18 = 2861022949218.75 → up
    expect(fromTensorData(new Float32Array([2 ** -20, 3 * 2 ** -20]), 'float32')).toEqual([953674316406n, 2861022949219n])
  })

  it('turns tiny values and subnormals into 0 and keeps the 1e-18 resolution', () => {
    const smallestSubnormal = bitsToF32(1)
    const largestSubnormal = bitsToF32(0x007fffff)
    const smallestNormal = bitsToF32(0x00800000)
    expect(fromTensorData(new Float32Array([smallestSubnormal, -largestSubnormal, smallestNormal, 4e-19, 6e-19, -6e-19]), 'float32')).toEqual([0n, 0n, 0n, 0n, 1n, -1n])
  })

  it('rejects NaN and infinities so the precompile reverts', () => {
    expectCodecError(() => fromTensorData(new Float32Array([1, NaN]), 'float32'), 'output[1] is NaN')
    expectCodecError(() => fromTensorData(new Float32Array([Infinity]), 'float32'), 'output[0] is Infinity')
    expectCodecError(() => fromTensorData(new Float32Array([0, 0, -Infinity]), 'float32'), 'output[2] is -Infinity')
    // any NaN payload
    const nan = new Float32Array(1)
    new Uint32Array(nan.buffer)[0] = 0xffc00001
    expectCodecError(() => fromTensorData(nan, 'float32'), 'output[0] is NaN')
  })

  it('rejects a typed array that does not match the type', () => {
    expectCodecError(() => fromTensorData(new Int32Array(1), 'float32'), /expected float32/)
    expectCodecError(() => fromTensorData(new Float32Array(1), 'int8'), /expected int8/)
  })

  it('converts integer outputs to plain integers', () => {
    expect(fromTensorData(new Int32Array([-(2 ** 31), 7, 2 ** 31 - 1]), 'int32')).toEqual([-(2n ** 31n), 7n, 2n ** 31n - 1n])
    expect(fromTensorData(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), 'int64')).toEqual([-(2n ** 63n), 2n ** 63n - 1n])
    expect(fromTensorData(new Uint8Array([0, 255]), 'uint8')).toEqual([0n, 255n])
    expect(fromTensorData(new Int8Array([-128, 127]), 'int8')).toEqual([-128n, 127n])
  })
})

describe('round trips', () => {
  it('int256 → float32 → int256 is the identity for values that are float32s', () => {
    const values = [0n, E18, -E18, 3n * E18 / 2n, E18 >> 18n, -(E18 >> 18n), (2n ** 24n + 2n) * E18, FLOAT32_MAX_FIXED, -FLOAT32_MAX_FIXED, 123456n * E18 / 1024n]
    expect(fromTensorData(toTensorData(values, 'float32', values.length), 'float32')).toEqual(values)
    // random: v = M·2^k·1e18 with a 24-bit M and k ≥ -18 is always an exact float32
    const rand = rng(7)
    const random = Array.from({ length: 500 }, () => {
      const M = BigInt(Math.floor(rand() * 2 ** 24))
      const k = Math.floor(rand() * 120) - 18
      const v = k >= 0 ? (M * E18) << BigInt(k) : (M * E18) >> BigInt(-k)
      return rand() < 0.5 ? -v : v
    })
    expect(fromTensorData(toTensorData(random, 'float32', random.length), 'float32')).toEqual(random)
  })

  it('int256 → float32 → int256 lands on the exact value of the nearest float32 otherwise', () => {
    const rand = rng(9)
    const values = Array.from({ length: 500 }, () => randomBigint(rand, 1 + Math.floor(rand() * 150)))
    const back = fromTensorData(toTensorData(values, 'float32', values.length), 'float32')
    values.forEach((v, i) => {
      const { M, E } = exactParts(referenceBits(v))
      const exact = E >= 0 ? (M * E18) << BigInt(E) : (M * E18) / (1n << BigInt(-E)) // ref, rounded below
      expect(back[i] - exact).toBeGreaterThanOrEqual(0n)
      expect(back[i] - exact).toBeLessThanOrEqual(1n)
    })
  })

  it('float32 → int256 → float32 is the identity for |x| ≥ 2^-36', () => {
    const rand = rng(11)
    const xs = new Float32Array(4000)
    for (let i = 0; i < xs.length; i++) {
      const exp = -36 + Math.floor(rand() * (127 + 36 + 1)) // 2^-36 … 2^127
      const bits = ((exp + 127) << 23) | Math.floor(rand() * 2 ** 23) | (rand() < 0.5 ? 0x80000000 : 0)
      xs[i] = bitsToF32(bits)
    }
    xs.set([2 ** -36, -(2 ** -36), bitsToF32(0x7f7fffff), 1, 0])
    const back = toTensorData(fromTensorData(xs, 'float32'), 'float32', xs.length) as Float32Array
    expect([...back].map(f32ToBits)).toEqual([...xs].map(f32ToBits))
  })

  it('float32 → int256 → float32 loses precision below 2^-36 (the 1e-18 grid)', () => {
    const x = new Float32Array([2 ** -40 + 2 ** -60]) // needs better than 1e-18 resolution
    const back = toTensorData(fromTensorData(x, 'float32'), 'float32', 1) as Float32Array
    expect(back[0]).not.toBe(x[0])
    expect(Math.abs(back[0] - x[0])).toBeLessThan(1e-18)
    const negZero = toTensorData(fromTensorData(new Float32Array([-0]), 'float32'), 'float32', 1) as Float32Array
    expect(Object.is(negZero[0], 0)).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// ABI

const ABI = parseAbi(['function infer(bytes32 modelId, int256[] input) view returns (int256[] output)'])
const MODEL_ID = keccak256(toHex('model')) as Hex

describe('ABI', () => {
  it('has the selector of infer(bytes32,int256[])', () => {
    expect(INFER_SELECTOR).toBe(keccak256(toHex('infer(bytes32,int256[])')).slice(0, 10))
  })

  it('decodes calldata made by viem', () => {
    const input = [0n, 1n, -1n, INT256_MAX, INT256_MIN, 5n * E18]
    const calldata = hexToBytes(encodeFunctionData({ abi: ABI, functionName: 'infer', args: [MODEL_ID, input] }))
    const call = decodeInferCall(calldata)
    expect(call).toMatchObject({ modelId: MODEL_ID, input })
    // the views the record hashes: the model id and abi.encodePacked(input), as they stand in the calldata
    expect(bytesToHex(call.id)).toBe(MODEL_ID)
    expect(bytesToHex(call.words)).toBe(bytesToHex(packWords(input)))
    expect(bytesToHex(encodeInferCall(MODEL_ID, input))).toBe(bytesToHex(calldata))
    expect(decodeInferCall(encodeInferCall(MODEL_ID, []))).toMatchObject({ modelId: MODEL_ID, input: [], words: new Uint8Array() })
  })

  it('agrees with viem decodeFunctionData on random valid calldata, including the 64-bit fast-path edges', () => {
    const rand = rng(5)
    const edges = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 128n, -(2n ** 128n) + 1n, INT256_MAX, INT256_MIN]
    for (let i = 0; i < 200; i++) {
      const input = Array.from({ length: Math.floor(rand() * 12) }, () => {
        if (rand() < 0.3) return edges[Math.floor(rand() * edges.length)]
        const v = randomBigint(rand, 1 + Math.floor(rand() * 254))
        return rand() < 0.5 ? -v : v
      })
      const id = toHex(randomBigint(rand, 256), { size: 32 })
      const calldata = hexToBytes(encodeFunctionData({ abi: ABI, functionName: 'infer', args: [id, input] }))
      const viem = decodeFunctionData({ abi: ABI, data: bytesToHex(calldata) })
      const call = decodeInferCall(calldata)
      expect(call).toMatchObject({ modelId: viem.args[0], input: viem.args[1] })
      expect(bytesToHex(call.words)).toBe(bytesToHex(packWords(viem.args[1])))
    }
  })

  it('accepts and rejects exactly what viem does on corrupted calldata', () => {
    const rand = rng(6)
    let accepted = 0
    let rejected = 0
    for (let i = 0; i < 600; i++) {
      const base = encodeInferCall(MODEL_ID, Array.from({ length: Math.floor(rand() * 5) }, (_, j) => BigInt(j) - 2n))
      let data = base.slice()
      const mode = i % 4
      if (mode === 0) data = data.subarray(0, Math.floor(rand() * data.length)) // truncate
      else if (mode === 1) data = new Uint8Array([...data, ...Array.from({ length: 1 + Math.floor(rand() * 70) }, () => Math.floor(rand() * 256))]) // extend
      else {
        // corrupt the offset or the length word: small values, large values, or random bytes
        const word = mode === 2 ? 36 : 4 + 64
        const choice = rand()
        if (choice < 0.4) data.fill(0, word, word + 32), (data[word + 31] = Math.floor(rand() * 200))
        else if (choice < 0.6) data.fill(0xff, word, word + 32)
        else data[word + Math.floor(rand() * 32)] = Math.floor(rand() * 256)
      }
      let ours: unknown
      let theirs: unknown
      try {
        const { modelId, input } = decodeInferCall(data)
        ours = { modelId, input }
      } catch (err) {
        expect(err).toBeInstanceOf(CodecError)
        ours = 'rejected'
      }
      try {
        const { args } = decodeFunctionData({ abi: ABI, data: bytesToHex(data) })
        theirs = { modelId: args[0], input: args[1] }
      } catch {
        theirs = 'rejected'
      }
      expect(ours, `calldata ${bytesToHex(data)}`).toEqual(theirs)
      if (ours === 'rejected') rejected++
      else accepted++
    }
    expect(accepted).toBeGreaterThan(50)
    expect(rejected).toBeGreaterThan(50)
  })

  it('ignores trailing bytes after the arguments, as Solidity does', () => {
    const calldata = encodeInferCall(MODEL_ID, [7n])
    expect(decodeInferCall(new Uint8Array([...calldata, 1, 2, 3])).input).toEqual([7n])
  })

  it('rejects a missing or wrong selector', () => {
    expectCodecError(() => decodeInferCall(new Uint8Array()), /too short for a selector/)
    expectCodecError(() => decodeInferCall(new Uint8Array([0x0d, 0xd5])), /too short for a selector/)
    const calldata = encodeInferCall(MODEL_ID, [1n])
    calldata[0] ^= 0xff
    expectCodecError(() => decodeInferCall(calldata), /^unknown selector 0x/)
  })

  it('rejects malformed ABI: short data, bad offset, length beyond the data', () => {
    const good = encodeInferCall(MODEL_ID, [1n, 2n, 3n]) // 4 + 32 id + 32 offset + 32 length + 3·32
    expect(good.length).toBe(4 + 32 * 6)
    expectCodecError(() => decodeInferCall(hexToBytes(INFER_SELECTOR)), /^malformed calldata/)
    expectCodecError(() => decodeInferCall(good.subarray(0, 4 + 32)), /^malformed calldata/)
    expectCodecError(() => decodeInferCall(good.subarray(0, good.length - 1)), /^malformed calldata/)
    const badOffset = good.slice()
    badOffset[4 + 63] = 0xe0 // offset 224: past the end
    expectCodecError(() => decodeInferCall(badOffset), /^malformed calldata/)
    const hugeOffset = good.slice()
    hugeOffset.fill(0xff, 4 + 32, 4 + 64)
    expectCodecError(() => decodeInferCall(hugeOffset), /^malformed calldata/)
    const longArray = good.slice()
    longArray[4 + 95] = 4 // claims 4 elements, has 3
    expectCodecError(() => decodeInferCall(longArray), /^malformed calldata/)
    const hugeArray = good.slice()
    hugeArray.fill(0x7f, 4 + 64, 4 + 96)
    expectCodecError(() => decodeInferCall(hugeArray), /^malformed calldata/)
  })

  it('encodes results exactly as viem encodeFunctionResult', () => {
    for (const output of [[], [0n], [1n, -1n, INT256_MAX, INT256_MIN], Array.from({ length: 10 }, (_, i) => BigInt(i) * E18 - 5n)]) {
      expect(bytesToHex(encodeInferResult(output))).toBe(encodeFunctionResult({ abi: ABI, functionName: 'infer', result: output }))
    }
    expectCodecError(() => encodeInferResult([INT256_MAX + 1n]), /out of int256 range/)
  })

  it('encodes revert reasons as Error(string)', () => {
    const data = encodeRevertReason('input has 3 values, the model takes 4')
    expect(bytesToHex(data.subarray(0, 4))).toBe('0x08c379a0')
    const decoded = decodeErrorResult({ data: bytesToHex(data) }) // viem knows Error(string)
    expect(decoded.errorName).toBe('Error')
    expect(decoded.args).toEqual(['input has 3 values, the model takes 4'])
  })
})
