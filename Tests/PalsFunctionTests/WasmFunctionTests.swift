import Foundation
import PalsCore
import PalsFunction
import PalsProtocols
import Testing

/// The folder `examples/functions` of this repository.
let functionsDir: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("examples/functions").path
}()

func example(_ name: String) -> String { functionsDir + "/" + name + ".wasm" }

func load(_ name: String, fuel: UInt64? = FunctionABI.defaultFuel) throws -> WasmFunction {
    try WasmFunction.load(path: example(name), fuel: fuel)
}

/// The error message of loading `name`, or nil when it loads.
func refusal(_ name: String) -> String? {
    do {
        _ = try load(name)
        return nil
    } catch {
        return "\(error)"
    }
}

func refusal(bytes: [UInt8]) -> PalsError? {
    do {
        _ = try WasmFunction(bytes: bytes, path: "x.wasm")
        return nil
    } catch {
        return error
    }
}

@Suite(.timeLimit(.minutes(10))) struct WasmFunctionTests {
    /// Each built-in re-implemented in C gives the built-in's result on
    /// random vectors with ⊥ (n = 1…8, values small, large and negative).
    @Test func examplesEqualTheBuiltIns() throws {
        var rng = SplitMix64(seed: 12)
        let l = Concrete()
        for kind in SMCFunction.Kind.allCases {
            let f = try load(kind.rawValue)
            let builtIn = SMCFunction(kind)
            for trial in 0..<300 {
                let n = 1 + rng.below(8)
                let d: [Int] = (0..<n).map { _ in
                    switch rng.below(5) {
                    case 0: return Concrete.bottomValue
                    case 1: return rng.below(2)
                    case 2: return Int(bitPattern: UInt(rng.next())) | 1  // never Int.min
                    default: return rng.below(100) - (trial % 3 == 0 ? 50 : 0)
                    }
                }
                let want = builtIn.apply(l, d)
                let got = f.evaluate(d.map { $0 == Concrete.bottomValue ? nil : $0 })
                #expect(
                    got.map { $0.map { $0 ?? Concrete.bottomValue } } == want,
                    "\(kind.rawValue) on \(d): built-in \(want), Wasm \(String(describing: got))")
            }
        }
    }

    @Test func medianBordaAndFirstPrice() throws {
        let median = try load("median")
        #expect(median.evaluate([5, nil, 1, 9]) == [5])
        #expect(median.evaluate([4, 2, 8, 6]) == [4])
        #expect(median.evaluate([nil, nil]) == [nil])
        let borda = try load("borda")
        // Ballots 0,1,2,3 / 1,0,2,3 / 1,2,0,3: scores 0:3+2+1=6, 1:2+3+3=8, 2:1+1+2=4, 3:0.
        #expect(borda.evaluate([0x3210, 0x3201, 0x3021]) == [1, 8])
        #expect(borda.evaluate([0x3210, 0x1111, nil]) == [0, 3])  // the second ballot is void
        #expect(borda.evaluate([nil, 0x11111]) == [nil, nil])
        let first = try load("first_price")
        #expect(first.evaluate([3, 7, 7, nil]) == [1, 7])
        #expect(first.evaluate([nil, nil]) == [nil, nil])
    }

    /// Refusals at load: one line naming the rule.
    @Test func badModulesAreRefusedNamingTheRule() {
        for (name, rule) in [
            ("bad/float", "floats"), ("bad/import", "imports"), ("bad/wrong_type", "exports"), ("bad/no_max", "memory"),
            ("bad/simd", "features"),
        ] {
            let message = refusal(name)
            #expect(message?.contains("refused (rule \(rule))") == true, "\(name): \(message ?? "loaded")")
            #expect(message?.contains("\n") == false)
        }
    }

    /// Traps, exhausted fuel, a memory bomb and a buffer outside the memory
    /// are the outcome "F failed", the same every time.
    @Test func failuresAreDeterministicOutcomes() throws {
        let loop = try load("bad/loop", fuel: 200_000)
        guard case .failed(let why) = loop.outcome([1, 2]) else {
            Issue.record("loop returned")
            return
        }
        #expect(loop.evaluate([1, 2]) == nil)
        #expect(loop.evaluateUncached([1, 2]) == .failed(why))
        let grow = try load("bad/grow", fuel: 200_000)
        #expect(grow.evaluate([1]) == nil)
        let far = try load("bad/bad_buffer")
        guard case .failed(let reason) = far.outcome([1]) else {
            Issue.record("bad_buffer returned")
            return
        }
        #expect(reason.contains("outside the memory"))
        let trap = try load("bad/trap_bottom")
        #expect(trap.evaluate([1, 2, 3]) == [6])
        #expect(trap.evaluate([1, nil, 3]) == nil)
        // Fresh instance per evaluation: a call counter always reads 1.
        let stateful = try load("bad/stateful")
        #expect(stateful.evaluateUncached([1]) == .results([1]))
        #expect(stateful.evaluateUncached([1]) == .results([1]))
    }

    @Test func anyBytesGiveAClearError() throws {
        let sum = try WasmFunction.readModule(example("sum"))
        var rng = SplitMix64(seed: 3)
        var inputs: [[UInt8]] = [
            [], [0, 0x61, 0x73], Array(sum.prefix(sum.count / 2)), [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
        ]
        for _ in 0..<200 {
            // Random corruptions of a valid module.
            var b = sum
            for _ in 0..<(1 + rng.below(4)) { b[rng.below(b.count)] = UInt8(rng.below(256)) }
            inputs.append(b)
        }
        for _ in 0..<50 { inputs.append((0..<rng.below(300)).map { _ in UInt8(rng.below(256)) }) }
        var refused = 0
        for bytes in inputs {
            guard let e = refusal(bytes: bytes) else {
                // A corruption may leave a valid module: it must still evaluate without a crash.
                _ = try WasmFunction(bytes: bytes, path: "x.wasm", fuel: 100_000).evaluate([1, nil, 3])
                continue
            }
            refused += 1
            #expect(e.kind == .malformedFile)
            #expect(e.message.hasPrefix("x.wasm: refused (rule "))
            #expect(!e.message.contains("\n"))
        }
        #expect(refused >= 54)
        #expect(refusal(bytes: [])?.message.contains("rule format") == true)
        #expect(refusal(bytes: [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])?.message.contains("rule memory") == true)
    }

    /// A body declaring 2^30 locals is refused before any parser expands them.
    @Test func aLocalsBombIsRefused() {
        let bytes: [UInt8] =
            [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
            + [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]
            + [0x03, 0x02, 0x01, 0x00]
            + [0x0a, 0x0a, 0x01, 0x08, 0x01, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7f, 0x0b]
        #expect(refusal(bytes: bytes)?.message.contains("rule size") == true)
    }

    @Test func deepRecursionFails() throws {
        let f = try load("bad/recursion")
        #expect(f.evaluate([1]) == nil)
    }

    @Test func anOversizedFileIsRefusedUnread() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(getpid()).wasm").path
        FileManager.default.createFile(atPath: path, contents: Data(count: FunctionABI.maxFileBytes + 10))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PalsError.self) { try WasmFunction.load(path: path) }
        do {
            _ = try WasmFunction.load(path: path)
        } catch {
            #expect(error.message.contains("rule size"))
        }
    }

    @Test func inspectionAndDigest() throws {
        let bytes = try WasmFunction.readModule(example("sum"))
        let ins = WasmFunction.inspect(bytes: bytes, path: "sum.wasm")
        #expect(ins.sha256.count == 64)
        #expect(ins.firstFailure == nil)
        #expect(ins.memoryMaxPages == 16)
        #expect(ins.instructionCount > 10)
        #expect(ins.exports.map(\.name).contains("tp_f"))
        #expect(ins.rules.allSatisfy { $0.status == .pass })
        let float = WasmFunction.inspect(bytes: try WasmFunction.readModule(example("bad/float")), path: "f.wasm")
        #expect(float.rules.first { $0.rule == .floats }?.status == .fail)
        #expect(float.rules.first { $0.rule == .imports }?.status == .pass)
        let f = try load("sum")
        #expect(f.name == "wasm:" + f.sha256)
        #expect(try load("sum", fuel: 5).name == "wasm:\(f.sha256)@fuel=5")
        #expect(try load("max").sha256 != f.sha256)
    }

    @Test func totality() throws {
        let sum = try load("sum")
        let report = try sum.checkTotality(n: 4)
        #expect(report.total)
        #expect(report.evaluated == 16 * 7)
        let trap = try load("bad/trap_bottom")
        let r = try trap.checkTotality(n: 3, samples: 1)
        // Every mask but the full one fails, with each of its 4 vectors.
        #expect(r.failures.count == 7 * 4)
        #expect(r.failures.allSatisfy { $0.input.contains { $0 == nil } })
    }

    /// A user's F through SMC: the result vector, F failed, and the
    /// registry's name lookup.
    @Test func smcWithAUserFunction() throws {
        let f = SMCFunction.register(try load("median"))
        #expect(SMCFunction(name: f.name) == f)
        #expect(SMC<Concrete>.Variant(name: f.name)?.function == f)
        let smc = SMC(logic: Concrete(), n: 3, t: 1, functions: Array(repeating: f, count: 3))
        let r = smc.result(of: 0, on: [4, Concrete.bottomValue, 2])
        #expect(r.count == SMCFunction.userResultCount)
        #expect(SMCFunction.describeUserResult(r) == "[2]")
        let trap = SMCFunction.register(try load("bad/trap_bottom"))
        let smc2 = SMC(logic: Concrete(), n: 3, t: 1, functions: Array(repeating: trap, count: 3))
        #expect(SMCFunction.userFailed(smc2.result(of: 0, on: [4, Concrete.bottomValue, 2])))
        #expect(SMCFunction.describeUserResult(smc2.result(of: 1, on: [4, 1, 2])) == "[7]")
    }
}
