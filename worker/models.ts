/**
 * Getting an off-chain model's bytes: from the model cache (`<modelCacheDir>/<modelId>.bin`),
 * else from the URI ModelRegistry records (`http://`, `https://` or `file://`), streamed, never
 * more than the registered size (a cap: the hash, not the size, says what the model is), within
 * a deadline. Whatever the source, the bytes are served
 * only if keccak256(bytes) is the model id: a mismatch is refused (docs/OFFCHAIN_INFERENCE.md
 * "Addresses and kinds of models"), and a cached file that no longer hashes to its id is deleted
 * and fetched again.
 */
import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, type Hex } from 'viem'

/** An off-chain model as ModelRegistry records it. */
export interface OffchainModel {
  modelId: Hex
  name: string
  /** Size of the model's bytes, as registered. */
  size: number
  inputFormat: string
  outputFormat: string
  uri: string
  /** Length of each phase of a request for this model, in seconds. */
  timeoutSeconds: number
}

/** The bytes could not be had, or are not the model: the message says which and why. */
export class ModelRefused extends Error {
  override name = 'ModelRefused'
  constructor(
    message: string,
    /** True when what was fetched is not the model (a wrong hash or size): not retried soon. */
    readonly mismatch: boolean,
  ) {
    super(message)
  }
}

export interface FetchOptions {
  /** The whole download must finish within this, in milliseconds. */
  timeoutMs: number
}

/**
 * Fetches `model`'s bytes from its URI: at most `model.size` bytes are read (more aborts the
 * transfer), and the result must hash to the id. Throws ModelRefused.
 */
export async function fetchModel(model: OffchainModel, opts: FetchOptions): Promise<Uint8Array> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(model.uri)?.[1]?.toLowerCase()
  const signal = AbortSignal.timeout(opts.timeoutMs)
  let chunks: AsyncIterable<Uint8Array>
  if (scheme === 'file') {
    let path: string
    try {
      path = fileURLToPath(model.uri)
    } catch (err) {
      throw new ModelRefused(`bad file URI ${model.uri}: ${(err as Error).message}`, false)
    }
    const size = await stat(path).then((s) => s.size, (err: Error) => {
      throw new ModelRefused(`cannot read ${path}: ${err.message}`, false)
    })
    if (size > model.size) throw new ModelRefused(`${model.uri} holds ${size} bytes, the registered size is ${model.size}`, true)
    chunks = createReadStream(path, { signal }) as AsyncIterable<Uint8Array>
  } else if (scheme === 'http' || scheme === 'https') {
    let res: Response
    try {
      res = await fetch(model.uri, { signal, redirect: 'follow' })
    } catch (err) {
      throw new ModelRefused(`GET ${model.uri} failed: ${describe(err)}`, false)
    }
    if (!res.ok || res.body === null) {
      await res.body?.cancel().catch(() => {})
      throw new ModelRefused(`GET ${model.uri} answered HTTP ${res.status}`, false)
    }
    const length = Number(res.headers.get('content-length') ?? NaN)
    if (Number.isFinite(length) && length > model.size) {
      await res.body.cancel().catch(() => {})
      throw new ModelRefused(`${model.uri} announces ${length} bytes, the registered size is ${model.size}`, true)
    }
    chunks = res.body as unknown as AsyncIterable<Uint8Array>
  } else {
    throw new ModelRefused(`unsupported URI scheme in ${model.uri} (http://, https:// or file://)`, false)
  }

  const parts: Uint8Array[] = []
  let length = 0
  try {
    for await (const chunk of chunks) {
      if (length + chunk.length > model.size) throw new ModelRefused(`${model.uri} sent more than the registered size of ${model.size} bytes`, true)
      parts.push(chunk)
      length += chunk.length
    }
  } catch (err) {
    if (err instanceof ModelRefused) throw err
    throw new ModelRefused(`reading ${model.uri} failed${signal.aborted ? ` (over ${opts.timeoutMs} ms)` : ''}: ${describe(err)}`, false)
  } finally {
    // an early exit (too many bytes, an error) ends the transfer
    const it = chunks as { destroy?: () => void; cancel?: () => Promise<void> }
    it.destroy?.()
  }
  const bytes = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    bytes.set(p, at)
    at += p.length
  }
  const hash = hashOf(bytes)
  if (hash !== model.modelId.toLowerCase()) throw new ModelRefused(`keccak256 of the ${length} bytes from ${model.uri} is ${hash}, not the model id ${model.modelId}: refusing to serve it`, true)
  return bytes
}

export function hashOf(bytes: Uint8Array): Hex {
  return bytesToHex(keccak_256(bytes))
}

/** Verified model bytes by id, on disk. */
export class ModelCache {
  constructor(readonly dir: string) {}

  private pathOf(modelId: Hex): string {
    return join(this.dir, `${modelId.toLowerCase()}.bin`)
  }

  /**
   * The model's bytes from the cache (checked again: a file that does not hash to its id is
   * deleted) or else from its URI (then cached). Throws ModelRefused.
   */
  async load(model: OffchainModel, opts: FetchOptions): Promise<{ bytes: Uint8Array; from: 'cache' | 'uri'; note?: string }> {
    const path = this.pathOf(model.modelId)
    let note: string | undefined
    const cached = await readFile(path).catch(() => undefined)
    if (cached !== undefined) {
      const bytes = new Uint8Array(cached) // a copy: its own ArrayBuffer, not a pooled one
      if (hashOf(bytes) === model.modelId.toLowerCase()) return { bytes, from: 'cache' }
      note = `cached ${path} does not hash to the model id: deleted, fetching again`
      await rm(path, { force: true })
    }
    const bytes = await fetchModel(model, opts)
    await mkdir(this.dir, { recursive: true })
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, bytes)
    await rename(tmp, path)
    return { bytes, from: 'uri', ...(note !== undefined && { note }) }
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: Error }
  const msg = e?.message ?? String(err)
  return e?.cause?.message !== undefined ? `${msg} (${e.cause.message})` : msg
}
