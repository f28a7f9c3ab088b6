/**
 * What every page of the explorer uses: a small element builder (plain DOM, no framework), the
 * node's JSON-RPC and explorer API over fetch, and the formatting of hashes, amounts and times.
 */
import { formatEther, formatGwei } from 'viem'

/** The node's settings for the pages, embedded in each page by sequencer/rpc/explorer.ts. */
export interface PageConfig {
  chainId: number
  role: 'sequencer' | 'replica'
  blockTimeMs: number
  /** The L1 URL offered for "Verify on L1" (the visitor may change it); null: none configured. */
  l1RpcUrl: string | null
  rollupAnchor: string | null
  l1ChainId: number | null
}

export function pageConfig(): PageConfig {
  return JSON.parse(document.getElementById('explorer-config')?.textContent ?? '{}') as PageConfig
}

// ---- elements ----

type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>
export type Child = Node | string | number | bigint | null | undefined | false | Child[]

/** `h('td.mono', { title }, 'text', child)`: an element with classes after dots, attributes, children. */
export function h(tagAndClasses: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement {
  const [tag, ...classes] = tagAndClasses.split('.')
  const el = document.createElement(tag)
  if (classes.length > 0) el.className = classes.join(' ')
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value)
    else if (value === true) el.setAttribute(key, '')
    else el.setAttribute(key, String(value))
  }
  append(el, children)
  return el
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)))
  }
}

export function link(href: string, ...children: Child[]): HTMLElement {
  return h('a', { href }, ...children)
}

/** A table of label/value rows. */
export function facts(rows: [string, Child][]): HTMLElement {
  return h('dl.facts', null, rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]))
}

export function table(head: string[], rows: Child[][], empty = 'None yet.'): HTMLElement {
  if (rows.length === 0) return h('p.muted', null, empty)
  return h('div.scroll', null, h('table', null, h('thead', null, h('tr', null, head.map((c) => h('th', null, c)))), h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))))
}

export function card(title: Child, ...children: Child[]): HTMLElement {
  return h('section.card', null, h('h2', null, title), ...children)
}

export function badge(text: string, kind: 'ok' | 'bad' | 'warn' | 'info'): HTMLElement {
  return h(`span.badge.${kind}`, null, text)
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren()
  append(el, children)
}

/** Replaces the page's content. */
export function render(...children: Child[]): void {
  fill(document.getElementById('main')!, ...children)
}

export function problem(title: string, message: string): HTMLElement {
  return h('section.problem', null, h('h1', null, title), h('p', null, message))
}

// ---- the node ----

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

let nextId = 1

/** One JSON-RPC call to this node. */
export async function rpc<T = any>(method: string, params: unknown[] = []): Promise<T> {
  const [r] = await rpcBatch<[T]>([[method, params]])
  return r
}

/** Several JSON-RPC calls in one request; the first error is thrown. */
export async function rpcBatch<T extends unknown[]>(calls: [string, unknown[]][]): Promise<T> {
  if (calls.length === 0) return [] as unknown as T
  const body = calls.map(([method, params]) => ({ jsonrpc: '2.0', id: nextId++, method, params }))
  const res = await fetch('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new RpcError(`the node answered HTTP ${res.status}`)
  const answers = (await res.json()) as { id: number; result?: unknown; error?: { code: number; message: string; data?: unknown } }[]
  const byId = new Map(answers.map((a) => [a.id, a]))
  return body.map((b) => {
    const a = byId.get(b.id)
    if (a === undefined) throw new RpcError(`no answer to ${b.method}`)
    if (a.error !== undefined) throw new RpcError(`${b.method}: ${a.error.message}`, a.error.code, a.error.data)
    return a.result
  }) as T
}

/** GET one of the explorer's own JSON routes (/explorer/api/...). */
export async function api<T = any>(path: string): Promise<T> {
  const res = await fetch(`/explorer/api/${path}`)
  const body = (await res.json()) as T & { error?: { message: string } }
  if (!res.ok) throw new RpcError(body.error?.message ?? `HTTP ${res.status}`)
  return body
}

// ---- formatting ----

export const num = (hex: string | number | bigint | null | undefined): number => (hex === null || hex === undefined ? 0 : Number(hex))
export const big = (v: string | number | bigint | null | undefined): bigint => (v === null || v === undefined ? 0n : BigInt(v))

export function short(hash: string, keep = 8): string {
  return hash.length <= 2 + keep * 2 ? hash : `${hash.slice(0, 2 + keep)}…${hash.slice(-keep + 2)}`
}

export function eth(wei: string | bigint | number): string {
  const s = formatEther(big(wei))
  const [whole, frac = ''] = s.split('.')
  return `${Number(whole).toLocaleString('en-US')}${frac === '' ? '' : `.${frac.slice(0, 8)}`} ETH`
}

export function gwei(wei: string | bigint | number): string {
  return `${Number(formatGwei(big(wei))).toLocaleString('en-US', { maximumFractionDigits: 4 })} gwei`
}

export function count(n: number | bigint | string): string {
  return Number(n).toLocaleString('en-US')
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`
  return `${(n / 1024 / 1024).toFixed(2)} MB`
}

/** "2026-12-03 12:00:00 UTC (12 s ago)" for unix seconds. */
export function when(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
  return `${iso} (${ago(seconds)})`
}

export function ago(seconds: number): string {
  const d = Math.round(Date.now() / 1000 - seconds)
  if (d < 0) return `in ${span(-d)}`
  return d < 2 ? 'just now' : `${span(d)} ago`
}

/** "1 h 5 min", "42 s" for a duration in seconds. */
export function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return [d > 0 ? `${d} d` : '', h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : '', d === 0 && h === 0 && s % 60 > 0 ? `${s % 60} s` : ''].filter((p) => p !== '').join(' ')
}

/** A hash or address in monospace, linked, with the whole value as its title. */
export function hashLink(kind: 'tx' | 'block' | 'address' | 'anchor' | 'model', value: string, keep = 8): HTMLElement {
  return h('a.mono', { href: `/${kind}/${value}`, title: value }, short(value, keep))
}

export function blockLink(n: number | string): HTMLElement {
  return h('a', { href: `/block/${num(n)}` }, `#${count(num(n))}`)
}
