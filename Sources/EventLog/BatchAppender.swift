import LMDB
import StrictJSON

/// Appends the events of one batch inside one write transaction: assigns seq, version
/// and recordedAt, checks idempotency and `expectedVersion`, chains the hashes.
///
/// Nothing is visible to others until the transaction commits; a thrown rejection
/// aborts the transaction and so the whole batch.
public struct BatchAppender {
    public let txn: Transaction
    public let tables: LogTables
    public private(set) var lastSeq: UInt64
    /// Chains the records' hashes behind the appends (see `ChainHasher`).
    private let chain: ChainHasher
    /// The ledger's clock for this batch: one UTC instant, never before an earlier batch's.
    public let recordedAt: String
    public private(set) var appended = 0
    public private(set) var skipped = 0
    /// The streams this batch appends to: each one's version now, and the seqs of its new
    /// versions, written to the stream index by `finish()` in key order (stream, then
    /// version) rather than one put per event at a different place in the index.
    private var streams: [Key: StreamAppends] = [:]

    /// The stream of the last appended event and where it sits in `streams`.
    private var lastStream: (key: Key, index: Dictionary<Key, StreamAppends>.Index)?

    private struct StreamAppends {
        /// The stream's version before the batch.
        let base: UInt64
        var seqs: [UInt64] = []
        var version: UInt64 { base + UInt64(seqs.count) }
    }

    /// What became of one event.
    public enum Outcome {
        /// Recorded at this seq, as this version of its stream.
        case appended(seq: UInt64, version: UInt64)
        /// Already in the store with identical content, at this seq.
        case skipped(UInt64)
    }

    public init(txn: Transaction, tables: LogTables, now: String) throws {
        self.txn = txn
        self.tables = tables
        let reader = LogReader(txn: txn, tables: tables)
        lastSeq = try reader.lastSeq()
        let lastHash = try reader.lastHash()
        guard lastHash.count == 32 else {
            throw Rejection("store-damaged", "the log's last hash has \(lastHash.count) bytes, not 32")
        }
        chain = ChainHasher(head: ChainHash(lastHash), nextSeq: lastSeq + 1, background: txn.isWriteMap)
        let previous = try reader.metaString("lastRecordedAt") ?? ""
        // Monotone recording time, so "recorded before T" is always a prefix of the log.
        recordedAt = now.bytesPrecede(previous) ? previous : now
        if lastSeq == 0 {
            try txn.put(tables.meta, key: Array("format".utf8), value: Array(LogTables.format.utf8))
        }
    }

    public mutating func append(_ event: Envelope) throws -> Outcome {
        let reader = LogReader(txn: txn, tables: tables)
        let seq = lastSeq + 1
        // Keys and the hash are built on the stack: this runs once per event.
        let seqKey = seq.bigEndian
        // The id is claimed first, in the search that finds a retry: a rejection later
        // aborts the whole batch, the claim with it.
        if let existing = try withUnsafeBytes(of: seqKey, { seqKey in try claimId(event.id, seqKey: seqKey) }) {
            // The stored form only: the record's hashes may be being written (`ChainHasher`).
            guard let same = try reader.withStoredCanonical(seq: existing, { stored in
                event.canonical.withUnsafeBytes { $0.elementsEqual(stored) }
            }) else {
                throw Rejection("store-damaged", "event id \(event.id) points to seq \(existing), which cannot be read")
            }
            guard same else {
                throw Rejection(
                    "id-conflict",
                    "event id \(event.id) is already recorded at seq \(existing) with different content; corrections are new events with new ids")
            }
            skipped += 1
            return .skipped(existing)
        }
        let key = event.streamKey
        // One hash of the stream per event: the version is updated through its index.
        // Most events follow one of the same stream: the last stream's place is tried first.
        let cached = lastStream.flatMap { $0.key == key ? $0.index : nil } ?? streams.index(forKey: key)
        let current = try cached.map { streams.values[$0].version } ?? reader.streamVersion(event.stream)
        if let expected = event.expectedVersion, expected != current {
            throw Rejection(
                "version-conflict",
                "expectedVersion \(expected) but stream \(event.stream) is at version \(current)")
        }
        let version = current + 1
        // The closure below captures locals only: one capturing `self` had the whole
        // appender copied (and its fields retained) at every event.
        let (txn, tables, recordedAt) = (txn, tables, recordedAt)
        let record = try withUnsafeBytes(of: seqKey) { seqKey in
            try BatchAppender.store(event, version: version, recordedAt: recordedAt, key: seqKey, in: txn, tables)
        }
        chain.add(record)
        if let cached {
            streams.values[cached].seqs.append(seq)
        } else {
            var appends = StreamAppends(base: current)
            appends.seqs.append(seq)
            streams[key] = appends
        }
        // An insertion moves entries: the index is taken again after one.
        lastStream = (key, cached ?? streams.index(forKey: key)!)
        lastSeq = seq
        appended += 1
        return .appended(seq: seq, version: version)
    }

    /// Records `id` at `seqKey` unless it is recorded already: then returns that seq.
    private func claimId(_ id: String, seqKey: UnsafeRawBufferPointer) throws -> UInt64? {
        try id.withUTF8Bytes { key in
            try txn.insert(tables.ids, key: UnsafeRawBufferPointer(key), value: seqKey) { LogKey.decodeSeq($0) }
        }
    }


    /// Writes the record in place in its page (it is the largest value of a batch), its
    /// hashes blank; returns where it is, for the chain to write them.
    private static func store(
        _ event: Envelope, version: UInt64, recordedAt: String, key: UnsafeRawBufferPointer, in txn: Transaction, _ tables: LogTables
    ) throws -> UnsafeMutableRawBufferPointer {
        let count = EventRecord.encodedCount(recordedAt: recordedAt, canonical: event.canonical)
        var record = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        try txn.put(tables.events, key: key, reserving: count, flags: .append) { buffer in
            EventRecord.encode(version: version, recordedAt: recordedAt, ledgerOffset: event.ledgerOffset, canonical: event.canonical, into: buffer)
            record = buffer
        }
        return record
    }

    /// Waits for the hash chain, records its head and each stream's version (kept in
    /// memory during the batch); call once after the last event, before commit.
    public func finish() throws {
        let head = chain.finish()
        guard appended > 0 else { return }
        // Stream after stream in byte order, each one's versions in order: the index's key
        // order (`stream ‖ 0 ‖ version`; a stream name has no 0 byte), so every put lands
        // next to the previous one, or — into an empty index — is an append.
        let order = streams.keys.sorted()
        let fresh = try txn.count(tables.streams) == 0
        for stream in order {
            let appends = streams[stream]!
            var name = stream.string
            try name.withUTF8 { name in
                try withUnsafeTemporaryAllocation(byteCount: name.count + 9, alignment: 1) { key in
                    key.copyMemory(from: UnsafeRawBufferPointer(name))
                    key[name.count] = 0
                    for (i, seq) in appends.seqs.enumerated() {
                        key.storeBytes(of: (appends.base + 1 + UInt64(i)).bigEndian, toByteOffset: name.count + 1, as: UInt64.self)
                        try withUnsafeBytes(of: seq.bigEndian) { value in
                            try txn.put(tables.streams, key: UnsafeRawBufferPointer(key), value: value, flags: fresh ? .append : [])
                        }
                    }
                }
            }
        }
        let freshHeads = try txn.count(tables.heads) == 0
        for stream in order {
            try txn.put(tables.heads, key: Array(stream.string.utf8), value: LogKey.seq(streams[stream]!.version), flags: freshHeads ? .append : [])
        }
        try txn.put(tables.meta, key: Array("lastHash".utf8), value: head.bytes)
        try txn.put(tables.meta, key: Array("lastRecordedAt".utf8), value: Array(recordedAt.utf8))
    }
}
