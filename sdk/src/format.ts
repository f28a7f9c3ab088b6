/** Small formatting and timing helpers shared by the SDK's modules (not exported by the package). */

/** "2026-11-22T02:29:33Z" for unix seconds. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

/** "1 L1 confirmation", "3 L1 confirmations". */
export function l1Confirmations(n: number): string {
  return `${n} L1 ${n === 1 ? 'confirmation' : 'confirmations'}`
}

/** "6 d 23 h 59 min" for a duration in seconds. */
export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const parts = [d > 0 ? `${d} d` : '', h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : ''].filter((p) => p !== '')
  return parts.length === 0 ? `${seconds} s` : parts.join(' ')
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
