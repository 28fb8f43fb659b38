extension JSONWriter {
    /// The canonical (JCS) form of the value at node `i` of a tape: values already
    /// canonical in the parsed text are copied from it, the rest written anew.
    public static func writeCanonical(_ tape: JSONTape.View, at i: Int, into out: inout CanonicalBuffer) {
        let node = tape[i]
        if node.isCanonical {
            out.append(tape.raw(i))
            return
        }
        switch node.kind {
        case .object:
            writeCanonical(tape, object: i, adding: [], skipping: 0, into: &out)
        case .array:
            out.append(UInt8(ascii: "["))
            var e = i + 1
            for n in 0..<Int(node.count) {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonical(tape, at: e, into: &out)
                e = Int(tape[e].next)
            }
            out.append(UInt8(ascii: "]"))
        case .string:
            writeString(bytes: tape.text(i), into: &out)
        case .integer:
            let value = Int64(bitPattern: node.bits)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            DecimalDigits.with(value.magnitude) { out.append($0) }
        case .bool:
            out.append(node.bits != 0 ? "true" : "false")
        case .null:
            out.append("null")
        }
    }

    /// The object at node `object` in JCS key order, without the members whose ordinal is
    /// a bit of `skip`, with `extra` members: an object written as changed without making
    /// the changed copy. With `mark`, returns where in `out` the first member whose key
    /// sorts after `mark` starts (nil when none does): where a member of that key goes.
    @discardableResult
    public static func writeCanonical(
        _ tape: JSONTape.View, object: Int, adding extra: [JSONMember], skipping skip: UInt64, into out: inout CanonicalBuffer,
        offsetAfterKey mark: StaticString? = nil
    ) -> Int? {
        let members = Int(tape[object].count)
        precondition(skip == 0 || members <= 64, "only the first 64 members can be left out")
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: members + extra.count) { order in
            // A member is its key node's index; an extra one is -1 - its index in `extra`.
            func precedes(_ a: Int, _ b: Int) -> Bool {
                switch (a >= 0, b >= 0) {
                case (true, true): return keyPrecedes(tape[a].bits, tape.text(a), tape[b].bits, tape.text(b))
                case (true, false):
                    return extra[-1 - b].key.withUTF8Bytes { y in keyPrecedes(tape[a].bits, tape.text(a), extra[-1 - b].keyPrefix, y) }
                case (false, true):
                    return extra[-1 - a].key.withUTF8Bytes { x in keyPrecedes(extra[-1 - a].keyPrefix, x, tape[b].bits, tape.text(b)) }
                case (false, false): return keyPrecedes(extra[-1 - a].keyPrefix, extra[-1 - a].key, extra[-1 - b].keyPrefix, extra[-1 - b].key)
                }
            }
            // Insertion sort: objects have a handful of members, often nearly in order.
            var count = 0
            func insert(_ m: Int) {
                var j = count
                while j > 0 && precedes(m, order[j - 1]) {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = m
                count += 1
            }
            var key = object + 1
            for n in 0..<members {
                if n >= 64 || skip & (1 << UInt64(n)) == 0 { insert(key) }
                key = tape.nextMember(after: key)
            }
            for e in extra.indices { insert(-1 - e) }
            var offset: Int?
            out.append(UInt8(ascii: "{"))
            for (n, m) in order[0..<count].enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if let mark, offset == nil {
                    let after = mark.withUTF8Buffer { mark in
                        m >= 0 ? utf16Precedes(bytes: mark, tape.text(m)) : extra[-1 - m].key.withUTF8Bytes { utf16Precedes(bytes: mark, $0) }
                    }
                    if after { offset = out.count }
                }
                if m >= 0 {
                    if tape[m].isCanonical { out.append(tape.raw(m)) } else { writeString(bytes: tape.text(m), into: &out) }
                    out.append(UInt8(ascii: ":"))
                    writeCanonical(tape, at: m + 1, into: &out)
                } else {
                    extra.withUnsafeBufferPointer { writeMember(at: $0.baseAddress! + (-1 - m), into: &out) }
                }
            }
            out.append(UInt8(ascii: "}"))
            return offset
        }
    }
}
