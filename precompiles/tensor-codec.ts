/**
 * The boundary between the EVM and ONNX tensors: fixed-point conversion and the ABI of
 * `infer(bytes32 modelId, int256[] input) returns (int256[] output)`.
 *
 * Every conversion is exact: the result is defined by the rational value, computed with
 * bigints. (The float32 input path first tries doubles and keeps that result only where it is
 * provably the same as the exact rounding; see toTensorData.) So every node converts every
 * value to the same bits, whatever its libm or CPU.
 *
 * ## Fixed-point rules
 *
 * Float tensors (`float32`) cross the boundary as int256 scaled by 1e18
 * (`FIXED_POINT_SCALE`): the int256 `v` stands for the real number `v / 1e18`.
 * Integer tensors (`int8`, `uint8`, `int32`, `int64`) cross as plain integers, unscaled.
 *
 * Input (int256 → tensor element), in `toTensorData`:
 * 1. The input must have exactly as many values as the model's input tensor has elements;
 *    otherwise `input has N values, the model takes M`.
 * 2. Every value must be an int256 (ABI decoding already guarantees this; checked anyway).
 * 3. `float32`: the exact rational `v / 1e18` is rounded ONCE to the nearest float32,
 *    ties to even (IEEE 754 roundTiesToEven). `v = 0` gives +0 (an integer has no sign of
 *    zero). The smallest nonzero magnitude, 1e-18, is far above the smallest normal float32
 *    (2^-126 ≈ 1.2e-38), so inputs are never subnormal and never round to zero (the rounding
 *    code handles the subnormal range anyway). Values with `|v / 1e18| > FLT_MAX`
 *    (FLT_MAX = (2 − 2^-23)·2^127 ≈ 3.4028235e38), i.e. `|v| > FLT_MAX·1e18`, are rejected
 *    with `input[i] out of float32 range`: no saturation to ±FLT_MAX and never ±Infinity.
 *    (Note: this is not `Math.fround(Number(v) / 1e18)`, which rounds three times.)
 * 4. Integer types: the value must lie in the type's range (int8 [-128, 127], uint8 [0, 255],
 *    int32 [-2^31, 2^31-1], int64 [-2^63, 2^63-1]), otherwise
 *    `input[i] = v is out of int8 range`. No saturation, no wrap-around: the caller clamps
 *    if it wants clamping.
 *
 * Output (tensor element → int256), in `fromTensorData`:
 * 1. `float32`: a finite float32 x is a dyadic rational m·2^e, so x·1e18 is computed exactly
 *    and rounded to the nearest integer, ties to even. -0 gives 0. |x·1e18| ≤ FLT_MAX·1e18
 *    < 2^188, so it always fits in int256. NaN and ±Infinity are errors
 *    (`output[i] is NaN`, `output[i] is Infinity`, `output[i] is -Infinity`): the precompile
 *    reverts rather than invent a number.
 * 2. Integer types: the integer itself (every int8/uint8/int32/int64 fits in int256).
 *
 * Consequences (tested):
 * - float32 → int256 → float32 gives x back bit for bit for every float32 with |x| ≥ 2^-36
 *   (≈ 1.46e-11) and for +0 (-0 comes back as +0). Below 2^-36 the 1e-18 grid is coarser than
 *   the float32 spacing, so x comes back as the float32 nearest to round(x·1e18)/1e18
 *   (subnormal outputs, below 1.2e-38, become 0).
 * - int256 → float32 → int256 gives v back exactly when v/1e18 is a float32 (e.g. 1.5e18,
 *   2^-18·1e18, (2^24+2)·1e18); otherwise the result is the nearest float32 to v/1e18, times
 *   1e18, rounded to an integer.
 * - Integer tensors round-trip exactly within their type's range.
 *
 * ## ABI
 * `decodeInferCall` / `encodeInferResult` are hand-written for this one signature (viem's
 * generic coder took 18 µs to decode a 4-element call and 130 µs for 64 elements, more than the
 * inference itself; these take about 1.5–2 µs). The tests check them against viem's
 * `decodeFunctionData` / `encodeFunctionResult` on random and corrupted calldata. Reverts use
 * `Error(string)` (`encodeRevertReason`), which Solidity's try/catch and viem decode.
 */
import {
  type Hex,
  bytesToHex,
  encodeErrorResult,
  encodeFunctionData,
  hexToBytes,
  toFunctionSelector,
} from 'viem'

/** Thrown for every conversion or ABI error; `message` is the revert reason. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CodecError'
  }
}

export type TensorType = 'float32' | 'int8' | 'uint8' | 'int32' | 'int64'
export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array

export const TENSOR_TYPES: readonly TensorType[] = ['float32', 'int8', 'uint8', 'int32', 'int64']

/** The scale of float values on the EVM side: int256 v means v / 1e18. */
export const FIXED_POINT_SCALE = 10n ** 18n

export const INT256_MIN = -(2n ** 255n)
export const INT256_MAX = 2n ** 255n - 1n

/** FLT_MAX = (2^24 − 1) · 2^104, the largest finite float32. */
const FLT_MAX_NUM = (2n ** 24n - 1n) << 104n
/** The largest accepted |v| for float32 inputs: FLT_MAX · 1e18 (an integer). */
export const FLOAT32_MAX_FIXED = FLT_MAX_NUM * FIXED_POINT_SCALE

const INT_RANGES: Record<Exclude<TensorType, 'float32'>, readonly [bigint, bigint]> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
}

// One float32 viewed as its bits, for exact construction and decomposition.
const scratchF32 = new Float32Array(1)
const scratchU32 = new Uint32Array(scratchF32.buffer)
// One float64; element 0 of the Uint32Array is its low word on little-endian machines (all
// platforms onnxruntime-node ships for), checked at load time.
const scratchF64 = new Float64Array(1)
const scratchF64Bits = new Uint32Array(scratchF64.buffer)
scratchF64[0] = 1 + 2 ** -52
if (scratchF64Bits[0] !== 1) throw new Error('tensor-codec needs a little-endian platform')

const TWO_23 = 1n << 23n
const TWO_24 = 1n << 24n

/**
 * The float32 bit pattern nearest to m / FIXED_POINT_SCALE (0 < m ≤ FLOAT32_MAX_FIXED), ties to
 * even. Positive only; the caller sets the sign bit.
 */
function fixedToFloat32Bits(m: bigint): number {
  const D = FIXED_POINT_SCALE
  // e = floor(log2(m / D)), first estimated with doubles (can be off by one near powers of two),
  // then corrected exactly: the 24-bit significand q must land in [2^23, 2^24).
  let e = Math.max(-127, Math.floor(Math.log2(Number(m) / 1e18)))
  for (;;) {
    // q is in units of 2^(max(e, -126) − 23): 24 bits for normals, fewer for subnormals.
    const shift = 23 - Math.max(e, -126)
    const n = shift >= 0 ? m << BigInt(shift) : m
    const d = shift >= 0 ? D : D << BigInt(-shift)
    let q = n / d
    if (e >= -126 && q < TWO_23) {
      e-- // estimate too large
      continue
    }
    if (q >= TWO_24) {
      e++ // estimate too small
      continue
    }
    const r2 = (n - q * d) * 2n
    if (r2 > d || (r2 === d && (q & 1n) === 1n)) q++
    // Normal: bits = (e + 127) << 23 | (q − 2^23); rounding up to q = 2^24 carries into the
    // exponent by itself. Below 2^-126: bits = q (a subnormal; q = 2^23 is the smallest normal).
    return e < -126 ? Number(q) : ((e + 127) << 23) + Number(q) - 0x800000
  }
}

/**
 * Converts int256 values from the EVM into the element array of an input tensor.
 * See the module comment for the rules. `expectedLength` is the element count of the input
 * tensor (product of its shape).
 */
export function toTensorData(values: readonly bigint[], type: TensorType, expectedLength: number): TensorData {
  if (values.length !== expectedLength) {
    throw new CodecError(`input has ${values.length} values, the model takes ${expectedLength}`)
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (typeof v !== 'bigint') throw new CodecError(`input[${i}] is not an integer`)
    if (v < INT256_MIN || v > INT256_MAX) throw new CodecError(`input[${i}] = ${v} is out of int256 range`)
  }
  switch (type) {
    case 'float32': {
      const out = new Float32Array(values.length)
      for (let i = 0; i < values.length; i++) {
        const v = values[i]
        if (v === 0n) continue // +0
        const neg = v < 0n
        const m = neg ? -v : v
        if (m > FLOAT32_MAX_FIXED) throw new CodecError(`input[${i}] out of float32 range`)
        // Fast path: q = Number(m) / 1e18 is within 2^-52 (relative, two roundings) of the exact
        // m / 1e18, i.e. within 2 double ulps. Unless q is that close to a float32 rounding
        // boundary (a midpoint: the 29 low significand bits of q near 1 << 28), q and the exact
        // value round to the same float32, so Math.fround(q) is exact. Otherwise: bigints.
        const q = Number(m) / 1e18
        scratchF64[0] = q
        if (Math.abs((scratchF64Bits[0] & 0x1fffffff) - 0x10000000) > 16) {
          out[i] = neg ? -Math.fround(q) : Math.fround(q)
        } else {
          scratchU32[0] = (fixedToFloat32Bits(m) | (neg ? 0x80000000 : 0)) >>> 0
          out[i] = scratchF32[0] // finite float32 → double → float32 is exact
        }
      }
      return out
    }
    case 'int8':
    case 'uint8':
    case 'int32':
    case 'int64': {
      const [lo, hi] = INT_RANGES[type]
      for (let i = 0; i < values.length; i++) {
        const v = values[i]
        if (v < lo || v > hi) throw new CodecError(`input[${i}] = ${v} is out of ${type} range`)
      }
      if (type === 'int64') return BigInt64Array.from(values)
      const out = type === 'int8' ? new Int8Array(values.length) : type === 'uint8' ? new Uint8Array(values.length) : new Int32Array(values.length)
      for (let i = 0; i < values.length; i++) out[i] = Number(values[i])
      return out
    }
    default:
      throw new CodecError(`unsupported tensor type ${String(type)}`)
  }
}

const ARRAY_FOR_TYPE: Record<TensorType, Function> = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
}

/** n / 2^k rounded to the nearest integer, ties to even (n ≥ 0, k ≥ 1). */
function shiftRoundHalfEven(n: bigint, k: bigint): bigint {
  const q = n >> k
  const r = n - (q << k)
  const half = 1n << (k - 1n)
  return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q
}

/** The exact value of one float32 (given as its bits) times 1e18, rounded half-even. */
function float32BitsToFixed(bits: number, index: number): bigint {
  const neg = bits >>> 31 === 1
  const exp = (bits >>> 23) & 0xff
  const frac = bits & 0x7fffff
  if (exp === 0xff) {
    throw new CodecError(frac !== 0 ? `output[${index}] is NaN` : `output[${index}] is ${neg ? '-' : ''}Infinity`)
  }
  // x = M · 2^E exactly
  const M = BigInt(exp === 0 ? frac : frac | 0x800000)
  const E = exp === 0 ? -149 : exp - 150
  if (M === 0n) return 0n // ±0 → 0
  const n = M * FIXED_POINT_SCALE
  const mag = E >= 0 ? n << BigInt(E) : shiftRoundHalfEven(n, BigInt(-E))
  return neg ? -mag : mag
}

/**
 * Converts an output tensor's elements to int256 values for the EVM (see the module comment).
 * `data` must be the typed array that matches `type` (a model whose output type differs from
 * what the registry recorded is a node bug, reported as a CodecError).
 */
export function fromTensorData(data: TensorData, type: TensorType): bigint[] {
  const ctor = ARRAY_FOR_TYPE[type]
  if (ctor === undefined) throw new CodecError(`unsupported tensor type ${String(type)}`)
  if (!(data instanceof ctor)) {
    throw new CodecError(`output is ${data?.constructor?.name ?? typeof data}, expected ${type}`)
  }
  const out = new Array<bigint>(data.length)
  if (type === 'float32') {
    const f = data as Float32Array
    for (let i = 0; i < f.length; i++) {
      scratchF32[0] = f[i]
      out[i] = float32BitsToFixed(scratchU32[0], i)
    }
  } else if (type === 'int64') {
    const b = data as BigInt64Array
    for (let i = 0; i < b.length; i++) out[i] = b[i]
  } else {
    const n = data as Int8Array | Uint8Array | Int32Array
    for (let i = 0; i < n.length; i++) out[i] = BigInt(n[i])
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// ABI

export const INFER_ABI = [
  {
    type: 'function',
    name: 'infer',
    stateMutability: 'view',
    inputs: [
      { name: 'modelId', type: 'bytes32' },
      { name: 'input', type: 'int256[]' },
    ],
    outputs: [{ name: 'output', type: 'int256[]' }],
  },
] as const

/** 4-byte selector of `infer(bytes32,int256[])`. */
export const INFER_SELECTOR: Hex = toFunctionSelector('infer(bytes32,int256[])')

const ERROR_ABI = [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }] as const

const SELECTOR_BYTES = hexToBytes(INFER_SELECTOR)
const TWO_256 = 1n << 256n
const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

/** The 32-byte big-endian word at `pos` as an unsigned integer. */
function readWord(view: DataView, pos: number): bigint {
  return (
    (view.getBigUint64(pos) << 192n) |
    (view.getBigUint64(pos + 8) << 128n) |
    (view.getBigUint64(pos + 16) << 64n) |
    view.getBigUint64(pos + 24)
  )
}

/** The 32-byte word at `pos` as an int256, with a fast path for words that fit in 64 bits. */
function readInt256(view: DataView, pos: number): bigint {
  const top = view.getInt32(pos)
  if (
    (top === 0 || top === -1) &&
    view.getInt32(pos + 4) === top &&
    view.getInt32(pos + 8) === top &&
    view.getInt32(pos + 12) === top &&
    view.getInt32(pos + 16) === top &&
    view.getInt32(pos + 20) === top
  ) {
    const low = view.getBigInt64(pos + 24)
    if (low < 0n === (top === -1)) return low
  }
  return BigInt.asIntN(256, readWord(view, pos))
}

/** Writes an int256 (two's complement) as a 32-byte big-endian word at `pos`. */
function writeWord(view: DataView, pos: number, value: bigint): void {
  if (value >= INT64_MIN && value <= INT64_MAX) {
    // sign-extend a 64-bit value: 24 bytes of 0x00 or 0xff, then the value
    const fill = value < 0n ? -1 : 0
    for (let k = 0; k < 24; k += 4) view.setInt32(pos + k, fill)
    view.setBigInt64(pos + 24, value)
    return
  }
  const u = value < 0n ? value + TWO_256 : value
  view.setBigUint64(pos, u >> 192n)
  view.setBigUint64(pos + 8, (u >> 128n) & 0xffffffffffffffffn)
  view.setBigUint64(pos + 16, (u >> 64n) & 0xffffffffffffffffn)
  view.setBigUint64(pos + 24, u & 0xffffffffffffffffn)
}

/**
 * Decodes the precompile's calldata: `INFER_SELECTOR ‖ modelId ‖ offset ‖ … ‖ length ‖ words`.
 * A hand-written decoder for this one signature (viem's generic decoder costs more than a small
 * model's inference); the tests check it against viem's `decodeFunctionData` on valid and
 * corrupted calldata. It accepts exactly what the ABI spec and Solidity accept: the array's
 * offset may point anywhere (it is not required to be 0x40) as long as its length word and all
 * its elements lie inside the calldata; trailing bytes are ignored.
 * Throws CodecError on calldata shorter than a selector, a selector other than INFER_SELECTOR,
 * or malformed ABI (`malformed calldata: …`: too short for the head, an offset or a length that
 * points outside the calldata).
 */
export function decodeInferCall(calldata: Uint8Array): InferCall {
  if (calldata.length < 4) throw new CodecError(`calldata too short for a selector (${calldata.length} bytes)`)
  if (calldata[0] !== SELECTOR_BYTES[0] || calldata[1] !== SELECTOR_BYTES[1] || calldata[2] !== SELECTOR_BYTES[2] || calldata[3] !== SELECTOR_BYTES[3]) {
    throw new CodecError(`unknown selector ${bytesToHex(calldata.subarray(0, 4))}, expected infer(bytes32,int256[]) ${INFER_SELECTOR}`)
  }
  const size = calldata.length - 4 // the arguments
  if (size < 64) throw new CodecError(`malformed calldata: ${size} bytes of arguments, the head of infer(bytes32,int256[]) takes 64`)
  const view = new DataView(calldata.buffer, calldata.byteOffset + 4, size)
  const offset = readWord(view, 32)
  if (offset + 32n > BigInt(size)) throw new CodecError(`malformed calldata: array offset ${offset} is out of bounds (${size} bytes of arguments)`)
  const at = Number(offset)
  const length = readWord(view, at)
  if (BigInt(at + 32) + length * 32n > BigInt(size)) {
    throw new CodecError(`malformed calldata: an array of ${length} elements at offset ${at} does not fit in ${size} bytes of arguments`)
  }
  const input = new Array<bigint>(Number(length))
  for (let i = 0; i < input.length; i++) input[i] = readInt256(view, at + 32 + 32 * i)
  const id = calldata.subarray(4, 36)
  const start = 4 + at + 32
  return { modelId: bytesToHex(id), id, input, words: calldata.subarray(start, start + 32 * input.length) }
}

/** A decoded `infer` call. `id` and `words` are views into the calldata (no copies). */
export interface InferCall {
  modelId: Hex
  id: Uint8Array
  input: bigint[]
  /** The input's int256 words as they stand in the calldata: `abi.encodePacked(input)`, what the record hashes. */
  words: Uint8Array
}

/** `abi.encodePacked(int256[] values)`: the words, two's complement, concatenated. */
export function packWords(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(32 * values.length)
  const view = new DataView(out.buffer)
  for (let i = 0; i < values.length; i++) writeWord(view, 32 * i, BigInt.asIntN(256, values[i]))
  return out
}

/** Calldata for `infer(modelId, input)` (for clients and tests). */
export function encodeInferCall(modelId: Hex, input: readonly bigint[]): Uint8Array {
  return hexToBytes(encodeFunctionData({ abi: INFER_ABI, functionName: 'infer', args: [modelId, input] }))
}

/** Return data of `infer`: the ABI encoding of `(int256[] output)` (hand-written, checked against viem). */
export function encodeInferResult(output: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(64 + 32 * output.length)
  const view = new DataView(out.buffer)
  view.setUint32(28, 0x20) // offset of the array
  view.setUint32(60, output.length)
  for (let i = 0; i < output.length; i++) {
    const v = output[i]
    if (typeof v !== 'bigint' || v < INT256_MIN || v > INT256_MAX) throw new CodecError(`output[${i}] = ${v} is out of int256 range`)
    writeWord(view, 64 + 32 * i, v)
  }
  return out
}

/** Revert data `Error(string)` (selector 0x08c379a0), which Solidity and viem decode as a reason. */
export function encodeRevertReason(reason: string): Uint8Array {
  return hexToBytes(encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: [reason] }))
}
