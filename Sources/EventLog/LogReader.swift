import LMDB
import StrictJSON

/// Reads the event log inside one transaction.
public struct LogReader {
    public let txn: Transaction
    public let tables: LogTables

    public init(txn: Transaction, tables: LogTables) {
        self.txn = txn
        self.tables = tables
    }

    /// The last appended seq, 0 for an empty log.
    public func lastSeq() throws -> UInt64 {
        try txn.withCursor(tables.events) { c in try c.last().map { LogKey.decodeSeq($0.key) } ?? 0 }
    }

    public func lastHash() throws -> [UInt8] {
        try txn.get(tables.meta, key: Array("lastHash".utf8)) ?? EventRecord.zeroHash
    }

    public func metaString(_ name: String) throws -> String? {
        try txn.get(tables.meta, key: Array(name.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    public func record(seq: UInt64) throws -> EventRecord? {
        try LogKey.seq(seq).withUnsafeBytes { k in
            try txn.withValue(tables.events, key: k) { EventRecord.decode(seq: seq, $0) } ?? nil
        }
    }

    /// `body` applied to the canonical stored form of the event at `seq`, read in place;
    /// nil when there is no such record or its layout is damaged.
    public func withStoredCanonical<R>(seq: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try LogKey.seq(seq).withUnsafeBytes { k in
            try txn.withValue(tables.events, key: k) { value in try EventRecord.storedCanonical(value).map(body) } ?? nil
        }
    }

    public func seq(ofId id: String) throws -> UInt64? {
        try Array(id.utf8).withUnsafeBytes { k in try txn.withValue(tables.ids, key: k) { LogKey.decodeSeq($0) } }
    }

    /// An index that does not point an event to where it is stored.
    public enum MisIndex: Sendable {
        case stream, id
    }

    /// Which index, if any, fails to point `event`, stored at `seq` as `version` of its
    /// stream, to that seq (the stream index is checked first).
    public func misIndex(_ event: Envelope, at seq: UInt64, version: UInt64) throws -> MisIndex? {
        let indexed: UInt64? = try LogReader.withStreamKey(event.stream, version: version) { key in
            try txn.withValue(tables.streams, key: key) { $0.count == 8 ? LogKey.decodeSeq($0) : nil } ?? nil
        }
        guard indexed == seq else { return .stream }
        let claimed: UInt64? = try event.id.withUTF8Bytes { id in try txn.withValue(tables.ids, key: UnsafeRawBufferPointer(id)) { $0.count == 8 ? LogKey.decodeSeq($0) : nil } ?? nil }
        return claimed == seq ? nil : .id
    }

    /// `body` applied to the stream index's key of `stream` at `version` (stream ‖ 0 ‖
    /// version as 8 big-endian bytes), made on the stack: verify makes one per event.
    static func withStreamKey<R>(_ stream: String, version: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try stream.withUTF8Bytes { stream in
            try withUnsafeTemporaryAllocation(byteCount: stream.count + 9, alignment: 1) { key in
                key.copyMemory(from: UnsafeRawBufferPointer(stream))
                key[stream.count] = 0
                key.storeBytes(of: version.bigEndian, toByteOffset: stream.count + 1, as: UInt64.self)
                return try body(UnsafeRawBufferPointer(key))
            }
        }
    }

    /// Hashes, under `seed`, of the keys `event` has at `version` in the id index (its id)
    /// and in the stream index, for `indexMatches`.
    public static func indexKeyHashes(_ event: Envelope, version: UInt64, seed: Int) -> (id: UInt64, stream: UInt64) {
        let id = event.id.withUTF8Bytes { keyHash(UnsafeRawBufferPointer($0), seed: seed) }
        let stream = withStreamKey(event.stream, version: version) { keyHash($0, seed: seed) }
        return (id, stream)
    }

    /// The hash under `seed` of an index key, as `indexKeyHashes` and `indexMatches` take it.
    private static func keyHash(_ key: UnsafeRawBufferPointer, seed: Int) -> UInt64 {
        UInt64(bitPattern: Int64(ByteHash.hash(key, seed: seed)))
    }

    /// Whether every entry of `index` (the id or the stream index) points to a seq in
    /// `1...keyHashes.count` whose event has that entry's key: `keyHashes[seq - 1]` is
    /// the hash under `seed` of the key it should have. With as many entries as events,
    /// every event then has its entry (two keys with one hash, and so one seq, would be a
    /// 64-bit collision under a seed drawn for this process).
    public func indexMatches(_ index: Database, keyHashes: UnsafeBufferPointer<UInt64>, seed: Int) throws -> Bool {
        var matches = true
        try txn.forEach(index) { entry in
            guard entry.value.count == 8 else { matches = false; return false }
            let seq = LogKey.decodeSeq(entry.value)
            guard seq >= 1, seq <= UInt64(keyHashes.count),
                keyHashes[Int(seq) - 1] == LogReader.keyHash(entry.key, seed: seed)
            else {
                matches = false
                return false
            }
            return true
        }
        return matches
    }

    /// The stream's current version, 0 when it has no event.
    public func streamVersion(_ stream: String) throws -> UInt64 {
        try Array(stream.utf8).withUnsafeBytes { k in try txn.withValue(tables.heads, key: k) { LogKey.decodeSeq($0) } } ?? 0
    }

    /// Calls `body` for events in seq order from `from`, at most `limit`, until it returns false.
    /// A record whose bytes cannot be decoded is passed as nil with its seq.
    public func forEach(from: UInt64 = 1, limit: UInt64 = .max, _ body: (UInt64, EventRecord?) throws -> Bool) throws {
        var remaining = limit
        guard remaining > 0 else { return }
        // Records of one batch share their recording time: one string for all of them.
        var recordedAt: String?
        try txn.forEach(tables.events, from: LogKey.seq(from)) { entry in
            let seq = LogKey.decodeSeq(entry.key)
            let record = EventRecord.decode(seq: seq, entry.value, sameBatch: recordedAt)
            recordedAt = record?.recordedAt ?? recordedAt
            guard try body(seq, record) else { return false }
            remaining -= 1
            return remaining > 0
        }
    }

    /// The seqs of one stream's events, in version order.
    public func seqs(ofStream stream: String) throws -> [UInt64] {
        var result: [UInt64] = []
        try txn.forEach(tables.streams, prefix: LogKey.streamPrefix(stream)) { entry in
            result.append(LogKey.decodeSeq(entry.value))
            return true
        }
        return result
    }
}
