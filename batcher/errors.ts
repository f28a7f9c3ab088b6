/** Errors shared by derivation and the modules it reads L1 with. */

/** L1 holds a batch this node cannot reproduce (its data, its frames or its results). */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError'
}
