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
}
