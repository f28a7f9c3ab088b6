// The sender-recovery thread (recovery.ts): answers each batch of (hash 32, r‖s 64, recovery id 1)
// with the 64-byte public keys, through the native call the main thread makes
// (sequencer/chain/crypto.ts recoverPublicKey). Plain CommonJS, so that a node starts its
// recovery thread in milliseconds (no TypeScript loader in the thread).
const { parentPort } = require('node:worker_threads')
const secp256k1 = require('secp256k1')

const REQUEST_BYTES = 97 // recovery.ts REQUEST_BYTES
parentPort.on('message', (msg) => {
  if (msg === 'close') return parentPort.close() // the thread ends once this handler returns (recovery.ts close)
  const { id, data } = msg
  const count = data.length / REQUEST_BYTES
  const keys = new Uint8Array(count * 64)
  const failed = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const at = i * REQUEST_BYTES
    try {
      keys.set(secp256k1.ecdsaRecover(data.subarray(at + 32, at + 96), data[at + 96], data.subarray(at, at + 32), false).subarray(1), i * 64)
    } catch {
      failed[i] = 1
    }
  }
  parentPort.postMessage({ id, keys, failed }, [keys.buffer, failed.buffer])
})
parentPort.postMessage('ready')
