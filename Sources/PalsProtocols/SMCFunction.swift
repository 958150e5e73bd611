import PalsCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
///
/// Besides the built-ins, F may be a user's function (`SMCUserFunction`, e.g.
/// a WebAssembly module): it is identified by the SHA-256 of its bytes, named
/// `wasm:` followed by that digest, registered once (`register(_:)`) and then
/// found by name like a built-in. Only the concrete interpretation evaluates
/// it; the symbolic engine checks the F-independent UIC layer instead.
public struct SMCFunction: Hashable, Sendable, CustomStringConvertible {
    /// The built-in functions; the raw value is the function's name.
    public enum Kind: String, CaseIterable, Sendable {
        /// The sum of the entries that are not ⊥ (0 when every entry is ⊥).
        case sum
        /// The largest entry that is not ⊥; ⊥ when every entry is ⊥.
        case max
        /// 1 when more entries are neither ⊥ nor 0 than are 0, else 0.
        case majority
        /// A second-price sealed-bid auction: [winner, price], the least index
        /// with the highest bid and the highest bid of the others (0 when there
        /// is none).
        case auction
        /// D itself: with F = identity, SMC is UIC.
        case identity
    }

    /// The built-in function, nil for a user's function.
    public let kind: Kind?
    /// The user's function, nil for a built-in.
    public let user: (any SMCUserFunction)?

    /// The built-in function `kind`.
    @inlinable
    public init(_ kind: Kind) {
        self.kind = kind
        self.user = nil
    }

    /// A user's function (not registered: see `register(_:)`).
    public init(user: any SMCUserFunction) {
        self.kind = nil
        self.user = user
    }

    /// Looks a function up by name: a built-in, or a registered user's
    /// function (`wasm:<sha256>`); nil for an unknown name.
    public init?(name: String) {
        if let k = Kind(rawValue: name) {
            self.init(k)
        } else if let f = SMCFunction.registered(name) {
            self = f
        } else {
            return nil
        }
    }

    /// The registry: every built-in function, in a fixed order.
    public static let registry: [SMCFunction] = Kind.allCases.map(SMCFunction.init)

    /// The name the modules agree on: the built-in's raw value, or the user's
    /// function's registered name (`wasm:<sha256>`).
    public var name: String {
        if let user { return user.name }
        guard let kind else { preconditionFailure("Invalid state: a function with neither a kind nor a module") }
        return kind.rawValue
    }
    /// The name, then the digest in hexadecimal in parentheses.
    public var description: String { "\(name) (\(digestHex))" }

    /// Equal when the same built-in, or users' functions of the same name.
    public static func == (a: SMCFunction, b: SMCFunction) -> Bool { a.kind == b.kind && a.user?.name == b.user?.name }
    /// Hashes the kind and the user's function's name, consistently with `==`.
    public func hash(into h: inout Hasher) {
        h.combine(kind)
        h.combine(user?.name)
    }

    /// The canonical definition that the digest covers.
    public var definition: String {
        if let user { return "\(name): the WebAssembly module \(user.path) (ABI trustedpals-f/1)" }
        guard let kind else { preconditionFailure("Invalid state: a function with neither a kind nor a module") }
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

    /// 64-bit FNV-1a of the UTF-8 bytes of `definition`; for a user's
    /// function the first 64 bits of its SHA-256.
    public var digest: UInt64 {
        if let user { return UInt64(user.sha256.prefix(16), radix: 16) ?? 0 }
        return Self.fnv1a(definition)
    }

    /// The digest as 16 hexadecimal digits; for a user's function its whole
    /// SHA-256 (64 digits).
    public var digestHex: String {
        if let user { return user.sha256 }
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
        guard let kind else { return SMCFunction.userResultCount }
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
        if let user { return SMCFunction.applyUser(user, l, d) }
        guard let kind else { preconditionFailure("Invalid state: a function with neither a kind nor a module") }
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

/// A function F given by its user rather than built in (DESIGN §7): a
/// deterministic function of the decided vector, evaluated concretely only.
/// Implementations (e.g. a WebAssembly module run with fuel) must be pure:
/// the same vector always gives the same answer, in every process.
public protocol SMCUserFunction: AnyObject, Sendable {
    /// The name the function is registered and agreed under:
    /// `wasm:<sha256>` (with `@fuel=<N>` when not run with the default fuel).
    var name: String { get }
    /// Where the definition was read from, for reports.
    var path: String { get }
    /// The SHA-256 of the definition's bytes, 64 lowercase hexadecimal digits.
    var sha256: String { get }
    /// F(D): `d[k]` is nil for ⊥. Returns F's results (1 to 64 entries, nil
    /// for ⊥), or nil when F failed (a trap, exhausted fuel, a malformed
    /// answer): a deterministic outcome.
    func evaluate(_ d: [Int?]) -> [Int?]?
}

extension SMCFunction {
    /// The length of a user's function's result vector as SMC decides it:
    /// 64 result slots (⊥ beyond F's k results), then the status k, which is
    /// 0 when F failed (every slot is then ⊥).
    public static let userResultCount = 65

    /// The status slot of a user's function's result vector.
    public static let userStatusSlot = 64

    /// True iff `value` is a user's function's result vector saying F failed.
    public static func userFailed(_ value: [Int]) -> Bool {
        value.count == userResultCount && value[userStatusSlot] == 0
    }

    /// A readable form of a user's function's result vector: `[r0,…]` or
    /// `F failed`.
    public static func describeUserResult(_ value: [Int]) -> String {
        guard value.count == userResultCount else { return "\(value)" }
        let k = value[userStatusSlot]
        guard k >= 1 && k <= 64 else { return "F failed" }
        return "[" + value[0..<k].map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",") + "]"
    }

    /// F(D) of a user's function over the concrete interpretation. No other
    /// interpretation can evaluate it: the symbolic engine checks the
    /// F-independent UIC layer instead (Theorem 2 carries it to any F).
    @inlinable
    public static func applyUser<L: Logic>(_ f: any SMCUserFunction, _ l: L, _ d: [L.Value]) -> [L.Value] {
        guard let ints = d as? [Int] else {
            preconditionFailure("Invalid state: a user's function F is evaluated by the concrete interpretation only")
        }
        guard let values = evaluateUser(f, ints) as? [L.Value] else {
            preconditionFailure("Invalid state: L.Value is Int here")
        }
        return values
    }

    /// The result vector (`userResultCount` entries) of `f` on `d`.
    public static func evaluateUser(_ f: any SMCUserFunction, _ d: [Int]) -> [Int] {
        let bottom = Concrete.bottomValue
        var out = [Int](repeating: bottom, count: userResultCount)
        let input = d.map { $0 == bottom ? nil : $0 }
        guard let r = f.evaluate(input), r.count >= 1, r.count <= 64 else {
            out[userStatusSlot] = 0
            return out
        }
        for (k, v) in r.enumerated() {
            // -2^63 is ⊥ in the concrete interpretation: no result may be it.
            if let v, v == bottom {
                out[userStatusSlot] = 0
                return [Int](repeating: bottom, count: userResultCount - 1) + [0]
            }
            out[k] = v ?? bottom
        }
        out[userStatusSlot] = r.count
        return out
    }
}

// MARK: - The registry of user functions

/// A lock-protected table; lookups are by name only, so no output depends on
/// its order.
final class UserFunctionTable: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var table: [String: SMCFunction] = [:]

    init() { pthread_mutex_init(lock, nil) }

    func get(_ name: String) -> SMCFunction? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return table[name]
    }

    func put(_ f: SMCFunction) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        table[f.name] = f
    }
}

extension SMCFunction {
    static let userTable = UserFunctionTable()

    /// Registers a user's function under its name, so that `init?(name:)`,
    /// `SMC.Variant(name:)` and the catalogue find it; returns it.
    @discardableResult
    public static func register(_ f: any SMCUserFunction) -> SMCFunction {
        let g = SMCFunction(user: f)
        userTable.put(g)
        return g
    }

    /// The registered user's function named `name`, if any.
    public static func registered(_ name: String) -> SMCFunction? {
        name.hasPrefix("wasm:") ? userTable.get(name) : nil
    }
}
