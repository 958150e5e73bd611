import PalsCore

/// A function F of secure multi-party computation (seed Fig. 2): a
/// deterministic function of the decided vector D (one entry per process,
/// ⊥ for a missing one) to a short vector of values, written over `Logic` so
/// that both engines evaluate the same definition.
///
/// Every function has a name and a digest of its definition: the 64-bit
/// FNV-1a hash of `definition`, a canonical text of the function (not a
/// cryptographic hash: it identifies a definition, it does not authenticate
/// one). At setup every module compares the name and digest of the function
/// it was given with every other module's (`SMC.setupAgrees`).
public struct SMCFunction: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable {
        case sum
        case max
        case majority
        case auction
        case identity
    }

    public let kind: Kind

    @inlinable
    public init(_ kind: Kind) { self.kind = kind }

    /// Looks a function up by name; nil for an unknown name.
    public init?(name: String) {
        guard let k = Kind(rawValue: name) else { return nil }
        self.kind = k
    }

    /// The registry: every built-in function, in a fixed order.
    public static let registry: [SMCFunction] = Kind.allCases.map(SMCFunction.init)

    public var name: String { kind.rawValue }
    public var description: String { "\(name) (\(digestHex))" }

    /// The canonical definition that the digest covers.
    public var definition: String {
        switch kind {
        case .sum:
            return "sum/v1: [Σ_k (D[k] = ⊥ ? 0 : D[k])]"
        case .max:
            return "max/v1: [max_k D[k] over D[k] ≠ ⊥, or ⊥ when every entry is ⊥]"
        case .majority:
            return "majority/v1: [1 if #{k : D[k] ≠ ⊥, D[k] ≠ 0} > #{k : D[k] = 0} else 0]"
        case .auction:
            return "auction/v1: second-price sealed bid; [winner, price]; winner = least k with the highest D[k] ≠ ⊥; "
                + "price = highest D[j] ≠ ⊥ over j ≠ winner, 0 when there is none; [⊥, ⊥] when every entry is ⊥"
        case .identity:
            return "identity/v1: D"
        }
    }

    /// 64-bit FNV-1a of the UTF-8 bytes of `definition`.
    public var digest: UInt64 { Self.fnv1a(definition) }

    /// The digest as 16 hexadecimal digits.
    public var digestHex: String {
        let s = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// 64-bit FNV-1a.
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The number of entries of F's result for `n` processes.
    @inlinable
    public func outputCount(n: Int) -> Int {
        switch kind {
        case .sum, .max, .majority: return 1
        case .auction: return 2
        case .identity: return n
        }
    }

    /// F(D). Inputs are non-negative; callers size symbolic values so that a
    /// sum of all inputs fits.
    @inlinable
    public func apply<L: Logic>(_ l: L, _ d: [L.Value]) -> [L.Value] {
        switch kind {
        case .sum:
            var acc = l.value(0)
            for v in d { acc = l.select(l.isBottom(v), acc, l.add(acc, v)) }
            return [acc]
        case .max:
            var acc = l.bottom
            for v in d {
                let take = l.and(l.not(l.isBottom(v)), l.or(l.isBottom(acc), l.less(acc, v)))
                acc = l.select(take, v, acc)
            }
            return [acc]
        case .majority:
            var yes: [L.Bit] = []
            var no: [L.Bit] = []
            for v in d {
                let zero = l.equal(v, l.value(0))
                yes.append(l.and(l.not(l.isBottom(v)), l.not(zero)))
                no.append(zero)
            }
            // yes > no  ⟺  for some k: yes ≥ k + 1 and no ≤ k.
            let wins = l.exists(0..<(d.count + 1)) { k in l.and(l.atLeast(k + 1, yes), l.atMost(k, no)) }
            return [l.select(wins, l.value(1), l.value(0))]
        case .auction:
            var best = l.bottom
            var winner = l.bottom
            var second = l.bottom
            for (k, v) in d.enumerated() {
                let bid = l.not(l.isBottom(v))
                let beats = l.and(bid, l.or(l.isBottom(best), l.less(best, v)))
                // The old best becomes the second; otherwise v may be the second.
                let secondBeaten = l.and(bid, l.or(l.isBottom(second), l.less(second, v)))
                second = l.select(beats, best, l.select(secondBeaten, v, second))
                best = l.select(beats, v, best)
                winner = l.select(beats, l.value(k), winner)
            }
            let price = l.select(l.isBottom(best), l.bottom, l.select(l.isBottom(second), l.value(0), second))
            return [winner, price]
        case .identity:
            return d
        }
    }
}
