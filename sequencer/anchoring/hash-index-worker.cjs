// The aggregated-hash index's writer thread (hash-index.ts): inserts each request's hashes into the
// index's own sqlite file and answers which were new. Plain CommonJS, so that the thread starts in
// milliseconds (no TypeScript loader in it).
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')

const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL') // as the node's own file: a commit survives kill -9
db.pragma(`cache_size = -${workerData.cacheKiB}`)
// Random inserts touch most pages of the B-tree in every transaction, and each commit appends the
// pages it touched to the WAL. Checkpointing after every commit (SQLite's default: past 1,000
// pages) would copy them all back each time; checkpointing rarely copies a page once for many
// commits. The WAL file is truncated back to this limit after each checkpoint.
db.pragma(`wal_autocheckpoint = ${workerData.checkpointPages}`)
db.pragma(`journal_size_limit = ${workerData.checkpointPages * 1024}`)
const insert = db.prepare('INSERT OR IGNORE INTO aggregated (hash, request) VALUES (?, ?)')
const journal = db.prepare('INSERT INTO claims (request, hashes) VALUES (?, ?)')
const settle = db.prepare('DELETE FROM claims WHERE request < ?')

/**
 * The claims waiting, committed together in one sqlite transaction (a group commit: claims that
 * arrive while one is written share the next transaction, which touches each page once). Each
 * writes its hashes' entries and its journal entry (recover() in hash-index.ts) and learns which
 * hashes were new (1) or known (0).
 */
let queued = []
const commit = db.transaction((claims) =>
  claims.map(({ values, seq, settledBelow }) => {
    settle.run(settledBelow)
    journal.run(seq, values)
    const count = values.length / 32
    const fresh = new Uint8Array(count)
    for (let i = 0; i < count; i++) fresh[i] = insert.run(values.subarray(32 * i, 32 * i + 32), seq).changes
    return fresh
  }),
)

function flush() {
  if (queued.length === 0) return // flushed by 'close' before its turn came
  const claims = queued
  queued = []
  let answers
  try {
    answers = commit(claims)
  } catch (err) {
    for (const { id } of claims) parentPort.postMessage({ id, error: err.message })
    return
  }
  claims.forEach(({ id }, i) => parentPort.postMessage({ id, fresh: answers[i] }, [answers[i].buffer]))
}

parentPort.on('message', (msg) => {
  if (msg === 'close') {
    if (queued.length > 0) flush()
    db.close()
    return parentPort.close() // the thread ends once this handler returns (hash-index.ts close)
  }
  if (msg.op !== 'claim') return parentPort.postMessage({ id: msg.id, error: `unknown operation ${msg.op}` })
  if (queued.length === 0) setImmediate(flush)
  queued.push({ id: msg.id, values: Buffer.from(msg.values.buffer, msg.values.byteOffset, msg.values.byteLength), seq: msg.seq, settledBelow: msg.settledBelow })
})
