/**
 * Who owns a data directory, and whether that owner is provably gone.
 *
 * A pid alone does not identify a process: after the owner dies the kernel may hand its pid to
 * any new process. A process is therefore named by its pid and its start time (on Linux the
 * `starttime` field of /proc/<pid>/stat, clock ticks since boot; elsewhere `ps -o lstart=`), and an
 * owner counts as dead only when no process has that pid, or the process that has it started at
 * another time (the pid was reused). When the start time cannot be read the owner counts as alive:
 * we never act on a guess.
 *
 * `acquireLock` creates the lock file atomically (written to a private file, then hard-linked to
 * its name, which fails if the name exists), so a reader never sees a half-written lock and two
 * starts cannot both take a free lock.
 */
import { spawnSync } from 'node:child_process'
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

/** A process as the lock records it: pid plus start time, so a reused pid is told apart. */
export interface ProcessIdentity {
  pid: number
  /** Opaque start time of the process (see processStartTime). */
  startTime: string
}

/** The start time of `pid`, or undefined when there is no such process (or it cannot be read). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const startTime = fields[19] // field 22 of proc(5), the 20th after comm
    return startTime === undefined || startTime === '' ? undefined : startTime
  } catch {
    if (process.platform === 'linux') return undefined
    const ps = spawnSync('ps', ['-p', String(pid), '-o', 'lstart='], { encoding: 'utf8' })
    const out = ps.status === 0 ? ps.stdout.trim() : ''
    return out === '' ? undefined : out
  }
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? '' }
}

/** True unless `owner` is provably gone: its pid is free, or held by a process started at another time. */
export function ownerAlive(owner: ProcessIdentity): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    // ESRCH: no such process. EPERM: it exists (another user's): alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const now = processStartTime(owner.pid)
  if (now === undefined || owner.startTime === '') return true
  return now === owner.startTime
}

export type LockResult<T> =
  | { acquired: true; release(): void; staleOwner?: T & ProcessIdentity }
  | { acquired: false; owner: T & ProcessIdentity }

/**
 * Takes the lock file at `path` for this process, recording `info` with its identity. If a live
 * owner holds it, nothing is changed and the owner's record is returned. A lock whose owner is
 * provably dead (or that cannot be parsed) is replaced; `staleOwner` then names the dead owner.
 */
export function acquireLock<T extends object>(path: string, info: T): LockResult<T> {
  const record = { ...info, ...selfIdentity(), startedAt: new Date().toISOString() }
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n')
  let staleOwner: (T & ProcessIdentity) | undefined
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path)
        return { acquired: true, release: () => releaseLock(path), ...(staleOwner !== undefined && { staleOwner }) }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const owner = readLock<T>(path)
      if (owner !== undefined && ownerAlive(owner)) return { acquired: false, owner }
      staleOwner = owner
      rmSync(path, { force: true })
    }
    throw new Error(`could not take the lock ${path}: another process keeps replacing it`)
  } finally {
    rmSync(tmp, { force: true })
  }
}

/** The lock's record, or undefined when there is none or it is not a lock this module wrote. */
export function readLock<T extends object>(path: string): (T & ProcessIdentity) | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as T & ProcessIdentity
    return typeof parsed.pid === 'number' && typeof parsed.startTime === 'string' ? parsed : undefined
  } catch {
    return undefined
  }
}

/** Removes the lock at `path` if this process holds it (never another owner's). */
export function releaseLock(path: string): void {
  const owner = readLock<object>(path)
  if (owner !== undefined && owner.pid === process.pid && owner.startTime === selfIdentity().startTime) rmSync(path, { force: true })
}
