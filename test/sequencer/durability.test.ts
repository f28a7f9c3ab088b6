/**
 * What the node acknowledged survives a restart: a clean close and reopen keeps the chain, state,
 * receipts, logs and the pool; a SIGKILL (child process) loses no acknowledged transaction, whether
 * it was still in the pool or the node was in the middle of producing blocks under load.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { parseGwei, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { PoolJournal } from '../../sequencer/mempool/journal.ts'
import { accounts, rpc, spawnNode, startTestNode, tempDir, type SpawnedNode } from '../helpers/node.ts'

const CHAIN_ID = 42424
const SINK = '0x000000000000000000000000000000000000dEaD' as const
/** Constructor returns runtime `CALLER PUSH1 0 PUSH1 0 LOG1 STOP`: every call logs topic0 = caller. */
const LOGGER_INITCODE = '0x6007600c60003960076000f33360006000a100' as const

const signer = (i: number) => privateKeyToAccount(accounts[i].privateKey as Hex)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface TxOpts {
  nonce: number
  to?: Hex | null
  value?: bigint
  data?: Hex
  gas?: bigint
}

function sign(i: number, o: TxOpts): Promise<Hex> {
  return signer(i).signTransaction({
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce: o.nonce,
    gas: o.gas ?? 21_000n,
    maxFeePerGas: parseGwei('10'),
    maxPriorityFeePerGas: parseGwei('1'),
    to: o.to === null ? undefined : (o.to ?? SINK),
    value: o.value ?? 1n,
    data: o.data,
  })
}

async function until<T>(what: string, probe: () => Promise<T>, timeoutMs = 20_000): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== null && v !== false) return v as Exclude<T, undefined | null | false>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(25)
  }
}

const receiptOf = (url: string, hash: Hex): Promise<any> => until(`receipt of ${hash}`, () => rpc(url, 'eth_getTransactionReceipt', [hash]))

const dirs: string[] = []
const children: SpawnedNode[] = []
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.kill9()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function newDir(): string {
  const d = tempDir('l2-durability-')
  dirs.push(d)
  return d
}

async function spawn(dir: string, args: string[]): Promise<SpawnedNode> {
  const n = await spawnNode(dir, args)
  children.push(n)
  return n
}

/** Everything a client can read about the chain, for before/after comparisons. */
async function snapshot(url: string, hashes: Hex[], addresses: string[]) {
  const head = await rpc(url, 'eth_getBlockByNumber', ['latest', true])
  const blocks = []
  for (let n = 0; n <= Number(head.number); n++) blocks.push(await rpc(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, true]))
  const receipts = await Promise.all(hashes.map((h) => rpc(url, 'eth_getTransactionReceipt', [h])))
  const txs = await Promise.all(hashes.map((h) => rpc(url, 'eth_getTransactionByHash', [h])))
  const state = await Promise.all(
    addresses.map(async (a) => ({
      address: a,
      balance: await rpc(url, 'eth_getBalance', [a, 'latest']),
      nonce: await rpc(url, 'eth_getTransactionCount', [a, 'latest']),
      code: await rpc(url, 'eth_getCode', [a, 'latest']),
      proof: await rpc(url, 'eth_getProof', [a, [], 'latest']),
    })),
  )
  const logs = await rpc(url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])
  return { head, blocks, receipts, txs, state, logs, pool: await rpc(url, 'txpool_content') }
}

describe('durability', () => {
  it('a clean restart on the same data dir keeps head, state root, balances, receipts, logs and the pool', async () => {
    const t = await startTestNode()
    const dataDir = t.dataDir
    dirs.push(dataDir)
    const hashes: Hex[] = []
    const send = async (raw: Hex) => {
      const h = await t.rpc('eth_sendRawTransaction', [raw])
      hashes.push(h)
      return h
    }
    let contract: Hex
    let addresses: string[]
    let before: Awaited<ReturnType<typeof snapshot>>
    try {
      const deploy = await send(await sign(0, { nonce: 0, to: null, value: 0n, data: LOGGER_INITCODE, gas: 100_000n }))
      contract = (await receiptOf(t.url, deploy)).contractAddress
      expect(await t.rpc('eth_getCode', [contract, 'latest'])).toBe('0x3360006000a100')
      for (let nonce = 0; nonce < 3; nonce++) await receiptOf(t.url, await send(await sign(1, { nonce, to: contract, value: 0n, gas: 50_000n })))
      for (let nonce = 1; nonce < 3; nonce++) await receiptOf(t.url, await send(await sign(0, { nonce, to: accounts[5].address, value: 10n ** 18n })))
      // a transaction behind a nonce gap stays in the (journaled) pool
      const queued = await send(await sign(2, { nonce: 1 }))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })
      expect(await t.rpc('eth_getTransactionByHash', [queued])).not.toBeNull()

      addresses = [accounts[0].address, accounts[1].address, accounts[2].address, accounts[5].address, SINK, contract]
      before = await snapshot(t.url, hashes, addresses)
      expect(Number(before.head.number)).toBe(6)
      expect(before.logs).toHaveLength(3)
      expect(before.receipts.filter((r) => r !== null)).toHaveLength(6)
    } finally {
      await t.close({ keepData: true })
    }

    const t2 = await startTestNode({ dataDir })
    try {
      const after = await snapshot(t2.url, hashes, addresses)
      expect(after.head.number).toBe(before.head.number)
      expect(after.head.hash).toBe(before.head.hash)
      expect(after.head.stateRoot).toBe(before.head.stateRoot)
      expect(after.blocks).toEqual(before.blocks)
      expect(after.receipts).toEqual(before.receipts)
      expect(after.txs).toEqual(before.txs)
      expect(after.state).toEqual(before.state)
      expect(after.logs).toEqual(before.logs)
      expect(after.pool).toEqual(before.pool)
      expect(await t2.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })

      // the chain goes on from the same head: filling the gap mines both of account 2's transactions
      const gapFiller = await t2.rpc('eth_sendRawTransaction', [await sign(2, { nonce: 0 })])
      const r0 = await receiptOf(t2.url, gapFiller)
      const r1 = await receiptOf(t2.url, hashes[hashes.length - 1])
      expect(Number(r0.blockNumber)).toBe(Number(before.head.number) + 1)
      expect(Number(r1.blockNumber)).toBeGreaterThanOrEqual(Number(r0.blockNumber))
      const next = await t2.rpc('eth_getBlockByNumber', [r0.blockNumber, false])
      expect(next.parentHash).toBe(before.head.hash)
    } finally {
      await t2.close()
    }
  })

  it('kill -9: acknowledged transactions still in the pool survive and are mined after the restart', async () => {
    const dir = newDir()
    const first = await spawn(dir, ['--block-time', '60000'])
    const hashes: Hex[] = []
    for (const i of [0, 1]) {
      for (let nonce = 0; nonce < 10; nonce++) hashes.push(await rpc(first.url, 'eth_sendRawTransaction', [await sign(i, { nonce, value: 1000n + BigInt(nonce) })]))
    }
    const queued = await rpc(first.url, 'eth_sendRawTransaction', [await sign(2, { nonce: 1 })])
    // a replaced transaction must not come back; its replacement must
    const replaced = await rpc(first.url, 'eth_sendRawTransaction', [await sign(3, { nonce: 0, value: 5n })])
    const replacement = await rpc(first.url, 'eth_sendRawTransaction', [
      await signer(3).signTransaction({
        type: 'eip1559', chainId: CHAIN_ID, nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('11'), maxPriorityFeePerGas: parseGwei('1.1'), to: SINK, value: 6n,
      }),
    ])
    expect(await rpc(first.url, 'eth_getTransactionByHash', [replaced])).toBeNull()
    expect(await rpc(first.url, 'txpool_status')).toEqual({ pending: '0x15', queued: '0x1' })
    expect(await rpc(first.url, 'eth_blockNumber')).toBe('0x0')
    await first.kill9()

    const second = await spawn(dir, ['--block-time', '100'])
    try {
      // the journal is replayed before the RPC opens
      for (const h of [...hashes, queued]) expect(await rpc(second.url, 'eth_getTransactionByHash', [h]), h).not.toBeNull()
      const receipts = await Promise.all([...hashes, replacement].map((h) => receiptOf(second.url, h)))
      for (const r of receipts) expect(r.status).toBe('0x1')
      expect(await rpc(second.url, 'eth_getTransactionCount', [accounts[0].address, 'latest'])).toBe('0xa')
      expect(await rpc(second.url, 'eth_getTransactionCount', [accounts[1].address, 'latest'])).toBe('0xa')
      // the gapped one is still waiting, and still queued after the pool drained
      expect(await rpc(second.url, 'eth_getTransactionReceipt', [queued])).toBeNull()
      expect(await rpc(second.url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })
      expect(await rpc(second.url, 'eth_getTransactionByHash', [replaced])).toBeNull()
      expect(await rpc(second.url, 'eth_getTransactionCount', [accounts[3].address, 'latest'])).toBe('0x1')
      expect(BigInt(await rpc(second.url, 'eth_getBalance', [SINK, 'latest']))).toBe(2n * (10n * 1000n + 45n) + 6n)
    } finally {
      await second.stop()
    }
  })

  it('kill -9 during block production under load: consistent head, no acknowledged transaction lost, the chain continues', async () => {
    const dir = newDir()
    const senders = [10, 11, 12, 13, 14, 15]
    const perSender = 60
    const signed = new Map<number, Hex[]>()
    for (const i of senders) {
      const list: Hex[] = []
      for (let nonce = 0; nonce < perSender; nonce++) list.push(await sign(i, { nonce, value: BigInt(nonce + 1) }))
      signed.set(i, list)
    }

    const node = await spawn(dir, ['--block-time', '200'])
    const acked: { sender: number; nonce: number; hash: Hex }[] = []
    const rejected: string[] = []
    let down = false
    const sendAll = async (i: number) => {
      const list = signed.get(i)!
      for (let nonce = 0; nonce < list.length && !down; nonce++) {
        let res: Response
        try {
          res = await fetch(node.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: nonce, method: 'eth_sendRawTransaction', params: [list[nonce]] }),
          })
        } catch {
          return // the node is gone: this one was not acknowledged
        }
        let body: any
        try {
          body = await res.json()
        } catch {
          return
        }
        if (body.error !== undefined) rejected.push(`${i}/${nonce}: ${body.error.message}`)
        else acked.push({ sender: i, nonce, hash: body.result })
        // a little pacing so the sends span several 200 ms blocks
        if (nonce % 10 === 9) await sleep(40)
      }
    }
    const loops = senders.map(sendAll)
    const started = Date.now()
    await until('blocks under load', async () => acked.length >= 60 && BigInt(await rpc(node.url, 'eth_blockNumber')) >= 1n)
    await sleep(Math.floor(Math.random() * 600))
    await node.kill9()
    down = true
    await Promise.all(loops)
    const killedAfter = Date.now() - started
    expect(rejected).toEqual([])
    expect(acked.length).toBeGreaterThan(0)

    const again = await spawn(dir, ['--block-time', '200'])
    try {
      const url = again.url
      // head: the same block whichever way it is read, linked to its parents, its state readable
      const head = await rpc(url, 'eth_getBlockByNumber', ['latest', false])
      expect(Number(head.number), `killed after ${killedAfter} ms with ${acked.length} acknowledged`).toBeGreaterThanOrEqual(1)
      const byHash = await rpc(url, 'eth_getBlockByHash', [head.hash, false])
      const byNumber = await rpc(url, 'eth_getBlockByNumber', [head.number, false])
      expect(byHash).toEqual(head)
      expect(byNumber).toEqual(head)
      let child = head
      for (let n = Number(head.number) - 1; n >= 0; n--) {
        const parent = await rpc(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
        expect(child.parentHash).toBe(parent.hash)
        child = parent
      }
      // state at the head agrees with the mined receipts: nonces and balances (no half-applied block)
      const minedAtHead = new Map<number, bigint>()
      const spentAtHead = new Map<number, bigint>()
      for (const a of acked) {
        const r = await rpc(url, 'eth_getTransactionReceipt', [a.hash])
        // not mined: then it is in the pool (the restarted node may already have mined it past `head`)
        if (r === null) expect(await rpc(url, 'eth_getTransactionByHash', [a.hash]), `acknowledged ${a.sender}/${a.nonce} lost`).not.toBeNull()
        if (r === null || BigInt(r.blockNumber) > BigInt(head.number)) continue
        minedAtHead.set(a.sender, (minedAtHead.get(a.sender) ?? 0n) + 1n)
        spentAtHead.set(a.sender, (spentAtHead.get(a.sender) ?? 0n) + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice) + BigInt(a.nonce + 1))
      }
      for (const i of senders) {
        const address = accounts[i].address
        const nonce = BigInt(await rpc(url, 'eth_getTransactionCount', [address, head.number]))
        // mined transactions that were never acknowledged (killed before the answer) also count
        expect(nonce).toBeGreaterThanOrEqual(minedAtHead.get(i) ?? 0n)
        const genesisBalance = BigInt(await rpc(url, 'eth_getBalance', [address, '0x0']))
        const balance = BigInt(await rpc(url, 'eth_getBalance', [address, head.number]))
        if (nonce === (minedAtHead.get(i) ?? 0n)) expect(balance).toBe(genesisBalance - (spentAtHead.get(i) ?? 0n))
        else expect(balance).toBeLessThan(genesisBalance - (spentAtHead.get(i) ?? 0n))
      }

      // the chain continues: every acknowledged transaction gets mined, and new ones too
      for (const a of acked) expect((await receiptOf(url, a.hash)).status).toBe('0x1')
      for (const i of senders) {
        expect(BigInt(await rpc(url, 'eth_getTransactionCount', [accounts[i].address, 'latest']))).toBeGreaterThanOrEqual(
          BigInt(acked.filter((a) => a.sender === i).length),
        )
      }
      const fresh = await rpc(url, 'eth_sendRawTransaction', [await sign(16, { nonce: 0 })])
      const r = await receiptOf(url, fresh)
      expect(BigInt(r.blockNumber)).toBeGreaterThan(BigInt(head.number))
    } finally {
      await again.stop()
    }
  })

  it("the journal has a file of its own: mined rows leave it, and older data dirs' journals (mempool.sqlite, a table in chain.sqlite) move into it", async () => {
    const dir = newDir()
    /** The journal's rows as a restart reads them (read from a copy: the file itself stays as it is). */
    const journalRows = () => {
      const copy = join(dir, 'journal.copy')
      copyFileSync(join(dir, 'mempool.journal'), copy)
      const reader = new PoolJournal(copy)
      try {
        return [...reader.all()].sort((a, b) => (a.arrivedAt ?? 0) - (b.arrivedAt ?? 0))
      } finally {
        reader.close()
        rmSync(copy)
      }
    }
    const first = await spawn(dir, ['--block-time', '60000'])
    const hashes: Hex[] = []
    for (let nonce = 0; nonce < 3; nonce++) hashes.push(await rpc(first.url, 'eth_sendRawTransaction', [await sign(4, { nonce })]))
    await first.stop()
    const rows = journalRows()
    expect(rows.map((r) => `0x${Buffer.from(r.hash).toString('hex')}`).sort()).toEqual([...hashes].sort())

    // as data dirs from before: one row in chain.sqlite's `mempool` table (from before arrival
    // times were kept), the others in mempool.sqlite's `journal` table; no mempool.journal
    const chain = new Database(join(dir, 'chain.sqlite'))
    chain.exec('CREATE TABLE mempool (hash BLOB PRIMARY KEY, raw BLOB NOT NULL, arrived_at INTEGER) WITHOUT ROWID')
    chain.prepare('INSERT INTO mempool (hash, raw, arrived_at) VALUES (?, ?, NULL)').run(rows[0].hash, rows[0].raw)
    chain.close()
    const older = new Database(join(dir, 'mempool.sqlite'))
    older.exec('CREATE TABLE journal (hash BLOB PRIMARY KEY, raw BLOB NOT NULL, arrived_at INTEGER) WITHOUT ROWID')
    for (const r of rows.slice(1)) older.prepare('INSERT INTO journal (hash, raw, arrived_at) VALUES (?, ?, ?)').run(r.hash, r.raw, r.arrivedAt)
    older.close()
    rmSync(join(dir, 'mempool.journal'))

    const second = await spawn(dir, ['--block-time', '100'])
    try {
      const receipts = await Promise.all(hashes.map((h) => receiptOf(second.url, h)))
      for (const r of receipts) expect(r.status).toBe('0x1')
      expect(await rpc(second.url, 'eth_getTransactionCount', [accounts[4].address, 'latest'])).toBe('0x3')
    } finally {
      await second.stop()
    }
    const after = new Database(join(dir, 'chain.sqlite'), { readonly: true })
    expect(after.prepare("SELECT name FROM sqlite_master WHERE name = 'mempool'").get()).toBeUndefined()
    after.close()
    expect(existsSync(join(dir, 'mempool.sqlite'))).toBe(false)
    expect(journalRows()).toEqual([]) // mined: their rows went with the blocks
  })
})
