import CTGDomain
import Foundation

/// Encodes projection values deterministically (sorted keys), so an incremental build
/// and a full replay store the same bytes.
struct StateCodec {
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()

    init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] { [UInt8](try encoder.encode(value)) }
    func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T { try decoder.decode(type, from: Data(bytes)) }
}
