/**
 * A fault latch around the block builder's state manager. @ethereumjs catches some exceptions of
 * the state layer and turns them into an ordinary failure of the EVM frame (a value transfer's
 * balance update, `_addToBalance` / `_reduceSenderBalance` in evm.ts, catches everything): the
 * transaction would then be sealed as failed on this node while a node without the fault
 * computes it as successful, and the chain would fork. So every exception the state manager
 * throws is latched on its way out, whoever catches it later, and the builder treats a
 * transaction during which the latch tripped as one that threw: it is rolled back and left out.
 *
 * The state manager never throws in normal operation (a missing trie node or a failing disk is a
 * fault, not an outcome of the transaction), so a tripped latch always means "do not seal this".
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'

export interface FaultLatch {
  /** The state manager to give the VM: the same object, every method call watched. */
  state: MerkleStateManager
  /** The first fault since the last reset, if any. */
  tripped(): unknown
  /** Records a fault found elsewhere (a precompile's own store failing: precompiles/runtime.ts). */
  trip(err: unknown): void
  reset(): void
  /** Test seam: called with the method's name before each call the VM makes; a throw is a fault there. */
  beforeCall?: (method: string) => void
}

export function createFaultLatch(target: MerkleStateManager): FaultLatch {
  let fault: unknown
  const trip = (err: unknown) => {
    fault ??= err ?? new Error('state manager fault')
  }
  /** Wrapped methods, recreated when the target's method changes (a test may replace one). */
  const wrapped = new Map<PropertyKey, { fn: (...args: unknown[]) => unknown; wrapper: (...args: unknown[]) => unknown }>()
  const state = new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver)
      if (typeof value !== 'function' || key === 'constructor') return value
      const cached = wrapped.get(key)
      if (cached !== undefined && cached.fn === value) return cached.wrapper
      const fn = value as (...args: unknown[]) => unknown
      const wrapper = (...args: unknown[]) => {
        let result: unknown
        try {
          latch.beforeCall?.(String(key))
          result = fn.apply(obj, args)
        } catch (err) {
          trip(err)
          throw err
        }
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            trip(err)
            throw err
          })
        }
        return result
      }
      wrapped.set(key, { fn, wrapper })
      return wrapper
    },
  })
  const latch: FaultLatch = {
    state,
    tripped: () => fault,
    trip,
    reset: () => {
      fault = undefined
    },
  }
  return latch
}
