// The aggregated-hash index's writer thread (hash-index.ts): inserts each request's hashes into the
// index's own sqlite file and answers which were new. Plain CommonJS, so that the thread starts in
// milliseconds (no TypeScript loader in it).
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')

const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL') // as the node's own file: a commit survives kill -9
db.pragma(`cache_size = -${workerData.cacheKiB}`)
const insert = db.prepare('INSERT OR IGNORE INTO aggregated (hash, request) VALUES (?, ?)')
const journal = db.prepare('INSERT INTO claims (request, hashes) VALUES (?, ?)')
const settle = db.prepare('DELETE FROM claims WHERE request < ?')

/**
 * One sqlite transaction per request: its hashes' entries and its journal entry (recover() in
 * hash-index.ts), and which hashes were new (1) or known (0).
 */
const claim = db.transaction((values, seq, settledBelow) => {
  settle.run(settledBelow)
  journal.run(seq, values)
  const count = values.length / 32
  const fresh = new Uint8Array(count)
  for (let i = 0; i < count; i++) fresh[i] = insert.run(values.subarray(32 * i, 32 * i + 32), seq).changes
  return fresh
})

parentPort.on('message', (msg) => {
  if (msg === 'close') {
    db.close()
    return parentPort.close() // the thread ends once this handler returns (hash-index.ts close)
  }
  try {
    if (msg.op === 'claim') {
      const fresh = claim(Buffer.from(msg.values.buffer, msg.values.byteOffset, msg.values.byteLength), msg.seq, msg.settledBelow)
      parentPort.postMessage({ id: msg.id, fresh }, [fresh.buffer])
    } else {
      parentPort.postMessage({ id: msg.id, error: `unknown operation ${msg.op}` })
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err.message })
  }
})
