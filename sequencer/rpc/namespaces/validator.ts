import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'

/** What the validator's methods need (declared here; node.ts gives the validator service and its store). */
export interface ValidatorView {
  status(): unknown
  /** What this validator signed for a batch index: { batchIndex, batchKey, commitment, signature, signer, attestTx } or undefined. */
  attestation(batchIndex: number): unknown
}

/**
 * The validator namespace (null on a node that is not a validator):
 *   validator_getStatus       address, stake, last attested batch, attestations and votes kept,
 *                             challenges opened, L1 health, last error
 *   validator_getAttestation  the EIP-712 signature this validator made for a batch index: anyone
 *                             may collect several and submit them in one ValidatorSet.attest call
 */
export function validatorMethods(view: ValidatorView | undefined): MethodTable {
  return {
    validator_getStatus: method([], () => view?.status() ?? null),
    validator_getAttestation: method([p.smallQuantity], (index) => view?.attestation(index) ?? null),
  }
}
