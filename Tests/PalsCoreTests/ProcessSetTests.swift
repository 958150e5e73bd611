import PalsCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct ProcessSetTests {
    @Test func subsetsEnumerateEveryMemberCombinationOnce() {
        let s = ProcessSet([1, 3, 4])
        let subs = s.subsets
        #expect(subs.count == 8)
        #expect(Set(subs.map(\.bits)).count == 8)
        #expect(subs.first == ProcessSet())
        #expect(subs.allSatisfy { $0.isSubset(of: s) })
    }

    @Test func combinationsAreLexicographic() {
        let c = ProcessSet.combinations(n: 4, k: 2).map(\.members)
        #expect(c == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(ProcessSet.combinations(n: 5, k: 0) == [ProcessSet()])
        #expect(ProcessSet.combinations(n: 3, k: 4).isEmpty)
    }

    @Test func allAndIteration() {
        #expect(ProcessSet.all(64).count == 64)
        #expect(ProcessSet.all(5).members == [0, 1, 2, 3, 4])
        #expect(ProcessSet([0, 63]).description == "{p0,p63}")
    }
}
