import PalsCore
import PalsZ3

/// The symbolic interpretation of `Logic` (DESIGN §2): bits are Z3 Boolean
/// terms and values are bit-vector terms of a fixed width, with ⊥ the
/// all-ones vector. The same generic protocol code that `Concrete` runs
/// builds, over `Symbolic`, the formula of a whole run.
///
/// Constants are folded as terms are built (`and(false, x)` is `false`,
/// `select(true, a, b)` is `a`, comparing two numerals gives a constant), so
/// that a run whose failure pattern is fixed evaluates to constants and a run
/// with distinct constant inputs produces small formulas.
///
/// A `Symbolic` value refers to its `Z3Context`, which is not thread-safe: use
/// one per task.
public struct Symbolic: Logic {
    /// A truth value is a Z3 Boolean term.
    public typealias Bit = Z3Bool
    /// A value is a bit-vector term of `valueBits` bits.
    public typealias Value = Z3BitVector

    /// The context every term is made in.
    public let context: Z3Context
    /// The width of values in bits; ⊥ is `2^width − 1`, legal values are
    /// `0 ..< 2^width − 1`.
    public let valueBits: Int
    /// ⊥ as a term: the all-ones numeral of `valueBits` bits.
    public let bottom: Z3BitVector

    /// - Parameter valueBits: 1…63; use `Symbolic.bits(forValuesBelow:)`.
    public init(context: Z3Context, valueBits: Int) {
        precondition(valueBits >= 1 && valueBits <= 63, "valueBits out of range: \(valueBits)")
        self.context = context
        self.valueBits = valueBits
        self.bottom = context.bitVector(Self.bottomCode(valueBits), width: valueBits)
    }

    /// The numeral that encodes ⊥ at `width` bits (all ones).
    public static func bottomCode(_ width: Int) -> UInt64 { (UInt64(1) << UInt64(width)) - 1 }

    /// The smallest width at which every value in `0 ..< bound` is legal
    /// (distinct from ⊥).
    public static func bits(forValuesBelow bound: Int) -> Int {
        var w = 1
        while (UInt64(1) << UInt64(w)) - 1 < UInt64(max(bound, 1)) { w += 1 }
        return w
    }

    /// Whether `v` is representable (0 ≤ v < 2^valueBits − 1).
    public func canRepresent(_ v: Int) -> Bool { v >= 0 && UInt64(v) < Self.bottomCode(valueBits) }

    /// The Boolean constant `b` as a term.
    public func constant(_ b: Bool) -> Z3Bool { context.bool(b) }
    /// The negation of `a`, folded when `a` is a constant.
    public func not(_ a: Z3Bool) -> Z3Bool { context.not(a) }
    /// The conjunction of `a` and `b`, folded when either is a constant.
    public func and(_ a: Z3Bool, _ b: Z3Bool) -> Z3Bool { context.and([a, b]) }
    /// The disjunction of `a` and `b`, folded when either is a constant.
    public func or(_ a: Z3Bool, _ b: Z3Bool) -> Z3Bool { context.or([a, b]) }
    /// The conjunction of `bits` (true when empty), folded over constants.
    public func all(_ bits: [Z3Bool]) -> Z3Bool { context.and(bits) }
    /// The disjunction of `bits` (false when empty), folded over constants.
    public func any(_ bits: [Z3Bool]) -> Z3Bool { context.or(bits) }
    /// `c ? a : b` on truth values, folded to a branch, `c`, `¬c` or a conjunction or disjunction when it can be.
    public func ite(_ c: Z3Bool, _ a: Z3Bool, _ b: Z3Bool) -> Z3Bool { context.ite(c, a, b) }
    /// `c ? a : b` on values: a Z3 `ite` term, unless `c` is a constant or both branches are the same term.
    public func select(_ c: Z3Bool, _ a: Z3BitVector, _ b: Z3BitVector) -> Z3BitVector { context.ite(c, a, b) }
    /// A cardinality constraint: at least `k` of `bits` are true; constant bits are counted, not encoded.
    public func atLeast(_ k: Int, _ bits: [Z3Bool]) -> Z3Bool { context.atLeast(k, bits) }
    /// A cardinality constraint: at most `k` of `bits` are true; constant bits are counted, not encoded.
    public func atMost(_ k: Int, _ bits: [Z3Bool]) -> Z3Bool { context.atMost(k, bits) }

    /// The numeral `v`. `v` must be representable (`canRepresent`); the
    /// checker validates inputs before building anything.
    public func value(_ v: Int) -> Z3BitVector {
        precondition(canRepresent(v), "value \(v) does not fit \(valueBits) bits (⊥ = \(Self.bottomCode(valueBits)))")
        return context.bitVector(UInt64(v), width: valueBits)
    }

    /// `a + b` modulo 2^valueBits; callers keep sums below ⊥.
    public func add(_ a: Z3BitVector, _ b: Z3BitVector) -> Z3BitVector { context.add(a, b, width: valueBits) }
    /// `a < b` as unsigned numbers (neither is ⊥).
    public func less(_ a: Z3BitVector, _ b: Z3BitVector) -> Z3Bool { context.unsignedLess(a, b) }
    /// Bits `low ..< low + count` of `v`, zero-extended to `valueBits` bits; bits beyond the width read as zero.
    public func bitField(_ v: Z3BitVector, low: Int, count: Int) -> Z3BitVector {
        context.bitField(v, low: low, count: count, width: valueBits)
    }
    /// Whether `v` is ⊥ (the all-ones numeral).
    public func isBottom(_ v: Z3BitVector) -> Z3Bool { context.eq(v, bottom) }
    /// Whether `a` and `b` are the same value (⊥ equals only ⊥).
    public func equal(_ a: Z3BitVector, _ b: Z3BitVector) -> Z3Bool { context.eq(a, b) }

    /// Short-circuits on a constant `false`, like `Concrete`.
    public func forAll(_ range: Range<Int>, _ body: (Int) -> Z3Bool) -> Z3Bool {
        var parts: [Z3Bool] = []
        for i in range {
            let b = body(i)
            if b.constant == false { return context.falseTerm }
            parts.append(b)
        }
        return context.and(parts)
    }

    /// Short-circuits on a constant `true`.
    public func exists(_ range: Range<Int>, _ body: (Int) -> Z3Bool) -> Z3Bool {
        var parts: [Z3Bool] = []
        for i in range {
            let b = body(i)
            if b.constant == true { return context.trueTerm }
            parts.append(b)
        }
        return context.or(parts)
    }

    /// Converts a concrete value (`Concrete.bottomValue` = ⊥) to a numeral.
    public func encode(_ v: Int) -> Z3BitVector { v == Concrete.bottomValue ? bottom : value(v) }

    /// Converts a numeral back to a concrete value (⊥ → `Concrete.bottomValue`).
    public func decode(_ code: UInt64) -> Int {
        code == Self.bottomCode(valueBits) ? Concrete.bottomValue : Int(code)
    }
}
