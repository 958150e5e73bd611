/// The values a protocol computes with (DESIGN §2). Protocol state machines are
/// written once, generic over a `Logic`, and interpreted twice: by `Concrete`
/// (booleans and integers: `simulate`, the explicit explorer, the runtime) and
/// by a symbolic interpretation (solver terms: the bounded model checker).
///
/// Code written over a `Logic` never branches on a `Bit` with `if`: it uses
/// `ite`/`select`, so that the same code builds a formula when bits are terms.
public protocol Logic: SendableMetatype {
    /// A truth value.
    associatedtype Bit
    /// A protocol value (an input, a view entry), including the distinguished
    /// "no value" ⊥.
    associatedtype Value

    /// The bit for the Boolean `b`.
    func constant(_ b: Bool) -> Bit
    /// Negation of `a`.
    func not(_ a: Bit) -> Bit
    /// Conjunction of `a` and `b`.
    func and(_ a: Bit, _ b: Bit) -> Bit
    /// Disjunction of `a` and `b`.
    func or(_ a: Bit, _ b: Bit) -> Bit
    /// Conjunction of all `bits` (true when empty).
    func all(_ bits: [Bit]) -> Bit
    /// Disjunction of all `bits` (false when empty).
    func any(_ bits: [Bit]) -> Bit
    /// `c ? a : b` on bits.
    func ite(_ c: Bit, _ a: Bit, _ b: Bit) -> Bit
    /// `c ? a : b` on values.
    func select(_ c: Bit, _ a: Value, _ b: Value) -> Value
    /// At least `k` of `bits` are true.
    func atLeast(_ k: Int, _ bits: [Bit]) -> Bit
    /// At most `k` of `bits` are true.
    func atMost(_ k: Int, _ bits: [Bit]) -> Bit

    /// ⊥, "no value".
    var bottom: Value { get }
    /// The constant value `v` (never ⊥).
    func value(_ v: Int) -> Value
    /// True iff `v` is ⊥.
    func isBottom(_ v: Value) -> Bit
    /// True iff `a` and `b` are the same value; ⊥ equals only ⊥.
    func equal(_ a: Value, _ b: Value) -> Bit

    /// `a + b` for two values that are not ⊥. Callers keep results in the
    /// range their interpretation represents (the symbolic one wraps around
    /// at its bit width).
    func add(_ a: Value, _ b: Value) -> Value
    /// `a < b` for two values that are not ⊥ (values are non-negative).
    func less(_ a: Value, _ b: Value) -> Bit
    /// The number in bits `low ..< low + count` of `v` (a non-negative value,
    /// not ⊥): `(v >> low) & (2^count − 1)`. Lets a protocol pack several
    /// small fields into one input.
    func bitField(_ v: Value, low: Int, count: Int) -> Value

    /// `body(i)` holds for every `i` in `range`. Interpretations may
    /// short-circuit; the result must equal `all(range.map(body))`.
    func forAll(_ range: Range<Int>, _ body: (Int) -> Bit) -> Bit
    /// `body(i)` holds for some `i` in `range`.
    func exists(_ range: Range<Int>, _ body: (Int) -> Bit) -> Bit
}

extension Logic {
    /// `body(i)` for every `i` in `range`, as one conjunction (no short-circuit).
    @inlinable
    public func forAll(_ range: Range<Int>, _ body: (Int) -> Bit) -> Bit { all(range.map(body)) }
    /// `body(i)` for some `i` in `range`, as one disjunction (no short-circuit).
    @inlinable
    public func exists(_ range: Range<Int>, _ body: (Int) -> Bit) -> Bit { any(range.map(body)) }

    /// The true bit.
    @inlinable public var yes: Bit { constant(true) }
    /// The false bit.
    @inlinable public var no: Bit { constant(false) }
    /// `a → b`, written as `¬a ∨ b`.
    @inlinable public func implies(_ a: Bit, _ b: Bit) -> Bit { or(not(a), b) }
    /// `a ↔ b`: both true or both false.
    @inlinable public func iff(_ a: Bit, _ b: Bit) -> Bit { or(and(a, b), and(not(a), not(b))) }

    /// Entrywise equality of two value vectors of the same length.
    @inlinable
    public func equal(_ a: [Value], _ b: [Value]) -> Bit {
        precondition(a.count == b.count, "vectors of different lengths")
        return forAll(a.indices) { k in equal(a[k], b[k]) }
    }
}

/// The concrete interpretation: bits are `Bool`, values are `Int`, and ⊥ is
/// `Int.min` (which is therefore not a legal input).
public struct Concrete: Logic, Sendable, Hashable {
    /// Truth values are Swift booleans.
    public typealias Bit = Bool
    /// Protocol values are integers, with ⊥ represented by `Concrete.bottomValue`.
    public typealias Value = Int

    /// The representation of ⊥.
    public static let bottomValue = Int.min

    /// The concrete interpretation carries no state, so every instance is the same.
    @inlinable public init() {}

    /// Returns `b` itself.
    @inlinable public func constant(_ b: Bool) -> Bool { b }
    /// Boolean negation.
    @inlinable public func not(_ a: Bool) -> Bool { !a }
    /// Boolean conjunction.
    @inlinable public func and(_ a: Bool, _ b: Bool) -> Bool { a && b }
    /// Boolean disjunction.
    @inlinable public func or(_ a: Bool, _ b: Bool) -> Bool { a || b }
    /// True unless some bit is false (true for an empty list).
    @inlinable public func all(_ bits: [Bool]) -> Bool { !bits.contains(false) }
    /// True iff some bit is true (false for an empty list).
    @inlinable public func any(_ bits: [Bool]) -> Bool { bits.contains(true) }
    /// `c ? a : b` on booleans.
    @inlinable public func ite(_ c: Bool, _ a: Bool, _ b: Bool) -> Bool { c ? a : b }
    /// `c ? a : b` on integers (either branch may be ⊥).
    @inlinable public func select(_ c: Bool, _ a: Int, _ b: Int) -> Int { c ? a : b }
    /// True iff at least `k` of `bits` are true (always true when `k ≤ 0`).
    @inlinable
    public func atLeast(_ k: Int, _ bits: [Bool]) -> Bool {
        var c = 0
        for b in bits where b { c += 1 }
        return c >= k
    }
    /// True iff at most `k` of `bits` are true.
    @inlinable
    public func atMost(_ k: Int, _ bits: [Bool]) -> Bool {
        var c = 0
        for b in bits where b { c += 1 }
        return c <= k
    }
    /// `body(i)` for every `i` in `range`, stopping at the first `i` where it fails.
    @inlinable
    public func forAll(_ range: Range<Int>, _ body: (Int) -> Bool) -> Bool {
        for i in range where !body(i) { return false }
        return true
    }
    /// `body(i)` for some `i` in `range`, stopping at the first `i` where it holds.
    @inlinable
    public func exists(_ range: Range<Int>, _ body: (Int) -> Bool) -> Bool {
        for i in range where body(i) { return true }
        return false
    }
    /// `a + b`, wrapping around on overflow instead of trapping.
    @inlinable public func add(_ a: Int, _ b: Int) -> Int { a &+ b }
    /// Integer `a < b`.
    @inlinable public func less(_ a: Int, _ b: Int) -> Bool { a < b }
    /// `(v >> low) & (2^count − 1)`: the `count` bits of `v` starting at bit `low`.
    @inlinable
    public func bitField(_ v: Int, low: Int, count: Int) -> Int {
        (v >> low) & ((1 << count) - 1)
    }
    /// ⊥, that is `Int.min`.
    @inlinable public var bottom: Int { Concrete.bottomValue }
    /// The integer `v` itself.
    @inlinable public func value(_ v: Int) -> Int { v }
    /// True iff `v` is `Int.min`, the representation of ⊥.
    @inlinable public func isBottom(_ v: Int) -> Bool { v == Concrete.bottomValue }
    /// Integer equality (⊥ equals only ⊥).
    @inlinable public func equal(_ a: Int, _ b: Int) -> Bool { a == b }
}
