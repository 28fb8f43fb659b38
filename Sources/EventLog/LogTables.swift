import LMDB

/// The event log's databases inside the store's environment.
public struct LogTables: Sendable {
    /// seq (u64 big-endian) → `EventRecord` bytes.
    public let events: Database
    /// event id → seq (u64 big-endian): idempotency and reads by id.
    public let ids: Database
    /// stream ‖ 0x00 ‖ version (u64 big-endian) → seq: reads by stream.
    public let streams: Database
    /// stream → its current version (u64 big-endian).
    public let heads: Database
    /// `lastSeq`, `lastHash`, `lastRecordedAt`, `format`.
    public let meta: Database

    public static let format = "ctg-ledger/1"

    public init(_ txn: Transaction) throws {
        let create = !txn.isReadOnly
        events = try txn.openDatabase("events", create: create)
        ids = try txn.openDatabase("event-ids", create: create)
        streams = try txn.openDatabase("stream-events", create: create)
        heads = try txn.openDatabase("stream-heads", create: create)
        meta = try txn.openDatabase("log-meta", create: create)
    }
}

/// Keys in the log's databases.
public enum LogKey {
    public static func seq(_ seq: UInt64) -> [UInt8] {
        withUnsafeBytes(of: seq.bigEndian) { [UInt8]($0) }
    }

    public static func decodeSeq(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        precondition(bytes.count == 8)
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }

    public static func streamPrefix(_ stream: String) -> [UInt8] {
        Array(stream.utf8) + [0]
    }

    /// `stream ‖ 0 ‖ version` (big-endian), made in one allocation: one per appended event.
    public static func streamVersion(_ stream: String, _ version: UInt64) -> [UInt8] {
        let count = stream.utf8.count
        return [UInt8](unsafeUninitializedCapacity: count + 9) { buffer, written in
            _ = buffer.initialize(from: stream.utf8)
            buffer[count] = 0
            withUnsafeBytes(of: version.bigEndian) { v in
                for i in 0..<8 { buffer[count + 1 + i] = v[i] }
            }
            written = count + 9
        }
    }
}
