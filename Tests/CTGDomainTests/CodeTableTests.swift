@testable import CTGDomain
import Testing

@Suite("Codes are found by their exact bytes")
struct CodeTableTests {
    func check<C: Code>(_: C.Type) {
        for code in C.allCases {
            let text = code.rawValue
            #expect(Array(text.utf8).withUnsafeBufferPointer { C.table.find($0) } == code, "\(text)")
            // Near misses: a prefix, one byte more, another case, a combining accent,
            // a precomposed letter for its last one, the empty string.
            var misses = [String(text.dropLast()), text + "s", text.uppercased(), text + "\u{301}", ""]
            if let last = text.last, last == "e" { misses.append(String(text.dropLast()) + "\u{E9}") }
            for miss in misses where !C.allCases.contains(where: { $0.rawValue.utf8.elementsEqual(miss.utf8) }) {
                #expect(Array(miss.utf8).withUnsafeBufferPointer { C.table.find($0) } == nil, "\(miss) for \(text)")
            }
        }
    }

    @Test("every code of every code type is found, and no near miss is")
    func everyCode() {
        check(Role.self)
        check(DomainCode.self)
        check(Scheme.self)
        check(ActionStatus.self)
        check(CommitteeKind.self)
        check(AxisKind.self)
        check(PredecessorKind.self)
        check(BaselineQualifier.self)
        check(BaselineMeasure.self)
        check(Basis.self)
        check(PaymentKind.self)
    }
}
