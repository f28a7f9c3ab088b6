import { describe, expect, it } from 'vitest';
import {
  assertMatchesSpec,
  assertMatchesSpecSchema,
  specExamples,
  specMethods,
  specSchemaNames,
  validateSpecResult,
  validateSpecSchema,
} from './spec';

type Json = Record<string, unknown>;

/**
 * Upstream examples (execution-apis @ 033ca6e6) whose result value does NOT validate against the
 * method's own result schema. Each entry says why and how to correct it; the test checks that
 * the example still fails (so we notice when upstream fixes it) and that the corrected value
 * passes (so the failure is exactly the stated one and not a ref-resolution problem on our side).
 */
const KNOWN_BAD_EXAMPLES: Record<string, { why: string; fix: (v: unknown) => unknown }> = {
  // The FeeHistoryResult schema requires `oldestBlock` (additionalProperties: false); the example says `oldestblock`.
  eth_feeHistory: {
    why: 'key `oldestblock` instead of `oldestBlock`',
    fix: (v) => {
      const { oldestblock, ...rest } = v as Json;
      return { oldestBlock: oldestblock, ...rest };
    },
  },
  // Filter ids are `uint`, which forbids leading zeros; the examples return '0x01'.
  eth_newFilter: { why: "'0x01' has a leading zero (uint)", fix: () => '0x1' },
  eth_newBlockFilter: { why: "'0x01' has a leading zero (uint)", fix: () => '0x1' },
  eth_newPendingTransactionFilter: { why: "'0x01' has a leading zero (uint)", fix: () => '0x1' },
  // The example tx hash has 63 hex digits; hash32 needs 64.
  eth_sendTransaction: { why: 'hash has 63 hex digits', fix: (v) => `0x0${(v as string).slice(2)}` },
  eth_sendRawTransaction: { why: 'hash has 63 hex digits', fix: (v) => `0x0${(v as string).slice(2)}` },
  // TransactionInfo requires `blockTimestamp` (context part) and every TransactionSigned variant
  // requires `type`; the (legacy) example transaction has neither.
  eth_getTransactionByHash: { why: 'missing `type` and `blockTimestamp`', fix: fixLegacyTx },
  eth_getTransactionByBlockHashAndIndex: { why: 'missing `type` and `blockTimestamp`', fix: fixLegacyTx },
  eth_getTransactionByBlockNumberAndIndex: { why: 'missing `type` and `blockTimestamp`', fix: fixLegacyTx },
};

function fixLegacyTx(v: unknown): unknown {
  return { ...(v as Json), type: '0x0', blockTimestamp: '0x5835c54d' };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function exampleResult(method: string): unknown {
  const ex = specExamples(method).find((e) => e.hasResult);
  if (!ex) throw new Error(`no example with a result for ${method}`);
  return clone(ex.result);
}

const HASH = `0x${'ab'.repeat(32)}`;
const ADDR = `0x${'12'.repeat(20)}`;

function tx1559(): Json {
  return {
    blockHash: HASH,
    blockNumber: '0x68b3',
    blockTimestamp: '0x5835c54d',
    from: ADDR,
    hash: HASH,
    transactionIndex: '0x0',
    type: '0x2',
    nonce: '0x0',
    to: ADDR,
    gas: '0x5208',
    value: '0x1',
    input: '0x',
    maxPriorityFeePerGas: '0x1',
    maxFeePerGas: '0x2',
    gasPrice: '0x2',
    accessList: [],
    chainId: '0x1',
    yParity: '0x1',
    v: '0x1',
    r: '0x1',
    s: '0x2',
  };
}

function txLegacy(): Json {
  return {
    blockHash: HASH,
    blockNumber: '0x68b3',
    blockTimestamp: '0x5835c54d',
    from: ADDR,
    hash: HASH,
    transactionIndex: '0x0',
    type: '0x0',
    nonce: '0x0',
    to: ADDR,
    gas: '0x5208',
    value: '0x1',
    input: '0x',
    gasPrice: '0x2',
    chainId: '0x1',
    v: '0x25',
    r: '0x1',
    s: '0x2',
  };
}

describe('execution-apis spec validator', () => {
  it('lists the spec methods and component schemas', () => {
    const methods = specMethods();
    expect(methods.length).toBeGreaterThanOrEqual(40);
    for (const m of ['eth_blockNumber', 'eth_getBlockByNumber', 'eth_getTransactionReceipt', 'eth_call', 'eth_chainId']) {
      expect(methods).toContain(m);
    }
    expect(specSchemaNames()).toEqual(expect.arrayContaining(['Block', 'ReceiptInfo', 'TransactionInfo', 'uint', 'hash32']));
  });

  it('compiles every method result schema and every component schema', () => {
    for (const m of specMethods()) expect(() => validateSpecResult(m, null)).not.toThrow();
    for (const n of specSchemaNames()) expect(() => validateSpecSchema(n, null)).not.toThrow();
  });

  const examples = specExamples().filter((e) => e.hasResult);
  const good = examples.filter((e) => !(e.method in KNOWN_BAD_EXAMPLES));
  const bad = examples.filter((e) => e.method in KNOWN_BAD_EXAMPLES);

  it('has examples to check', () => {
    expect(good.length).toBeGreaterThanOrEqual(30);
    // every known exception must still exist in the spec
    for (const m of Object.keys(KNOWN_BAD_EXAMPLES)) expect(bad.map((e) => e.method)).toContain(m);
  });

  it.each(good.map((e) => [e.method, e.name, e.result] as const))('example of %s (%s) matches its result schema', (method, _name, result) => {
    assertMatchesSpec(method, result);
    // upstream examples use only declared fields
    assertMatchesSpec(method, result, { noExtraFields: true });
  });

  it.each(bad.map((e) => [e.method, e.name, e.result] as const))(
    'known-bad upstream example of %s (%s) fails, and passes once corrected',
    (method, _name, result) => {
      const { why, fix } = KNOWN_BAD_EXAMPLES[method];
      expect(validateSpecResult(method, result), `expected upstream example to fail (${why}); fixed upstream?`).not.toBeNull();
      assertMatchesSpec(method, fix(clone(result)), { noExtraFields: true });
    },
  );

  it('rejects a uint with a leading zero (eth_blockNumber 0x01)', () => {
    expect(() => assertMatchesSpec('eth_blockNumber', '0x1')).not.toThrow();
    expect(() => assertMatchesSpec('eth_blockNumber', '0x0')).not.toThrow();
    expect(() => assertMatchesSpec('eth_blockNumber', '0x01')).toThrow(/eth_blockNumber[\s\S]*must match pattern[\s\S]*"0x01"/);
    expect(() => assertMatchesSpec('eth_blockNumber', 1)).toThrow(/must be string/);
    expect(() => assertMatchesSpec('eth_blockNumber', '0xABC')).toThrow(/pattern/);
  });

  it('rejects a block without `hash` and points at the missing property', () => {
    const block = exampleResult('eth_getBlockByNumber') as Json;
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block)).not.toThrow();
    expect(() => assertMatchesSpec('eth_getBlockByNumber', null)).not.toThrow(); // notFound branch
    delete block.hash;
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block)).toThrow(/eth_getBlockByNumber result[\s\S]*required property 'hash'/);
    expect(validateSpecSchema('Block', block)?.some((e) => e.keyword === 'required' && e.params.missingProperty === 'hash')).toBe(true);
  });

  it('reports nested errors with their instance path', () => {
    const block = exampleResult('eth_getBlockByNumber') as Json;
    (block.withdrawals as Json[])[0].amount = '0x0011';
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block)).toThrow(/at \/withdrawals\/0\/amount: must match pattern/);
    const hydrated = exampleResult('eth_getBlockByNumber') as Json;
    const tx = tx1559();
    delete tx.maxFeePerGas;
    hydrated.transactions = [tx];
    expect(() => assertMatchesSpec('eth_getBlockByNumber', hydrated)).toThrow(
      /at \/transactions\/0: must have required property 'maxFeePerGas'/,
    );
  });

  it('accepts extra fields by default (as the spec does) but rejects them with noExtraFields', () => {
    const block = { ...(exampleResult('eth_getBlockByNumber') as Json), foo: '0x1' };
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block)).not.toThrow();
    expect(validateSpecSchema('Block', block)).toBeNull();
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block, { noExtraFields: true })).toThrow(/at \/foo: must NOT have property "foo"/);
    expect(validateSpecSchema('Block', block, { noExtraFields: true })?.[0]).toMatchObject({
      instancePath: '/foo',
      keyword: 'noExtraFields',
      params: { additionalProperty: 'foo' },
    });
    expect(() => assertMatchesSpecSchema('Block', block, { noExtraFields: true })).toThrow(/"foo"/);
  });

  it('noExtraFields merges allOf parts and uses only the oneOf branch that validated', () => {
    // TransactionInfo = allOf [context fields, TransactionSigned = oneOf [...allOf [unsigned, signature]]]
    expect(() => assertMatchesSpec('eth_getTransactionByHash', tx1559(), { noExtraFields: true })).not.toThrow();
    expect(() => assertMatchesSpec('eth_getTransactionByHash', txLegacy(), { noExtraFields: true })).not.toThrow();
    // accessList is declared by the 1559/2930 variants but not by the legacy one that validated
    const legacyWithAccessList = { ...txLegacy(), accessList: [] };
    expect(() => assertMatchesSpec('eth_getTransactionByHash', legacyWithAccessList)).not.toThrow();
    expect(() => assertMatchesSpec('eth_getTransactionByHash', legacyWithAccessList, { noExtraFields: true })).toThrow(/"accessList"/);
    // typo inside a hydrated transaction of a block
    const block = exampleResult('eth_getBlockByNumber') as Json;
    block.transactions = [{ ...tx1559(), blockNumbr: '0x1' }];
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block)).not.toThrow();
    expect(() => assertMatchesSpec('eth_getBlockByNumber', block, { noExtraFields: true })).toThrow(/at \/transactions\/0\/blockNumbr/);
  });

  it('validates single components', () => {
    const receipts = exampleResult('eth_getBlockReceipts') as Json[];
    expect(validateSpecSchema('ReceiptInfo', receipts[0])).toBeNull();
    // ReceiptInfo itself says additionalProperties: false
    expect(validateSpecSchema('ReceiptInfo', { ...receipts[0], gasUsd: '0x1' })).not.toBeNull();
    expect(validateSpecSchema('uint', '0x10')).toBeNull();
    expect(validateSpecSchema('uint', '0x010')).not.toBeNull();
    expect(validateSpecSchema('hash32', HASH)).toBeNull();
    expect(validateSpecSchema('address', ADDR)).toBeNull();
  });

  it('throws clearly for unknown methods and schemas', () => {
    expect(() => assertMatchesSpec('eth_noSuchMethod', '0x1')).toThrow(/eth_noSuchMethod.*not in the execution-apis spec/);
    expect(() => validateSpecResult('eth_noSuchMethod', '0x1')).toThrow(/not in the execution-apis spec/);
    expect(() => validateSpecSchema('NoSuchSchema', {})).toThrow(/unknown component schema "NoSuchSchema"/);
  });
});
