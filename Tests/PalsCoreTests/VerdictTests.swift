import PalsCore
import Testing

/// The one verdict vocabulary: how properties' verdicts combine into a
/// check's, and how a verdict maps to an exit status and back.
@Suite(.timeLimit(.minutes(10))) struct VerdictTests {
    @Test func combiningRanksDisagreementThenViolationThenUnknown() {
        #expect(Verdict.combining([]) == .holds)
        #expect(Verdict.combining([.holds, .witnessed, .notWitnessed, .unchecked]) == .holds)
        #expect(Verdict.combining([.holds, .unknown]) == .unknown)
        #expect(Verdict.combining([.unknown, .violated, .holds]) == .violated)
        #expect(Verdict.combining([.violated, .unknown]) == .violated)
        #expect(Verdict.combining([.violated, .internalDisagreement, .unknown]) == .internalDisagreement)
    }

    @Test func exitStatusesRoundTrip() {
        for v in Verdict.allCases {
            // Witness outcomes and unchecked leave a check's status at 0 (holds).
            let expected: Verdict = [.violated, .unknown, .internalDisagreement].contains(v) ? v : .holds
            #expect(Verdict(exitStatus: v.exitStatus) == expected, "\(v)")
        }
        #expect(Verdict(exitStatus: 2) == nil)
        #expect(Verdict.allCases.map(\.exitStatus) == [0, 1, 0, 0, 3, 4, 0])
    }

    @Test func wordsAreTheOnesEveryFilePrints() {
        #expect(
            Verdict.allCases.map(\.rawValue) == [
                "holds", "violated", "witnessed", "not-witnessed", "unknown", "internal-disagreement", "unchecked",
            ])
        #expect(Verdict.allCases.filter(\.isDecided) == [.holds, .violated, .witnessed, .notWitnessed])
    }
}
