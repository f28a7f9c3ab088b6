/** A leveled logger for the node's services; `silent` in tests. */
export interface Logger {
  error(message: string): void
  /** Shown wherever errors are (level error and above): a condition an operator must look at. */
  warn(message: string): void
  info(message: string): void
  debug(message: string): void
}

const LEVELS = { silent: 0, error: 1, info: 2, debug: 3 } as const

export function createLogger(level: keyof typeof LEVELS, scope = 'node'): Logger {
  const n = LEVELS[level]
  const line = (tag: string, message: string) => `${new Date().toISOString()} ${tag} [${scope}] ${message}\n`
  return {
    error: (m) => n >= 1 && void process.stderr.write(line('ERROR', m)),
    warn: (m) => n >= 1 && void process.stderr.write(line('WARN ', m)),
    info: (m) => n >= 2 && void process.stdout.write(line('INFO ', m)),
    debug: (m) => n >= 3 && void process.stdout.write(line('DEBUG', m)),
  }
}
