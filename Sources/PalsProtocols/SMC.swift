import PalsCore

/// Secure multi-party computation among security modules, seed Fig. 2:
///
/// ```
/// SMC(x_i):  D := secureUIC(x_i);  return F(D)
/// ```
///
/// The modules run UIC (`UIC<L>`, unchanged: this type wraps it) on their
/// inputs and apply the function F, chosen by name from
/// `SMCFunction.registry`, to the decided vector. F is part of each module's
/// configuration (`functions[i]` is the function module `p_i` was given). At
/// setup every module compares name and digest with every other module's; if
/// any differs, every module refuses to start: it halts before round 1, sends
/// "silent" throughout and never returns a result (`SMCSetup` checks this,
/// and SMC-Termination is required only of a consistent setup).
///
/// With F = identity this is UIC again (the other direction of the seed's
/// Theorem 2); that variant is also checked against UIC's properties.
///
/// The decision of a module is F(D), padded with ⊥ to n entries (engines
/// read every decision as a vector of n entries).
public struct SMC<L: Logic>: RoundProtocol {
    /// Which catalogued instance: a built-in F, the same with unpadded
    /// frames (leaky), or a setup in which `p0` was given another F.
    public struct Variant: Hashable, Sendable {
        /// The function F every module runs (every module but p0 when
        /// `mismatched`).
        public var function: SMCFunction
        /// Frames sized by their content instead of padded (leaks inputs to
        /// the hosts: the noninterference checks must catch it).
        public var unpadded: Bool
        /// `p0` runs `max`, every other module runs `function` (the setup
        /// check must refuse to start).
        public var mismatched: Bool

        /// A variant running `function`: padded and with a consistent setup
        /// unless told otherwise.
        public init(function: SMCFunction, unpadded: Bool = false, mismatched: Bool = false) {
            self.function = function
            self.unpadded = unpadded
            self.mismatched = mismatched
        }

        /// Every catalogued variant name: each built-in F, `sum-unpadded`, and
        /// `sum-mismatched` (p0 runs max).
        public static var names: [String] {
            SMCFunction.registry.map(\.name) + ["sum-unpadded", "sum-mismatched"]
        }

        /// Parses a variant name; nil when unknown.
        public init?(name: String) {
            if let f = SMCFunction(name: name) {
                self.init(function: f)
            } else if name == "sum-unpadded" {
                self.init(function: SMCFunction(.sum), unpadded: true)
            } else if name == "sum-mismatched" {
                self.init(function: SMCFunction(.sum), mismatched: true)
            } else {
                return nil
            }
        }

        /// The variant's name as the catalogue lists it and `init?(name:)`
        /// reads it, e.g. `sum`, `sum-unpadded`, `sum-mismatched`,
        /// `wasm:<sha256>`.
        public var name: String {
            function.name + (unpadded ? "-unpadded" : "") + (mismatched ? "-mismatched" : "")
        }
    }

    /// A module's state is its UIC state: F is applied only to the decision.
    public typealias State = UIC<L>.State
    /// A frame carries the module's UIC message.
    public typealias Message = UIC<L>.Message

    /// The UIC instance the modules run on their inputs.
    public let uic: UIC<L>
    /// `functions[i]`: the function module `p_i` was configured with.
    public let functions: [SMCFunction]
    /// Frames sized by content (leaky) rather than padded.
    public let unpadded: Bool
    /// True iff every module was given the same function (name and digest).
    public let setupAgrees: Bool
    /// The length of every decision vector: n.
    public let outputCount: Int

    /// The interpretation of the UIC run underneath.
    public var logic: L { uic.logic }
    /// The number of modules, p0 … p(n-1).
    public var n: Int { uic.n }
    /// The bound on faulty processes of the UIC run (UIC is solvable iff
    /// t < n/2).
    public var t: Int { uic.t }
    /// The rounds of the UIC run: t + 1 unless given.
    public var rounds: Int { uic.rounds }

    /// SMC for `n` modules of which at most `t` are faulty, module p_i
    /// configured with `functions[i]`.
    /// - Parameters:
    ///   - functions: one per process; all equal for a consistent setup.
    @inlinable
    public init(logic: L, n: Int, t: Int, functions: [SMCFunction], unpadded: Bool = false, rounds: Int? = nil) {
        precondition(functions.count == n, "one function per process")
        self.uic = UIC(logic: logic, n: n, t: t, rounds: rounds)
        self.functions = functions
        self.unpadded = unpadded
        self.setupAgrees = functions.allSatisfy { $0.name == functions[0].name && $0.digest == functions[0].digest }
        // Every engine reads decisions as vectors of n entries.
        self.outputCount = functions.contains { $0.user != nil } ? SMCFunction.userResultCount : n
    }

    /// The catalogued instance `variant`.
    @inlinable
    public init(logic: L, n: Int, t: Int, variant: Variant, rounds: Int? = nil) {
        var fs = Array(repeating: variant.function, count: n)
        if variant.mismatched { fs[0] = SMCFunction(.max) }
        self.init(logic: logic, n: n, t: t, functions: fs, unpadded: variant.unpadded, rounds: rounds)
    }

    /// UIC's initial state when the setup agrees; otherwise the state of a
    /// module that refused to start: halted from the outset, trusting no
    /// process, every view entry ⊥.
    @inlinable
    public func initial(_ p: ProcessID, input: L.Value) -> State {
        let s = uic.initial(p, input: input)
        if setupAgrees { return s }
        // Refuses to start: halted from the outset, nothing to remember.
        let l = logic
        return State(
            me: s.me, view: Array(repeating: l.bottom, count: n), trusted: Array(repeating: l.no, count: n),
            halted: l.yes)
    }

    /// The UIC message of `s` ("silent" once halted, or from a module that
    /// refused to start).
    @inlinable
    public func message(_ s: State, round: Int, to q: ProcessID) -> Message {
        uic.message(s, round: round, to: q)
    }

    /// One UIC round: F plays no part before the decision.
    @inlinable
    public func receive(_ s: State, round: Int, inbox: [Delivery<Message, L>]) -> State {
        uic.receive(s, round: round, inbox: inbox)
    }

    /// The UIC decision D mapped through this module's F: F_i(D), padded with
    /// ⊥; undecided when UIC halted the module or it refused to start.
    @inlinable
    public func decision(_ s: State) -> Decision<L> {
        let d = uic.decision(s)
        return Decision(decided: d.decided, value: result(of: s.me, on: d.value))
    }

    /// F_i(D) for module `i`, padded with ⊥ to `outputCount`.
    @inlinable
    public func result(of i: Int, on d: [L.Value]) -> [L.Value] {
        var y = functions[i].apply(logic, d)
        while y.count < outputCount { y.append(logic.bottom) }
        return y
    }
}

extension SMC: Observable {
    /// Every module sends a frame to every module in every round (a module
    /// that halted or refused sends a padded "silent" frame).
    @inlinable
    public func sends(_ s: State, round: Int, to q: ProcessID) -> L.Bit { logic.yes }

    /// Padded: `16 + 9n` bytes for every frame (a flag, then per process a
    /// trust flag and an 8-byte value). Unpadded (leaky): 1 byte per trust
    /// flag plus the bytes each view entry needs (0 for ⊥, 1 below 256, 2
    /// below 65536, else 8).
    @inlinable
    public func frameSize(_ m: Message) -> L.Value {
        let l = logic
        guard unpadded else { return l.value(16 + 9 * n) }
        var size = l.value(1 + n)
        for v in m.view {
            let bytes = l.select(
                l.isBottom(v), l.value(0),
                l.select(
                    l.less(v, l.value(256)), l.value(1), l.select(l.less(v, l.value(65536)), l.value(2), l.value(8))))
            size = l.add(size, bytes)
        }
        return size
    }

    /// The result is handed over after the last round, by a module that has
    /// not halted.
    @inlinable
    public func handsResult(_ s: State, round: Int) -> L.Bit {
        round == rounds ? logic.not(s.halted) : logic.no
    }
}

extension SMC: StateSelecting {
    /// `c ? a : b` on every field, as UIC selects.
    @inlinable
    public func select(_ c: L.Bit, _ a: State, _ b: State) -> State { uic.select(c, a, b) }
}
extension SMC: Sendable where L: Sendable {}

// MARK: - Properties (seed §4, SMC)

extension SMC {
    /// **SMC-Termination**: "every correct process eventually returns a
    /// result", required when the setup is consistent (every module runs the
    /// same F).
    @inlinable
    public static func termination() -> Property<SMC<L>> {
        Property(
            name: "SMCTermination", kind: .atHorizon,
            definition: "If every module runs the same F, every correct process returns a result."
        ) { proto, c in
            let l = proto.logic
            guard proto.setupAgrees else { return l.yes }
            return l.forAll(0..<proto.n) { i in l.or(c.faulty[i], c.decisions[i].decided) }
        }
    }

    /// **SMC-Agreement** (uniform): "no two processes return different
    /// results".
    @inlinable
    public static func agreement() -> Property<SMC<L>> {
        Property(
            name: "SMCAgreement", kind: .atHorizon,
            definition: "No two processes, correct or faulty, return different results."
        ) { proto, c in
            let l = proto.logic
            let n = proto.n
            return l.forAll(0..<n) { i in
                l.forAll((i + 1)..<max(n, i + 1)) { j in
                    l.implies(
                        l.and(c.decisions[i].decided, c.decisions[j].decided),
                        sameResult(l, c.decisions[i].value, c.decisions[j].value))
                }
            }
        }
    }

    /// **SMC-Validity**: "if a process returns y, then y = F(D) for a vector
    /// D with D[k] ∈ {x_k, ⊥} for every k and D[k] = x_k for every correct
    /// p_k". Checked by trying every such D (every set S of processes whose
    /// inputs D contains, S ⊇ the correct processes).
    @inlinable
    public static func validity() -> Property<SMC<L>> {
        Property(
            name: "SMCValidity", kind: .atHorizon,
            definition:
                "If a process returns y then y = F(D) for some D with D[k] ∈ {x_k, ⊥}, and D[k] = x_k for every correct p_k."
        ) { proto, c in
            let l = proto.logic
            let n = proto.n
            return l.forAll(0..<n) { i in
                let d = c.decisions[i]
                let some = l.exists(0..<(1 << n)) { s in
                    let covers = l.forAll(0..<n) { k in s & (1 << k) != 0 ? l.yes : c.faulty[k] }
                    let vector = (0..<n).map { k in s & (1 << k) != 0 ? c.inputs[k] : l.bottom }
                    return l.and(covers, sameResult(l, d.value, proto.result(of: i, on: vector)))
                }
                return l.implies(d.decided, some)
            }
        }
    }

    /// **Setup check**: when the modules were given different functions
    /// (name or digest), no module returns a result.
    @inlinable
    public static func setup() -> Property<SMC<L>> {
        Property(
            name: "SMCSetup", kind: .atHorizon,
            definition: "If two modules were given different functions (name or digest), no process returns a result."
        ) { proto, c in
            let l = proto.logic
            guard !proto.setupAgrees else { return l.yes }
            return l.forAll(0..<proto.n) { i in l.not(c.decisions[i].decided) }
        }
    }

    /// **F defined** (a user's F only): no process returns "F failed". F
    /// failing (a trap, exhausted fuel) is a deterministic outcome that every
    /// module reaches alike, so it breaks none of SMC's properties; but
    /// SMC-Termination asks for a result, so a user's F must be total on the
    /// vectors UIC can decide. Reported as its own verdict, "F failed".
    @inlinable
    public static func functionDefined() -> Property<SMC<L>> {
        Property(
            name: "FDefined", kind: .atHorizon,
            definition: "No process returns \"F failed\": F is defined on every vector D a process decides."
        ) { proto, c in
            let l = proto.logic
            return l.forAll(0..<proto.n) { i in
                // An engine gives a process that never decided an all-⊥ vector of n entries.
                guard proto.functions[i].user != nil, c.decisions[i].value.count == SMCFunction.userResultCount else {
                    return l.yes
                }
                return l.implies(
                    c.decisions[i].decided,
                    l.not(l.equal(c.decisions[i].value[SMCFunction.userStatusSlot], l.value(0))))
            }
        }
    }

    /// Entrywise equality of two results, the shorter padded with ⊥ (an
    /// engine gives a process that never decided an all-⊥ vector of n
    /// entries; a user's F decides vectors of `SMCFunction.userResultCount`).
    @inlinable
    static func sameResult(_ l: L, _ a: [L.Value], _ b: [L.Value]) -> L.Bit {
        if a.count == b.count { return l.equal(a, b) }
        let pad = { (v: [L.Value], k: Int) in v + Array(repeating: l.bottom, count: k - v.count) }
        let k = Swift.max(a.count, b.count)
        return l.equal(pad(a, k), pad(b, k))
    }

    /// Witness: some process returns a result in some run. With a mismatched
    /// setup nobody ever does, and this witness reports `not-witnessed`.
    @inlinable
    public static func someoneReturns() -> Property<SMC<L>> {
        Property(
            name: "SomeProcessDecides", kind: .sometimes,
            definition: "In some run some process returns a result (non-vacuity witness)."
        ) { proto, c in
            let l = proto.logic
            return l.exists(0..<proto.n) { i in c.decisions[i].decided }
        }
    }

    /// The properties of the variant: SMC-Termination, SMC-Agreement,
    /// SMC-Validity, the setup check, the witness; for F = identity also
    /// UIC's Termination, UniformAgreement, Validity and Agreement (UIC from
    /// SMC). SMC-Privacy relates two runs and is checked by the
    /// noninterference engines (`pals unobservability smc`).
    @inlinable
    public static func properties(for variant: Variant) -> [Property<SMC<L>>] {
        var ps: [Property<SMC<L>>] = [termination(), agreement(), validity(), setup(), someoneReturns()]
        if variant.function.user != nil { ps.append(functionDefined()) }
        if variant.function.kind == .identity && !variant.mismatched {
            ps += [
                InteractiveConsistency.termination(), InteractiveConsistency.uniformAgreement(),
                InteractiveConsistency.validity(), InteractiveConsistency.agreement(),
            ]
        }
        return ps
    }
}
