/**
 * The sqlite schema. One file holds everything the node acknowledged: blocks, transactions,
 * receipts, logs, the state trie's nodes, the head pointers, the mempool journal, the anchoring
 * queue and index, the batches seen on L1, and the bridge's deposits.
 * Bump SCHEMA_VERSION when a table changes shape; the node refuses a data dir of another version
 * (a table that is only added, with CREATE TABLE IF NOT EXISTS, needs no bump: an older data dir
 * simply gains it empty).
 */
export const SCHEMA_VERSION = 2

export const SCHEMA = /* sql */ `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- one row per sealed block; header is the RLP the hash commits to
CREATE TABLE IF NOT EXISTS blocks (
  number   INTEGER PRIMARY KEY,
  hash     BLOB NOT NULL UNIQUE,
  header   BLOB NOT NULL,
  size     INTEGER NOT NULL,
  tx_count INTEGER NOT NULL
);

-- mined transactions in their network encoding (typed envelope or legacy RLP) with the
-- receipt's per-transaction fields; cumulative gas and log indexes are derived on read
CREATE TABLE IF NOT EXISTS txs (
  hash                BLOB PRIMARY KEY,
  block_number        INTEGER NOT NULL,
  tx_index            INTEGER NOT NULL,
  raw                 BLOB NOT NULL,
  sender              BLOB NOT NULL,
  status              INTEGER NOT NULL,
  gas_used            INTEGER NOT NULL,
  cumulative_gas_used INTEGER NOT NULL,
  effective_gas_price TEXT NOT NULL,
  contract_address    BLOB,
  first_log_index     INTEGER NOT NULL,
  log_count           INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS txs_by_position ON txs (block_number, tx_index);

CREATE TABLE IF NOT EXISTS logs (
  block_number INTEGER NOT NULL,
  log_index    INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  address      BLOB NOT NULL,
  topic0       BLOB,
  topic1       BLOB,
  topic2       BLOB,
  topic3       BLOB,
  data         BLOB NOT NULL,
  PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_by_address ON logs (address, block_number);
CREATE INDEX IF NOT EXISTS logs_by_topic0 ON logs (topic0, block_number);

-- content-addressed trie nodes and contract code (archive: never deleted)
CREATE TABLE IF NOT EXISTS trie_nodes (
  key   BLOB PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

-- ONNX model bytes by keccak256(bytes), kept when a registration's analysis succeeds; rebuilt by
-- replaying the registrations (the bytes travel in their calldata)
CREATE TABLE IF NOT EXISTS models (
  id    BLOB PRIMARY KEY,
  bytes BLOB NOT NULL
) WITHOUT ROWID;

-- transactions the pool accepted and has not yet seen mined; replayed into the pool at start
-- (arrived_at, unix ms, lets a queued transaction's lifetime run across restarts; NULL in rows
-- written before the column existed)
CREATE TABLE IF NOT EXISTS mempool (
  hash BLOB PRIMARY KEY,
  raw  BLOB NOT NULL,
  arrived_at INTEGER
) WITHOUT ROWID;

-- data hashes accepted over HTTP and not yet in a block (acknowledged, so durable); a hash leaves
-- the queue in the sqlite transaction of the block that anchors it
CREATE TABLE IF NOT EXISTS anchor_queue (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  hash        BLOB NOT NULL UNIQUE,
  received_at INTEGER NOT NULL
);

-- every Anchored event of the DataAnchor predeploy, derived from the block's logs when it is sealed
CREATE TABLE IF NOT EXISTS anchors (
  block_number INTEGER NOT NULL,
  log_index    INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  hash         BLOB NOT NULL,
  submitter    BLOB NOT NULL,
  PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS anchors_by_hash ON anchors (hash, block_number);

-- every L2 withdrawal (L2Bridge WithdrawalInitiated), derived from the block's logs when sealed
CREATE TABLE IF NOT EXISTS withdrawals (
  block_number    INTEGER NOT NULL,
  log_index       INTEGER NOT NULL,
  tx_index        INTEGER NOT NULL,
  withdrawal_hash BLOB NOT NULL,
  PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS withdrawals_by_hash ON withdrawals (withdrawal_hash);

-- batches as RollupAnchor records them on L1 (the batcher's mirror; rows past an L1 reorg are deleted)
CREATE TABLE IF NOT EXISTS l1_batches (
  batch_index      INTEGER PRIMARY KEY,
  first_block      INTEGER NOT NULL,
  last_block       INTEGER NOT NULL,
  state_root       BLOB NOT NULL,
  block_hash       BLOB NOT NULL,
  withdrawal_root  BLOB NOT NULL,
  anchor_root      BLOB NOT NULL,
  data_hash        BLOB NOT NULL,
  l1_tx_hash       BLOB NOT NULL,
  l1_block_number  INTEGER NOT NULL,
  submitted_at     INTEGER NOT NULL,
  challenge_window INTEGER NOT NULL,
  data_bytes       INTEGER NOT NULL,
  l2_tx_count      INTEGER NOT NULL,
  l1_gas_used      INTEGER NOT NULL,
  l1_fee           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS l1_batches_by_last_block ON l1_batches (last_block);

-- L1Bridge DepositInitiated events the deposit watcher read once they had their confirmations,
-- by deposit nonce (contiguous from 0); written in the same sqlite transaction that moves the L1
-- cursor (meta bridge.cursor) past them, so a restart neither re-reads nor skips one. A deposit is
-- pending while deposit_results has no row for its nonce.
CREATE TABLE IF NOT EXISTS deposits (
  nonce           INTEGER PRIMARY KEY,
  l1_token        BLOB NOT NULL,
  sender          BLOB NOT NULL,
  recipient       BLOB NOT NULL,
  amount          TEXT NOT NULL,
  metadata        BLOB NOT NULL,
  l1_block_number INTEGER NOT NULL,
  l1_block_hash   BLOB NOT NULL,
  l1_tx_hash      BLOB NOT NULL,
  l1_log_index    INTEGER NOT NULL
);

-- what the L2 made of each deposit, derived from the sealed block (so a rebuilt node derives the
-- same rows) and written in its sqlite transaction: status 1 = included (L2Bridge DepositFinalized
-- log), 0 = failed (the system transaction calling finalizeDeposit reverted)
CREATE TABLE IF NOT EXISTS deposit_results (
  nonce        INTEGER PRIMARY KEY,
  block_number INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  status       INTEGER NOT NULL,
  l2_token     BLOB
);
CREATE INDEX IF NOT EXISTS deposit_results_by_status ON deposit_results (status, nonce);
`
