/**
 * Getting an off-chain model's bytes (worker/models.ts): from http:// (a local server) and
 * file://, never more than the registered size, within a deadline, refused unless keccak256 of
 * the bytes is the model id; the cache re-checks what it holds.
 */
import { createServer, type Server } from 'node:http'
import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256, toHex } from 'viem'
import { fetchModel, ModelCache, ModelRefused, type OffchainModel } from '../../worker/index.ts'
import { ROOT, tempDir } from '../helpers/node.ts'

const bytes = new Uint8Array(readFileSync(join(ROOT, 'precompiles/models/iris-mlp.onnx')))
const modelId = keccak256(bytes)
const model = (uri: string, over: Partial<OffchainModel> = {}): OffchainModel => ({ modelId, name: 'iris', size: bytes.length, inputFormat: 'int256[]', outputFormat: 'int256[]', uri, timeoutSeconds: 5, ...over })

describe('fetching a model', () => {
  let server: Server
  let base: string
  let dir: string
  const hits: string[] = []

  beforeAll(async () => {
    dir = tempDir('worker-models-')
    server = createServer((req, res) => {
      hits.push(req.url!)
      if (req.url === '/model') return res.end(Buffer.from(bytes))
      if (req.url === '/other') return res.end(Buffer.from(bytes.map((b, i) => (i === 10 ? b ^ 1 : b))))
      if (req.url === '/big') return res.end(Buffer.concat([Buffer.from(bytes), Buffer.alloc(10)]))
      if (req.url === '/chunked-big') {
        // no content-length: the cap must hold while streaming
        res.writeHead(200, { 'transfer-encoding': 'chunked' })
        const timer = setInterval(() => res.write(Buffer.alloc(1024)), 5)
        res.on('close', () => clearInterval(timer))
        return
      }
      if (req.url === '/slow') return setTimeout(() => res.end(Buffer.from(bytes)), 2_000)
      res.statusCode = 404
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  it('takes the bytes over http and from a file when they hash to the model id', async () => {
    expect(toHex(await fetchModel(model(`${base}/model`), { timeoutMs: 5_000 }))).toBe(toHex(bytes))
    const path = join(dir, 'iris.onnx')
    writeFileSync(path, bytes)
    expect(toHex(await fetchModel(model(pathToFileURL(path).href), { timeoutMs: 5_000 }))).toBe(toHex(bytes))
  })

  it('refuses bytes that do not hash to the model id, saying so', async () => {
    const err = await fetchModel(model(`${base}/other`), { timeoutMs: 5_000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ModelRefused)
    expect((err as ModelRefused).mismatch).toBe(true)
    expect((err as Error).message).toMatch(/keccak256 of the \d+ bytes .* is 0x[0-9a-f]{64}, not the model id .*refusing to serve it/)
  })

  it('reads no more than the registered size', async () => {
    await expect(fetchModel(model(`${base}/big`), { timeoutMs: 5_000 })).rejects.toThrow(/announces \d+ bytes, the registered size is/)
    await expect(fetchModel(model(`${base}/chunked-big`), { timeoutMs: 5_000 })).rejects.toThrow(/sent more than the registered size/)
    const path = join(dir, 'big.onnx')
    writeFileSync(path, Buffer.concat([Buffer.from(bytes), Buffer.alloc(1)]))
    await expect(fetchModel(model(pathToFileURL(path).href), { timeoutMs: 5_000 })).rejects.toThrow(/the registered size is/)
  })

  it('gives up after its deadline, and on errors and unknown schemes', async () => {
    const started = Date.now()
    await expect(fetchModel(model(`${base}/slow`), { timeoutMs: 300 })).rejects.toThrow(ModelRefused)
    expect(Date.now() - started).toBeLessThan(1_500)
    await expect(fetchModel(model(`${base}/missing`), { timeoutMs: 5_000 })).rejects.toThrow(/HTTP 404/)
    await expect(fetchModel(model('ipfs://bafy'), { timeoutMs: 5_000 })).rejects.toThrow(/unsupported URI scheme/)
    await expect(fetchModel(model('file:///nonexistent/model.onnx'), { timeoutMs: 5_000 })).rejects.toThrow(/cannot read/)
  })

  it('caches by id, checks the cached file again and fetches again when it was changed', async () => {
    const cache = new ModelCache(join(dir, 'cache'))
    hits.length = 0
    const first = await cache.load(model(`${base}/model`), { timeoutMs: 5_000 })
    expect(first.from).toBe('uri')
    const path = join(dir, 'cache', `${modelId}.bin`)
    expect(existsSync(path)).toBe(true)
    expect((await cache.load(model(`${base}/model`), { timeoutMs: 5_000 })).from).toBe('cache')
    expect(hits).toEqual(['/model'])
    writeFileSync(path, Buffer.from('tampered'))
    const again = await cache.load(model(`${base}/model`), { timeoutMs: 5_000 })
    expect(again).toMatchObject({ from: 'uri', note: expect.stringMatching(/does not hash to the model id/) })
    expect(toHex(readFileSync(path))).toBe(toHex(bytes))
    // a cached file that is wrong and a URI that serves wrong bytes: refused, nothing cached
    writeFileSync(path, Buffer.from('tampered'))
    await expect(cache.load(model(`${base}/other`), { timeoutMs: 5_000 })).rejects.toThrow(/refusing to serve it/)
    expect(existsSync(path)).toBe(false)
  })
})
