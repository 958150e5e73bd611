/// The properties of (uniform) interactive consistency, seed §4, written over
/// `Logic` for any protocol whose decision is a vector with one entry per
/// process. Each engine evaluates exactly these definitions.
public enum InteractiveConsistency {
    /// **Termination** (seed §4): "every correct process eventually decides".
    /// Checked after round R: every process outside the faulty set decided.
    @inlinable
    public static func termination<P: RoundProtocol>() -> Property<P> {
        Property(
            name: "Termination", kind: .atHorizon,
            definition: "Every correct process eventually decides."
        ) { proto, c in
            let l = proto.logic
            return l.forAll(0..<proto.n) { i in l.or(c.faulty[i], c.decisions[i].decided) }
        }
    }

    /// **Validity** (seed §4): "if a process decides D, then for every k,
    /// D[k] ∈ {v_k, ⊥}, and D[k] = v_k if p_k is correct". Applied to every
    /// deciding process, faulty or not.
    @inlinable
    public static func validity<P: RoundProtocol>() -> Property<P> {
        Property(
            name: "Validity", kind: .atHorizon,
            definition: "If a process decides D then D[k] ∈ {v_k, ⊥} for every k, and D[k] = v_k when p_k is correct."
        ) { proto, c in
            let l = proto.logic
            let n = proto.n
            return l.forAll(0..<n) { i in
                let d = c.decisions[i]
                return l.implies(
                    d.decided,
                    l.forAll(0..<n) { k in
                        let isInput = l.equal(d.value[k], c.inputs[k])
                        return l.and(
                            l.or(isInput, l.isBottom(d.value[k])),
                            l.or(c.faulty[k], isInput))
                    })
            }
        }
    }

    /// **Uniform Agreement** (seed §4): "no two processes (correct or not)
    /// decide different vectors".
    @inlinable
    public static func uniformAgreement<P: RoundProtocol>() -> Property<P> {
        pairwiseAgreement(
            name: "UniformAgreement", definition: "No two processes, correct or faulty, decide different vectors.",
            correctOnly: false)
    }

    /// **Agreement** (non-uniform, for comparison): no two *correct* processes
    /// decide different vectors.
    @inlinable
    public static func agreement<P: RoundProtocol>() -> Property<P> {
        pairwiseAgreement(
            name: "Agreement", definition: "No two correct processes decide different vectors.", correctOnly: true)
    }

    /// For every pair i < j (both correct if `correctOnly`): if both decided,
    /// they decided the same vector.
    @inlinable
    static func pairwiseAgreement<P: RoundProtocol>(name: String, definition: String, correctOnly: Bool) -> Property<P>
    {
        Property(name: name, kind: .atHorizon, definition: definition) { proto, c in
            let l = proto.logic
            let n = proto.n
            return l.forAll(0..<n) { i in
                l.forAll((i + 1)..<max(n, i + 1)) { j in
                    var premise = l.and(c.decisions[i].decided, c.decisions[j].decided)
                    if correctOnly { premise = l.and(premise, l.and(l.not(c.faulty[i]), l.not(c.faulty[j]))) }
                    return l.implies(premise, l.equal(c.decisions[i].value, c.decisions[j].value))
                }
            }
        }
    }

    /// Witness: some process decides in some run (a protocol in which nobody
    /// ever decides would satisfy Agreement and Validity vacuously).
    @inlinable
    public static func someoneDecides<P: RoundProtocol>() -> Property<P> {
        Property(
            name: "SomeProcessDecides", kind: .sometimes,
            definition: "In some run some process decides (non-vacuity witness)."
        ) { proto, c in
            let l = proto.logic
            return l.exists(0..<proto.n) { i in c.decisions[i].decided }
        }
    }

    /// The standard set: Termination, UniformAgreement (the paper's central
    /// property, reported first), Validity, Agreement, and the decision witness.
    @inlinable
    public static func all<P: RoundProtocol>() -> [Property<P>] {
        [termination(), uniformAgreement(), validity(), agreement(), someoneDecides()]
    }
}
