import CTGDomain

/// Encodes and decodes projection states in their stored binary form (see
/// `BinaryWriter`): deterministic, so an incremental build and a full replay store the
/// same bytes.
struct StateCodec {
    func encode(_ state: ConventionState) -> [UInt8] { state.encoded() }
    func encode(_ state: DecisionState) -> [UInt8] { state.encoded() }
    func decode(_: ConventionState.Type, _ bytes: [UInt8]) throws -> ConventionState { try ConventionState(encoded: bytes) }
    func decode(_: DecisionState.Type, _ bytes: [UInt8]) throws -> DecisionState { try DecisionState(encoded: bytes) }
}
