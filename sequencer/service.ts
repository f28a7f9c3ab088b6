/**
 * The shape every long-running part of the node takes (docs/ARCHITECTURE.md §1 "Service shape"):
 * created from its own config and the narrow interfaces it declares, then started and stopped by
 * node.ts, and asked for its health. Declared here, by the node that runs them; the services
 * (also those in batcher/ and bridge/) match it structurally without importing it.
 */

/** One service's answer to "are you working?". */
export interface ServiceHealth {
  name: string
  /** false: the service stopped or cannot do its work (a critical L1 failure, a closed server). */
  ok: boolean
  /** One line for an operator: what it is doing, or why it is not ok. */
  detail?: string
}

export interface Service {
  /** Short and stable: log prefixes, health entries, start-up errors. */
  readonly name: string
  /** Begins the service's work (a loop, a listening socket); called once, in wiring order. */
  start(): void | Promise<void>
  /**
   * Ends its work and releases what it holds; called once, in reverse order, also after a failed
   * start (its own or a later one's), so it must be safe on a service that never got going.
   */
  stop(): void | Promise<void>
  health(): ServiceHealth
}

/**
 * The services of one node, in start order. `start` is a named step: it hands the service's stop
 * to the node's clean-up first (so stops interleave, in reverse, with the node's other resources,
 * and run also when this start fails), then starts it; a failure names the service.
 */
export class Services {
  private readonly started: Service[] = []

  constructor(private readonly cleanup: (stop: () => Promise<void>) => void) {}

  async start(service: Service): Promise<void> {
    this.cleanup(async () => {
      await service.stop()
    })
    this.started.push(service)
    try {
      await service.start()
    } catch (err) {
      throw new Error(`${service.name} failed to start: ${(err as Error).message}`, { cause: err })
    }
  }

  health(): ServiceHealth[] {
    return this.started.map((s) => s.health())
  }
}
