/**
 * The @ethereumjs packages ship two builds, and a patch to their internals must reach both: the
 * CommonJS one the node loads under tsx, and the ES module one vitest loads (evm-speedups.ts,
 * storage-write-fix.ts).
 */
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** `file` (a path under the package's build directory) of `pkg`, as [CommonJS module, ES module]. */
export async function bothBuilds<T>(pkg: string, file: string): Promise<[T, T]> {
  const cjsDir = dirname(require.resolve(pkg))
  const cjs = require(join(cjsDir, file)) as T
  const esm = (await import(pathToFileURL(join(cjsDir, '..', 'esm', file)).href)) as T
  return [cjs, esm]
}
