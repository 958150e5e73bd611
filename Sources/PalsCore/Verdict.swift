/// The one vocabulary for what an analysis concluded about a property (or a
/// whole check): every engine, file format and command prints these words.
public enum Verdict: String, Sendable, CaseIterable {
    /// Decided true: in every reachable state (explicit engine), for every
    /// admissible failure pattern (UNSAT, symbolic engine), or in every
    /// compared pair of runs (noninterference).
    case holds
    /// Decided false: some run violates it, and a counterexample shows the run.
    case violated
    /// A `sometimes` property that some run satisfies.
    case witnessed
    /// A `sometimes` property that no run satisfies, after a complete search.
    case notWitnessed = "not-witnessed"
    /// Undecided: the search stopped (memory budget, interrupt, shard, first
    /// violation elsewhere) or a solver query gave up (`reason` says why).
    case unknown
    /// The solver's run and the reference semantics (`simulate`) disagree: a
    /// bug in an interpretation or in an engine, never a verdict on the protocol.
    case internalDisagreement = "internal-disagreement"
    /// Not asked: an earlier property was violated and the check was told to
    /// stop at the first violation.
    case unchecked

    /// Decided either way (holds, violated, witnessed or not witnessed).
    public var isDecided: Bool {
        switch self {
        case .holds, .violated, .witnessed, .notWitnessed: return true
        case .unknown, .internalDisagreement, .unchecked: return false
        }
    }

    /// The exit status of a command whose whole check has this verdict: 0
    /// holds (witness outcomes and unchecked too), 1 violated, 3 unknown, 4
    /// internal disagreement.
    public var exitStatus: Int32 {
        switch self {
        case .holds, .witnessed, .notWitnessed, .unchecked: return 0
        case .violated: return 1
        case .unknown: return 3
        case .internalDisagreement: return 4
        }
    }

    /// The verdict a command's exit status stands for (0 holds, 1 violated,
    /// 3 unknown, 4 internal disagreement); nil for any other status.
    public init?(exitStatus: Int32) {
        switch exitStatus {
        case 0: self = .holds
        case 1: self = .violated
        case 3: self = .unknown
        case 4: self = .internalDisagreement
        default: return nil
        }
    }

    /// The verdict of a whole check from its properties' verdicts: an
    /// internal disagreement first, then a violation, then anything
    /// undecided (unknown), else holds. Witness outcomes and unchecked
    /// properties do not change a decided verdict.
    public static func combining(_ verdicts: some Sequence<Verdict>) -> Verdict {
        var result = Verdict.holds
        for v in verdicts {
            switch v {
            case .internalDisagreement: return .internalDisagreement
            case .violated: result = .violated
            case .unknown where result == .holds: result = .unknown
            default: break
            }
        }
        return result
    }
}
