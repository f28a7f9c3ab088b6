/**
 * `npm run models:register -- ./model.onnx --name "my model"`: a developer's own ONNX file
 * registered on a node this test starts (free port), with its id, gas per call, input and output
 * printed; a file the registry refuses is reported with ModelRejected's reason decoded, exit 1.
 * (No file: the three examples, test/precompiles/examples.test.ts.)
 */
import { execFile } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256 } from 'viem'
import { analyzeModel } from '../../precompiles/onnx/analyze.ts'
import { buildModel } from '../../scripts/models/index.ts'
import { accounts, ROOT, startTestNode, tempDir, type TestNode } from '../helpers/node.ts'

function registerModels(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/register-models.ts'), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

/** A model of the developer's own: y = relu(x · W), x float32 [1, 3], y float32 [1, 2]. */
const OWN_MODEL = buildModel({
  inputs: [{ name: 'features', type: 'float32', shape: [1, 3] }],
  outputs: [{ name: 'scores', type: 'float32', shape: [1, 2] }],
  initializers: [{ name: 'W', type: 'float32', shape: [3, 2], values: [0.5, -1, 2, 0.25, -0.75, 1.5] }],
  nodes: [
    { op: 'MatMul', inputs: ['features', 'W'], outputs: ['xw'] },
    { op: 'Relu', inputs: ['xw'], outputs: ['scores'] },
  ],
})
/** Refused: a symbolic batch dimension (the analyzer wants fixed shapes). */
const REFUSED_MODEL = buildModel({
  inputs: [{ name: 'x', type: 'float32', shape: ['batch', 4] }],
  outputs: [{ name: 'y', type: 'float32', shape: ['batch', 4] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
})

describe('npm run models:register -- <file> --name <name>', () => {
  let t: TestNode
  const dir = tempDir('register-models-')
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('registers the file under the name and prints id, gas per call, input and output; a second run skips it', async () => {
    const file = join(dir, 'model.onnx')
    writeFileSync(file, OWN_MODEL)
    const id = keccak256(OWN_MODEL)
    const first = await registerModels([file, '--name', 'my model', '--rpc', t.url])
    expect(first.code, first.stderr).toBe(0)
    const m = /^registered my model: id (0x[0-9a-f]{64}), gas per call (\d+), tx (0x[0-9a-f]{64})/m.exec(first.stdout)
    expect(m, first.stdout).not.toBeNull()
    expect(m![1]).toBe(id)
    // progress on stderr (scripts/lib/progress.ts): off a terminal, a short run says only its end
    expect(first.stderr).toMatch(/^models 1\/1, done \(\d+\.\d s\)\n$/)
    expect(first.stdout).toMatch(/^ {2}input {2}features float32 \[1, 3\] \(3 values\)$/m)
    expect(first.stdout).toMatch(/^ {2}output scores float32 \[1, 2\] \(2 values\)$/m)
    const model = await t.rpc('ai_getModel', [id])
    expect(model).toMatchObject({ modelId: id, name: 'my model', owner: accounts[0].address.toLowerCase() })
    expect(BigInt(model.gasPerCall)).toBe(BigInt(m![2]))
    expect(BigInt(m![2])).toBe(analyzeModel(OWN_MODEL).gasPerCall)

    const again = await registerModels([file, '--name', 'my model', '--rpc', t.url])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`skipped my model: already registered as my model (id ${id}, gas per call ${m![2]})`)
  }, 90_000)

  it('names the model after the file when --name is not given', async () => {
    const file = join(dir, 'fraud-detector.onnx')
    const bytes = buildModel({ inputs: [{ name: 'x', type: 'float32', shape: [1, 5] }], outputs: [{ name: 'y', type: 'float32', shape: [1, 5] }], nodes: [{ op: 'Sigmoid', inputs: ['x'], outputs: ['y'] }] })
    writeFileSync(file, bytes)
    const r = await registerModels([file, '--rpc', t.url])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^registered fraud-detector: id /m)
    expect((await t.rpc('ai_getModel', [keccak256(bytes)])).name).toBe('fraud-detector')
  }, 60_000)

  it('a model the registry refuses: the ModelRejected reason decoded, exit 1, nothing registered', async () => {
    const file = join(dir, 'symbolic.onnx')
    writeFileSync(file, REFUSED_MODEL)
    // the analyzer's own words, as the A2 precompile reverts with them
    expect(() => analyzeModel(REFUSED_MODEL)).toThrow(/input must have a fixed shape/)
    const r = await registerModels([file, '--name', 'batchy', '--rpc', t.url])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`the ModelRegistry refuses ${file} (id ${keccak256(REFUSED_MODEL)}): ModelRejected(input must have a fixed shape)`)
    expect(r.stdout).not.toMatch(/^registered/m)
    expect(await t.rpc('ai_getModel', [keccak256(REFUSED_MODEL)])).toBeNull()
  }, 60_000)

  it('the Hardhat task does the same: npx hardhat models:register --network l2 <file> --name <name>', async () => {
    const file = join(dir, 'hardhat-model.onnx')
    const bytes = buildModel({ inputs: [{ name: 'x', type: 'float32', shape: [1, 2] }], outputs: [{ name: 'y', type: 'float32', shape: [1, 2] }], nodes: [{ op: 'Tanh', inputs: ['x'], outputs: ['y'] }] })
    writeFileSync(file, bytes)
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(join(ROOT, 'node_modules/.bin/hardhat'), ['models:register', '--network', 'l2', file, '--name', 'hardhat model'], { cwd: ROOT, timeout: 90_000, env: { ...process.env, L2_RPC_URL: t.url } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
      )
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`registered hardhat model: id ${keccak256(bytes)}, gas per call`)
    expect(r.stdout).toMatch(/^ {2}input {2}x float32 \[1, 2\] \(2 values\)$/m)
    expect((await t.rpc('ai_getModel', [keccak256(bytes)])).name).toBe('hardhat model')
  }, 120_000)

  it('a file that is not there: says so, exit 1', async () => {
    const r = await registerModels([join(dir, 'missing.onnx'), '--rpc', t.url])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`cannot read ${join(dir, 'missing.onnx')}: ENOENT`)
  })
})
