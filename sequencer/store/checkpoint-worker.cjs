// The chain file's checkpoint thread (checkpointer.ts): copies the WAL's committed pages into the
// database file on a connection of its own, so that the node's main thread, which commits the
// blocks, never does it inside a commit. Plain CommonJS, so that the thread starts in
// milliseconds (no TypeScript loader in it).
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')

const db = new Database(workerData.path, { fileMustExist: true, timeout: 1000 })
db.pragma('journal_mode = WAL') // already WAL (the node set it): this only confirms it
db.pragma('synchronous = NORMAL') // as the node's connection: a checkpoint fsyncs the WAL before copying it

parentPort.on('message', (msg) => {
  if (msg === 'close') {
    db.close()
    return parentPort.close() // the thread ends once this handler returns (checkpointer.ts close)
  }
  if (msg.op !== 'checkpoint') return parentPort.postMessage({ id: msg.id, error: `unknown operation ${msg.op}` })
  try {
    // PASSIVE: copies what no reader still needs and never waits for the writer or the readers
    const [row] = db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage({ id: msg.id, busy: row.busy, log: row.log, checkpointed: row.checkpointed })
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err.message })
  }
})
