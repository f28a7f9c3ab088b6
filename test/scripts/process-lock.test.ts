import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireLock, ownerAlive, processStartTime, readLock, selfIdentity } from '../../scripts/lib/process-lock.ts'
import { tempDir } from '../helpers/l1.ts'

const dir = tempDir('lock-test-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The pid of a process that has exited (and been reaped): a dead owner. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

describe('process identity', () => {
  it('reads a start time for a live process and none for a dead one', async () => {
    expect(processStartTime(process.pid)).toMatch(/\S/)
    expect(ownerAlive(selfIdentity())).toBe(true)
    expect(processStartTime(await deadPid())).toBeUndefined()
  })

  it('counts an owner dead when its pid now belongs to a process started at another time (pid reuse)', () => {
    expect(ownerAlive({ pid: process.pid, startTime: '1' })).toBe(false)
  })
})

describe('acquireLock', () => {
  it('refuses a lock held by a live owner and leaves it as it was', () => {
    const path = join(dir, 'live.lock')
    const first = acquireLock(path, { l2Port: 9545 })
    expect(first.acquired).toBe(true)
    const before = readFileSync(path, 'utf8')
    const second = acquireLock(path, { l2Port: 1234 })
    expect(second.acquired).toBe(false)
    if (!second.acquired) expect(second.owner).toMatchObject({ pid: process.pid, l2Port: 9545 })
    expect(readFileSync(path, 'utf8')).toBe(before)
    if (first.acquired) first.release()
    expect(existsSync(path)).toBe(false)
  })

  it('takes over a lock whose owner is gone, or whose pid was reused', async () => {
    for (const owner of [{ pid: await deadPid(), startTime: '12345' }, { pid: process.pid, startTime: '1' }]) {
      const path = join(dir, `stale-${owner.startTime}.lock`)
      writeFileSync(path, JSON.stringify({ ...owner, l2Port: 9545 }))
      const lock = acquireLock(path, { l2Port: 9600 })
      expect(lock.acquired).toBe(true)
      if (lock.acquired) expect(lock.staleOwner?.pid).toBe(owner.pid)
      expect(readLock<{ l2Port: number }>(path)).toMatchObject({ ...selfIdentity(), l2Port: 9600 })
    }
  })

  it('release() never removes another owner’s lock', () => {
    const path = join(dir, 'other.lock')
    writeFileSync(path, JSON.stringify({ pid: 1, startTime: processStartTime(1) ?? '' }))
    const lock = acquireLock(path, {})
    expect(lock.acquired).toBe(false) // pid 1 is alive
    const mine = acquireLock(join(dir, 'mine.lock'), {})
    expect(mine.acquired).toBe(true)
    writeFileSync(join(dir, 'mine.lock'), JSON.stringify({ pid: 1, startTime: '' })) // replaced behind our back
    if (mine.acquired) mine.release()
    expect(existsSync(join(dir, 'mine.lock'))).toBe(true)
  })
})
