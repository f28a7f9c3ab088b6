/**
 * The block explorer in a real browser: headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core) against a real node posting to a real Anvil L1, with real data: an ETH
 * transfer, an ERC-20 transfer, a failing transaction, an inference, a hash anchored and posted
 * to L1. Every page is loaded and checked; "Verify on L1" is clicked for the anchored hash and
 * says verified; bad input answers friendly pages with 400 and 404. Screenshots of each page go
 * to test-output/explorer/ (gitignored). One browser and one rollup for the file.
 *
 * Without /usr/bin/chromium the browser tests are skipped with a message, except under CI=true
 * (.ci/run installs it), where they must run.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeDeployData, encodeFunctionData, keccak256, parseAbi, parseEther, toHex, type Abi, type Address, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE } from '../../precompiles/index.ts'
import { encodeInferCall } from '../../precompiles/tensor-codec.ts'
import { buildCreditModel } from '../../scripts/models/index.ts'
import { DEV_ANCHOR_API_KEY } from '../../sequencer/config.ts'
import { doc, submit } from '../helpers/anchoring.ts'
import { registerModel } from '../helpers/models.ts'
import { accounts, ROOT, startTestNode, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { startNode } from '../../sequencer/node.ts'
import { sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'

const CHROMIUM = '/usr/bin/chromium'
const OUT = join(ROOT, 'test-output', 'explorer')
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI must run the explorer's browser tests (apt-get install -y chromium)`)
if (!haveChromium) console.warn(`explorer browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium; under CI=true they run)`)

const ERC20 = parseAbi(['function transfer(address to, uint256 value) returns (bool)'])
const token = JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts/examples/ExampleToken.sol/ExampleToken.json'), 'utf8')) as { abi: Abi; bytecode: Hex }

describe.skipIf(!haveChromium)('explorer in a browser', () => {
  let r: TestRollup
  let browser: Browser
  let page: Page
  let profile: string
  const tx: Record<'transfer' | 'erc20' | 'failed' | 'inference', Hex> = {} as never
  let tokenAddress: Address
  let modelId: Hex
  const anchored = doc('explorer: board minutes 2026-12-03')
  /** Every origin the pages asked something of, and the nodes' own (the replica's added by its test). */
  const origins = new Set<string>()
  const nodeOrigins = new Set<string>()

  beforeAll(async () => {
    r = await startTestRollup()
    const l2 = r.l2
    ;[tx.transfer] = await sendTransfers(l2, 1, 2)
    // an ERC-20: deploy, transfer; then a transfer its sender cannot pay (reverts with the token's custom error)
    // explicit gas limits: no eth_estimateGas round trips (and their deadline on a busy machine)
    const deploy = await l2.wallet(0).sendTransaction({ gas: 3_000_000n, data: encodeDeployData({ abi: token.abi, bytecode: token.bytecode, args: ['Explorer Token', 'EXT', 18, parseEther('1000')] }) })
    tokenAddress = (await l2.publicClient.waitForTransactionReceipt({ hash: deploy })).contractAddress!
    tx.erc20 = await l2.wallet(0).sendTransaction({ to: tokenAddress, gas: 100_000n, data: encodeFunctionData({ abi: ERC20, functionName: 'transfer', args: [accounts[3].address as Address, parseEther('12.5')] }) })
    tx.failed = await l2.wallet(4).sendTransaction({ to: tokenAddress, gas: 100_000n, data: encodeFunctionData({ abi: ERC20, functionName: 'transfer', args: [accounts[3].address as Address, 1n] }) })
    // an inference: the credit model, called directly at the precompile
    const credit = buildCreditModel()
    modelId = keccak256(credit)
    await registerModel(l2, credit, 'credit-risk')
    const ONE = 10n ** 18n
    tx.inference = await l2.wallet(0).sendTransaction({ to: INFERENCE_PRECOMPILE, data: toHex(encodeInferCall(modelId, [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n])), gas: 2_000_000n })
    for (const hash of Object.values(tx)) await l2.publicClient.waitForTransactionReceipt({ hash })
    // a hash anchored over HTTP and posted to L1
    await submit(l2.url, DEV_ANCHOR_API_KEY, [anchored])
    await until(async () => ((await l2.rpc('anchor_getProof', [anchored]))?.status === 'posted' ? true : undefined), 'the anchored hash to be posted', 30_000)
    await untilPosted(l2)

    mkdirSync(OUT, { recursive: true })
    profile = mkdtempSync(join(tmpdir(), 'explorer-chromium-'))
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: profile,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    page = await browser.newPage()
    await page.setViewport({ width: 1280, height: 900 })
    page.on('request', (req) => origins.add(new URL(req.url()).origin))
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
    await r?.close()
  })

  /** Opens `path`, waits until the page code rendered it, and returns the HTTP status and the main element's text. */
  async function open(path: string, screenshot?: string): Promise<{ status: number; text: string }> {
    const res = await page.goto(`${r.l2.url}${path}`, { waitUntil: 'domcontentloaded' })
    await page.waitForFunction(() => {
      const main = document.getElementById('main')
      return main !== null && (main.dataset.page === 'error' || main.dataset.ready !== undefined)
    }, { timeout: 20_000 })
    const { kind, ready } = await page.$eval('#main', (m) => ({ kind: (m as HTMLElement).dataset.page, ready: (m as HTMLElement).dataset.ready }))
    const text = await page.$eval('#main', (m) => (m as HTMLElement).innerText)
    // a problem page is the node's own answer; any other page must have rendered without an error
    if (kind !== 'error') expect(ready, `${path} rendered: ${text}`).toBe('true')
    if (screenshot !== undefined) await page.screenshot({ path: join(OUT, `${screenshot}.png`), fullPage: true })
    return { status: res!.status(), text }
  }

  it('home: the three heads, the batcher, the chart, the latest blocks and transactions', async () => {
    const { status, text } = await open('/')
    expect(status).toBe(200)
    const heads = await page.$$eval('[data-head] .value', (els) => els.map((e) => Number((e as HTMLElement).innerText.replace(/[#,]/g, ''))))
    const head = r.l2.node.chain.headNumber
    expect(heads).toHaveLength(3)
    expect(heads[0]).toBeGreaterThanOrEqual(head)
    expect(heads[1]).toBeGreaterThan(0) // posted to L1 (confirmations 1)
    expect(text).toContain('Latest blocks')
    expect(text).toMatch(/last batch\s+batch \d+/)
    expect(text).toMatch(/L1 cost per L2 tx\s+[\d.,]+ gwei/)
    expect(await page.$$eval('.chart svg rect.bar', (els) => els.length)).toBeGreaterThan(0)
    expect(await page.$$eval(`a[href="/tx/${tx.inference}"]`, (els) => els.length)).toBe(1)
    // live: a new block shows up without a reload
    await sendTransfers(r.l2, 1, 6)
    const newHead = r.l2.node.chain.headNumber
    await page.waitForFunction((n) => Number(document.querySelector('[data-head="unsafe"] .value')!.textContent!.replace(/[#,]/g, '')) >= n, { timeout: 10_000 }, newHead)
    await page.screenshot({ path: join(OUT, 'home.png'), fullPage: true })
  })

  it('transaction pages: an ETH transfer, a decoded ERC-20 Transfer, a revert reason, an inference record', async () => {
    const transfer = await open(`/tx/${tx.transfer}`, 'tx-transfer')
    expect(transfer.status).toBe(200)
    expect(transfer.text).toContain('success')
    expect(transfer.text).toContain('0.001 ETH')

    const erc20 = await open(`/tx/${tx.erc20}`, 'tx-erc20')
    expect(erc20.text).toMatch(/transfer\(…\)/)
    expect(erc20.text).toContain('Transfer')
    expect(erc20.text).toContain('12500000000000000000') // the decoded value, in base units
    expect(erc20.text).toContain(accounts[3].address.slice(0, 8))

    const failed = await open(`/tx/${tx.failed}`, 'tx-failed')
    expect(failed.text).toContain('failed')
    expect(await page.$eval('[data-revert]', (e) => (e as HTMLElement).innerText)).toMatch(/ERC20InsufficientBalance\(/)

    const inference = await open(`/tx/${tx.inference}`, 'tx-inference')
    expect(inference.text).toContain('AI inferences (1)')
    expect(await page.$$eval(`a[href="/model/${modelId}"]`, (els) => els.length)).toBeGreaterThan(0)
    expect(inference.text).toContain('Inference') // the precompile's log, decoded
  })

  it('block, address, batch, models and model pages', async () => {
    const receipt = await r.l2.publicClient.getTransactionReceipt({ hash: tx.erc20 })
    const block = await open(`/block/${receipt.blockNumber}`, 'block')
    expect(block.text).toContain(`Block #${receipt.blockNumber}`)
    expect(block.text).toMatch(/batch \d+/)
    expect(await page.$$eval(`a[href="/tx/${tx.erc20}"]`, (els) => els.length)).toBe(1)
    const byHash = await open(`/block/${receipt.blockHash}`)
    expect(byHash.text).toContain(`Block #${receipt.blockNumber}`)

    const address = await open(`/address/${accounts[0].address}`, 'address')
    expect(address.text).toMatch(/balance\s+[\d,.]+ ETH/)
    expect(address.text).toContain('none (an account)')
    for (const hash of [tx.erc20, tx.inference]) expect(await page.$$eval(`a[href="/tx/${hash}"]`, (els) => els.length)).toBe(1)
    const contract = await open(`/address/${tokenAddress}`)
    expect(contract.text).toMatch(/a contract: [\d,]+ bytes/)

    const batchIndex = (await r.l2.rpc('anchor_getProof', [anchored])).batchIndex as number
    const batch = await open(`/batch/${batchIndex}`, 'batch')
    const onL1 = await r.l2.rpc('rollup_getBatch', [toHex(batchIndex)])
    expect(batch.text).toContain(onL1.l1TxHash)
    expect(batch.text).toMatch(/posted, in its challenge window/)
    expect(batch.text).toMatch(/left \(ends/)
    expect(batch.text).toMatch(/(on L1 from|blobs? \([\d.]+ kB\) for) [\d.]+ (B|kB) of transactions/)
    await page.waitForFunction(() => /\d+ L1 confirmations/.test(document.getElementById('main')!.innerText), { timeout: 10_000 })

    const models = await open('/models', 'models')
    expect(models.text).toContain('credit-risk')
    const row = await page.$$eval('tbody tr', (rows) => rows.map((r) => (r as HTMLElement).innerText).find((t) => t.includes('credit-risk')))
    expect(row).toMatch(/\t1$/) // one inference counted

    const model = await open(`/model/${modelId}`, 'model')
    expect(model.text).toContain('credit-risk')
    expect(model.text).toMatch(/gas per call\s+[\d,]+/)
    expect(model.text).toContain('Inferences: 1 in blocks')
    expect(await page.$$eval(`a[href="/tx/${tx.inference}"]`, (els) => els.length)).toBe(1)
  })

  it('anchor lookup: the batch and L1 transaction, and Verify on L1 checks the proof from the browser', async () => {
    const { text } = await open(`/anchor/${anchored}`)
    expect(text).toContain('posted to L1')
    const proof = await r.l2.rpc('anchor_getProof', [anchored])
    expect(text).toContain(proof.l1.txHash)
    // the node's devnet-style default: its own loopback L1 URL, and RollupAnchor from its deployments
    expect(await page.$eval('input[name=l1]', (e) => (e as HTMLInputElement).value)).toBe(r.l1.url)
    expect(await page.$eval('input[name=rollupAnchor]', (e) => (e as HTMLInputElement).value.toLowerCase())).toBe(r.deployments.rollupAnchor.toLowerCase())
    await page.click('.verify-form button[type=submit]')
    await page.waitForSelector('[data-verdict]', { timeout: 20_000 })
    expect(await page.$eval('[data-verdict]', (e) => (e as HTMLElement).dataset.verdict)).toBe('verified')
    expect(await page.$eval('.verdict', (e) => (e as HTMLElement).innerText)).toContain(`anchored in batch ${proof.batchIndex}`)
    await page.screenshot({ path: join(OUT, 'anchor-verified.png'), fullPage: true })

    // another RollupAnchor (here: the L1 bridge) is not taken for the real one
    await page.$eval('input[name=rollupAnchor]', (e, a) => ((e as HTMLInputElement).value = a), r.deployments.l1Bridge as string)
    await page.click('.verify-form button[type=submit]')
    await page.waitForFunction(() => ['invalid', 'error'].includes(document.querySelector('[data-verdict]')?.getAttribute('data-verdict') ?? ''), { timeout: 20_000 })
    expect(await page.$eval('[data-verdict]', (e) => (e as HTMLElement).dataset.verdict)).not.toBe('verified')
    await page.evaluate(() => localStorage.clear())

    const form = await open('/anchor', 'anchor-lookup')
    expect(form.text).toContain('Is my hash anchored?')
  })

  it('search goes to the right page, and bad input gets friendly 400 and 404 pages', async () => {
    const search = async (q: string) => {
      await page.goto(`${r.l2.url}/`, { waitUntil: 'domcontentloaded' })
      await page.type('input[name=q]', q)
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('.search button')])
      return new URL(page.url()).pathname
    }
    expect(await search(tx.transfer)).toBe(`/tx/${tx.transfer}`)
    expect(await search('1')).toBe('/block/1')
    expect(await search(accounts[5].address)).toBe(`/address/${accounts[5].address}`)
    expect(await search(anchored)).toBe(`/anchor/${anchored}`)
    expect(await search(modelId)).toBe(`/model/${modelId}`)
    expect(await search('batch 0')).toBe('/batch/0')
    expect(await search('hello world')).toBe('/search')
    expect(await page.$eval('#main', (m) => (m as HTMLElement).innerText)).toContain('Nothing on this chain matches "hello world"')

    const cases: [string, number, RegExp, string?][] = [
      [`/tx/0x${'ab'.repeat(32)}`, 404, /Transaction not found/, 'bad-unknown-tx'],
      ['/tx/0x1234', 400, /"0x1234" is not a transaction hash/],
      ['/address/0xnot-an-address', 400, /is not an address: expected 0x and 40 hex digits/, 'bad-address'],
      ['/block/99999999', 404, /Block 99999999 is not sealed yet/],
      [`/block/0x${'00'.repeat(32)}`, 404, /No block of this chain has the hash/],
      ['/batch/12345', 404, /knows no batch 12345/],
      [`/anchor/0x${'cd'.repeat(32)}`, 404, /never received/],
      [`/model/0x${'ef'.repeat(32)}`, 404, /No model .* is registered/],
      ['/no/such/page', 404, /This node serves no page at \/no\/such\/page/],
      ['/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 404, /Nothing on this chain matches "<script>alert\(1\)<\/script>"/],
    ]
    for (const [path, status, message, shot] of cases) {
      const res = await open(path, shot)
      expect(res.status, path).toBe(status)
      expect(res.text, path).toMatch(message)
      expect(res.text, path).not.toMatch(/at .*\.ts:\d+|Error:|stack/i)
    }
    // the echoed input is text, never markup
    expect(await page.$$eval('#main script', (els) => els.length)).toBe(0)
  })

  it('is served by a replica too: its home page, and a transaction with its decoded logs and inference', async () => {
    const dataDir = tempDir('explorer-replica-')
    const replica = await startNode({
      dataDir,
      rpc: { port: 0 },
      calls: { workers: 1 },
      logLevel: TEST_LOG_LEVEL,
      replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, sequencerRpcUrl: r.l2.url, confirmations: 1, pollIntervalMs: 50, feedReconnectMs: 100 },
    })
    try {
      nodeOrigins.add(new URL(replica.url).origin)
      await until(() => (replica.chain.headNumber >= r.l2.node.chain.headNumber ? true : undefined), 'the replica to reach the sequencer head')
      const home = await page.goto(`${replica.url}/`, { waitUntil: 'domcontentloaded' })
      expect(home!.status()).toBe(200)
      await page.waitForSelector('#main[data-ready=true]', { timeout: 20_000 })
      expect(await page.$eval('#main', (m) => (m as HTMLElement).innerText)).toContain('This node is a replica')
      await page.goto(`${replica.url}/tx/${tx.inference}`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector('#main[data-ready=true]', { timeout: 20_000 })
      expect(await page.$eval('#main', (m) => (m as HTMLElement).innerText)).toContain('AI inferences (1)')
      expect((await fetch(`${replica.url}/tx/0x${'ab'.repeat(32)}`)).status).toBe(404)
    } finally {
      await replica.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('fetched nothing from anywhere but the nodes and the L1 (no CDN)', () => {
    const allowed = [new URL(r.l2.url).origin, new URL(r.l1.url).origin, ...nodeOrigins]
    const others = [...origins].filter((o) => !allowed.includes(o))
    expect(origins.has(new URL(r.l2.url).origin)).toBe(true)
    expect(origins.has(new URL(r.l1.url).origin)).toBe(true) // Verify on L1 asked the L1 itself
    expect(others).toEqual([])
  })

  it('bounds what a stranger can ask of the explorer API', async () => {
    const get = (p: string) => fetch(`${r.l2.url}${p}`)
    expect((await get(`/explorer/api/address/${accounts[0].address}/txs?limit=101`)).status).toBe(400)
    expect((await get(`/explorer/api/address/${accounts[0].address}/txs?before=zzz`)).status).toBe(400)
    expect((await get('/explorer/api/address/0x12/txs')).status).toBe(400)
    // pages of one walk the address's transactions newest first, without repeats
    const seen: string[] = []
    let next: string | null = null
    do {
      const page = (await (await get(`/explorer/api/address/${accounts[0].address}/txs?limit=1${next === null ? '' : `&before=${next}`}`)).json()) as { transactions: { hash: string }[]; next: string | null }
      seen.push(...page.transactions.map((t) => t.hash))
      next = page.next
    } while (next !== null && seen.length < 50)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toEqual(expect.arrayContaining([tx.erc20, tx.inference]))
    expect(seen.indexOf(tx.inference)).toBeLessThan(seen.indexOf(tx.erc20))
    const summary = (await (await get('/explorer/api/summary')).json()) as { activity: unknown[]; blocks: unknown[]; transactions: unknown[] }
    expect(summary.blocks.length).toBeLessThanOrEqual(10)
    expect(summary.activity.length).toBeLessThanOrEqual(600)
    // the bundle is served compressed, and revalidated by its ETag
    const js = await get('/explorer/app.js')
    expect(js.status).toBe(200)
    expect((await get('/explorer/app.js').then((res) => fetch(`${r.l2.url}/explorer/app.js`, { headers: { 'if-none-match': res.headers.get('etag')! } }))).status).toBe(304)
  })
})

describe('explorer turned off', () => {
  it('leaves GET / to the JSON note and serves no pages', async () => {
    const t = await startTestNode({ explorer: { enabled: false } })
    try {
      const home = await fetch(`${t.url}/`)
      expect(await home.json()).toMatchObject({ name: 'ai-rollup JSON-RPC' })
      expect((await fetch(`${t.url}/block/0`)).status).toBe(404)
      expect((await fetch(`${t.url}/explorer/app.js`)).status).toBe(404)
    } finally {
      await t.close()
    }
  })
})
