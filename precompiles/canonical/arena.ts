import { matmulReference, WasmMatmul, wasmSimdAvailable } from './wasm-matmul.ts'

/**
 * The float32 products of one compiled model, run by the WebAssembly SIMD kernel
 * (wasm-matmul.ts: the canonical definition, s = f32(s + f32(a·b)) over k in increasing order
 * from +0, bit for bit). Constant right-hand operands (weights) stay resident in the model's
 * WebAssembly memory; left operands and results go through scratch space after them. Where
 * WebAssembly SIMD is missing, `matmulReference` gives the same bits in plain JavaScript.
 *
 * Memory: WebAssembly memory only grows, so a call whose scratch outgrew SCRATCH_KEEP_BYTES
 * drops the memory afterwards; the next call rebuilds it (copying the weights again). A cached
 * model thus holds about its weights plus SCRATCH_KEEP_BYTES, whatever its largest call needed.
 */
export class MatmulArena {
  private mm: WasmMatmul | undefined
  private readonly constants: { data: Float32Array; ptr: number }[] = []
  private scratchMark = 0
  private readonly wasm: boolean

  /** @param simd use the WebAssembly SIMD kernel where the runtime has it (default); false forces the JavaScript reference */
  constructor(simd = true) {
    this.wasm = simd && wasmSimdAvailable()
  }

  /** Registers a constant right-hand operand at compile time; returns its handle. */
  constant(data: Float32Array): number {
    this.constants.push({ data, ptr: -1 })
    return this.constants.length - 1
  }

  /**
   * out[outOff …] (m×n) = a[aOff …] (m×k) · b (k×n), where b is a constant's handle (with `bOff`
   * floats into it) or an array (from `bOff`).
   */
  multiply(a: Float32Array, aOff: number, b: number | Float32Array, bOff: number, out: Float32Array, outOff: number, m: number, k: number, n: number): void {
    if (!this.wasm) {
      const bData = typeof b === 'number' ? this.constants[b].data : b
      out.set(matmulReference(a.subarray(aOff, aOff + m * k), bData.subarray(bOff, bOff + k * n), m, k, n), outOff)
      return
    }
    const mm = this.memory()
    mm.reset(this.scratchMark)
    const aPtr = mm.alloc(m * k)
    const bPtr = typeof b === 'number' ? this.constants[b].ptr + bOff * 4 : mm.alloc(k * n)
    const outPtr = mm.alloc(m * n)
    mm.f32(aPtr, m * k).set(a.subarray(aOff, aOff + m * k))
    if (typeof b !== 'number') mm.f32(bPtr, k * n).set(b.subarray(bOff, bOff + k * n))
    mm.matmul(aPtr, bPtr, outPtr, m, k, n)
    out.set(mm.f32(outPtr, m * n), outOff)
    if (mm.memory.buffer.byteLength - this.scratchMark > SCRATCH_KEEP_BYTES) this.mm = undefined
  }

  private memory(): WasmMatmul {
    if (this.mm !== undefined) return this.mm
    const total = this.constants.reduce((n, c) => n + c.data.length * 4 + 16, 0)
    const mm = new WasmMatmul(total + (1 << 16))
    for (const c of this.constants) c.ptr = mm.alloc(c.data.length)
    for (const c of this.constants) mm.f32(c.ptr, c.data.length).set(c.data)
    this.scratchMark = mm.mark()
    this.mm = mm
    return mm
  }
}

/** Scratch memory a model keeps between calls (see MatmulArena), in bytes. */
export const SCRATCH_KEEP_BYTES = 8 << 20
