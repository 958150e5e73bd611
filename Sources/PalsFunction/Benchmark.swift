import PalsCore
import PalsProtocols

/// Timings of one function module against a built-in (Benchmarks/functions):
/// each figure is the median over `rounds` rounds of the mean time per
/// operation within a round.
public struct FunctionTimings: Sendable {
    /// Reading the bytes, checking every rule and compiling (µs per load).
    public var loadMicroseconds: Double
    /// One evaluation of the module with fuel metering, fresh instance, no memo (µs).
    public var evaluateMicroseconds: Double
    /// The same without fuel metering (µs).
    public var evaluateUnmeteredMicroseconds: Double
    /// One evaluation through the memo (a vector seen before) (µs).
    public var memoizedMicroseconds: Double
    /// One application of the built-in over `Concrete` (µs).
    public var builtInMicroseconds: Double
}

extension WasmFunction {
    /// Measures loading `bytes` and evaluating it on random vectors of `n`
    /// entries (a third of them ⊥), next to the built-in `builtIn`.
    /// Checks on every vector that the module and the built-in agree.
    public static func measure(
        bytes: [UInt8], path: String, builtIn: SMCFunction, n: Int, iterations: Int, rounds: Int = 5
    ) throws(PalsError) -> FunctionTimings {
        guard iterations >= 1 && rounds >= 1 && n >= 1 && n <= 64 else {
            throw PalsError(.invalidArgument, "need n in 1…64, iterations ≥ 1, rounds ≥ 1")
        }
        var rng = SplitMix64(seed: 7)
        let vectors: [[Int?]] = (0..<iterations).map { _ in
            (0..<n).map { _ in rng.below(3) == 0 ? nil : rng.below(1000) }
        }
        let metered = try WasmFunction(bytes: bytes, path: path)
        let unmetered = try WasmFunction(bytes: bytes, path: path, fuel: nil)
        let l = Concrete()
        for d in vectors {
            let want = builtIn.apply(l, d.map { $0 ?? Concrete.bottomValue })
            guard metered.evaluate(d)?.map({ $0 ?? Concrete.bottomValue }) == want else {
                throw PalsError(.invalidArgument, "\(path) and the built-in \(builtIn.name) disagree on \(d)")
            }
        }
        func median(_ body: () throws(PalsError) -> Void) throws(PalsError) -> Double {
            var samples: [Double] = []
            for _ in 0..<rounds {
                let start = ContinuousClock.now
                try body()
                let d = ContinuousClock.now - start
                let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                samples.append(seconds * 1e6 / Double(iterations))
            }
            samples.sort()
            return samples[samples.count / 2]
        }
        var sink = 0
        let load =
            try median { () throws(PalsError) in
                for _ in 0..<max(1, iterations / 20) {
                    sink &+= try WasmFunction(bytes: bytes, path: path).inspection.instructionCount
                }
            } * Double(iterations) / Double(max(1, iterations / 20))
        let evaluate = try median {
            for d in vectors { if case .results(let r) = metered.evaluateUncached(d) { sink &+= r.count } }
        }
        let unmeteredTime = try median {
            for d in vectors { if case .results(let r) = unmetered.evaluateUncached(d) { sink &+= r.count } }
        }
        let memoized = try median {
            for d in vectors { sink &+= metered.evaluate(d)?.count ?? 0 }
        }
        let concrete = vectors.map { $0.map { $0 ?? Concrete.bottomValue } }
        let builtInTime = try median {
            for d in concrete { sink &+= builtIn.apply(l, d)[0] }
        }
        if sink == Int.min { print(sink) }
        return FunctionTimings(
            loadMicroseconds: load, evaluateMicroseconds: evaluate, evaluateUnmeteredMicroseconds: unmeteredTime,
            memoizedMicroseconds: memoized, builtInMicroseconds: builtInTime)
    }
}
