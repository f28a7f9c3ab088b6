/**
 * The chain's own tables. One sqlite file holds everything the node acknowledged; this schema is
 * the chain's part of it: blocks, transactions, receipts, logs, the state trie's nodes, model
 * bytes, meta and the head pointers. The services declare their own tables next to their code, in
 * the same file: the anchoring queue and index (sequencer/anchoring/store.ts), withdrawals,
 * deposits and their results (bridge/store.ts), the batches seen on L1 (batcher/ledger.ts). Two
 * stores written by threads of their own have files of their own: the pool's journal
 * (sequencer/mempool/journal.ts), the aggregated-hash index (sequencer/anchoring/hash-index.ts) and
 * the explorer's address index (sequencer/store/address-index.ts).
 * SCHEMA_VERSION covers the whole file, services' tables included: bump it when any table changes
 * shape, with a step in MIGRATIONS that takes the previous version's file to it; the node refuses
 * a data dir of any other version (a table that is only added, with CREATE TABLE IF NOT EXISTS,
 * needs no bump: an older data dir simply gains it empty).
 */
export const SCHEMA_VERSION = 4

/**
 * Mined transactions in their network encoding (typed envelope or legacy RLP) with the receipt's
 * per-transaction fields; cumulative gas and log indexes are derived on read. Rows are appended
 * in block order (a rowid table); hash and position are unique indexes.
 */
const TXS_TABLE = /* sql */ `
CREATE TABLE IF NOT EXISTS txs (
  hash                BLOB NOT NULL,
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
);
CREATE UNIQUE INDEX IF NOT EXISTS txs_by_hash ON txs (hash);
CREATE UNIQUE INDEX IF NOT EXISTS txs_by_position ON txs (block_number, tx_index);
`

/**
 * Steps from one version to the next, each run in one sqlite transaction with the version's bump
 * (sequencer/store/store.ts), keyed by the version they start from.
 */
export const MIGRATIONS: Record<number, string> = {
  // 2 → 3: `txs` was a WITHOUT ROWID table keyed by hash, so every mined transaction's whole row
  // (its raw bytes included) went into a random place of the table's B-tree: 50–80 µs a
  // transaction of the block's commit on the main thread, growing with the chain. Rows now go in
  // block order, and the hash is a narrow index of its own. (TXS_TABLE is version 3's table: a
  // later version that changes it gives this step a copy of this one.)
  2: /* sql */ `
    ALTER TABLE txs RENAME TO txs_v2;
    DROP INDEX IF EXISTS txs_by_position;
    DROP INDEX IF EXISTS txs_by_hash;
    ${TXS_TABLE}
    INSERT INTO txs (hash, block_number, tx_index, raw, sender, status, gas_used, cumulative_gas_used,
      effective_gas_price, contract_address, first_log_index, log_count)
    SELECT hash, block_number, tx_index, raw, sender, status, gas_used, cumulative_gas_used,
      effective_gas_price, contract_address, first_log_index, log_count
    FROM txs_v2 ORDER BY block_number, tx_index;
    DROP TABLE txs_v2;
  `,
  // 3 → 4: the explorer's address index moved to a file and a thread of its own
  // (sequencer/store/address-index.ts), which rebuilds it from \`txs\`
  3: /* sql */ `
    DROP TABLE IF EXISTS address_txs;
    DELETE FROM meta WHERE key = 'address_index.first_block';
  `,
}

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

${TXS_TABLE}

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
`
