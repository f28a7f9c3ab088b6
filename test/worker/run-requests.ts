/**
 * Runs off-chain requests (worker/formats answerRequest) in this process and prints one line per
 * request: the bytes a node would reveal (the output, or the rejection bytes of a rejected
 * request) as hex, so a test can compare processes byte for byte.
 *
 *   node --import tsx test/worker/run-requests.ts <requests.json>
 *
 * requests.json: `[{ "model": "<path>", "inputFormat": "...", "outputFormat": "...", "input": "<hex>" }, ...]`.
 */
import { readFileSync } from 'node:fs'
import { answerRequest } from '../../worker/formats/index.ts'

export interface RequestSpec {
  model: string
  inputFormat: string
  outputFormat: string
  input: string
}

/** One request's line: the answer's bytes as hex. */
export function runRequest(models: Map<string, Uint8Array>, r: RequestSpec): string {
  let bytes = models.get(r.model)
  if (bytes === undefined) {
    bytes = new Uint8Array(readFileSync(r.model))
    models.set(r.model, bytes)
  }
  return Buffer.from(answerRequest(bytes, r.inputFormat, r.outputFormat, Buffer.from(r.input, 'hex')).output).toString('hex')
}

if (/run-requests\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const requests = JSON.parse(readFileSync(process.argv[2], 'utf8')) as RequestSpec[]
  const models = new Map<string, Uint8Array>()
  process.stdout.write(requests.map((r) => runRequest(models, r)).join('\n') + '\n')
}
