// Entry of an inference thread. The worker runs TypeScript through tsx (npm run worker) or vitest;
// neither reaches into a worker thread, so the thread registers tsx itself and then loads its real
// entry (workerData.entry, worker/inference-thread.ts), as sequencer/calls/worker-boot.cjs does.
const { workerData } = require('node:worker_threads')
require('tsx/cjs/api').register()
require(workerData.entry)
