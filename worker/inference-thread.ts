/**
 * An inference thread: runs one model at a time with the canonical evaluator (worker/formats
 * answerRequest), off the worker's main thread, so a long run never stalls its WebSocket, its
 * timers or its transactions. A request the formats reject (FormatError, the same verdict on
 * every honest node) is answered with its rejection bytes (worker/formats rejectionOutput,
 * docs/OFFCHAIN_INFERENCE.md "Rejected requests"); any other error is this node's own and gets
 * no answer. Keeps the bytes of the models it was sent (the main thread sends them once per
 * thread; a few at most, least recently used dropped).
 */
import { parentPort } from 'node:worker_threads'
import { answerRequest } from './formats/index.ts'
import type { ThreadReply, ThreadRequest } from './inference.ts'

const MAX_MODELS = 4
const models = new Map<string, Uint8Array>()

parentPort!.on('message', async (msg: ThreadRequest) => {
  let reply: ThreadReply
  try {
    if (msg.bytes !== undefined) {
      models.delete(msg.modelId)
      models.set(msg.modelId, msg.bytes)
      while (models.size > MAX_MODELS) models.delete(models.keys().next().value!)
    }
    if (msg.preload === true) return
    const bytes = models.get(msg.modelId)
    if (bytes === undefined) throw new Error(`model ${msg.modelId} was not sent to this thread`)
    models.delete(msg.modelId)
    models.set(msg.modelId, bytes)
    const started = performance.now()
    const answer = answerRequest(bytes, msg.inputFormat!, msg.outputFormat!, msg.input!, { modelId: msg.modelId as `0x${string}` })
    const ms = Math.round(performance.now() - started)
    reply = { id: msg.id, ok: true, output: answer.output, ms, ...(answer.rejected !== undefined && { rejected: { code: answer.rejected, message: answer.reason! } }) }
  } catch (err) {
    reply = { id: msg.id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
  }
  parentPort!.postMessage(reply)
})
