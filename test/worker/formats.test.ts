/**
 * worker/formats: the format strings, the featurization of `text/bow-fnv1a:D` (fixed vectors,
 * computed independently), the strict `int256[]` ABI, the language-model window rules (with
 * small probe models whose logits reveal the window) and every typed error, in the order the
 * runner checks them.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bytesToHex, encodeErrorResult, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { compileModel, encodeInferResult, FIXED_POINT_SCALE, fromTensorData, toTensorData } from '../../precompiles/index.ts'
import { buildModel } from '../../scripts/models/build-model.ts'
import {
  answerRequest,
  ASCII_VOCAB_SIZE,
  bowFeatures,
  bowIndices,
  decodeInt256Array,
  decodeRejection,
  decodeUtf8,
  encodeInt256Array,
  fnv1a32,
  formatPair,
  FormatError,
  OffchainModelCache,
  parseFormat,
  promptTokens,
  REJECTION_SELECTOR,
  rejectionOutput,
  runInference,
  supportsFormats,
  words,
  type FormatErrorCode,
} from '../../worker/formats/index.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)
const MODELS = join(__dirname, '..', '..', 'precompiles', 'models')
const iris = new Uint8Array(readFileSync(join(MODELS, 'iris-mlp.onnx')))
const irisInt8 = new Uint8Array(readFileSync(join(MODELS, 'iris-mlp-int8.onnx')))

function codeOf(f: () => unknown): FormatErrorCode | 'no error' {
  try {
    f()
    return 'no error'
  } catch (e) {
    if (e instanceof FormatError) return e.code
    throw e
  }
}

describe('format strings', () => {
  it('parses exactly the defined strings', () => {
    expect(parseFormat('int256[]')).toEqual({ name: 'int256[]' })
    expect(parseFormat('text/utf-8')).toEqual({ name: 'text/utf-8' })
    expect(parseFormat('text/bow-fnv1a:4096')).toEqual({ name: 'text/bow-fnv1a', buckets: 4096 })
    expect(parseFormat('text/greedy-ascii:32')).toEqual({ name: 'text/greedy-ascii', tokens: 32 })
    expect(parseFormat('text/greedy-ascii:1024')).toEqual({ name: 'text/greedy-ascii', tokens: 1024 })
    for (const bad of ['int256', 'INT256[]', 'text/UTF-8', 'text/utf8', ' text/utf-8', 'text/bow-fnv1a', 'text/bow-fnv1a:4095', 'text/bow-fnv1a:1', 'text/bow-fnv1a:131072', 'text/bow-fnv1a:04096', 'text/greedy-ascii:0', 'text/greedy-ascii:032', 'text/greedy-ascii:1025', 'text/greedy-ascii:+3', 'text/greedy-bytes:32', '']) {
      expect(codeOf(() => parseFormat(bad)), bad).toBe('UNKNOWN_FORMAT')
    }
  })

  it('pairs them to runners, and refuses other pairs', () => {
    expect(formatPair('int256[]', 'int256[]').runner).toBe('tensor')
    expect(formatPair('text/bow-fnv1a:4096', 'int256[]').runner).toBe('text-classifier')
    expect(formatPair('text/utf-8', 'text/greedy-ascii:32').runner).toBe('greedy-lm')
    for (const [i, o] of [['int256[]', 'text/greedy-ascii:32'], ['text/utf-8', 'int256[]'], ['text/bow-fnv1a:4096', 'text/greedy-ascii:8'], ['text/greedy-ascii:8', 'text/utf-8']]) {
      expect(codeOf(() => formatPair(i, o)), `${i} → ${o}`).toBe('UNSUPPORTED_FORMAT_PAIR')
      expect(supportsFormats(i, o)).toBe(false)
    }
    expect(supportsFormats('text/utf-8', 'text/greedy-ascii:32')).toBe(true)
    expect(supportsFormats('text/utf-8', 'text/greedy-ascii:0')).toBe(false)
  })
})

describe('text/bow-fnv1a featurization', () => {
  it('FNV-1a 32 matches its published vectors', () => {
    expect(fnv1a32(utf8(''))).toBe(0x811c9dc5)
    expect(fnv1a32(utf8('a'))).toBe(0xe40c292c)
    expect(fnv1a32(utf8('foobar'))).toBe(0xbf9cf968)
  })

  // expected values computed by an independent implementation (Python: re.findall(b'[a-z0-9]+') on ASCII-lowercased bytes)
  const VECTORS: [string, string[], number[]][] = [
    ['Hello, World! hello', ['hello', 'world', 'hello'], [2195, 3243]],
    ['FREE money!!! Click here: http://example.com/win?id=42', ['free', 'money', 'click', 'here', 'http', 'example', 'com', 'win', 'id', '42'], [734, 1411, 1483, 2159, 2213, 2383, 2784, 2905, 3745, 3803]],
    ['naïve café — x a 1 ok', ['na', 've', 'caf', 'ok'], [1533, 1967, 2544, 3780]],
    ["Don't stop", ['don', 'stop'], [2062, 2789]],
    ['I', [], []],
    ['aaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbb', ['bbbbbbbbbbbbbbbbbbbbbbbb'], [709]],
  ]

  it.each(VECTORS)('%j → words %j → buckets %j (D = 4096)', (text, expectedWords, buckets) => {
    expect(words(utf8(text))).toEqual(expectedWords)
    expect(bowIndices(utf8(text), 4096)).toEqual(buckets)
    const x = bowFeatures(utf8(text), 4096)
    expect(x.length).toBe(4096)
    expect([...x.keys()].filter((j) => x[j] !== 0)).toEqual(buckets)
    expect(buckets.every((j) => x[j] === 1)).toBe(true)
  })

  it('is binary, case-blind and takes the bucket modulo D', () => {
    expect(bowIndices(utf8('spam SPAM Spam spam'), 4096)).toEqual(bowIndices(utf8('spam'), 4096))
    expect(bowIndices(utf8('hello world'), 1024)).toEqual([2195 % 1024, 3243 % 1024].sort((a, b) => a - b))
  })
})

describe('UTF-8', () => {
  it('accepts well-formed text and rejects every ill-formed sequence', () => {
    expect(decodeUtf8(utf8('héllo 👋'))).toBe('héllo 👋')
    for (const bad of [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x61, 0x80]]) {
      expect(codeOf(() => decodeUtf8(Uint8Array.from(bad))), bad.join(',')).toBe('INVALID_UTF8')
    }
    expect(codeOf(() => decodeUtf8(new Uint8Array(8193).fill(0x61)))).toBe('INPUT_TOO_LONG')
    expect(decodeUtf8(new Uint8Array(8192).fill(0x61)).length).toBe(8192)
  })
})

describe('int256[] ABI', () => {
  it('round-trips and matches abi.encode(int256[])', () => {
    const values = [0n, 1n, -1n, 2n ** 255n - 1n, -(2n ** 255n), 10n ** 18n]
    const bytes = encodeInt256Array(values)
    expect(bytes).toEqual(encodeInferResult(values))
    expect(decodeInt256Array(bytes)).toEqual(values)
    expect(decodeInt256Array(encodeInt256Array([]))).toEqual([])
  })

  it('accepts only the canonical encoding', () => {
    const good = encodeInt256Array([5n, -7n])
    const withOffset = good.slice()
    withOffset[31] = 0x40
    const withLength = good.slice()
    withLength[63] = 3
    const trailing = new Uint8Array(good.length + 32)
    trailing.set(good)
    for (const bad of [new Uint8Array(0), good.subarray(0, 63), good.subarray(0, good.length - 1), withOffset, withLength, trailing]) {
      expect(codeOf(() => decodeInt256Array(bad))).toBe('MALFORMED_ABI')
    }
  })
})

describe('runInference: tensor models (int256[] → int256[])', () => {
  it('computes what the precompile computes for an on-chain model', () => {
    const values = [5.1, 3.5, 1.4, 0.2].map((v) => BigInt(Math.round(v * 1e6)) * 10n ** 12n)
    const out = runInference(iris, 'int256[]', 'int256[]', encodeInt256Array(values))
    const model = compileModel(iris)
    const expected = encodeInferResult(fromTensorData(model.run(toTensorData(values, 'float32', 4)), 'float32'))
    expect(out).toEqual(expected)
    const probabilities = decodeInt256Array(out)
    expect(probabilities.length).toBe(3)
    expect(probabilities[0]).toBeGreaterThan(FIXED_POINT_SCALE / 2n) // setosa
  })

  it('passes integer tensors as plain integers', () => {
    const out = decodeInt256Array(runInference(irisInt8, 'int256[]', 'int256[]', encodeInt256Array([51n, 35n, 14n, 2n])))
    expect(out.length).toBe(3)
    expect(out[0] > out[1] && out[0] > out[2]).toBe(true)
    expect(codeOf(() => runInference(irisInt8, 'int256[]', 'int256[]', encodeInt256Array([200n, 35n, 14n, 2n])))).toBe('VALUE_OUT_OF_RANGE')
  })

  it('rejects a wrong number of values, malformed ABI and a long input', () => {
    expect(codeOf(() => runInference(iris, 'int256[]', 'int256[]', encodeInt256Array([1n, 2n, 3n])))).toBe('WRONG_TENSOR_LENGTH')
    expect(codeOf(() => runInference(iris, 'int256[]', 'int256[]', utf8('not abi')))).toBe('MALFORMED_ABI')
    expect(codeOf(() => runInference(iris, 'int256[]', 'int256[]', encodeInt256Array(Array(300).fill(0n))))).toBe('INPUT_TOO_LONG')
  })

  it('reports an output it cannot encode (NaN) and an output over 8 KiB', () => {
    const nan = buildModel({
      inputs: [{ name: 'x', type: 'float32', shape: [1, 1] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 1] }],
      initializers: [{ name: 'zero', type: 'float32', shape: [1, 1], values: [0] }],
      nodes: [{ op: 'Div', inputs: ['x', 'zero'], outputs: ['y'] }],
    })
    expect(codeOf(() => runInference(nan, 'int256[]', 'int256[]', encodeInt256Array([0n])))).toBe('OUTPUT_NOT_ENCODABLE')
    const wide = buildModel({
      inputs: [{ name: 'x', type: 'float32', shape: [1, 300] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 300] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    })
    expect(codeOf(() => runInference(wide, 'int256[]', 'int256[]', encodeInt256Array([0n])))).toBe('OUTPUT_TOO_LONG')
  })

  it('refuses bytes that are not a model the evaluator accepts', () => {
    expect(codeOf(() => runInference(utf8('not a model'), 'int256[]', 'int256[]', encodeInt256Array([0n])))).toBe('INVALID_MODEL')
    const gather = buildModel({
      inputs: [{ name: 'x', type: 'float32', shape: [4] }],
      outputs: [{ name: 'y', type: 'float32', shape: [2] }],
      initializers: [{ name: 'i', type: 'int64', shape: [2], values: [0, 1] }],
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'] }],
    })
    expect(codeOf(() => runInference(gather, 'int256[]', 'int256[]', encodeInt256Array([0n, 0n, 0n, 0n])))).toBe('INVALID_MODEL')
    const big = new OffchainModelCache({ maxModelBytes: 500 })
    expect(codeOf(() => runInference(iris, 'int256[]', 'int256[]', encodeInt256Array([0n, 0n, 0n, 0n]), { cache: big }))).toBe('INVALID_MODEL')
  })

  it('checks in a fixed order: formats, then model, then input', () => {
    expect(codeOf(() => runInference(utf8('junk'), 'int256', 'int256[]', utf8('junk')))).toBe('UNKNOWN_FORMAT')
    expect(codeOf(() => runInference(utf8('junk'), 'int256[]', 'text/utf-8', utf8('junk')))).toBe('UNSUPPORTED_FORMAT_PAIR')
    expect(codeOf(() => runInference(utf8('junk'), 'int256[]', 'int256[]', new Uint8Array(9000)))).toBe('INVALID_MODEL')
    expect(codeOf(() => runInference(iris, 'text/bow-fnv1a:4096', 'int256[]', Uint8Array.of(0xff)))).toBe('MODEL_FORMAT_MISMATCH')
    expect(codeOf(() => runInference(iris, 'text/utf-8', 'text/greedy-ascii:4', Uint8Array.of(0xff)))).toBe('MODEL_FORMAT_MISMATCH')
  })

  it('caches compiled models by keccak256 of the bytes', () => {
    const cache = new OffchainModelCache()
    const input = encodeInt256Array([0n, 0n, 0n, 0n])
    runInference(iris, 'int256[]', 'int256[]', input, { cache })
    runInference(iris.slice(), 'int256[]', 'int256[]', input, { cache }) // same bytes, another array
    expect(cache.stats()).toMatchObject({ compilations: 1, hits: 1, misses: 1 })
  })
})

describe('runInference: language-model window rules (text/utf-8 → text/greedy-ascii:N)', () => {
  /** A model float32 [T,96] → [1,96] whose logits are one row of the window (selected by a constant row vector). */
  const probe = (T: number, row: number) =>
    buildModel({
      inputs: [{ name: 'window', type: 'float32', shape: [T, ASCII_VOCAB_SIZE] }],
      outputs: [{ name: 'logits', type: 'float32', shape: [1, ASCII_VOCAB_SIZE] }],
      initializers: [{ name: 'select', type: 'float32', shape: [1, T], values: Array.from({ length: T }, (_, i) => (i === row ? 1 : 0)) }],
      nodes: [{ op: 'MatMul', inputs: ['select', 'window'], outputs: ['logits'] }],
    })
  const run = (model: Uint8Array, prompt: string | Uint8Array, n: number) => {
    const out = runInference(model, 'text/utf-8', `text/greedy-ascii:${n}`, typeof prompt === 'string' ? utf8(prompt) : prompt)
    expect(out.length).toBe(n)
    return new TextDecoder('utf-8', { fatal: true }).decode(out)
  }

  it('maps code points to tokens: newline, printable ASCII, everything else to a space', () => {
    expect(promptTokens(utf8('\n A~'))).toEqual([0, 1, 0x41 - 0x1f, 95])
    expect(promptTokens(utf8('\t\ré👋'))).toEqual([1, 1, 1, 1])
    expect(codeOf(() => promptTokens(Uint8Array.of(0x61, 0xc3)))).toBe('INVALID_UTF8')
  })

  it('right-aligns a short prompt after zero rows and slides the window', () => {
    // first row of a 4-row window: two zero rows (all logits 0 → token 0, '\n') until the prompt reaches it
    expect(run(probe(4, 0), 'ab', 8)).toBe('\n\nab\n\nab')
    // last row: the last token, forever
    expect(run(probe(4, 3), 'abc', 5)).toBe('ccccc')
    expect(run(probe(4, 3), 'aé', 3)).toBe('   ')
    expect(run(probe(4, 3), '', 3)).toBe('\n\n\n')
  })

  it('keeps the last T tokens of a long prompt', () => {
    expect(run(probe(4, 0), 'abcdefg', 8)).toBe('defgdefg')
  })

  it('rejects what the format cannot take', () => {
    expect(codeOf(() => run(probe(4, 0), Uint8Array.of(0xfe), 4))).toBe('INVALID_UTF8')
    expect(codeOf(() => run(probe(4, 0), new Uint8Array(8193).fill(0x20), 4))).toBe('INPUT_TOO_LONG')
    const narrow = buildModel({
      inputs: [{ name: 'window', type: 'float32', shape: [4, 95] }],
      outputs: [{ name: 'logits', type: 'float32', shape: [4, 95] }],
      nodes: [{ op: 'Relu', inputs: ['window'], outputs: ['logits'] }],
    })
    expect(codeOf(() => run(narrow, 'a', 4))).toBe('MODEL_FORMAT_MISMATCH')
  })
})

describe('rejected requests: an answer every node gives alike', () => {
  it('answers a rejected request with abi.encodeWithSignature("InferenceRejected(string)", code)', () => {
    const answer = answerRequest(iris, 'int256[]', 'int256[]', encodeInt256Array([1n]))
    expect(answer.rejected).toBe('WRONG_TENSOR_LENGTH')
    expect(bytesToHex(answer.output)).toBe(encodeErrorResult({ abi: parseAbi(['error InferenceRejected(string code)']), errorName: 'InferenceRejected', args: ['WRONG_TENSOR_LENGTH'] }))
    expect(bytesToHex(answer.output.subarray(0, 4))).toBe(REJECTION_SELECTOR)
    expect(decodeRejection(answer.output)).toBe('WRONG_TENSOR_LENGTH')
    // the model is checked before the input: MODEL_FORMAT_MISMATCH, not INVALID_UTF8
    expect(answerRequest(iris, 'text/utf-8', 'text/greedy-ascii:1', Uint8Array.of(0xff)).output).toEqual(rejectionOutput('MODEL_FORMAT_MISMATCH'))
  })

  it('answers an accepted request with its output, which never reads as a rejection', () => {
    const answer = answerRequest(iris, 'int256[]', 'int256[]', encodeInt256Array([0n, 0n, 0n, 0n]))
    expect(answer.rejected).toBeUndefined()
    expect(decodeRejection(answer.output)).toBeUndefined()
    expect(answer.output[0]).toBe(0) // an int256[] starts with the zero bytes of its offset; the selector does not
    expect(REJECTION_SELECTOR.slice(0, 4)).not.toBe('0x00')
    expect([...rejectionOutput('INVALID_UTF8')]).toContain(0) // an ASCII output never holds a zero byte
  })
})
