// Entry of a call worker thread. The node runs TypeScript through tsx (npm start, tsx sequencer/main.ts)
// or vitest; neither reaches into a worker thread, so the worker registers tsx itself and then loads
// its real entry (workerData.entry, sequencer/calls/worker.ts).
const { workerData } = require('node:worker_threads')
require('tsx/cjs/api').register()
require(workerData.entry)
