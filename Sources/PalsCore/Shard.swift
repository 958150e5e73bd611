/// One part of a run split into `count` deterministic parts: the part with
/// 1-based `index` takes every work item (faulty set, cell, run) whose
/// 0-based position in the run's order is ≡ index − 1 (mod count).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// The 1-based number of this shard, `1 ... count`.
    public let index: Int
    /// The number of shards the run is split into, `1 ... maxCount`.
    public let count: Int

    /// The largest number of shards accepted.
    public static let maxCount = 100_000

    /// Shard `index` of `count`.
    /// - Throws: `PalsError` (`invalidArgument`) when `count` is outside `1 ... maxCount`
    ///   or `index` is outside `1 ... count`.
    public init(index: Int, count: Int) throws(PalsError) {
        guard count >= 1 && count <= Shard.maxCount else {
            throw PalsError(
                .invalidArgument, "⟪shard⟫ \(index)/\(count): the number of shards must be 1…\(Shard.maxCount)")
        }
        guard index >= 1 && index <= count else {
            throw PalsError(.invalidArgument, "⟪shard⟫ \(index)/\(count): the shard index must be 1…\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `I/K` with 1 ≤ I ≤ K.
    public init(parsing text: String) throws(PalsError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let k = Int(parts[1]),
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else {
            throw PalsError(.invalidArgument, "⟪shard⟫ \"\(text)\" is malformed: expected I/K with 1 ≤ I ≤ K, e.g. 2/3")
        }
        try self.init(index: i, count: k)
    }

    /// Whether the item at 0-based position `position` belongs to this shard.
    @inlinable
    public func owns(_ position: Int) -> Bool { position % count == index - 1 }

    /// How many of the positions `0 ..< total` this shard owns.
    public func share(of total: Int) -> Int {
        total / count + (total % count >= index ? 1 : 0)
    }

    /// `index/count`, the form `init(parsing:)` reads.
    public var description: String { "\(index)/\(count)" }
}
