import Crypto
import Foundation
import PalsCore
import PalsProtocols
import WasmKit
import WasmParser

/// A function F shipped as a WebAssembly module of the ABI `trustedpals-f/1`
/// (DESIGN §7, specs/function-abi.md), loaded under the determinism rules and
/// evaluated by WasmKit with a fuel budget.
///
/// Every evaluation runs in a fresh instance (fresh memory and globals), so
/// that F is a function of D alone; results are memoized. Whatever the module
/// does — trap, run out of fuel, hand out a buffer outside its memory, return
/// a count outside 1…64 — the outcome is "F failed", never a crash.
public final class WasmFunction: SMCUserFunction, @unchecked Sendable {
    /// Where the module was read from, for reports and counterexample files.
    public let path: String
    /// The SHA-256 of the module's bytes, 64 lowercase hexadecimal digits.
    public let sha256: String
    /// The fuel of one evaluation; nil runs without metering (benchmarks).
    public let fuel: UInt64?
    /// The inspection made at load: digest, shape and every rule's verdict (none failed).
    public let inspection: WasmInspection
    /// `wasm:<sha256>`, with `@fuel=<N>` (or `@fuel=none`) when not run with the default fuel.
    public var name: String {
        fuel == FunctionABI.defaultFuel ? "wasm:\(sha256)" : "wasm:\(sha256)@fuel=\(fuel.map(String.init) ?? "none")"
    }

    private let engine: Engine
    private let module: Module
    private let lock = NSLock()
    private var memo: [[Int?]: Outcome] = [:]
    private var memoOn = true
    /// The memo is emptied when it reaches this many entries (bounded memory).
    private static let memoLimit = 1 << 16

    /// What one evaluation gave.
    public enum Outcome: Sendable, Equatable {
        /// F's results, one entry per result (1 to 64), nil for ⊥.
        case results([Int?])
        /// F failed (a trap, exhausted fuel, a malformed answer); the text says why.
        case failed(String)
    }

    /// Loads the module at `path` (at most `FunctionABI.maxFileBytes` bytes).
    /// - Throws: `PalsError` (`.malformedFile`) naming the first broken rule.
    public static func load(path: String, fuel: UInt64? = FunctionABI.defaultFuel) throws(PalsError) -> WasmFunction {
        try WasmFunction(bytes: readModule(path), path: path, fuel: fuel)
    }

    /// Reads a module file, refusing one over the size limit without reading it.
    public static func readModule(_ path: String) throws(PalsError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PalsError(.malformedFile, "\(path): cannot read the file")
        }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: FunctionABI.maxFileBytes + 1)
        } catch {
            throw PalsError(.malformedFile, "\(path): cannot read the file (\(error))")
        }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= FunctionABI.maxFileBytes else {
            throw PalsError(
                .malformedFile,
                "\(path): refused (rule size): more than \(FunctionABI.maxFileBytes) bytes; \(WasmRule.size.summary)")
        }
        return bytes
    }

    /// Checks every rule on `bytes` (none is skipped unless an earlier one
    /// makes it meaningless) and tells what the module is.
    public static func inspect(bytes: [UInt8], path: String) -> WasmInspection {
        var ins = WasmInspection(
            path: path, byteCount: bytes.count, sha256: hex(SHA256.hash(data: bytes)), exports: [], memoryMinPages: nil,
            memoryMaxPages: nil, functionCount: 0, instructionCount: 0,
            rules: WasmRule.allCases.map { RuleVerdict(rule: $0, status: .unchecked, detail: "") })
        ins.rules[0].status = bytes.count <= FunctionABI.maxFileBytes ? .pass : .fail
        if ins.rules[0].status == .fail {
            ins.rules[0].detail = "\(bytes.count) bytes"
            return ins
        }
        if let locals = declaredLocals(bytes, limit: FunctionABI.maxLocals), locals > FunctionABI.maxLocals {
            ins.rules[0].status = .fail
            ins.rules[0].detail = "its functions declare more than \(FunctionABI.maxLocals) locals"
            return ins
        }
        inspectStatically(bytes, into: &ins)
        guard ins.firstFailure == nil else { return ins }
        guard let k = ins.rules.firstIndex(where: { $0.rule == .instantiation }) else {
            preconditionFailure("Invalid state: the inspection lists no instantiation rule")
        }
        do {
            let (engine, module) = try compile(bytes, fuel: true, eager: true)
            let store = Store(engine: engine)
            store.fuel = Fuel(remaining: FunctionABI.defaultFuel)
            _ = try module.instantiate(store: store)
            ins.rules[k].status = .pass
        } catch {
            ins.rules[k].status = .fail
            ins.rules[k].detail = oneLine("\(error)")
        }
        return ins
    }

    /// An engine and the parsed module. `eager` translates (and so
    /// validates) every function at instantiation: used once, at load. The
    /// engine that evaluates translates only what runs, with software bounds
    /// checks (no address-space reservation per instance).
    private static func compile(_ bytes: [UInt8], fuel: Bool, eager: Bool) throws -> (Engine, Module) {
        let configuration =
            eager
            ? EngineConfiguration(compilationMode: .eager, fuelMetering: fuel)
            : EngineConfiguration(compilationMode: .lazy, memoryBoundsChecking: .software, fuelMetering: fuel)
        return (Engine(configuration: configuration), try parseWasm(bytes: bytes))
    }

    /// Loads `bytes` as a function module.
    /// - Parameters:
    ///   - path: where the bytes came from, for reports.
    ///   - fuel: the fuel of one evaluation; nil for no metering.
    /// - Throws: `PalsError` (`.malformedFile`): `PATH: refused (rule R): why`.
    public init(bytes: [UInt8], path: String, fuel: UInt64? = FunctionABI.defaultFuel) throws(PalsError) {
        let ins = Self.inspect(bytes: bytes, path: path)
        if let f = ins.firstFailure {
            throw PalsError(
                .malformedFile, "\(path): refused (rule \(f.rule.rawValue)): \(f.detail); \(f.rule.summary)")
        }
        if fuel == 0 { throw PalsError(.invalidArgument, "⟪fuel⟫ must be at least 1") }
        do {
            (engine, module) = try Self.compile(bytes, fuel: fuel != nil, eager: false)
        } catch {
            throw PalsError(.malformedFile, "\(path): refused (rule instantiation): \(oneLine("\(error)"))")
        }
        self.path = path
        self.sha256 = ins.sha256
        self.fuel = fuel
        self.inspection = ins
    }

    /// F(D) (`SMCUserFunction`): the results, or nil when F failed.
    public func evaluate(_ d: [Int?]) -> [Int?]? {
        if case .results(let r) = outcome(d) { return r }
        return nil
    }

    /// Whether results are memoized (the default). A security module turns
    /// the memo off: it evaluates F once per session, and a memo would
    /// answer a D seen before faster than a new one — a timing channel that
    /// tells its host whether D recurred.
    public var memoizes: Bool {
        get {
            lock.lock()
            defer { lock.unlock() }
            return memoOn
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            memoOn = newValue
            if !newValue { memo.removeAll() }
        }
    }

    /// F(D) with the reason when F failed. Memoized unless `memoizes` is off.
    public func outcome(_ d: [Int?]) -> Outcome {
        lock.lock()
        defer { lock.unlock() }
        guard memoOn else { return run(d) }
        if let o = memo[d] { return o }
        let o = run(d)
        if memo.count >= Self.memoLimit { memo.removeAll(keepingCapacity: true) }
        memo[d] = o
        return o
    }

    /// F(D) without the memo (benchmarks measure one evaluation).
    public func evaluateUncached(_ d: [Int?]) -> Outcome {
        lock.lock()
        defer { lock.unlock() }
        return run(d)
    }

    private func run(_ d: [Int?]) -> Outcome {
        guard d.count >= 1 && d.count <= FunctionABI.maxResults else {
            return .failed("D has \(d.count) entries, need 1…\(FunctionABI.maxResults)")
        }
        let store = Store(engine: engine)
        if let fuel { store.fuel = Fuel(remaining: fuel) }
        do {
            let instance = try module.instantiate(store: store)
            guard let buffer = instance.exports[function: "tp_buffer"], let f = instance.exports[function: "tp_f"],
                let memory = instance.exports[memory: "memory"]
            else { return .failed("the exports are missing") }
            let got = try buffer.invoke([])
            guard got.count == 1, case .i32(let address) = got[0] else { return .failed("tp_buffer returned \(got)") }
            let size = FunctionABI.slots * 8
            // WasmKit's accessors stop the process on an out-of-bounds access:
            // check the whole buffer against the memory first.
            guard Int(address) + size <= memory.byteCount else {
                return .failed("tp_buffer returned \(address), outside the memory (\(memory.byteCount) bytes)")
            }
            var mask: UInt64 = 0
            memory.withUnsafeMutableBufferPointer(offset: UInt(address), count: size) { p in
                for k in 0..<FunctionABI.slots {
                    p.storeBytes(of: UInt64(0).littleEndian, toByteOffset: 8 * k, as: UInt64.self)
                }
                for (k, v) in d.enumerated() {
                    guard let v else { continue }
                    mask |= 1 << UInt64(k)
                    p.storeBytes(of: Int64(v).littleEndian, toByteOffset: 8 * k, as: Int64.self)
                }
                p.storeBytes(of: mask.littleEndian, toByteOffset: 8 * FunctionABI.maskSlot, as: UInt64.self)
            }
            let r = try f.invoke([.i32(UInt32(d.count))])
            guard r.count == 1, case .i32(let raw) = r[0] else { return .failed("tp_f returned \(r)") }
            let k = Int(Int32(bitPattern: raw))
            guard k >= 1 && k <= FunctionABI.maxResults else { return .failed("tp_f returned \(k), need 1…64") }
            // The memory may have grown but never shrinks; check again anyway.
            guard Int(address) + size <= memory.byteCount else { return .failed("the buffer left the memory") }
            return memory.withUnsafeBufferPointer(offset: UInt(address), count: size) { p in
                let present = UInt64(
                    littleEndian: p.loadUnaligned(fromByteOffset: 8 * FunctionABI.maskSlot, as: UInt64.self))
                var out: [Int?] = []
                for j in 0..<k {
                    let v = Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * j, as: Int64.self))
                    if present >> UInt64(j) & 1 == 1 {
                        if v == Int64.min { return .failed("result \(j) is -2^63, which stands for ⊥") }
                        out.append(Int(v))
                    } else {
                        out.append(nil)
                    }
                }
                return .results(out)
            }
        } catch {
            return .failed(oneLine("\(error)"))
        }
    }
}

func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { b in
        let s = String(b, radix: 16)
        return b < 16 ? "0" + s : s
    }.joined()
}

func oneLine(_ s: String) -> String {
    s.split(whereSeparator: \.isNewline).first.map(String.init) ?? s
}

// MARK: - Totality

/// The outcome of `pals function check`: F on every presence mask of n
/// entries with extreme and random values.
public struct TotalityReport: Sendable {
    /// The number of entries of D in every vector tried.
    public var n: Int
    /// The number of vectors F was evaluated on.
    public var evaluated: Int
    /// Every input on which F failed, with the reason, in the order tried.
    public var failures: [(input: [Int?], reason: String)]
    /// True iff F gave results on every vector tried.
    public var total: Bool { failures.isEmpty }
}

extension WasmFunction {
    /// Evaluates F on every presence mask of `n` entries (all of them for
    /// n ≤ 10, else every mask with at most two ⊥ or two values, and
    /// `samples` random masks), each with the values 0, 1, the largest
    /// Int64 and `samples` seeded random vectors. Deterministic for a seed.
    public func checkTotality(n: Int, samples: Int = 4, seed: UInt64 = 1) throws(PalsError) -> TotalityReport {
        guard n >= 1 && n <= FunctionABI.maxResults else {
            throw PalsError(.invalidArgument, "n = \(n) is out of range: need 1 ≤ n ≤ \(FunctionABI.maxResults)")
        }
        guard samples >= 0 && samples <= 1000 else { throw PalsError(.invalidArgument, "⟪samples⟫ must be 0…1000") }
        var rng = SplitMix64(seed: seed)
        var masks: [UInt64] = []
        let all: UInt64 = n == 64 ? ~0 : (1 << UInt64(n)) - 1
        if n <= 10 {
            masks = Array(0...all)
        } else {
            // Masks with at most two entries present or at most two absent.
            masks.append(0)
            masks.append(all)
            for i in 0..<n {
                masks.append(1 << UInt64(i))
                masks.append(all & ~(1 << UInt64(i)))
                for j in (i + 1)..<n {
                    masks.append(1 << UInt64(i) | 1 << UInt64(j))
                    masks.append(all & ~(1 << UInt64(i) | 1 << UInt64(j)))
                }
            }
            for _ in 0..<(samples * 16) { masks.append(rng.next() & all) }
        }
        var report = TotalityReport(n: n, evaluated: 0, failures: [])
        for mask in masks {
            var vectors: [[Int]] = [
                Array(repeating: 0, count: n), Array(repeating: 1, count: n),
                Array(repeating: Int(Int64.max), count: n),
            ]
            for _ in 0..<samples { vectors.append((0..<n).map { _ in rng.below(1000) }) }
            for v in vectors {
                let d: [Int?] = (0..<n).map { k in mask >> UInt64(k) & 1 == 1 ? v[k] : nil }
                report.evaluated += 1
                if case .failed(let reason) = outcome(d) { report.failures.append((d, reason)) }
            }
        }
        return report
    }
}
