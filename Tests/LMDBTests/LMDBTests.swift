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
