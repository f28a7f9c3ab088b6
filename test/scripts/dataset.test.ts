/**
 * `npm run dataset` (scripts/dataset.ts) against a real rollup: an Anvil L1 with the contracts
 * and an L2 node whose batcher posts to it (one for the whole file). Datasets are anchored
 * through the DatasetRegistry predeploy, their items verified against L1 alone, versions
 * compared; and every bad input gets its error. The encoding's pure parts are checked against
 * OpenZeppelin's own StandardMerkleTree.
 */
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeAbiParameters, getAddress, keccak256, sha256, toBytes, zeroHash, type Hex } from 'viem'
import {
  canonicalJson,
  DATASET_REGISTRY,
  datasetRegistryAbi,
  diffItems,
  fileItemValue,
  MAX_FILE_ITEM_BYTES,
  MAX_ROW_BYTES,
  rowItemValue,
  type DatasetItem,
  type DatasetReceipt,
  type ItemReceipt,
} from '@ai-rollup/sdk'
import { main } from '../../scripts/dataset.ts'
import { datasetTree, itemsOf, readDataset, scanRecords, type DatasetDigests } from '../../scripts/lib/datasets.ts'
import { writeDeployments } from '../../batcher/deployments.ts'
import { accounts } from '../helpers/node.ts'
import { tempDir } from '../helpers/l1.ts'
import { startTestRollup, type TestRollup } from '../helpers/rollup.ts'

let rollup: TestRollup
let dir: string

/** Runs the CLI in this process; resolves to its exit code and what it printed. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, (l) => out.push(l), (l) => err.push(l), () => undefined)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const l2 = () => ['--rpc', rollup.l2.url]
const l1 = () => ['--l1-rpc', rollup.l1.url, '--deployments', rollup.deploymentsPath]
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

/** Anchors `source` with --json and returns the receipt folder and dataset.json. */
async function anchor(source: string, out: string, ...extra: string[]): Promise<{ dir: string; dataset: DatasetReceipt }> {
  const r = await run('anchor', source, '--out', out, ...l2(), '--json', ...extra)
  expect(r.err).toBe('')
  expect(r.code, r.out).toBe(0)
  const printed = JSON.parse(r.out) as DatasetReceipt & { dir: string }
  const dataset = readJson<DatasetReceipt>(join(out, 'dataset.json'))
  expect(printed).toEqual({ dir: out, ...dataset })
  return { dir: out, dataset }
}

/** The digests of `items` (all rows, index = row, or all files), as readDataset gives them. */
function digestsOf(items: DatasetItem[], headerSha256?: Hex): DatasetDigests {
  const files = items.every((i) => 'path' in i)
  return {
    kind: files ? 'files' : 'csv',
    count: items.length,
    sha256s: Buffer.concat(items.map((i) => Buffer.from(i.sha256.slice(2), 'hex'))),
    paths: files ? items.map((i) => (i as { path: string }).path) : undefined,
    header: headerSha256 === undefined ? null : { text: 'h', sha256: headerSha256 },
    bytes: 0,
  }
}

function write(path: string, content: string | Buffer): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, content)
  return path
}

const CSV_V1 = ['id,text,label', '1,hello,0', '2,"a ""quoted"", multi-line\r\nfield",1', '3,world,0', '4,spam spam,1', '3,world,0'].join('\r\n') + '\r\n'

let files: string
let filesReceipt: { dir: string; dataset: DatasetReceipt }
let csv: string
let csvReceipt: { dir: string; dataset: DatasetReceipt }

beforeAll(async () => {
  dir = tempDir('dataset-test-')
  rollup = await startTestRollup()
  files = join(dir, 'images')
  write(join(files, 'cat.png'), Buffer.from('not really a cat'))
  write(join(files, 'dogs/rex.png'), Buffer.from('rex'))
  write(join(files, 'dogs/ünïcode.txt'), 'naïve')
  write(join(files, 'empty'), '')
  csv = write(join(dir, 'train.csv'), CSV_V1)
  filesReceipt = await anchor(files, join(dir, 'images.receipt'), '--name', 'images', '--uri', 'ipfs://images')
  csvReceipt = await anchor(csv, join(dir, 'train.v1'), '--name', 'train', '--header')
}, 120_000)

afterAll(async () => {
  await rollup?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the item encoding', () => {
  it('builds the root as OpenZeppelin’s StandardMerkleTree over the item values, file values over (path, sha256)', async () => {
    const data = await readDataset(files)
    expect(itemsOf(data).map((i) => ('path' in i ? i.path : ''))).toEqual(['cat.png', 'dogs/rex.png', 'dogs/ünïcode.txt', 'empty'])
    const values = [
      fileItemValue('cat.png', sha256(toBytes('not really a cat'))),
      fileItemValue('dogs/rex.png', sha256(toBytes('rex'))),
      fileItemValue('dogs/ünïcode.txt', sha256(toBytes('naïve'))),
      fileItemValue('empty', sha256(new Uint8Array())),
    ]
    const oz = StandardMerkleTree.of(values.map((v) => [v]), ['bytes32'])
    const tree = await datasetTree(data)
    expect(tree.root).toBe(oz.root)
    expect(values.map((_, i) => tree.value(i))).toEqual(values)
    for (let i = 0; i < values.length; i++) expect(tree.proof(i)).toEqual(oz.getProof([values[i]]))
  })

  it('encodes item values as abi.encode says (checked against viem’s encoder)', async () => {
    const sha = sha256(toBytes('x'))
    for (const path of ['a', 'ü/ñ.txt', 'p'.repeat(31), 'p'.repeat(32), 'p'.repeat(33), 'deep/'.repeat(60) + 'f']) {
      expect(fileItemValue(path, sha)).toBe(keccak256(encodeAbiParameters([{ type: 'string' }, { type: 'bytes32' }], [path, sha])))
    }
    for (const row of [0, 1, 255, 256, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      expect(rowItemValue(row, sha, sha256(toBytes('h')))).toBe(keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }], [BigInt(row), sha, sha256(toBytes('h'))])))
    }
    // the receipt tooling writes the same preimages itself and hashes them with another keccak256
    const rows = await datasetTree(digestsOf(Array.from({ length: 300 }, (_, row) => ({ index: row, row, sha256: sha })), sha256(toBytes('h'))))
    for (const row of [0, 7, 255, 256, 299]) expect(rows.value(row)).toBe(rowItemValue(row, sha, sha256(toBytes('h'))))
    expect((await datasetTree(digestsOf([{ index: 0, row: 0, sha256: sha }]))).value(0)).toBe(rowItemValue(0, sha))
    expect((await datasetTree(digestsOf([{ index: 0, path: 'ü/ñ.txt', sha256: sha }]))).value(0)).toBe(fileItemValue('ü/ñ.txt', sha))
    expect(rowItemValue(3, sha)).toBe(keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }], [3n, sha, zeroHash])))
  })

  it('reads CSV records as exact bytes without the terminator, a quoted line break inside a record, the header in every row’s value', async () => {
    const data = await readDataset(csv, { header: true })
    const rows = ['1,hello,0', '2,"a ""quoted"", multi-line\r\nfield",1', '3,world,0', '4,spam spam,1', '3,world,0']
    expect(data.header).toEqual({ text: 'id,text,label', sha256: sha256(toBytes('id,text,label')) })
    expect(itemsOf(data)).toEqual(rows.map((r, i) => ({ index: i, row: i, sha256: sha256(toBytes(r)) })))
    const values = rows.map((r, i) => rowItemValue(i, sha256(toBytes(r)), sha256(toBytes('id,text,label'))))
    expect((await datasetTree(data)).root).toBe(StandardMerkleTree.of(values.map((v) => [v]), ['bytes32']).root)
    // duplicate rows are distinct items: the row number is in the value
    expect(values[2]).not.toBe(values[4])
  })

  it('gives JSONL rows the same root whatever their formatting, key order or number spelling, and another for another value', async () => {
    const a = write(join(dir, 'a.jsonl'), '{"text":"hi","label":1,"tags":["x","y"]}\n{"n":0.5}\n')
    const b = write(join(dir, 'b.jsonl'), '\n{ "label": 1.0, "tags": [ "x", "y" ], "text": "hi" }\r\n   \n{"n":5e-1}')
    const c = write(join(dir, 'c.jsonl'), '{"text":"hi","label":2,"tags":["x","y"]}\n{"n":0.5}\n')
    const root = async (p: string) => (await datasetTree(await readDataset(p))).root
    expect(await root(b)).toBe(await root(a))
    expect(await root(c)).not.toBe(await root(a))
    expect(canonicalJson('{ "b": [1, {"d": null, "c": "é\\u0041"}], "a": true }')).toBe('{"a":true,"b":[1,{"c":"éA","d":null}]}')
  })

  it('refuses JSON that would lose information or nest without bound', () => {
    expect(() => canonicalJson('{"id": 12345678901234567890}')).toThrow(/beyond ±2\^53.*quote it/)
    expect(() => canonicalJson('[1e400]')).toThrow(/out of range/)
    expect(() => canonicalJson('['.repeat(200) + ']'.repeat(200))).toThrow(/nested deeper than 128/)
    expect(() => canonicalJson('{"a":')).toThrow(/not JSON/)
  })

  it('streams a CSV of several 1 MiB chunks to the root an independent in-memory reading gives (quoted line breaks and "" at chunk edges)', async () => {
    // rows of about 230 bytes; every 97th has a quoted field with a line break and escaped quotes,
    // so some of them straddle the reader's 1 MiB chunks
    const lines = ['id,text,label']
    for (let i = 0; i < 16_000; i++) lines.push(i % 97 === 0 ? `${i},"line one\r\nline ""two"" ${'q'.repeat(i % 130)}",${i % 3}` : `${i},${'x'.repeat(180 + (i % 50))},${i % 3}`)
    const text = lines.join('\r\n') + '\n'
    const big = write(join(dir, 'big.csv'), text)
    // the records, cut by a plain split on line breaks outside quotes
    const records: string[] = []
    let quoted = false
    let from = 0
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '"') quoted = !quoted
      else if (text[i] === '\n' && !quoted) {
        records.push(text.slice(from, text[i - 1] === '\r' ? i - 1 : i))
        from = i + 1
      }
    }
    expect(records).toHaveLength(16_001)
    // the same records when every few bytes are a chunk edge
    const small: string[] = []
    await scanRecords(big, 'csv', (r) => void small.push(r.toString('utf8')), 61)
    expect(small).toEqual(records)
    // a row of 600,000 quotes is read in one pass, not one search to the line's end per quote
    const quotes = write(join(dir, 'quotes.csv'), `a,"${'""'.repeat(300_000)}"\n1,2\n`)
    expect((await readDataset(quotes)).count).toBe(2)
    const header = sha256(toBytes(records[0]))
    const values = records.slice(1).map((r, row) => rowItemValue(row, sha256(toBytes(r)), header))
    const oz = StandardMerkleTree.of(values.map((v) => [v]), ['bytes32'])
    const data = await readDataset(big, { header: true })
    expect(data.count).toBe(16_000)
    expect(data.bytes).toBe(records.reduce((n, r) => n + r.length, 0))
    const tree = await datasetTree(data)
    expect(tree.root).toBe(oz.root)
    for (const row of [0, 97, 12_345, 15_999]) expect(tree.proof(row)).toEqual(oz.getProof([values[row]]))
  })

  it('writes each item receipt exactly as JSON.stringify(receipt, null, 2) does (the version 1 files as written before)', async () => {
    for (const { dir: out, dataset } of [filesReceipt, csvReceipt]) {
      for (let index = 0; index < dataset.itemCount; index++) {
        const text = readFileSync(join(out, 'items', `${index}.json`), 'utf8')
        expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2) + '\n')
      }
    }
    // a path that JSON escapes, and a tree of one item (no proof)
    const sha = sha256(toBytes('x'))
    const one = await datasetTree(digestsOf([{ index: 0, path: 'a "b"\\c\u0001.txt', sha256: sha }]))
    const receipt: ItemReceipt = { version: 1, index: 0, path: 'a "b"\\c\u0001.txt', sha256: sha, value: one.value(0), proof: [] }
    expect(one.receiptText(0)).toBe(JSON.stringify(receipt, null, 2) + '\n')
    const rows = await datasetTree(digestsOf(Array.from({ length: 5 }, (_, row) => ({ index: row, row, sha256: sha })), sha))
    expect(rows.receiptText(4)).toBe(JSON.stringify({ version: 1, index: 4, row: 4, sha256: sha, value: rows.value(4), proof: rows.proof(4) }, null, 2) + '\n')
    // two items of one value would share a leaf (never for distinct paths or rows): refused
    await expect(datasetTree(digestsOf([{ index: 0, path: 'a', sha256: sha }, { index: 1, path: 'a', sha256: sha }]))).rejects.toThrow(/^items [01] and [01] have the same value$/)
  })

  it('orders a directory’s files by UTF-8 bytes, not by UTF-16 code units', async () => {
    const d = join(dir, 'order')
    for (const name of ['\u{1F600}.txt', '\uFF5E.txt', 'b.txt']) write(join(d, name), name)
    // U+FF5E is EF BD 9E in UTF-8, before U+1F600's F0…; in UTF-16 the surrogate D83D comes first
    expect(itemsOf(await readDataset(d)).map((i) => (i as { path: string }).path)).toEqual(['b.txt', '\uFF5E.txt', '\u{1F600}.txt'])
  })

  it('diffs files by path, rows by content (a row moved is unchanged; a row replaced at its number is changed)', () => {
    const f = (index: number, path: string, c: string) => ({ index, path, sha256: sha256(toBytes(c)) })
    const fd = diffItems([f(0, 'a', '1'), f(1, 'b', '2'), f(2, 'c', '3')], [f(0, 'a', '1'), f(1, 'b', 'X'), f(2, 'd', '4')])
    expect(fd).toEqual({ added: [f(2, 'd', '4')], removed: [f(2, 'c', '3')], changed: [{ before: f(1, 'b', '2'), after: f(1, 'b', 'X') }], unchanged: 1 })
    const r = (row: number, c: string) => ({ index: row, row, sha256: sha256(toBytes(c)) })
    const rd = diffItems([r(0, 'a'), r(1, 'b'), r(2, 'c'), r(3, 'c')], [r(0, 'b'), r(1, 'a'), r(2, 'C'), r(3, 'c'), r(4, 'e')])
    expect(rd).toEqual({ added: [r(4, 'e')], removed: [], changed: [{ before: r(2, 'c'), after: r(2, 'C') }], unchanged: 3 })
  })

  it('diffs 100,000 duplicated rows in linear time (all moved by one, then all replaced)', () => {
    const n = 100_000
    const [x, y] = [sha256(toBytes('x')), sha256(toBytes('y'))]
    const a = Array.from({ length: n }, (_, row) => ({ index: row, row, sha256: row % 2 === 0 ? x : y }))
    const shifted = Array.from({ length: n }, (_, row) => ({ index: row, row, sha256: row % 2 === 0 ? y : x }))
    expect(diffItems(a, shifted)).toMatchObject({ added: [], removed: [], changed: [], unchanged: n })
    const replaced = Array.from({ length: n }, (_, row) => ({ index: row, row, sha256: sha256(toBytes('z')) }))
    const d = diffItems(a, replaced)
    expect([d.added.length, d.removed.length, d.changed.length, d.unchanged]).toEqual([0, 0, n, 0])
  })
})

describe('anchor', () => {
  it('registers the version in the DatasetRegistry and writes dataset.json with the node’s anchor proof of the root, exactly as the node returns it', async () => {
    const { dataset } = filesReceipt
    expect(dataset).toMatchObject({ version: 1, kind: 'files', chainId: 42424, registry: getAddress(DATASET_REGISTRY), datasetId: 1, owner: accounts[0].address, itemCount: 4, name: 'images', uri: 'ipfs://images', previous: 0, header: null, mode: 'onchain' })
    const entry = await rollup.l2.publicClient.readContract({ address: DATASET_REGISTRY, abi: datasetRegistryAbi, functionName: 'getDataset', args: [1n] })
    expect(entry).toMatchObject({ root: dataset.root, itemCount: 4n, owner: getAddress(accounts[0].address), previous: 0n, name: 'images', uri: 'ipfs://images' })
    const tx = await rollup.l2.publicClient.getTransactionReceipt({ hash: dataset.registration.txHash })
    expect(Number(tx.blockNumber)).toBe(dataset.registration.blockNumber)

    const node = await (await fetch(`${rollup.l2.url}/v1/anchors/${dataset.root}`)).json()
    // the answer as the node gave it; only its count of L1 confirmations moves on since
    const { confirmations: storedConfirmations, ...stored } = dataset.anchor as Record<string, unknown>
    const { confirmations: nowConfirmations, ...now } = node
    expect(stored).toEqual(now)
    expect(nowConfirmations).toBeGreaterThanOrEqual(storedConfirmations as number)
    // anchored by the registry's call to DataAnchor, not over HTTP
    expect(node).toMatchObject({ hash: dataset.root, status: 'posted', l2: { blockNumber: dataset.registration.blockNumber, txHash: dataset.registration.txHash, submitter: DATASET_REGISTRY } })
  })

  it('writes one proof per item, each leading from the item’s value to the root', async () => {
    const { dir: out, dataset } = filesReceipt
    const data = await readDataset(files)
    for (const item of itemsOf(data)) {
      const receipt = readJson<ItemReceipt>(join(out, 'items', `${item.index}.json`))
      expect(receipt).toMatchObject({ version: 1, index: item.index, path: (item as { path: string }).path, sha256: item.sha256 })
      expect(StandardMerkleTree.verify(dataset.root, ['bytes32'], [receipt.value], receipt.proof)).toBe(true)
    }
  })

  it('refuses a root registered before (exit 1), before sending anything', async () => {
    const r = await run('anchor', files, '--name', 'again', '--out', join(dir, 'again.receipt'), ...l2())
    expect(r.code).toBe(1)
    expect(r.err).toBe(`error: this root (${filesReceipt.dataset.root}) is already registered, as dataset version 1 on chain 42424: the same items were anchored before`)
  })

  it('refuses an empty dataset, an unreadable one, a file over 64 MiB, a row over 1 MiB, a symbolic link and an unbalanced quote (exit 2), registering nothing', async () => {
    const empty = join(dir, 'empty-dir')
    mkdirSync(join(empty, 'sub'), { recursive: true })
    const big = join(dir, 'big')
    write(join(big, 'small.txt'), 'x')
    writeFileSync(join(big, 'huge.bin'), '')
    truncateSync(join(big, 'huge.bin'), MAX_FILE_ITEM_BYTES + 1) // sparse: nothing written
    const longRow = write(join(dir, 'long.csv'), `a,b\n${'x'.repeat(MAX_ROW_BYTES + 1)}\n`)
    const headerOnly = write(join(dir, 'header-only.csv'), 'a,b\n')
    const linked = join(dir, 'linked')
    write(join(linked, 'a.txt'), 'a')
    symlinkSync('/etc/passwd', join(linked, 'outside'))
    const unterminated = write(join(dir, 'open-quote.csv'), 'a,"b\nc,d\n')
    const cases: [string[], string][] = [
      [[empty], `error: ${empty} holds no files: a dataset needs at least one item`],
      [[join(dir, 'missing')], `error: cannot read ${join(dir, 'missing')}: ENOENT`],
      [[big], `error: ${join(big, 'huge.bin')} is 67,108,865 bytes, over the 67,108,864-byte (64 MiB) limit per file`],
      [[longRow], `error: ${longRow}: row 1 (counting from 0, the header included) is over the 1,048,576-byte (1 MiB) limit per row`],
      [[headerOnly, '--header'], `error: ${headerOnly} has no rows: a dataset needs at least one item`],
      [[linked], `error: ${join(linked, 'outside')} is a symbolic link: a dataset holds regular files only (copy the target in, or remove the link)`],
      [[unterminated], `error: ${unterminated}: the file ends inside a quoted field (an unbalanced " in row 0, counting from 0, the header included)`],
    ]
    for (const [args, message] of cases) {
      const r = await run('anchor', ...args, '--name', 'bad', '--out', join(dir, 'bad.receipt'), ...l2())
      expect(r.err).toBe(message)
      expect(r.code).toBe(2)
    }
    expect(await rollup.l2.publicClient.readContract({ address: DATASET_REGISTRY, abi: datasetRegistryAbi, functionName: 'datasetCount' })).toBe(2n)
  })

  it('leaves no receipt folder when the registration fails (a key without L2 funds)', async () => {
    const out = join(dir, 'unfunded.receipt')
    const unfunded = write(join(dir, 'unfunded', 'a.txt'), 'unfunded')
    const r = await run('anchor', join(unfunded, '..'), '--name', 'x', '--out', out, '--key', `0x${'42'.repeat(32)}`, ...l2())
    expect(r.code).toBe(1)
    // the node's words for an empty account ("intrinsic gas too low: have 0", its gas cap from the balance)
    expect(r.err).toMatch(/^error: the DatasetRegistry refuses "x" \(root 0x[0-9a-f]{64}\): \S/)
    expect(readdirSync(dir).filter((f) => f.includes('unfunded.receipt'))).toEqual([])
  })

  it('refuses --mode aggregate with its reason (the registration anchors the root itself), and an existing --out', async () => {
    const agg = await run('anchor', files, '--name', 'x', '--mode', 'aggregate', ...l2())
    expect(agg.code).toBe(2)
    expect(agg.err).toMatch(/^error: --mode aggregate is not offered for datasets: DatasetRegistry.register anchors/)
    const exists = await run('anchor', csv, '--name', 'x', '--out', filesReceipt.dir, ...l2())
    expect(exists.code).toBe(2)
    expect(exists.err).toBe(`error: ${filesReceipt.dir} already exists: choose another --out (receipts are never overwritten)`)
  })
})

describe('verify', () => {
  it('says VALID for a file of the dataset, found by the tail of its path, and for a CSV row', async () => {
    const r = await run('verify', join(files, 'dogs/rex.png'), '--receipt', filesReceipt.dir, ...l1())
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out.split('\n')[0]).toBe(`VALID: dogs/rex.png is item 1 of dataset version 1 (root ${filesReceipt.dataset.root}), anchored on L1`)
    expect(r.out).toContain('recomputed root = L1 anchor root yes')

    const row = await run('verify', csv, '--row', '1', '--receipt', csvReceipt.dir, ...l1(), '--json')
    expect(row.code).toBe(0)
    const result = JSON.parse(row.out)
    expect(result).toMatchObject({ valid: true, datasetId: 2, item: { row: 1 }, itemInDataset: true, reasons: [], anchor: { valid: true, hash: csvReceipt.dataset.root } })
  })

  it('reads a version 1 folder whatever its JSON layout: items written compact verify and diff as written', async () => {
    const compact = join(dir, 'compact.receipt')
    cpSync(csvReceipt.dir, compact, { recursive: true })
    for (const name of readdirSync(join(compact, 'items'))) {
      const path = join(compact, 'items', name)
      writeFileSync(path, JSON.stringify(readJson(path)))
    }
    expect((await run('verify', csv, '--row', '3', '--receipt', compact, ...l1())).code).toBe(0)
    const d = await run('diff', csvReceipt.dir, compact)
    expect(d.code).toBe(0)
    expect(d.out.split('\n')[2]).toBe('0 added, 0 removed, 0 changed, 5 unchanged')
  })

  it('says INVALID (exit 1) for a tampered file, a tampered row and a changed header, naming the reason', async () => {
    const tampered = join(dir, 'tampered', 'images', 'cat.png')
    write(tampered, 'a dog')
    const f = await run('verify', tampered, '--receipt', filesReceipt.dir, ...l1())
    expect(f.code).toBe(1)
    expect(f.out.split('\n')[0]).toBe(`INVALID: cat.png is not proven part of dataset version 1 (root ${filesReceipt.dataset.root})`)
    expect(f.out).toContain(`reason: the file at "cat.png" has sha256 ${sha256(toBytes('a dog'))}, but the dataset anchored ${sha256(toBytes('not really a cat'))}: the item was altered`)

    const editedRow = write(join(dir, 'tampered.csv'), CSV_V1.replace('3,world,0', '3,world,1'))
    const r = await run('verify', editedRow, '--row', '2', '--receipt', csvReceipt.dir, ...l1(), '--json')
    expect(r.code).toBe(1)
    expect(JSON.parse(r.out)).toMatchObject({ valid: false, itemInDataset: false, anchor: { valid: true } })
    expect(JSON.parse(r.out).reasons[0]).toMatch(/^row 2 has sha256 0x[0-9a-f]{64}, but the dataset anchored 0x[0-9a-f]{64}: the item was altered$/)
    // the other rows of that file are intact
    expect((await run('verify', editedRow, '--row', '3', '--receipt', csvReceipt.dir, ...l1())).code).toBe(0)

    const newHeader = write(join(dir, 'new-header.csv'), CSV_V1.replace('id,text,label', 'id,text,target'))
    const h = await run('verify', newHeader, '--row', '0', '--receipt', csvReceipt.dir, ...l1())
    expect(h.code).toBe(1)
    expect(h.out).toContain(`reason: the file's header line (sha256 ${sha256(toBytes('id,text,target'))}) differs from the dataset's`)
  })

  it('says INVALID for a file the dataset does not have, and for an altered receipt', async () => {
    const stranger = write(join(dir, 'stranger.txt'), 'x')
    const r = await run('verify', stranger, '--receipt', filesReceipt.dir, ...l1())
    expect(r.code).toBe(1)
    expect(r.out).toContain('reason: the dataset has no file at "stranger.txt"')

    const altered = join(dir, 'altered.receipt')
    cpSync(filesReceipt.dir, altered, { recursive: true })
    const itemPath = join(altered, 'items', '0.json')
    const item = readJson<ItemReceipt>(itemPath)
    writeFileSync(itemPath, JSON.stringify({ ...item, proof: [...item.proof.slice(1), item.proof[0]] }))
    const a = await run('verify', join(files, 'cat.png'), '--receipt', altered, ...l1())
    expect(a.code).toBe(1)
    expect(a.out).toContain(`reason: the file at "cat.png"'s proof in the receipt does not lead to the dataset root ${filesReceipt.dataset.root}: the receipt was altered`)
  })

  it('fails with exit 2 for a receipt of another chain, a missing receipt file and a missing --row', async () => {
    const otherL2 = join(dir, 'deployments-other-l2.json')
    writeDeployments(otherL2, { ...rollup.deployments, l2ChainId: 7 })
    const c = await run('verify', join(files, 'cat.png'), '--receipt', filesReceipt.dir, '--l1-rpc', rollup.l1.url, '--deployments', otherL2)
    expect(c.code).toBe(2)
    expect(c.err).toBe(`error: the receipt is for L2 chain 42424, but ${otherL2} describes the rollup of L2 chain 7`)

    const otherL1 = join(dir, 'other-l1.receipt')
    cpSync(filesReceipt.dir, otherL1, { recursive: true })
    const dataset = readJson<DatasetReceipt>(join(otherL1, 'dataset.json'))
    writeFileSync(join(otherL1, 'dataset.json'), JSON.stringify({ ...dataset, anchor: { ...dataset.anchor, l1: { ...(dataset.anchor!.l1 as object), chainId: 1 } } }))
    const l1c = await run('verify', join(files, 'cat.png'), '--receipt', otherL1, '--l1-rpc', rollup.l1.url, '--rollup-anchor', rollup.deployments.rollupAnchor)
    expect(l1c.code).toBe(2)
    expect(l1c.err).toBe(`error: the receipt is for L1 chain 1, but the L1 at ${rollup.l1.url} is chain 31337`)

    const missing = join(dir, 'missing.receipt')
    cpSync(filesReceipt.dir, missing, { recursive: true })
    rmSync(join(missing, 'items', '1.json'))
    const m = await run('verify', join(files, 'dogs/rex.png'), '--receipt', missing, ...l1())
    expect(m.code).toBe(2)
    expect(m.err).toBe(`error: item receipt is missing (${join(missing, 'items', '1.json')})`)
    const noDataset = await run('verify', join(files, 'cat.png'), '--receipt', join(dir, 'nowhere'), ...l1())
    expect(noDataset.code).toBe(2)
    expect(noDataset.err).toBe(`error: receipt folder ${join(dir, 'nowhere')} does not exist`)

    const noRow = await run('verify', csv, '--receipt', csvReceipt.dir, ...l1())
    expect(noRow.code).toBe(2)
    expect(noRow.err).toBe('error: --row N is required: this is a CSV dataset, and <item> is the file holding the row')
  })
})

describe('versions and diff', () => {
  it('registers a second version with --previous and reports the changed, added and removed rows', async () => {
    const v2 = write(join(dir, 'train-v2.csv'), ['id,text,label', '1,hello,0', '2,"a ""quoted"", multi-line\r\nfield",1', '3,world,1', '4,spam spam,1', '5,new,0'].join('\r\n') + '\r\n')
    const second = await anchor(v2, join(dir, 'train.v2'), '--name', 'train', '--header', '--previous', String(csvReceipt.dataset.datasetId))
    expect(second.dataset).toMatchObject({ datasetId: 3, previous: 2, itemCount: 5 })
    const read = (functionName: 'latestVersion' | 'nextVersion', id: bigint) => rollup.l2.publicClient.readContract({ address: DATASET_REGISTRY, abi: datasetRegistryAbi, functionName, args: [id] })
    expect(await read('latestVersion', 2n)).toBe(3n)
    expect(await read('nextVersion', 2n)).toBe(3n)

    const d = await run('diff', csvReceipt.dir, second.dir)
    expect(d.code).toBe(0)
    expect(d.out.split('\n')).toEqual([
      `from version 2 "train" (5 items, root ${csvReceipt.dataset.root})`,
      `to   version 3 "train" (5 items, root ${second.dataset.root}), which names 2 as its previous version`,
      '0 added, 0 removed, 2 changed, 3 unchanged',
      '  ~ row 2',
      '  ~ row 4',
    ])
    const j = JSON.parse((await run('diff', csvReceipt.dir, second.dir, '--json')).out)
    expect(j.changed.map((c: { after: { row: number } }) => c.after.row)).toEqual([2, 4])

    // a second successor of version 2 is refused by the registry, before any hashing
    const fork = await run('anchor', v2, '--name', 'train', '--header', '--previous', '2', '--out', join(dir, 'fork'), ...l2())
    expect(fork.code).toBe(1)
    expect(fork.err).toBe('error: --previous 2: version 2 was already replaced by version 3; name the latest version')
  })

  it('diffs directory versions by path, and refuses an altered receipt folder', async () => {
    const v2 = join(dir, 'images-v2')
    cpSync(files, v2, { recursive: true })
    writeFileSync(join(v2, 'cat.png'), 'a real cat')
    rmSync(join(v2, 'empty'))
    write(join(v2, 'birds/tweety.png'), 'tweet')
    const second = await anchor(v2, join(dir, 'images-v2.receipt'), '--name', 'images', '--previous', '1')
    const d = await run('diff', filesReceipt.dir, second.dir)
    expect(d.out.split('\n').slice(2)).toEqual(['1 added, 1 removed, 1 changed, 2 unchanged', '  + birds/tweety.png', '  - empty', '  ~ cat.png'])

    const altered = join(dir, 'altered-for-diff.receipt')
    cpSync(second.dir, altered, { recursive: true })
    const itemPath = join(altered, 'items', '1.json')
    writeFileSync(itemPath, JSON.stringify({ ...readJson<ItemReceipt>(itemPath), sha256: sha256(toBytes('forged')) }))
    const kinds = await run('diff', filesReceipt.dir, csvReceipt.dir)
    expect(kinds.code).toBe(2)
    expect(kinds.err).toBe(`error: ${filesReceipt.dir} is a files dataset and ${csvReceipt.dir} a csv one: only versions of the same kind compare`)

    const bad = await run('diff', filesReceipt.dir, altered)
    expect(bad.code).toBe(2)
    expect(bad.err).toBe(`error: ${itemPath} does not lead to the dataset root ${second.dataset.root}: the receipt folder was altered`)

    // a FIFO in place of an item receipt is refused, not waited on
    const fifo = join(dir, 'fifo.receipt')
    cpSync(csvReceipt.dir, fifo, { recursive: true })
    rmSync(join(fifo, 'items', '0.json'))
    execFileSync('mkfifo', [join(fifo, 'items', '0.json')])
    const piped = await run('diff', csvReceipt.dir, fifo)
    expect(piped.code).toBe(2)
    expect(piped.err).toBe(`error: ${join(fifo, 'items', '0.json')} is not a regular file`)

    // a consistent forgery (value recomputed) still fails: the values no longer make the root
    const forged = readJson<ItemReceipt>(itemPath)
    writeFileSync(itemPath, JSON.stringify({ ...forged, value: fileItemValue(forged.path!, forged.sha256) }))
    const root = await run('diff', filesReceipt.dir, altered)
    expect(root.code).toBe(2)
    expect(root.err).toMatch(new RegExp(`^error: the items of ${altered} make the root 0x[0-9a-f]{64}, not the dataset's ${second.dataset.root}: the receipt folder was altered$`))
  })
})

describe('JSONL, progress and complete', () => {
  it('anchors a JSONL file with progress on stderr, verifies a reformatted row, and complete fetches a missing anchor proof', async () => {
    const jsonl = write(join(dir, 'chat.jsonl'), '{"role":"user","text":"hi"}\n{"role":"assistant","text":"hello","score":0.5}\n')
    const out: string[] = []
    const progress: string[] = []
    const code = await main(['anchor', jsonl, '--name', 'chat', '--out', join(dir, 'chat.receipt'), ...l2()], (l) => out.push(l), (l) => out.push(l), (l) => progress.push(l))
    expect(code).toBe(0)
    expect(progress).toContain('hashed 2 items (0.0 MiB)')
    expect(progress).toContainEqual(expect.stringMatching(/^root 0x[0-9a-f]{64} over 2 rows$/))
    expect(progress).toContainEqual(expect.stringMatching(/^root 0x[0-9a-f]{64}: posted in batch \d+$/))
    expect(out[0]).toMatch(/^anchored dataset version \d+ "chat": 2 items, root 0x[0-9a-f]{64}$/)

    const reformatted = write(join(dir, 'chat-pretty.jsonl'), '{"role": "user", "text": "hi"}\n{ "score": 0.50, "text": "hello", "role": "assistant" }\n')
    expect((await run('verify', reformatted, '--row', '1', '--receipt', join(dir, 'chat.receipt'), ...l1())).code).toBe(0)

    const partial = join(dir, 'chat-partial.receipt')
    cpSync(join(dir, 'chat.receipt'), partial, { recursive: true })
    const full = readJson<DatasetReceipt>(join(partial, 'dataset.json'))
    writeFileSync(join(partial, 'dataset.json'), JSON.stringify({ ...full, anchor: null }))
    const pending = await run('verify', jsonl, '--row', '0', '--receipt', partial, ...l1())
    expect(pending.code).toBe(2)
    expect(pending.err).toBe(`error: ${partial}/dataset.json has no anchor proof for the root yet: run \`npm run dataset -- complete ${partial}\``)
    const c = await run('complete', partial, ...l2())
    expect(c.code).toBe(0)
    expect(readJson<DatasetReceipt>(join(partial, 'dataset.json')).anchor).toEqual(full.anchor)
    expect((await run('verify', jsonl, '--row', '0', '--receipt', partial, ...l1())).code).toBe(0)
  })
})

describe('npm run dataset', () => {
  it('runs as a command: verify exits 0 and prints VALID', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../scripts/dataset.ts'), 'verify', join(files, 'empty'), '--receipt', filesReceipt.dir, ...l1()], { cwd: join(__dirname, '../..') })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    expect(code).toBe(0)
    expect(stdout).toMatch(/^VALID: empty is item 3 of dataset version 1/)
  })
})
