// The pool journal's writer thread (journal.ts): records admitted transactions and forgets mined,
// replaced, evicted and dropped ones, in the journal's own sqlite file. Plain CommonJS, so that the
// thread starts in milliseconds (no TypeScript loader in it).
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')

const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL') // as the node's own file: a commit survives kill -9
db.pragma('busy_timeout = 5000') // the main thread's connection reads it at start-up only
const add = db.prepare('INSERT OR IGNORE INTO journal (hash, raw, arrived_at) VALUES (?, ?, ?)')
const remove = db.prepare('DELETE FROM journal WHERE hash = ?')

/**
 * The operations waiting, applied in the order they came, in one sqlite transaction (a group
 * commit: what arrives while one is written shares the next). A write is answered once its
 * transaction is committed; a removal is not answered unless it fails.
 */
let queued = []
const commit = db.transaction((ops) => {
  for (const { added, removed } of ops) {
    const gone = Buffer.from(removed.buffer, removed.byteOffset, removed.byteLength)
    for (let at = 0; at < gone.length; at += 32) remove.run(gone.subarray(at, at + 32))
    // journal.ts packEntries: hash (32), arrival time (float64), length (uint32), encoding
    const bytes = Buffer.from(added.buffer, added.byteOffset, added.byteLength)
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUInt32BE(at + 40)
      add.run(bytes.subarray(at, at + 32), bytes.subarray(at + 44, at + 44 + length), bytes.readDoubleBE(at + 32))
      at += 44 + length
    }
  }
})

function flush() {
  if (queued.length === 0) return // flushed by 'close' before its turn came
  const ops = queued
  queued = []
  try {
    commit(ops)
  } catch (err) {
    for (const { id, removed } of ops) parentPort.postMessage({ id, error: err.message, rows: removed.byteLength / 32 })
    return
  }
  for (const { id, answer } of ops) if (answer) parentPort.postMessage({ id })
}

parentPort.on('message', (msg) => {
  if (msg === 'close') {
    flush()
    db.close()
    return parentPort.close() // the thread ends once this handler returns (journal.ts close)
  }
  if (queued.length === 0) setImmediate(flush)
  queued.push(msg)
})
