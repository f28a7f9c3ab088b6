/**
 * The explorer's page code, bundled by esbuild on the node (sequencer/rpc/explorer.ts) and run in
 * the browser: it reads which page the node served (the main element's data-page and data-arg,
 * checked by the node already) and renders it from the node's JSON-RPC and explorer API.
 */
import { addressPage, blockPage, txPage } from './chain.ts'
import { homePage } from './home.ts'
import { pageConfig, problem, render } from './lib.ts'
import { modelPage, modelsPage } from './models.ts'
import { anchorPage, batchPage } from './rollup.ts'

async function main(): Promise<void> {
  const main = document.getElementById('main')
  if (main === null) return
  const page = main.dataset.page ?? ''
  const arg = main.dataset.arg ?? ''
  const config = pageConfig()
  const pages: Record<string, () => Promise<void>> = {
    home: () => homePage(config),
    block: () => blockPage(arg),
    tx: () => txPage(arg),
    address: () => addressPage(arg),
    batch: () => batchPage(arg, config),
    anchor: () => anchorPage(arg, config),
    models: () => modelsPage(),
    model: () => modelPage(arg),
  }
  const show = pages[page]
  if (show === undefined) return // the node rendered this page itself (a problem)
  try {
    await show()
    main.dataset.ready = 'true'
  } catch (err) {
    render(problem('The node could not answer', (err as Error).message))
    main.dataset.ready = 'error'
  }
}

void main()
