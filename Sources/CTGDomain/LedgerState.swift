/// The state the rules read and change: kept in LMDB by the projections, or in memory
/// for an auditor's replay. Reads see every change made earlier, in this batch too.
public protocol LedgerState {
    /// The convention's state, handed over for change: the caller puts it back with
    /// `putConvention` whatever happens (an implementation may drop its own copy so the
    /// caller's changes happen in place).
    mutating func convention(_ stream: String) throws -> ConventionState?
    mutating func putConvention(_ state: consuming ConventionState) throws
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
