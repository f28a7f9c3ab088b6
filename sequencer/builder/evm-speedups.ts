/**
 * Memoizes @ethereumjs/evm's jump-destination analysis per contract code. The interpreter
 * re-analyses a contract's whole bytecode on every call that jumps (8% of block building for
 * ERC-20 transfers); the result depends only on the code bytes and the opcode table, and the
 * interpreter only reads it, so it is cached per (opcode table, code) object pair. Code objects
 * come from the state manager's code cache, so a contract called again hits the cache.
 *
 * The analysis is a method of the interpreter, which the package does not export; both of its
 * builds (CommonJS for our code under tsx, ESM under vitest) are patched, once.
 */
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

type Analysis = unknown
interface InterpreterProto {
  _getValidJumpDestinations(this: { _evm: Record<string, object> }, code: Uint8Array): Analysis
  __jumpdestCache?: true
}

let installed: Promise<void> | undefined

export function installEvmSpeedups(): Promise<void> {
  installed ??= (async () => {
    const cjsDir = dirname(require.resolve('@ethereumjs/evm'))
    const cjs = require(join(cjsDir, 'interpreter.js')) as { Interpreter: { prototype: InterpreterProto } }
    patch(cjs.Interpreter.prototype)
    const esm = (await import(pathToFileURL(join(cjsDir, '..', 'esm', 'interpreter.js')).href)) as { Interpreter: { prototype: InterpreterProto } }
    patch(esm.Interpreter.prototype)
  })()
  return installed
}

function patch(proto: InterpreterProto): void {
  if (proto.__jumpdestCache === true) return
  const analyse = proto._getValidJumpDestinations
  const byOpcodeMap = new WeakMap<object, WeakMap<Uint8Array, Analysis>>()
  proto._getValidJumpDestinations = function (code) {
    const opcodeMap = this._evm._opcodeMap
    let byCode = byOpcodeMap.get(opcodeMap)
    if (byCode === undefined) byOpcodeMap.set(opcodeMap, (byCode = new WeakMap()))
    let analysis = byCode.get(code)
    if (analysis === undefined) byCode.set(code, (analysis = analyse.call(this, code)))
    return analysis
  }
  proto.__jumpdestCache = true
}
