import Foundation
import LMDB
import Testing

@Suite("The LMDB wrapper")
struct LMDBTests {
    static func directory() -> String {
        let dir = NSTemporaryDirectory() + "lmdb-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    struct Boom: Error {}

    @Test("a write transaction whose body throws leaves nothing behind")
    func abortOnThrow() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.write { try $0.openDatabase("t", create: true) }
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, key: [1], value: [2])
                throw Boom()
            }
        }
        #expect(try env.read { try $0.get(db, key: [1]) } == nil)
        try env.write { try $0.put(db, key: [1], value: [3]) }
        #expect(try env.read { try $0.get(db, key: [1]) } == [3])
    }

    @Test("a full map grows and the transaction runs again")
    func mapGrowth() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir, options: .init(mapSize: 64 * 1024))
        let db = try env.write { try $0.openDatabase("t", create: true) }
        var runs = 0
        try env.write { txn in
            runs += 1
            for i in 0..<2000 {
                try txn.put(db, key: Array(String(i).utf8), value: [UInt8](repeating: 7, count: 200))
            }
        }
        #expect(runs > 1)
        #expect(env.mapSize > 64 * 1024)
        #expect(try env.read { try $0.count(db) } == 2000)
    }

    /// Disk blocks allocated to a file (`st_blocks` counts 512-byte units).
    static func allocatedBytes(_ file: String) -> Int {
        var st = stat()
        guard stat(file, &st) == 0 else { return 0 }
        return Int(st.st_blocks) * 512
    }

    @Test("a write-map store has its whole map reserved on disk, before and after growing, and keeps its data")
    func writeMapReservesTheMap() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir, options: .init(mapSize: 256 * 1024, writeMap: true))
        #expect(env.isWriteMap)
        #expect(Self.allocatedBytes(dir + "/data.mdb") >= 256 * 1024)
        let db = try env.write { try $0.openDatabase("t", create: true) }
        try env.write { txn in
            for i in 0..<3000 {
                try txn.put(db, key: Array(String(i).utf8), value: [UInt8](repeating: 7, count: 200))
            }
        }
        #expect(env.mapSize > 256 * 1024)
        #expect(Self.allocatedBytes(dir + "/data.mdb") >= env.mapSize)
        #expect(env.usedSize <= env.mapSize)
        #expect(try env.read { try $0.count(db) } == 3000)
    }

    @Test("reading the map ahead while a transaction writes changes no data; an insert reports what is there; a reserved value is written in place")
    func readAheadInsertAndReserve() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir, options: .init(mapSize: 1 << 20, writeMap: true))
        let db = try env.write { try $0.openDatabase("t", create: true) }
        try env.write { txn in
            for i in 0..<500 {
                #expect(env.readAhead(0..<env.mapSize))
                try txn.put(db, key: Array(String(format: "%04d", i).utf8), value: [UInt8](repeating: UInt8(i % 251), count: 100))
            }
            let key: [UInt8] = Array("0007".utf8)
            let fresh: [UInt8] = Array("new".utf8)
            let existing = try key.withUnsafeBytes { k in
                try fresh.withUnsafeBytes { v in try txn.insert(db, key: k, value: v) { [UInt8]($0) } }
            }
            #expect(existing == [UInt8](repeating: 7, count: 100), "the value there is kept and reported")
            let absent = try Array("9999".utf8).withUnsafeBytes { k in
                try fresh.withUnsafeBytes { v in try txn.insert(db, key: k, value: v) { [UInt8]($0) } }
            }
            #expect(absent == nil)
            try Array("9998".utf8).withUnsafeBytes { k in
                try txn.put(db, key: k, reserving: 3) { $0.copyBytes(from: [1, 2, 3]) }
            }
        }
        #expect(env.readAhead(0..<env.mapSize))
        let (count, values) = try env.read { txn in
            (try txn.count(db), try ["0250", "0007", "9999", "9998"].map { try txn.get(db, key: Array($0.utf8)) })
        }
        #expect(count == 502)
        #expect(values == [[UInt8](repeating: 250, count: 100), [UInt8](repeating: 7, count: 100), Array("new".utf8), [1, 2, 3]])
    }

    @Test("a write transaction's single-key operations agree with a new reader, whatever their order and database")
    func cursorOperationsInOneWrite() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let (a, b) = try env.write { (try $0.openDatabase("a", create: true), try $0.openDatabase("b", create: true)) }
        // Random keys, interleaved between two databases, with reads, inserts and removals
        // in between: what each database holds afterwards is what a dictionary holds.
        var generator = SystemRandomNumberGenerator()
        var expected: [[UInt8]: [UInt8]] = [:]
        try env.write { txn in
            for i in 0..<4000 {
                let key = (0..<Int.random(in: 1...12, using: &generator)).map { _ in UInt8.random(in: 0...3, using: &generator) }
                let db = i % 2 == 0 ? a : b
                let tagged = [UInt8(i % 2)] + key
                switch i % 5 {
                case 0, 1:
                    try txn.put(db, key: key, value: [UInt8(i & 0xFF)])
                    expected[tagged] = [UInt8(i & 0xFF)]
                case 2:
                    let existing = try key.withUnsafeBytes { k in
                        try [UInt8(9)].withUnsafeBytes { v in try txn.insert(db, key: k, value: v) { [UInt8]($0) } }
                    }
                    #expect(existing == expected[tagged])
                    if existing == nil { expected[tagged] = [9] }
                case 3:
                    #expect(try txn.delete(db, key: key) == (expected[tagged] != nil))
                    expected[tagged] = nil
                default:
                    #expect(try txn.get(db, key: key) == expected[tagged])
                }
            }
        }
        let stored = try env.read { txn in
            var all: [[UInt8]: [UInt8]] = [:]
            for (tag, db) in [(UInt8(0), a), (UInt8(1), b)] {
                try txn.forEach(db) { entry in all[[tag] + entry.keyBytes] = entry.valueBytes; return true }
            }
            return all
        }
        #expect(stored == expected)
    }

    @Test("appending a key that does not sort last is refused, and the store keeps what it had")
    func appendOutOfOrder() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.write { try $0.openDatabase("t", create: true) }
        try env.write { txn in
            try txn.put(db, key: [1], value: [1], flags: .append)
            try txn.put(db, key: [2], value: [2], flags: .append)
        }
        #expect(throws: LMDBError.self) {
            try env.write { txn in try txn.put(db, key: [0], value: [0], flags: .append) }
        }
        #expect(try env.read { txn in try [0, 1, 2].map { try txn.get(db, key: [UInt8($0)]) } } == [nil, [1], [2]])
    }

    @Test("errors carry LMDB's own text")
    func errorText() {
        #expect(LMDBError.mapFull.description.contains("MDB_MAP_FULL"))
        #expect(LMDBError.notFound.description.contains("MDB_NOTFOUND"))
    }

    @Test("cursors read in key order from a position, by prefix")
    func cursorOrder() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.write { try $0.openDatabase("t", create: true) }
        try env.write { txn in
            for k in ["b2", "a1", "b1", "c1"] { try txn.put(db, key: Array(k.utf8), value: []) }
        }
        let keys = try env.read { txn in
            var out: [String] = []
            try txn.forEach(db, prefix: Array("b".utf8)) { out.append(String(decoding: $0.key, as: UTF8.self)); return true }
            return out
        }
        #expect(keys == ["b1", "b2"])
    }

    @Test("a read-only environment refuses a missing store")
    func readOnlyMissing() {
        #expect(throws: LMDBError.self) {
            _ = try Environment(path: "/nonexistent-\(UUID().uuidString)", options: .init(readOnly: true))
        }
    }
}
