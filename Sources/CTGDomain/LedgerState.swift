import StrictJSON

/// The state the rules read and change: kept in LMDB by the projections, or in memory
/// for an auditor's replay. Reads see every change made earlier, in this batch too.
public protocol LedgerState {
    /// Where the convention's state is kept, for the rules to read and change it in
    /// place; nil when the convention was never opened.
    mutating func convention(_ stream: Key) throws -> ConventionSlot?
    /// Keeps the state of a convention just opened.
    mutating func addConvention(_ state: ConventionState) throws
    mutating func decision(_ id: String) throws -> DecisionState?
    /// Stores a decision's new state; `old` is its state before the event (nil when new),
    /// so the funding totals can move by the difference.
    mutating func putDecision(_ new: DecisionState, old: DecisionState?) throws
    mutating func paymentExists(_ id: String) throws -> Bool
    mutating func putPayment(_ id: String, decision: String) throws
    mutating func recoveryExists(_ id: String) throws -> Bool
    mutating func putRecovery(_ id: String, decision: String) throws
    /// The decision not cancelled holding `slot`, if any.
    mutating func slotHolder(_ slot: FundingSlot) throws -> String?
    mutating func setSlotHolder(_ slot: FundingSlot, decision: String?) throws
}

/// Holds one convention's state while a batch changes it: the rules change the state in
/// place through this reference, where handing a ~500-byte state out and back moved it
/// twice per event.
public final class ConventionSlot: @unchecked Sendable {
    // @unchecked: a slot belongs to one writer, which changes it on one thread; a flush
    // reads slots from other threads only while that writer waits for them.
    @exclusivity(unchecked) public var state: ConventionState

    public init(_ state: ConventionState) { self.state = state }
}
