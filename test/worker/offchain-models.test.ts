/**
 * The off-chain example models in worker/models/: they are what the builders make (a rebuild gives
 * the committed bytes), too big for the precompile, accepted at the off-chain cap, and they do
 * their job through runInference: the classifier separates spam from ham above a measured
 * accuracy floor, the language model writes 32 ASCII bytes. The canonical evaluator agrees with
 * onnxruntime within float rounding (onnxruntime only here, never in the worker).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import { analyzeModel, compileModel, DEFAULT_MAX_MODEL_BYTES, ModelValidationError } from '../../precompiles/index.ts'
import { buildSpamClassifier, SPAM_INPUT_FORMAT, SPAM_OUTPUT_FORMAT, spamSplit } from '../../scripts/models/spam-classifier.ts'
import { buildTinyLm } from '../../scripts/models/tiny-lm.ts'
import { ASCII_VOCAB_SIZE, bowFeatures, decodeInt256Array, DEFAULT_MAX_OFFCHAIN_MODEL_BYTES, OffchainModelCache, runInference } from '../../worker/formats/index.ts'

const MODELS = join(__dirname, '..', '..', 'worker', 'models')
const classifier = new Uint8Array(readFileSync(join(MODELS, 'spam-classifier.onnx')))
const lm = new Uint8Array(readFileSync(join(MODELS, 'tiny-lm.onnx')))
const utf8 = (s: string) => new TextEncoder().encode(s)
const cache = new OffchainModelCache()

/** Held-out accuracy measured when the model was built: 98.0% (1,209 messages). The floor leaves room for a deliberate retraining. */
const ACCURACY_FLOOR = 0.96

/** [p_ham, p_spam] as numbers, through the registered formats. */
function classify(text: string): [number, number] {
  const out = decodeInt256Array(runInference(classifier, SPAM_INPUT_FORMAT, SPAM_OUTPUT_FORMAT, utf8(text), { cache }))
  expect(out.length).toBe(2)
  return [Number(out[0]) / 1e18, Number(out[1]) / 1e18]
}

describe('the spam classifier (worker/models/spam-classifier.onnx)', () => {
  it('is what the builder makes: a rebuild gives the committed bytes', () => {
    const built = buildSpamClassifier()
    expect(keccak256(built.bytes)).toBe(keccak256(classifier))
    expect(built.testAccuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR)
  })

  it('is over the precompile size cap and accepted at the off-chain cap', () => {
    expect(classifier.length).toBeGreaterThan(DEFAULT_MAX_MODEL_BYTES)
    expect(() => analyzeModel(classifier)).toThrow(ModelValidationError)
    expect(() => analyzeModel(classifier)).toThrow(/bytes/)
    const info = analyzeModel(classifier, { maxBytes: DEFAULT_MAX_OFFCHAIN_MODEL_BYTES })
    expect(info.input).toMatchObject({ type: 'float32', shape: [1, 4096] })
    expect(info.output).toMatchObject({ type: 'float32', shape: [1, 2] })
  })

  it('calls obvious spam spam and a normal message ham', () => {
    const spam = classify('Congratulations! You have WON a FREE cash prize. Click here now to claim your money, limited time offer! Unsubscribe below.')
    const ham = classify('Hi Tom, I pushed the fix for the build script to the repository. Can you review it before the meeting tomorrow? Thanks.')
    expect(spam[1]).toBeGreaterThan(0.5)
    expect(ham[1]).toBeLessThan(0.5)
    for (const [pHam, pSpam] of [spam, ham]) expect(Math.abs(pHam + pSpam - 1)).toBeLessThan(1e-6)
  })

  it(`scores at least ${ACCURACY_FLOOR * 100}% on the held-out fifth of the corpus, through runInference`, () => {
    const { test, testTexts } = spamSplit()
    let right = 0
    testTexts.forEach((text, i) => {
      const [pHam, pSpam] = classify(text)
      if ((pSpam > pHam ? 1 : 0) === test[i].label) right++
    })
    const accuracy = right / testTexts.length
    console.log(`spam classifier: ${(accuracy * 100).toFixed(2)}% on ${testTexts.length} held-out messages`)
    expect(accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR)
  })

  it('agrees with onnxruntime within float rounding', async () => {
    const session = await InferenceSession.create(classifier, { logSeverityLevel: 4 })
    const model = compileModel(classifier)
    const { testTexts } = spamSplit()
    for (const text of testTexts.slice(0, 50)) {
      const x = bowFeatures(utf8(text), 4096)
      const canonical = model.run(x) as Float32Array
      const ort = (await session.run({ features: new Tensor('float32', x, [1, 4096]) })).probabilities.data as Float32Array
      for (let j = 0; j < 2; j++) expect(Math.abs(canonical[j] - ort[j])).toBeLessThan(1e-5)
    }
    await session.release()
  })
})

describe('the tiny language model (worker/models/tiny-lm.onnx)', () => {
  it('is what the builder makes, over the precompile cap', () => {
    expect(keccak256(buildTinyLm())).toBe(keccak256(lm))
    expect(lm.length).toBeGreaterThan(DEFAULT_MAX_MODEL_BYTES)
    expect(() => analyzeModel(lm)).toThrow(ModelValidationError)
    const info = analyzeModel(lm, { maxBytes: DEFAULT_MAX_OFFCHAIN_MODEL_BYTES })
    expect(info.input).toMatchObject({ type: 'float32', shape: [32, ASCII_VOCAB_SIZE] })
    expect(info.output).toMatchObject({ type: 'float32', shape: [1, ASCII_VOCAB_SIZE] })
  })

  it('generates 32 bytes of valid UTF-8 (printable ASCII or newline) for any prompt', () => {
    for (const prompt of ['The quick brown fox', '', 'Réunion 👋 ' + 'x'.repeat(100), 'FREE MONEY!!!\n']) {
      const t = performance.now()
      const out = runInference(lm, 'text/utf-8', 'text/greedy-ascii:32', utf8(prompt), { cache })
      const ms = performance.now() - t
      expect(out.length).toBe(32)
      const text = new TextDecoder('utf-8', { fatal: true }).decode(out)
      expect(text).toMatch(/^[\n\x20-\x7e]{32}$/)
      console.log(`tiny-lm: ${JSON.stringify(prompt.slice(0, 24))} → ${JSON.stringify(text)} (${ms.toFixed(0)} ms)`)
      expect(ms).toBeLessThan(10_000) // ≈60-80 ms warm on the 2-core build machine; a generous bound for a shared CI
    }
  })

  it('agrees with onnxruntime on the logits within float rounding', async () => {
    const session = await InferenceSession.create(lm, { logSeverityLevel: 4 })
    const model = compileModel(lm)
    const x = new Float32Array(32 * ASCII_VOCAB_SIZE)
    const prompt = 'Click here to claim your prize!!'
    for (let i = 0; i < 32; i++) x[i * ASCII_VOCAB_SIZE + (prompt.charCodeAt(i) - 0x1f)] = 1
    const canonical = model.run(x) as Float32Array
    const ort = (await session.run({ window: new Tensor('float32', x, [32, ASCII_VOCAB_SIZE]) })).logits.data as Float32Array
    let worst = 0
    for (let j = 0; j < ASCII_VOCAB_SIZE; j++) worst = Math.max(worst, Math.abs(canonical[j] - ort[j]) / Math.max(1, Math.abs(ort[j])))
    expect(worst).toBeLessThan(1e-4)
    await session.release()
  })
})

describe('docs/OFFCHAIN_INFERENCE.md', () => {
  it('names the committed models by their ids', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'OFFCHAIN_INFERENCE.md'), 'utf8')
    expect(doc).toContain(keccak256(classifier))
    expect(doc).toContain(keccak256(lm))
  })
})
