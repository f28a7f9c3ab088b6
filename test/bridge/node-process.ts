/**
 * An L2 node in its own process, for the kill -9 tests: the node config (JSON) is argv[2]; prints
 * `ready <url>` once it serves. Not sequencer/main.ts, so that the test can set every config field
 * (bridge timings included) without a command-line flag for each.
 */
import { startNode } from '../../sequencer/node.ts'

startNode(JSON.parse(process.argv[2]))
  .then((node) => process.stdout.write(`ready ${node.url}\n`))
  .catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
