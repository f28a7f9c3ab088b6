// The explorer's address index's writer thread (address-index.ts): follows the chain file on a
// read-only connection of its own and writes, into the index's file, one row for each address a
// mined transaction touches (its sender, its recipient, the contract it created). Plain CommonJS,
// so that the thread starts in milliseconds (no TypeScript loader in it).
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')
const { RLP } = require('@ethereumjs/rlp')

/** Transactions indexed per sqlite transaction while catching up (one block is never split). */
const CHUNK_ROWS = 20_000

const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
const chain = new Database(workerData.chainPath, { readonly: true, fileMustExist: true })

const getCursor = db.prepare("SELECT value FROM meta WHERE key = 'indexed_through'").pluck()
const setCursor = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('indexed_through', ?)")
const insert = db.prepare('INSERT OR IGNORE INTO address_txs (address, block_number, tx_index) VALUES (?, ?, ?)')
const deleteAfter = db.prepare('DELETE FROM address_txs WHERE block_number > ?')
const chainHead = chain.prepare("SELECT value FROM meta WHERE key = 'head.unsafe'").pluck()
const COLUMNS = 'block_number AS block, tx_index AS tx, raw, sender, contract_address AS created'
const txsAfter = chain.prepare(`SELECT ${COLUMNS} FROM txs WHERE block_number > ? AND block_number <= ? ORDER BY block_number, tx_index LIMIT ?`)
const txsOf = chain.prepare(`SELECT ${COLUMNS} FROM txs WHERE block_number = ? ORDER BY tx_index`)

/** The last block in the index (-1: none yet). */
const cursor = () => Number(getCursor.get() ?? -1)

/** A transaction's recipient from its network encoding (legacy list, or a typed envelope), if it calls one. */
function recipient(raw) {
  try {
    const legacy = raw[0] >= 0xc0
    const fields = RLP.decode(legacy ? raw : raw.subarray(1))
    const to = fields[legacy ? 3 : raw[0] === 1 ? 4 : 5]
    return to instanceof Uint8Array && to.length === 20 ? to : undefined
  } catch {
    return undefined // not ours to judge: the chain holds it, the index lists it by sender alone
  }
}

/** Rows of the blocks after `from`, up to `last`: about CHUNK_ROWS of them, in whole blocks. */
function readChunk(from, last) {
  const rows = txsAfter.all(from, last, CHUNK_ROWS + 1)
  if (rows.length <= CHUNK_ROWS) return { rows, upto: last }
  const lastBlock = rows[rows.length - 1].block
  if (rows[0].block === lastBlock) return { rows: txsOf.all(lastBlock), upto: lastBlock } // one big block
  return { rows: rows.filter((r) => r.block < lastBlock), upto: lastBlock - 1 }
}

const write = db.transaction((rows, upto) => {
  for (const { block, tx, raw, sender, created } of rows) {
    insert.run(sender, block, tx)
    const to = recipient(raw)
    if (to !== undefined) insert.run(to, block, tx)
    if (created !== null) insert.run(created, block, tx)
  }
  setCursor.run(upto)
})

const trim = db.transaction((number) => {
  deleteAfter.run(number)
  setCursor.run(number)
})

/** The highest head the node asked for, and the 'follow' requests waiting for the index to reach theirs. */
let target = -1
let waiting = []
let scheduled = false

/** Answers, with where the index is, every waiting 'follow' that `stillWaits(request, cursor)` lets go. */
function release(stillWaits) {
  const at = cursor()
  waiting = waiting.filter((w) => stillWaits(w, at) || void parentPort.postMessage({ id: w.id, indexedThrough: at }))
}

/** One chunk from the chain file's snapshot, then again on the next turn while blocks are left. */
function step() {
  scheduled = false
  let more = false
  try {
    const from = cursor()
    const { head, last, chunk } = chain.transaction(() => {
      const head = Number(chainHead.get() ?? -1)
      const last = Math.min(target, head) // the last block to index: asked for, and in the chain file
      return { head, last, chunk: from < last ? readChunk(from, last) : undefined }
    })()
    if (from > head) trim(head) // the chain file is behind the index (it lost its last blocks)
    if (chunk !== undefined) write(chunk.rows, chunk.upto)
    more = chunk !== undefined && chunk.upto < last
  } catch (err) {
    for (const w of waiting) parentPort.postMessage({ id: w.id, error: err.message })
    waiting = []
    return
  }
  release((w, at) => w.head > at)
  if (more) schedule()
}

function schedule() {
  if (scheduled) return
  scheduled = true
  setImmediate(step)
}

parentPort.on('message', (msg) => {
  if (msg === 'close') {
    release(() => false)
    db.close()
    chain.close()
    return parentPort.close() // the thread ends once this handler returns (address-index.ts close)
  }
  try {
    if (msg.op === 'follow') {
      target = Math.max(target, msg.head)
      waiting.push({ id: msg.id, head: msg.head })
      schedule()
    } else if (msg.op === 'rewind') {
      target = Math.min(target, msg.number)
      if (cursor() > msg.number) trim(msg.number)
      release((w) => w.head <= msg.number) // heads above the rewind are gone
      parentPort.postMessage({ id: msg.id, indexedThrough: cursor() })
    } else {
      parentPort.postMessage({ id: msg.id, error: `unknown operation ${msg.op}` })
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err.message })
  }
})
