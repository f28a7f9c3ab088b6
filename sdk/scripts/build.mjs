/**
 * Builds the SDK twice from one source: ESM to dist/esm (with a package.json saying "type":
 * "module") and CommonJS to dist/cjs. Two real builds rather than an ESM wrapper around the
 * CommonJS one, so that an ESM application gets viem's ESM build through the SDK too (a wrapper
 * would load viem's CommonJS copy beside the application's ESM one, and `instanceof BaseError`
 * would fail between them). The price, the "dual package hazard", only bites an application
 * that loads the SDK both ways at once.
 *
 *   node scripts/build.mjs       (npm run build, and npm pack through prepack)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const sdk = join(dirname(fileURLToPath(import.meta.url)), '..')
// typescript is the workspace root's devDependency; the SDK installs with no dependency but viem.
const tsc = createRequire(join(sdk, 'package.json')).resolve('typescript/bin/tsc')

rmSync(join(sdk, 'dist'), { recursive: true, force: true })
const build = (args) => {
  try {
    execFileSync(process.execPath, [tsc, '-p', join(sdk, 'tsconfig.json'), ...args], { stdio: 'inherit', cwd: sdk })
  } catch {
    process.exit(1) // tsc printed the errors
  }
}
build(['--outDir', 'dist/esm'])
build(['--outDir', 'dist/cjs', '--module', 'commonjs', '--moduleResolution', 'node10'])
for (const [dir, type] of [['esm', 'module'], ['cjs', 'commonjs']]) {
  mkdirSync(join(sdk, 'dist', dir), { recursive: true })
  writeFileSync(join(sdk, 'dist', dir, 'package.json'), JSON.stringify({ type }) + '\n')
}
