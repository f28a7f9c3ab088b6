/**
 * `@ai-rollup/sdk/node`: what needs Node's file system, kept out of the main entry so that the
 * SDK bundles for browsers.
 */
import { readFileSync } from 'node:fs'
import { parseDeployments, type L1Deployments } from './deployments.js'
import { DeploymentsFileError } from './errors.js'

/** Where the devnet (`npm start`) writes its deployments file, relative to the repository. */
export const DEVNET_DEPLOYMENTS_PATH = 'data/l1/deployments.json'

/**
 * Reads and checks a deployments file (see parseDeployments).
 * @throws DeploymentsFileError naming the file and the field.
 * @example
 * const { rollupAnchor, l1Bridge } = readDeployments('data/l1/deployments.json')
 */
export function readDeployments(path: string): L1Deployments {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DeploymentsFileError(path, undefined, code === 'ENOENT' ? 'no such file; deploy the L1 contracts with `npm run deploy:l1 -- … --out <file>`' : `cannot be read (${code ?? String(error)})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new DeploymentsFileError(path, undefined, `is not JSON (${(error as Error).message})`)
  }
  return parseDeployments(json, path)
}
