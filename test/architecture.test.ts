/**
 * The import graph as a specification (docs/ARCHITECTURE.md "Layers and imports"): no cycle
 * between our own modules, type-only imports included (a cycle of types is the same tangle of
 * layers), and no folder reaching into another top folder's internals past its index.ts.
 * A small reader of `import … from './x.ts'` / `export … from` statements; no dependency.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '..')
const FOLDERS = ['sequencer', 'precompiles', 'batcher', 'bridge', 'validator', 'worker', 'scripts']

/** Every .ts file under the folders, by path relative to the repository. */
function sourceFiles(): string[] {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(relative(ROOT, path).split(sep).join('/'))
    }
  }
  for (const folder of FOLDERS) walk(join(ROOT, folder))
  return files.sort()
}

// statements that start a line (so JSDoc lines, which start with `*`, never match), across lines up to `from`
const STATIC_IMPORT = /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm
const BARE_IMPORT = /^[ \t]*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm

/** The relative imports of one file, resolved to repository paths (only those that are our .ts files). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const out = new Set<string>()
  for (const re of [STATIC_IMPORT, BARE_IMPORT]) {
    for (const m of text.matchAll(re)) {
      const base = join(dirname(file), m[1]).split(sep).join('/')
      const target = [base, `${base}.ts`, `${base}/index.ts`].find((p) => known.has(p))
      if (target !== undefined) out.add(target)
    }
  }
  return [...out].sort()
}

function importGraph(): Map<string, string[]> {
  const files = sourceFiles()
  const known = new Set(files)
  return new Map(files.map((f) => [f, importsOf(f, known)]))
}

/** Every elementary cycle found by a depth-first search, each reported once (from its smallest path). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>()
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next))
        const start = cycle.indexOf([...cycle].sort()[0])
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)]
        cycles.set(canonical.join(' → '), canonical)
      } else if (state.get(next) === undefined) {
        visit(next)
      }
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file)
  return [...cycles.values()]
}

const topFolder = (file: string) => file.split('/')[0]

/**
 * The folders others use as libraries. scripts/ (tools and benchmarks, like the tests) still reach
 * internals: docs/ARCHITECTURE.md "Known gaps".
 */
const LIBRARY_FOLDERS = ['sequencer', 'precompiles', 'batcher', 'bridge', 'validator', 'worker']

/**
 * The sequencer's protocol, which the services in batcher/ and bridge/ plug into: system
 * transactions (SystemSource, declared by the builder), the protocol's log index (the rows the
 * services keep) and the hash. Not behind a sequencer/index.ts, which would also have to export
 * the node that wires those services: a cycle (docs/ARCHITECTURE.md "Layers and imports").
 */
const PROTOCOL_MODULES = ['sequencer/system/system-tx.ts', 'sequencer/system/log-index.ts', 'sequencer/chain/crypto.ts']

describe('the import graph', () => {
  const graph = importGraph()

  it('reads the imports it checks', () => {
    expect(graph.size).toBeGreaterThan(100)
    expect(graph.get('sequencer/node.ts')).toContain('sequencer/store/store.ts')
  })

  it('finds a cycle when there is one, and reports each once', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
    ])
    expect(findCycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']])
  })

  it('has no cycle, type-only imports included', () => {
    const cycles = findCycles(graph).map((c) => [...c, c[0]].join(' → '))
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([])
  })

  it('reads worker/: the off-chain formats use the precompiles only through precompiles/index.ts', () => {
    expect(graph.get('worker/formats/run.ts')).toContain('precompiles/index.ts')
  })

  it('keeps sequencer/store free of the services: it imports nothing from batcher/ or bridge/', () => {
    const reached = [...graph].filter(([f]) => f.startsWith('sequencer/store/')).flatMap(([f, deps]) => deps.map((d) => `${f} → ${d}`))
    expect(reached.filter((edge) => /→ (batcher|bridge)\//.test(edge))).toEqual([])
  })

  it('keeps explorer/ (page code run in browsers) to itself: no relative import leaves the folder', () => {
    const leaving: string[] = []
    for (const name of readdirSync(join(ROOT, 'explorer')).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(ROOT, 'explorer', name), 'utf8')
      for (const re of [STATIC_IMPORT, BARE_IMPORT]) for (const m of text.matchAll(re)) if (m[1].startsWith('../')) leaving.push(`explorer/${name} → ${m[1]}`)
    }
    expect(leaving, `explorer/ imports the node's code (it runs in a browser):\n${leaving.join('\n')}`).toEqual([])
  })

  it("lets a library folder use another top folder only through that folder's index.ts", () => {
    const violations: string[] = []
    for (const [file, deps] of graph) {
      if (!LIBRARY_FOLDERS.includes(topFolder(file))) continue
      for (const dep of deps) {
        if (topFolder(dep) === topFolder(file) || dep === `${topFolder(dep)}/index.ts` || PROTOCOL_MODULES.some((p) => dep.startsWith(p))) continue
        violations.push(`${file} → ${dep}`)
      }
    }
    expect(violations, `imports past another folder's index.ts:\n${violations.join('\n')}`).toEqual([])
  })
})
