/**
 * A strict walk over the protobuf wire format of a model, run before onnx-proto decodes it, so
 * that what we analyze is what onnxruntime's C++ parser loads. protobufjs's generated decoders
 * are lenient where C++ protobuf is not, or differs:
 *
 * - they pick a field by number alone and ignore its wire type (C++ fails, or keeps the field as
 *   unknown): the two would read different models from the same bytes;
 * - a message field seen twice replaces the first in protobufjs and is merged into it in C++: a
 *   second `graph` field would add nodes onnxruntime runs but the analysis never saw (and charged);
 * - two members of one oneof (a dim's value and param, a type's kinds) both survive in protobufjs,
 *   while in C++ the last wins;
 * - strings are decoded lossily (distinct byte strings can become the same name);
 * - groups are skipped recursively, and nesting is unbounded: a deep enough model overflows the
 *   JS stack at a depth that depends on the engine's state, which is not a consensus rule.
 *
 * So: every field must be one the schema below knows (onnx.proto as onnx-proto decodes it, plus
 * the newer metadata_props and overload annotations, which both parsers can skip or ignore),
 * carry its declared wire type (repeated scalars packed or not), appear once unless repeated, and
 * hold at most one member of a oneof; strings must be valid UTF-8; nesting is capped at
 * MAX_NESTING. Fields this schema does not know are refused rather than skipped: onnxruntime may
 * know them and fail on (or act on) what we would skip.
 */
import { ModelValidationError } from './errors.ts'

/** Deepest message nesting accepted (a subgraph-free model needs 7: Model › Graph › ValueInfo › Type › Tensor › Shape › Dim). */
export const MAX_NESTING = 16

type Scalar = 'int64' | 'int32' | 'fixed32' | 'fixed64' | 'string' | 'bytes'
type MessageName =
  | 'ModelProto' | 'OperatorSetIdProto' | 'StringStringEntryProto' | 'TrainingInfoProto' | 'GraphProto' | 'TensorAnnotation' | 'NodeProto' | 'AttributeProto'
  | 'ValueInfoProto' | 'TensorProto' | 'Segment' | 'SparseTensorProto' | 'TensorShapeProto' | 'Dimension' | 'TypeProto' | 'TypeTensor' | 'TypeSequence' | 'TypeMap' | 'FunctionProto'
type Kind = Scalar | MessageName
/** [kind, repeated] by field number; `oneof` lists field numbers of which at most one may appear. */
interface MessageSchema {
  fields: Record<number, readonly [Kind, boolean]>
  oneof?: readonly number[]
}

const one = <K extends Kind>(k: K) => [k, false] as const
const many = <K extends Kind>(k: K) => [k, true] as const

// onnx.proto as onnx-proto 8 (ONNX 1.10) decodes it, plus later annotations (metadata_props, overload) that it skips.
const SCHEMA: Record<MessageName, MessageSchema> = {
  ModelProto: { fields: { 1: one('int64'), 2: one('string'), 3: one('string'), 4: one('string'), 5: one('int64'), 6: one('string'), 7: one('GraphProto'), 8: many('OperatorSetIdProto'), 14: many('StringStringEntryProto'), 20: many('TrainingInfoProto'), 25: many('FunctionProto') } },
  OperatorSetIdProto: { fields: { 1: one('string'), 2: one('int64') } },
  StringStringEntryProto: { fields: { 1: one('string'), 2: one('string') } },
  TrainingInfoProto: { fields: { 1: one('GraphProto'), 2: one('GraphProto'), 3: many('StringStringEntryProto'), 4: many('StringStringEntryProto') } },
  GraphProto: { fields: { 1: many('NodeProto'), 2: one('string'), 5: many('TensorProto'), 10: one('string'), 11: many('ValueInfoProto'), 12: many('ValueInfoProto'), 13: many('ValueInfoProto'), 14: many('TensorAnnotation'), 15: many('SparseTensorProto'), 16: many('StringStringEntryProto') } },
  TensorAnnotation: { fields: { 1: one('string'), 2: many('StringStringEntryProto') } },
  NodeProto: { fields: { 1: many('string'), 2: many('string'), 3: one('string'), 4: one('string'), 5: many('AttributeProto'), 6: one('string'), 7: one('string'), 8: one('string'), 9: many('StringStringEntryProto') } },
  AttributeProto: {
    fields: {
      1: one('string'), 2: one('fixed32'), 3: one('int64'), 4: one('bytes'), 5: one('TensorProto'), 6: one('GraphProto'), 7: many('fixed32'), 8: many('int64'), 9: many('bytes'),
      10: many('TensorProto'), 11: many('GraphProto'), 13: one('string'), 14: one('TypeProto'), 15: many('TypeProto'), 20: one('int32'), 21: one('string'), 22: one('SparseTensorProto'), 23: many('SparseTensorProto'),
    },
  },
  ValueInfoProto: { fields: { 1: one('string'), 2: one('TypeProto'), 3: one('string'), 4: many('StringStringEntryProto') } },
  TensorProto: {
    fields: {
      1: many('int64'), 2: one('int32'), 3: one('Segment'), 4: many('fixed32'), 5: many('int32'), 6: many('bytes'), 7: many('int64'), 8: one('string'), 9: one('bytes'), 10: many('fixed64'),
      11: many('int64'), 12: one('string'), 13: many('StringStringEntryProto'), 14: one('int32'), 16: many('StringStringEntryProto'),
    },
  },
  Segment: { fields: { 1: one('int64'), 2: one('int64') } },
  SparseTensorProto: { fields: { 1: one('TensorProto'), 2: one('TensorProto'), 3: many('int64') } },
  TensorShapeProto: { fields: { 1: many('Dimension') } },
  Dimension: { fields: { 1: one('int64'), 2: one('string'), 3: one('string') }, oneof: [1, 2] },
  // 8 (sparse_tensor_type) has TypeTensor's layout, 9 (optional_type) TypeSequence's
  TypeProto: { fields: { 1: one('TypeTensor'), 4: one('TypeSequence'), 5: one('TypeMap'), 6: one('string'), 8: one('TypeTensor'), 9: one('TypeSequence') }, oneof: [1, 4, 5, 8, 9] },
  TypeTensor: { fields: { 1: one('int32'), 2: one('TensorShapeProto') } },
  TypeSequence: { fields: { 1: one('TypeProto') } },
  TypeMap: { fields: { 1: one('int32'), 2: one('TypeProto') } },
  FunctionProto: { fields: { 1: one('string'), 4: many('string'), 5: many('string'), 6: many('string'), 7: many('NodeProto'), 8: one('string'), 9: many('OperatorSetIdProto'), 10: one('string') } },
}

const WIRE: Record<Scalar, number> = { int64: 0, int32: 0, fixed64: 1, fixed32: 5, string: 2, bytes: 2 }
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Throws ModelValidationError unless `bytes` is a well-formed ModelProto in the sense above. */
export function checkWireFormat(bytes: Uint8Array): void {
  walk(bytes, 0, bytes.length, 'ModelProto', 1)
}

function bad(message: MessageName, field: number | undefined, what: string): never {
  throw new ModelValidationError(`not an ONNX model: ${what}${field === undefined ? '' : ` in ${message} field ${field}`}`)
}

function walk(buf: Uint8Array, start: number, end: number, message: MessageName, depth: number): void {
  if (depth > MAX_NESTING) bad(message, undefined, `messages nested deeper than ${MAX_NESTING}`)
  const schema = SCHEMA[message]
  const seen = new Set<number>()
  let oneofSeen: number | undefined
  let pos = start
  while (pos < end) {
    const tag = varint(buf, pos, end, message, undefined)
    pos = tag.next
    if (tag.value > 0xffffffffn) bad(message, undefined, 'tag out of range')
    const field = Number(tag.value >> 3n)
    const wire = Number(tag.value & 7n)
    if (field === 0) bad(message, undefined, 'field number 0')
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) bad(message, field, `wire type ${wire}`)

    const spec = schema.fields[field]
    if (spec === undefined) bad(message, field, 'an unknown field')
    const [kind, repeated] = spec
    if (!repeated) {
      if (seen.has(field)) bad(message, field, 'a repeated singular field')
      seen.add(field)
    }
    if (schema.oneof?.includes(field)) {
      if (oneofSeen !== undefined && oneofSeen !== field) bad(message, field, 'two members of a oneof')
      oneofSeen = field
    }
    const expected = kind in WIRE ? WIRE[kind as Scalar] : 2
    const packed = repeated && wire === 2 && expected !== 2
    if (wire !== expected && !packed) bad(message, field, `wire type ${wire}`)
    if (packed) {
      const { start: s, end: e } = lengthDelimited(buf, pos, end, message, field)
      checkPacked(buf, s, e, kind as Scalar, message, field)
      pos = e
      continue
    }
    switch (wire) {
      case 0: {
        const v = varint(buf, pos, end, message, field)
        if (kind === 'int32') checkInt32(v.value, message, field)
        pos = v.next
        break
      }
      case 1:
        if (pos + 8 > end) bad(message, field, 'truncated value')
        pos += 8
        break
      case 5:
        if (pos + 4 > end) bad(message, field, 'truncated value')
        pos += 4
        break
      case 2: {
        const { start: s, end: e } = lengthDelimited(buf, pos, end, message, field)
        if (kind === 'string') {
          try {
            utf8.decode(buf.subarray(s, e))
          } catch {
            bad(message, field, 'a string that is not UTF-8')
          }
        } else if (kind !== 'bytes') {
          walk(buf, s, e, kind as MessageName, depth + 1)
        }
        pos = e
        break
      }
    }
  }
}

function varint(buf: Uint8Array, pos: number, end: number, message: MessageName, field: number | undefined): { value: bigint; next: number } {
  let value = 0n
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) bad(message, field, 'truncated varint')
    const b = buf[pos + i]
    if (i === 9 && b > 1) bad(message, field, 'varint over 64 bits')
    value |= BigInt(b & 0x7f) << BigInt(7 * i)
    if (b < 0x80) return { value, next: pos + i + 1 }
  }
  return bad(message, field, 'varint over 10 bytes')
}

function checkInt32(value: bigint, message: MessageName, field: number): void {
  // int32 travels sign-extended to 64 bits; anything else is truncated differently by different parsers
  const signed = BigInt.asIntN(64, value)
  if (signed < -(2n ** 31n) || signed >= 2n ** 31n) bad(message, field, 'int32 out of range')
}

function lengthDelimited(buf: Uint8Array, pos: number, end: number, message: MessageName, field: number): { start: number; end: number } {
  const len = varint(buf, pos, end, message, field)
  if (len.value > BigInt(end - len.next)) bad(message, field, 'length past the end')
  return { start: len.next, end: len.next + Number(len.value) }
}

function checkPacked(buf: Uint8Array, start: number, end: number, kind: Scalar, message: MessageName, field: number): void {
  if (kind === 'fixed32' || kind === 'fixed64') {
    if ((end - start) % (kind === 'fixed32' ? 4 : 8) !== 0) bad(message, field, 'packed values cut short')
    return
  }
  for (let pos = start; pos < end; ) {
    const v = varint(buf, pos, end, message, field)
    if (kind === 'int32') checkInt32(v.value, message, field)
    pos = v.next
  }
}
