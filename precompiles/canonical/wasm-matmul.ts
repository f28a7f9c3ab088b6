/**
 * A deterministic float32 matrix multiply in WebAssembly SIMD, and its JavaScript reference.
 *
 * ## The definition (consensus-critical)
 * For A [M, K] and B [K, N], row-major float32, out [M, N] is
 *
 *     out[i][j] = s_K,   s_0 = +0,   s_{k+1} = f32(s_k + f32(A[i][k] · B[k][j]))   for k = 0 … K-1,
 *
 * k in increasing order, f32() being IEEE-754 binary32 rounding to nearest, ties to even. Every
 * node on every CPU must produce these bits. In JavaScript it is exactly
 * `s = Math.fround(s + Math.fround(a * b))` (`matmulReference`): the double product of two
 * float32 is exact (24 + 24 bits < 53), and a double sum rounded to float32 equals the float32
 * sum rounded once (double rounding is harmless for + and × when 53 ≥ 2·24 + 2).
 * s_0 = +0 matters: with every product -0 the result is +0 (+0 + -0 = +0), not -0.
 *
 * ## Why the kernel computes exactly that
 * The kernel vectorizes across the output columns j, never across k. A f32x4 lane holds one
 * out[i][j] and does its own k loop in increasing order: per k,
 * `acc[j..j+3] = f32x4.add(acc[j..j+3], f32x4.mul(splat(A[i][k]), B[k][j..j+3]))`, and
 * WebAssembly's f32x4.mul / f32x4.add round each lane to float32, ties to even, exactly as
 * f32.mul / f32.add do (no flush of subnormals to zero: the spec forbids it). So each lane
 * computes the sequence s_0 … s_K of its column. Columns come in blocks of
 * 4·w (w accumulators, kept in locals for the whole k loop: `KERNEL_WIDTHS`, widest first), and
 * the N mod 4 last columns use scalar f32.mul / f32.add with the same order. Reordering work
 * across columns or rows never changes a column's bits; reordering k would.
 *
 * Never fused multiply-add, never relaxed SIMD (f32x4.relaxed_madd and friends), never a split or
 * tree over k (partial sums per lane, pairwise sums), never a wider accumulator: each rounds
 * differently on some inputs, and relaxed SIMD may even differ between CPUs. The emitter below
 * knows only the opcodes this kernel uses, so none of those can slip in;
 * test/precompiles/wasm-matmul.test.ts shows inputs on which each of them gives other bits.
 *
 * NaN: which NaN (sign, payload) an operation returns is not specified by IEEE-754 nor fixed by
 * WebAssembly, so NaN results agree only in being NaN. Callers must treat every NaN alike (the
 * inference precompile reverts on a NaN output).
 *
 * ## Memory layout
 * One WebAssembly.Memory per `WasmMatmul`, imported by the module as `env.memory` (so the
 * module is compiled once and each owner brings its own memory). `alloc` is a bump allocator
 * handing out byte addresses, multiples of 16 (the v128 width; WebAssembly does not require
 * alignment, it is for speed); matrices are dense row-major float32 at those addresses. A caller
 * keeps constant weights resident by allocating them first, then takes `mark()` and allocates
 * per-call scratch (inputs, activations) after it, and `reset(mark)` before the next call.
 * The memory grows as `alloc` needs (never shrinks); growing detaches earlier
 * ArrayBuffers, so make views with `f32()` after the last `alloc`, never keep them across one.
 *
 * The module (about 1 KB) is emitted by this file, compiled once with
 * `new WebAssembly.Module` at first use (synchronously) and instantiated per `WasmMatmul`.
 * Where WebAssembly SIMD is missing (`wasmSimdAvailable()` is false; Node ≥ 16.4 has it),
 * callers fall back to `matmulReference`, which gives the same bits, only slower.
 */

// ---------------------------------------------------------------------------------------------
// Binary emitter: exactly the encodings this kernel needs (WebAssembly core spec 2.0, SIMD).
// ---------------------------------------------------------------------------------------------

const WASM_MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const
const TYPE = { i32: 0x7f, f32: 0x7d, v128: 0x7b, func: 0x60, emptyBlock: 0x40 } as const
const KIND = { func: 0x00, memory: 0x02 } as const

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eq: 0x46,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  f32Add: 0x92,
  f32Mul: 0x94,
  simdPrefix: 0xfd,
} as const

/** SIMD opcodes, written after the 0xfd prefix as unsigned LEB128. */
const SIMD_OP = { v128Load: 0, v128Store: 11, f32x4Splat: 19, f32x4Add: 228, f32x4Mul: 230 } as const

/** log2 of the natural alignment, the `align` of a memarg. */
const ALIGN = { f32: 2, v128: 4 } as const

function unsignedLeb128(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

function signedLeb128(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

const vector = (items: number[][]) => [...unsignedLeb128(items.length), ...items.flat()]
const name = (s: string) => vector([...new TextEncoder().encode(s)].map((b) => [b]))
const section = (id: number, content: number[]) => [id, ...unsignedLeb128(content.length), ...content]

/** A function body being written, one instruction per method. */
class FunctionBody {
  readonly bytes: number[] = []

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes)
    return this
  }
  private simd(op: number, ...immediates: number[]): this {
    return this.op(OP.simdPrefix, ...unsignedLeb128(op), ...immediates)
  }

  block() { return this.op(OP.block, TYPE.emptyBlock) }
  loop() { return this.op(OP.loop, TYPE.emptyBlock) }
  end() { return this.op(OP.end) }
  br(depth: number) { return this.op(OP.br, ...unsignedLeb128(depth)) }
  brIf(depth: number) { return this.op(OP.brIf, ...unsignedLeb128(depth)) }
  get(local: number) { return this.op(OP.localGet, ...unsignedLeb128(local)) }
  set(local: number) { return this.op(OP.localSet, ...unsignedLeb128(local)) }
  i32Const(n: number) { return this.op(OP.i32Const, ...signedLeb128(n)) }
  /** +0.0 only (the bytes of the float32 +0): the one float constant the kernel needs. */
  f32Zero() { return this.op(OP.f32Const, 0, 0, 0, 0) }
  i32Add() { return this.op(OP.i32Add) }
  i32Mul() { return this.op(OP.i32Mul) }
  i32Shl() { return this.op(OP.i32Shl) }
  i32Eq() { return this.op(OP.i32Eq) }
  i32GtU() { return this.op(OP.i32GtU) }
  i32GeU() { return this.op(OP.i32GeU) }
  f32Load(offset = 0) { return this.op(OP.f32Load, ALIGN.f32, ...unsignedLeb128(offset)) }
  f32Store(offset = 0) { return this.op(OP.f32Store, ALIGN.f32, ...unsignedLeb128(offset)) }
  f32Add() { return this.op(OP.f32Add) }
  f32Mul() { return this.op(OP.f32Mul) }
  v128Load(offset = 0) { return this.simd(SIMD_OP.v128Load, ALIGN.v128, ...unsignedLeb128(offset)) }
  v128Store(offset = 0) { return this.simd(SIMD_OP.v128Store, ALIGN.v128, ...unsignedLeb128(offset)) }
  f32x4Splat() { return this.simd(SIMD_OP.f32x4Splat) }
  f32x4Add() { return this.simd(SIMD_OP.f32x4Add) }
  f32x4Mul() { return this.simd(SIMD_OP.f32x4Mul) }

  /** `local += n` (i32). */
  addTo(local: number, n: number | { local: number }): this {
    this.get(local)
    if (typeof n === 'number') this.i32Const(n)
    else this.get(n.local)
    return this.i32Add().set(local)
  }
}

// ---------------------------------------------------------------------------------------------
// The kernel: matmul(a, b, out, m, k, n), byte addresses and dimensions as i32.
// ---------------------------------------------------------------------------------------------

/**
 * Column blocks of the kernel, in f32x4 accumulators per block, widest first: columns go in
 * blocks of 4·w while at least 4·w remain, then the next width; the N mod 4 last ones are scalar.
 * Several accumulators hide the f32x4.add latency in the k loop; six measured fastest with V8
 * on x64 (scripts/bench-matmul.ts: 2.9 µs for [1,256]·[256,256], against 3.3 with four and 6.0
 * with eight, where V8 starts spilling). Any widths give the same bits.
 */
export const KERNEL_WIDTHS = [6, 4, 2, 1] as const

/** The kernel's locals by index: its parameters (byte addresses and dimensions), then its own. */
const L = {
  a: 0, // &A[0][0]
  b: 1, // &B[0][0]
  out: 2, // &out[0][0]
  m: 3,
  k: 4,
  n: 5,
  rowBytes: 6, // N · 4: one row of B and of out
  aRow: 7, // &A[i][0]
  aEnd: 8, // &A[i][K]
  outRow: 9, // &out[i][0]
  outEnd: 10, // &out[M][0]
  col: 11, // j · 4: the first column of the current block, in bytes
  aPtr: 12, // &A[i][k]
  bPtr: 13, // &B[k][j]
  scalarAcc: 14, // f32: s of one tail column
  aSplat: 15, // v128: A[i][k] in every lane
  acc: 16, // v128 × max(KERNEL_WIDTHS): s of 4·w adjacent columns
} as const
const PARAMS = 6 // a, b, out, m, k, n: all i32
const I32_LOCALS = L.scalarAcc - L.rowBytes

/** aPtr = &A[i][0]; bPtr = &B[0][j]. */
function startColumn(f: FunctionBody): void {
  f.get(L.aRow).set(L.aPtr)
  f.get(L.b).get(L.col).i32Add().set(L.bPtr)
}

/** The k loop: the body runs for k = 0 … K-1, in order, with aPtr = &A[i][k], bPtr = &B[k][j]. */
function forEachK(f: FunctionBody, body: () => void): void {
  f.block().loop()
  f.get(L.aPtr).get(L.aEnd).i32Eq().brIf(1)
  body()
  f.addTo(L.aPtr, 4).addTo(L.bPtr, { local: L.rowBytes })
  f.br(0).end().end()
}

/** Blocks of 4·w columns while 4·w columns remain: w f32x4 accumulators through the k loop. */
function emitColumnBlocks(f: FunctionBody, w: number): void {
  const blockBytes = 16 * w
  f.block().loop()
  f.get(L.col).i32Const(blockBytes).i32Add().get(L.rowBytes).i32GtU().brIf(1)
  for (let v = 0; v < w; v++) f.f32Zero().f32x4Splat().set(L.acc + v)
  startColumn(f)
  forEachK(f, () => {
    f.get(L.aPtr).f32Load().f32x4Splat().set(L.aSplat)
    for (let v = 0; v < w; v++) {
      // acc_v = acc_v + (splat(A[i][k]) · B[k][j + 4v … j + 4v + 3]), each lane rounded to f32
      f.get(L.acc + v).get(L.aSplat).get(L.bPtr).v128Load(16 * v).f32x4Mul().f32x4Add().set(L.acc + v)
    }
  })
  for (let v = 0; v < w; v++) f.get(L.outRow).get(L.col).i32Add().get(L.acc + v).v128Store(16 * v)
  f.addTo(L.col, blockBytes)
  f.br(0).end().end()
}

/** The last N mod 4 columns, one at a time, with scalar f32 operations in the same order. */
function emitScalarColumns(f: FunctionBody): void {
  f.block().loop()
  f.get(L.col).get(L.rowBytes).i32GeU().brIf(1)
  f.f32Zero().set(L.scalarAcc)
  startColumn(f)
  forEachK(f, () => {
    f.get(L.scalarAcc).get(L.aPtr).f32Load().get(L.bPtr).f32Load().f32Mul().f32Add().set(L.scalarAcc)
  })
  f.get(L.outRow).get(L.col).i32Add().get(L.scalarAcc).f32Store()
  f.addTo(L.col, 4)
  f.br(0).end().end()
}

function kernelBody(): number[] {
  const f = new FunctionBody()
  f.get(L.n).i32Const(2).i32Shl().set(L.rowBytes)
  f.get(L.a).set(L.aRow)
  f.get(L.out).set(L.outRow)
  f.get(L.out).get(L.m).get(L.rowBytes).i32Mul().i32Add().set(L.outEnd)
  f.block().loop() // rows i = 0 … M-1
  f.get(L.outRow).get(L.outEnd).i32Eq().brIf(1)
  f.get(L.aRow).get(L.k).i32Const(2).i32Shl().i32Add().set(L.aEnd)
  f.i32Const(0).set(L.col)
  for (const w of KERNEL_WIDTHS) emitColumnBlocks(f, w)
  emitScalarColumns(f)
  f.get(L.aEnd).set(L.aRow)
  f.addTo(L.outRow, { local: L.rowBytes })
  f.br(0).end().end()
  f.end()
  const locals = vector([
    [...unsignedLeb128(I32_LOCALS), TYPE.i32],
    [...unsignedLeb128(1), TYPE.f32],
    [...unsignedLeb128(1 + Math.max(...KERNEL_WIDTHS)), TYPE.v128],
  ])
  return [...locals, ...f.bytes]
}

/** The whole module: imports env.memory, exports matmul(a, b, out, m, k, n). */
function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  const matmulType = [TYPE.func, ...vector(Array.from({ length: PARAMS }, () => [TYPE.i32])), ...vector([])]
  const memoryImport = [...name('env'), ...name('memory'), KIND.memory, 0x00, ...unsignedLeb128(0)] // limits: min 0, no max
  const body = kernelBody()
  return new Uint8Array([
    ...WASM_MAGIC_AND_VERSION,
    ...section(SECTION.type, vector([matmulType])),
    ...section(SECTION.import, vector([memoryImport])),
    ...section(SECTION.function, vector([unsignedLeb128(0)])),
    ...section(SECTION.export, vector([[...name('matmul'), KIND.func, ...unsignedLeb128(0)]])),
    ...section(SECTION.code, vector([[...unsignedLeb128(body.length), ...body]])),
  ])
}

let kernelBytes: Uint8Array<ArrayBuffer> | undefined
let kernelModule: WebAssembly.Module | undefined
let simdAvailable: boolean | undefined

/**
 * Whether this runtime compiles WebAssembly SIMD (it validates the kernel itself). Node 20 does;
 * where it is false, use `matmulReference`: same bits, slower.
 */
export function wasmSimdAvailable(): boolean {
  if (simdAvailable === undefined) {
    try {
      simdAvailable = typeof WebAssembly === 'object' && WebAssembly.validate((kernelBytes ??= kernelModuleBytes()))
    } catch {
      simdAvailable = false
    }
  }
  return simdAvailable
}

function compiledKernel(): WebAssembly.Module {
  if (kernelModule === undefined) {
    if (!wasmSimdAvailable()) throw new Error('WebAssembly SIMD is not available in this runtime; use matmulReference')
    kernelModule = new WebAssembly.Module((kernelBytes ??= kernelModuleBytes()))
  }
  return kernelModule
}

// ---------------------------------------------------------------------------------------------
// The owner of one memory and one instance.
// ---------------------------------------------------------------------------------------------

const PAGE_BYTES = 65_536
/** WebAssembly's 32-bit address space: 65,536 pages. */
const MAX_MEMORY_BYTES = 2 ** 32
/** Default memory at construction, in bytes (1 MiB); it grows as `alloc` needs. */
export const DEFAULT_INITIAL_BYTES = 1 << 20
/** Allocations start at multiples of this many bytes (one v128). */
export const ALLOC_ALIGN_BYTES = 16
/** Largest M, K or N accepted (well within the kernel's i32 arithmetic). */
export const MAX_DIMENSION = 2 ** 30

type MatmulExport = (a: number, b: number, out: number, m: number, k: number, n: number) => void

/**
 * One WebAssembly memory with a bump allocator, and the kernel instantiated over it. Not shared
 * between threads; make one per worker (the compiled module is shared, the memory is not).
 *
 * @example
 * const mm = new WasmMatmul()
 * const w = mm.alloc(64 * 256)                 // resident weights, allocated once
 * mm.f32(w, 64 * 256).set(weights)
 * const scratch = mm.mark()
 * // per call:
 * mm.reset(scratch)
 * const x = mm.alloc(64), y = mm.alloc(256)
 * mm.f32(x, 64).set(input)
 * mm.matmul(x, w, y, 1, 64, 256)               // y = x · w
 * const result = mm.f32(y, 256).slice()
 */
export class WasmMatmul {
  readonly memory: WebAssembly.Memory
  private readonly kernel: MatmulExport
  private top = 0

  /** @param initialBytes memory reserved up front, in bytes (rounded up to 64 KiB pages) */
  constructor(initialBytes: number = DEFAULT_INITIAL_BYTES) {
    if (!Number.isSafeInteger(initialBytes) || initialBytes < 0 || initialBytes > MAX_MEMORY_BYTES) {
      throw new RangeError(`initialBytes must be an integer from 0 to ${MAX_MEMORY_BYTES} (got ${initialBytes})`)
    }
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE_BYTES) })
    const instance = new WebAssembly.Instance(compiledKernel(), { env: { memory: this.memory } })
    this.kernel = instance.exports.matmul as MatmulExport
  }

  /** Bytes allocated so far (the next allocation starts here). */
  get allocatedBytes(): number {
    return this.top
  }

  /**
   * Room for `floats` float32 values; returns its byte address (a multiple of 16). Grows the
   * memory if needed, which detaches views made before: make them again with `f32()`. Fresh
   * memory is zero; memory reused after `reset` keeps what was written there.
   */
  alloc(floats: number): number {
    if (!Number.isSafeInteger(floats) || floats < 0) throw new RangeError(`alloc: floats must be a non-negative integer (got ${floats})`)
    const ptr = this.top
    const end = ptr + Math.ceil((floats * 4) / ALLOC_ALIGN_BYTES) * ALLOC_ALIGN_BYTES
    if (end > MAX_MEMORY_BYTES) throw new RangeError(`alloc: ${floats} floats do not fit in the 4 GiB of WebAssembly memory (${ptr} bytes in use)`)
    const have = this.memory.buffer.byteLength
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE_BYTES))
    this.top = end
    return ptr
  }

  /** The current top of the allocator, for `reset`: what is allocated after it is scratch. */
  mark(): number {
    return this.top
  }

  /** Frees everything allocated after `mark` (from `mark()`); what came before stays. */
  reset(mark: number): void {
    if (!Number.isInteger(mark) || mark < 0 || mark > this.top || mark % ALLOC_ALIGN_BYTES !== 0) {
      throw new RangeError(`reset: ${mark} is not a mark of this allocator (top is ${this.top})`)
    }
    this.top = mark
  }

  /** A Float32Array over `length` floats at byte address `ptr`; valid until the memory grows. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length)
  }

  /**
   * out = A · B by the canonical definition (see the top of this file), overwriting out.
   * Row-major float32 at byte addresses: A [M, K] at aPtr, B [K, N] at bPtr, out [M, N] at
   * outPtr. out must not overlap A or B (A and B may overlap each other). K = 0 gives +0.
   */
  matmul(aPtr: number, bPtr: number, outPtr: number, M: number, K: number, N: number): void {
    checkDimension('M', M)
    checkDimension('K', K)
    checkDimension('N', N)
    // checked without allocating: this runs once per layer per inference
    const size = this.memory.buffer.byteLength
    const aEnd = checkRange('A', aPtr, M * K, size)
    const bEnd = checkRange('B', bPtr, K * N, size)
    const outEnd = checkRange('out', outPtr, M * N, size)
    if (overlap(outPtr, outEnd, aPtr, aEnd) || overlap(outPtr, outEnd, bPtr, bEnd)) throw new RangeError('matmul: out overlaps A or B')
    this.kernel(aPtr, bPtr, outPtr, M, K, N)
  }
}

function checkDimension(label: string, d: number): void {
  if (!Number.isInteger(d) || d < 0 || d > MAX_DIMENSION) throw new RangeError(`matmul: ${label} must be an integer from 0 to ${MAX_DIMENSION} (got ${d})`)
}

/** The end of `floats` float32 at byte address `ptr`, which must lie within `size` bytes. */
function checkRange(label: string, ptr: number, floats: number, size: number): number {
  if (!Number.isInteger(ptr) || ptr < 0 || ptr % 4 !== 0) throw new RangeError(`matmul: ${label} address must be a non-negative multiple of 4 (got ${ptr})`)
  const end = ptr + floats * 4
  if (end > size) throw new RangeError(`matmul: ${label} [${ptr}, ${end}) is beyond the memory (${size} bytes)`)
  return end
}

/** Whether the byte ranges [s1, e1) and [s2, e2) share a byte (an empty range shares none). */
const overlap = (s1: number, e1: number, s2: number, e2: number) => s1 < e1 && s2 < e2 && s1 < e2 && s2 < e1

/**
 * The canonical definition in plain JavaScript: the specification the kernel is tested against,
 * and the fallback where `wasmSimdAvailable()` is false. Loops i, k, j (rows of B read in order)
 * with out[i][·] as the accumulators; each out[i][j] still sees k in increasing order.
 */
export function matmulReference(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  if (a.length !== M * K || b.length !== K * N) {
    throw new RangeError(`matmulReference: A has ${a.length} values, B ${b.length}; [${M}, ${K}] · [${K}, ${N}] needs ${M * K} and ${K * N}`)
  }
  const out = new Float32Array(M * N) // s_0 = +0
  for (let i = 0; i < M; i++) {
    const row = i * N
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k]
      const bRow = k * N
      for (let j = 0; j < N; j++) out[row + j] = Math.fround(out[row + j] + Math.fround(aik * b[bRow + j]))
    }
  }
  return out
}
