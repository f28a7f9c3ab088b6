/**
 * Why a model is refused. The reason travels to the registering caller as the revert reason, so
 * it is short, specific and the same on every node (a pure function of the model bytes).
 */
export class ModelValidationError extends Error {
  override readonly name = 'ModelValidationError'

  constructor(readonly reason: string) {
    super(`invalid model: ${reason}`)
  }
}
