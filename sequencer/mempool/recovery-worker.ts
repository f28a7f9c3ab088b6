/**
 * The sender-recovery thread (recovery.ts): answers each batch of (hash, r‖s, recovery id) with
 * the public keys, through the same native call the main thread would make.
 */
import { parentPort } from 'node:worker_threads'
import { recoverPublicKey } from '../chain/crypto.ts'
import { REQUEST_BYTES, type RecoveryReply } from './recovery.ts'

const port = parentPort!
port.on('message', ({ id, data }: { id: number; data: Uint8Array }) => {
  const count = data.length / REQUEST_BYTES
  const keys = new Uint8Array(count * 64)
  const failed = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const at = i * REQUEST_BYTES
    try {
      keys.set(recoverPublicKey(data.subarray(at, at + 32), data.subarray(at + 32, at + 96), data[at + 96]), i * 64)
    } catch {
      failed[i] = 1
    }
  }
  const reply: RecoveryReply = { id, keys, failed }
  port.postMessage(reply, [keys.buffer, failed.buffer])
})
port.postMessage('ready')
