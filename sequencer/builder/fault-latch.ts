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
  /** The state manager to give the VM: the target itself underneath, every method call watched. */
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
  const rethrow = (err: unknown) => {
    trip(err)
    throw err
  }
  // The VM's view: an object whose prototype is the target, so every field reads through to it,
  // with an own wrapper for each of the target's methods. (A Proxy did the same and cost a trap
  // on every property read of the hottest object in execution.) The wrapper looks the method up
  // on the target at each call, so a method a test replaces on the target is the one called.
  // The VM never assigns to its state manager (only a shallow copy's `common`, on the copy).
  const state = Object.create(target) as MerkleStateManager
  for (const key of methodNames(target)) {
    Object.defineProperty(state, key, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        let result: unknown
        try {
          latch.beforeCall?.(String(key))
          result = (target as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[key](...args)
        } catch (err) {
          rethrow(err)
        }
        return result instanceof Promise ? result.catch(rethrow) : result
      },
    })
  }
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

/** Every method name on `obj` and its prototypes (Object's own excepted), constructor excluded. */
function methodNames(obj: object): Set<PropertyKey> {
  const names = new Set<PropertyKey>()
  for (let o: object | null = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Reflect.ownKeys(o)) {
      if (key === 'constructor') continue
      const desc = Object.getOwnPropertyDescriptor(o, key)
      if (desc !== undefined && typeof desc.value === 'function') names.add(key)
    }
  }
  return names
}
