import PalsCore
import Testing

@testable import PalsExplorer

@Suite(.timeLimit(.minutes(10))) struct ResourceGuardTests {
    /// A budget is shown in megabytes from 1 MB up and in kilobytes below, so
    /// the message never reads "--max-memory 0 MB".
    @Test func budgetsAreShownInTheirUnit() throws {
        for (text, shown) in [("1K", "1 KB"), ("512K", "512 KB"), ("1M", "1 MB"), ("80M", "80 MB"), ("4G", "4096 MB")] {
            let bytes = try #require(ResourceGuard.parseSize(text))
            #expect(ResourceGuard.size(bytes) == shown)
        }
        #expect(ResourceGuard.size(1023) == "1023 B")
        #expect(ResourceGuard.size(0) == "0 B")
    }

    @Test func exceededBudgetNamesBothSizes() throws {
        let budget = try #require(ResourceGuard.parseSize("1K"))
        let reason = ResourceGuard.stopReason(maxMemory: budget, stopOnInterrupt: false, resident: 25 << 20)
        #expect(reason == "memory budget exceeded (25 MB resident, --max-memory 1 KB)")
        #expect(ResourceGuard.stopReason(maxMemory: budget, stopOnInterrupt: false, resident: budget) == nil)
        #expect(ResourceGuard.stopReason(maxMemory: nil, stopOnInterrupt: false, resident: 1 << 40) == nil)
    }

    /// Estimates read in the unit that fits: seconds, minutes, hours with one
    /// decimal, then days; an estimate that cannot be made says so.
    @Test func durationsAreShownInTheirUnit() {
        let cases: [(Double, String)] = [
            (0, "0 s"), (41.4, "41 s"), (89.4, "89 s"), (90, "2 min"), (1_000, "17 min"), (5_399, "90 min"),
            (5_400, "1.5 h"), (15_120, "4.2 h"), (172_799, "48.0 h"), (172_800, "2 days"), (400_000, "5 days"),
        ]
        for (seconds, shown) in cases { #expect(ResourceGuard.duration(seconds) == shown, "\(seconds) s") }
        #expect(ResourceGuard.duration(.infinity) == "an unknown time")
        #expect(ResourceGuard.duration(.nan) == "an unknown time")
        #expect(ResourceGuard.duration(-1) == "an unknown time")
    }

    /// A round's progress line says how far through its parents the round is
    /// and, once it has begun, how long the rest takes at the pace so far.
    @Test func roundProgressLineEstimatesTheRestOfTheRound() {
        let line = roundProgressLine(
            faulty: ProcessSet([0, 1, 2]), round: 2, rounds: 4, expanded: 250, parents: 1_000, newStates: 7_000,
            successors: 90_000, rate: 1_500.4, resident: 300 << 20, elapsed: 60, earlier: 123)
        #expect(
            line
                == "F = {p0,p1,p2}, round 2/4: 250 of 1000 parents expanded (25.0%), 7000 new states, 90000 successors generated in this round (1500/s), 300 MB resident, at this pace about 3 min left in this round; 123 states in earlier rounds"
        )
        let first = roundProgressLine(
            faulty: ProcessSet([0]), round: 1, rounds: 2, expanded: 0, parents: 1, newStates: 0, successors: 10,
            rate: 10, resident: 1 << 20, elapsed: 3, earlier: 1)
        #expect(!first.contains("left"), "no estimate before a parent is done")
    }
}
