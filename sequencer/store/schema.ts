/**
 * The chain's own tables. One sqlite file holds everything the node acknowledged; this schema is
 * the chain's part of it: blocks, transactions, receipts, logs, the state trie's nodes, model
 * bytes, meta and the head pointers. The services declare their own tables next to their code, in
 * the same file: the anchoring queue and index (sequencer/anchoring/store.ts), withdrawals,
 * deposits and their results (bridge/store.ts), the batches seen on L1 (batcher/ledger.ts). Two
 * stores written by threads of their own have files of their own: the pool's journal
 * (sequencer/mempool/journal.ts) and the aggregated-hash index (sequencer/anchoring/hash-index.ts).
 * SCHEMA_VERSION covers the whole file, services' tables included: bump it when any table changes
 * shape; the node refuses a data dir of another version (a table that is only added, with CREATE
 * TABLE IF NOT EXISTS, needs no bump: an older data dir simply gains it empty).
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

-- which transactions touch an address (its sender, its recipient, the contract it created): the
-- explorer's address page (sequencer/rpc/explorer.ts), written with the block; blocks sealed before
-- the table existed are not in it (meta address_index.first_block says from where it is complete)
CREATE TABLE IF NOT EXISTS address_txs (
  address      BLOB NOT NULL,
  block_number INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  PRIMARY KEY (address, block_number, tx_index)
) WITHOUT ROWID;
`
