/**
 * The SDK as a user gets it: built and packed by `npm pack` from a copy of sdk/, the tarball
 * installed into an empty folder without network, viem linked in as its peer, and a CommonJS
 * and an ESM program run with plain node against a real rollup (Anvil L1, L2 node posting to it):
 * each submits a hash over the node's HTTP API, waits until it is final, and verifies it on L1
 * alone. A TypeScript program is type-checked against the installed declarations too.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bytesToHex } from 'viem'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers/node.ts'
import { startTestL1 } from '../helpers/l1.ts'
import { startTestRollup, type TestRollup } from '../helpers/rollup.ts'

const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout, env: NPM_ENV }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

/** What both programs do, in their module system's words: submit, wait until final, verify on L1. */
const PROGRAM = (load: string) => `${load}
async function main() {
  const [url, l1Url, deploymentsPath, hash] = process.argv.slice(2)
  const anchors = sdk.createAnchorClient({ url, apiKey: sdk.DEV_ANCHOR_API_KEY })
  const submitted = await anchors.submit([hash])
  const status = await anchors.waitFor(hash, { status: 'final', timeoutMs: 60_000, pollingIntervalMs: 200 })
  const { rollupAnchor, l1ChainId } = node.readDeployments(deploymentsPath)
  const verdict = await sdk.verifyAnchor({ l1: l1Url, rollupAnchor, hash, proof: status, expectedL1ChainId: l1ChainId, requireFinal: true })
  const page = await anchors.list({ status: 'final' })
  console.log(JSON.stringify({ resolved, submitted, status, verdict, listed: page.items.map((i) => i.hash) }))
}
main().catch((e) => { console.error(e); process.exit(1) })
`
const CJS = PROGRAM(`const sdk = require('@ai-rollup/sdk')
const node = require('@ai-rollup/sdk/node')
const resolved = require.resolve('@ai-rollup/sdk')`)
const ESM = PROGRAM(`import * as sdk from '@ai-rollup/sdk'
import * as node from '@ai-rollup/sdk/node'
const resolved = import.meta.resolve('@ai-rollup/sdk')`)
/** Uses the declarations: a wrong type here fails tsc. */
const TYPED = `import { aiRollupDevnet, createAnchorClient, verifyAnchor, type AnchorStatus, type VerifyAnchorResult } from '@ai-rollup/sdk'
import { readDeployments } from '@ai-rollup/sdk/node'
export async function check(hash: \`0x\${string}\`): Promise<boolean> {
  const id: number = aiRollupDevnet.id
  const status: AnchorStatus = await createAnchorClient({ apiKey: 'k' }).waitFor(hash, { status: 'final' })
  const r: VerifyAnchorResult = await verifyAnchor({ l1: 'http://127.0.0.1:8545', rollupAnchor: readDeployments('d.json').rollupAnchor, hash, proof: status })
  return r.valid && id > 0
}
`

describe('@ai-rollup/sdk packed, installed from the tarball and run', () => {
  let dir: string
  let app: string
  let rollup: TestRollup

  beforeAll(async () => {
    dir = tempDir('sdk-package-')
    // A copy of the workspace, so packing (which builds dist/) never touches the repository's sdk/.
    const src = join(dir, 'sdk')
    mkdirSync(src)
    for (const entry of ['package.json', 'tsconfig.json', 'README.md', 'scripts', 'src']) cpSync(join(ROOT, 'sdk', entry), join(src, entry), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'))
    const out = join(dir, 'out')
    mkdirSync(out)
    const pack = await run('npm', ['pack', '--offline', '--pack-destination', out], src)
    expect(pack.code, pack.stderr).toBe(0)
    const [tarball] = readdirSync(out)
    expect(tarball).toMatch(/^ai-rollup-sdk-\d+\.\d+\.\d+\.tgz$/)

    app = join(dir, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sdk-user', version: '1.0.0', private: true }))
    // viem is a peer: linked from the repository rather than fetched (no network here).
    const install = await run('npm', ['install', '--offline', '--legacy-peer-deps', '--no-package-lock', join(out, tarball)], app)
    expect(install.code, install.stderr).toBe(0)
    symlinkSync(join(ROOT, 'node_modules/viem'), join(app, 'node_modules/viem'))
    writeFileSync(join(app, 'anchor.cjs'), CJS)
    writeFileSync(join(app, 'anchor.mjs'), ESM)
    writeFileSync(join(app, 'typed.ts'), TYPED)

    // Anvil mining every second and a 2 s challenge window: batches become final on their own.
    const l1 = await startTestL1({ blockTime: 1 })
    rollup = await startTestRollup({ l1, challengeWindowSeconds: 2 })
  }, 240_000)

  afterAll(async () => {
    await rollup?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('ships dist/cjs and dist/esm with declarations, and nothing from the repository but the SDK', () => {
    const installed = join(app, 'node_modules/@ai-rollup/sdk')
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))
    expect(pkg.peerDependencies).toEqual({ viem: expect.any(String) })
    expect(pkg.dependencies).toBeUndefined()
    for (const file of ['dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/node.js', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/node.js']) {
      expect(readFileSync(join(installed, file), 'utf8').length, file).toBeGreaterThan(0)
    }
    expect(JSON.parse(readFileSync(join(installed, 'dist/esm/package.json'), 'utf8'))).toEqual({ type: 'module' })
  })

  for (const [kind, file, distDir] of [
    ['a CommonJS', 'anchor.cjs', 'dist/cjs/'],
    ['an ESM', 'anchor.mjs', 'dist/esm/'],
  ] as const) {
    it(`${kind} program submits a hash, waits until it is final and verifies it against L1`, async () => {
      const hash = bytesToHex(randomBytes(32))
      const r = await run(process.execPath, [file, rollup.l2.url, rollup.l1.url, rollup.deploymentsPath, hash], app, 90_000)
      expect(r.code, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout)
      expect(out.resolved).toContain(`node_modules/@ai-rollup/sdk/${distDir}index.js`)
      expect(out.submitted).toEqual({ accepted: 1, queued: 1, alreadyKnown: 0, status: 'pending' })
      expect(out.status).toMatchObject({ hash, status: 'final', l1: { chainId: 31337, rollupAnchor: rollup.deployments.rollupAnchor } })
      expect(out.verdict).toMatchObject({
        valid: true,
        hash,
        batchIndex: out.status.batchIndex,
        rollupAnchor: rollup.deployments.rollupAnchor,
        reasons: [],
        checks: { proofIsForHash: true, batchExists: true, contractVerifies: true, rootMatchesL1: true },
        batch: { final: true, anchorRoot: out.status.anchorRoot },
      })
      expect(out.listed).toContain(hash)
    })
  }

  it('type-checks a TypeScript program against the installed declarations (NodeNext resolution)', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    const r = await run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), 'typed.ts'], app)
    expect(r.stdout + r.stderr).toBe('')
    expect(r.code).toBe(0)
  })
})
