/**
 * A node's log lines caught in the test: give `destination` to startTestNode's hooks
 * (`{ logDestination }`) with `logFormat: 'json'`, then read `lines()` (each parsed) or `events(name)`.
 */
import type { DestinationStream } from 'pino'

export interface LogLine {
  level: string
  time: string
  name: string
  msg: string
  event?: string
  [field: string]: unknown
}

export interface CapturedLogs {
  destination: DestinationStream
  /** Every line written so far, parsed (a line that is not JSON fails the test here). */
  lines(): LogLine[]
  /** The lines of one event. */
  events(event: string): LogLine[]
  /** The raw text written, as it came. */
  raw(): string
}

export function captureLogs(): CapturedLogs {
  const chunks: string[] = []
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine
        } catch {
          throw new Error(`a log line is not JSON: ${l}`)
        }
      })
  return {
    destination: { write: (chunk: string) => void chunks.push(chunk) },
    lines,
    events: (event) => lines().filter((l) => l.event === event),
    raw: () => chunks.join(''),
  }
}
