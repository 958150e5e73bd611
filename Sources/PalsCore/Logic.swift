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

    func constant(_ b: Bool) -> Bit
    func not(_ a: Bit) -> Bit
    func and(_ a: Bit, _ b: Bit) -> Bit
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
    func isBottom(_ v: Value) -> Bit
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
    @inlinable
    public func forAll(_ range: Range<Int>, _ body: (Int) -> Bit) -> Bit { all(range.map(body)) }
    @inlinable
    public func exists(_ range: Range<Int>, _ body: (Int) -> Bit) -> Bit { any(range.map(body)) }

    @inlinable public var yes: Bit { constant(true) }
    @inlinable public var no: Bit { constant(false) }
    @inlinable public func implies(_ a: Bit, _ b: Bit) -> Bit { or(not(a), b) }
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
    public typealias Bit = Bool
    public typealias Value = Int

    /// The representation of ⊥.
    public static let bottomValue = Int.min

    @inlinable public init() {}

    @inlinable public func constant(_ b: Bool) -> Bool { b }
    @inlinable public func not(_ a: Bool) -> Bool { !a }
    @inlinable public func and(_ a: Bool, _ b: Bool) -> Bool { a && b }
    @inlinable public func or(_ a: Bool, _ b: Bool) -> Bool { a || b }
    @inlinable public func all(_ bits: [Bool]) -> Bool { !bits.contains(false) }
    @inlinable public func any(_ bits: [Bool]) -> Bool { bits.contains(true) }
    @inlinable public func ite(_ c: Bool, _ a: Bool, _ b: Bool) -> Bool { c ? a : b }
    @inlinable public func select(_ c: Bool, _ a: Int, _ b: Int) -> Int { c ? a : b }
    @inlinable
    public func atLeast(_ k: Int, _ bits: [Bool]) -> Bool {
        var c = 0
        for b in bits where b { c += 1 }
        return c >= k
    }
    @inlinable
    public func atMost(_ k: Int, _ bits: [Bool]) -> Bool {
        var c = 0
        for b in bits where b { c += 1 }
        return c <= k
    }
    @inlinable
    public func forAll(_ range: Range<Int>, _ body: (Int) -> Bool) -> Bool {
        for i in range where !body(i) { return false }
        return true
    }
    @inlinable
    public func exists(_ range: Range<Int>, _ body: (Int) -> Bool) -> Bool {
        for i in range where body(i) { return true }
        return false
    }
    @inlinable public func add(_ a: Int, _ b: Int) -> Int { a &+ b }
    @inlinable public func less(_ a: Int, _ b: Int) -> Bool { a < b }
    @inlinable
    public func bitField(_ v: Int, low: Int, count: Int) -> Int {
        (v >> low) & ((1 << count) - 1)
    }
    @inlinable public var bottom: Int { Concrete.bottomValue }
    @inlinable public func value(_ v: Int) -> Int { v }
    @inlinable public func isBottom(_ v: Int) -> Bool { v == Concrete.bottomValue }
    @inlinable public func equal(_ a: Int, _ b: Int) -> Bool { a == b }
}
