import PalsCore
import WasmKit
import WasmParser

/// The ABI a function module implements (specs/function-abi.md).
public enum FunctionABI {
    /// The ABI's name and version.
    public static let version = "trustedpals-f/1"
    /// The largest declared memory maximum, in 64 KiB pages (1 MiB).
    public static let maxPages: UInt64 = 16
    /// The slots of the exchange buffer: 64 values and the presence mask.
    public static let slots = 65
    /// The slot of the presence mask.
    public static let maskSlot = 64
    /// The largest number of results (and of entries of D).
    public static let maxResults = 64
    /// The largest module file read (bigger files are refused unread).
    public static let maxFileBytes = 1 << 20
    /// The most locals all function bodies may declare together (the parser
    /// materializes each declared local: this bounds its memory).
    public static let maxLocals = 1 << 16
    /// The largest table (function pointers) a module may declare.
    public static let maxTableEntries: UInt64 = 65_536
    /// The fuel of one evaluation unless told otherwise.
    public static let defaultFuel: UInt64 = 10_000_000
}

/// One determinism or shape rule a function module must satisfy to be loaded.
public enum WasmRule: String, CaseIterable, Sendable {
    /// At most `FunctionABI.maxFileBytes` bytes, and at most `FunctionABI.maxLocals` locals declared in all.
    case size
    /// A well-formed WebAssembly binary module.
    case format
    /// MVP instructions plus sign extension and bulk memory, nothing else.
    case features
    /// No imports: F sees nothing but D.
    case imports
    /// No floating-point types or instructions.
    case floats
    /// No start function.
    case start
    /// Exactly one memory, exported as `memory`, declared maximum at most `FunctionABI.maxPages` pages.
    case memory
    /// Every table declares at most `FunctionABI.maxTableEntries` entries.
    case tables
    /// The exports `tp_buffer` and `tp_f` with their types.
    case exports
    /// WasmKit validates and instantiates the module.
    case instantiation

    /// What the rule demands, in one line.
    public var summary: String {
        switch self {
        case .size:
            return
                "the file has at most \(FunctionABI.maxFileBytes) bytes and its functions declare at most \(FunctionABI.maxLocals) locals in all"
        case .format: return "the bytes are a well-formed WebAssembly binary module"
        case .features:
            return
                "MVP instructions only (plus sign extension and bulk memory): no SIMD, threads, atomics, exceptions, reference or GC instructions"
        case .imports: return "no imports: F sees nothing but D"
        case .floats: return "no floating-point types or instructions"
        case .start: return "no start function: F runs only when called"
        case .memory:
            return "one memory, exported as \"memory\", declared maximum at most \(FunctionABI.maxPages) pages"
        case .tables: return "tables declare at most \(FunctionABI.maxTableEntries) entries"
        case .exports: return "exports tp_buffer: () -> i32 and tp_f: (i32) -> i32"
        case .instantiation: return "WasmKit validates and instantiates the module"
        }
    }
}

/// The verdict of one rule on one module.
public struct RuleVerdict: Sendable, Equatable {
    /// Whether the rule passed, failed, or was not checked (an earlier failure made it meaningless).
    public enum Status: String, Sendable { case pass, fail, unchecked }
    /// The rule judged.
    public var rule: WasmRule
    /// The rule's outcome on the module.
    public var status: Status
    /// Why it failed (empty when it passed or was not checked).
    public var detail: String
}

/// What `pals function inspect` shows of a module: its digest, shape and
/// every rule's verdict.
public struct WasmInspection: Sendable {
    /// Where the module was read from.
    public var path: String
    /// The size of the module file, in bytes.
    public var byteCount: Int
    /// SHA-256 of the bytes, lowercase hexadecimal.
    public var sha256: String
    /// Exports in the module's order: name and kind (with the type of a function).
    public var exports: [(name: String, kind: String)]
    /// The declared memory limits in pages (nil when there is no memory).
    public var memoryMinPages: UInt64?
    /// The declared maximum of the memory in pages, nil without a memory or without a maximum.
    public var memoryMaxPages: UInt64?
    /// The number of functions the module defines (its function section; imports not counted).
    public var functionCount: Int
    /// The number of instructions in every function body.
    public var instructionCount: Int
    /// One verdict per rule, in the order of `WasmRule.allCases`.
    public var rules: [RuleVerdict]

    /// The first failed rule, if any.
    public var firstFailure: RuleVerdict? { rules.first { $0.status == .fail } }
}

/// Scans function bodies: counts instructions, finds the first float and the
/// first instruction beyond the allowed feature set.
struct InstructionScan: AnyInstructionVisitor {
    typealias VisitorError = Never
    var binaryOffset: Int = 0
    var count = 0
    var float: String?
    var beyondMVP: String?

    mutating func visit(_ instruction: Instruction) {
        count += 1
        switch instruction {
        case .unreachable, .nop, .block, .loop, .if, .else, .end, .br, .brIf, .brTable, .return, .call, .drop, .select,
            .localGet, .localSet, .localTee, .globalGet, .globalSet, .memorySize, .memoryGrow, .i32Const, .i64Const,
            .i32Eqz, .i64Eqz, .memoryCopy, .memoryFill, .memoryInit, .dataDrop:
            return
        case .callIndirect(_, let table):
            if table != 0 { note(beyond: "call_indirect on table \(table)") }
        case .f32Const, .f64Const:
            note(float: "\(instruction)")
        case .load(let op, _):
            classify("\(op)")
        case .store(let op, _):
            classify("\(op)")
        case .cmp(let op):
            classify("\(op)")
        case .unary(let op):
            classify("\(op)")
        case .binary(let op):
            classify("\(op)")
        case .conversion(let op):
            classify("\(op)")
        default:
            let name = "\(instruction)"
            note(beyond: String(name.prefix { $0 != "(" }))
        }
    }

    private mutating func classify(_ name: String) {
        let lower = name.lowercased()
        if lower.contains("f32") || lower.contains("f64") {
            note(float: name)
        } else if lower.contains("atomic") || lower.contains("v128") {
            note(beyond: name)
        }
    }

    private mutating func note(float name: String) {
        if float == nil { float = "\(name) at byte \(binaryOffset)" }
    }

    private mutating func note(beyond name: String) {
        if beyondMVP == nil { beyondMVP = "\(name) at byte \(binaryOffset)" }
    }
}

extension ValueType {
    var isFloat: Bool { self == .f32 || self == .f64 }
    var isMVPInteger: Bool { self == .i32 || self == .i64 }
}

/// The static checks of every rule but `size` and `instantiation`: parses
/// `bytes` with WasmKit's parser and fills in the inspection.
func inspectStatically(_ bytes: [UInt8], into ins: inout WasmInspection) {
    func set(_ rule: WasmRule, _ failure: String?) {
        guard let k = ins.rules.firstIndex(where: { $0.rule == rule }) else { return }
        ins.rules[k].status = failure == nil ? .pass : .fail
        ins.rules[k].detail = failure ?? ""
    }
    // The module's sections.
    var types: [FunctionType?] = []
    var functionTypes: [UInt32] = []
    var imports: [Import] = []
    var tables: [WasmParser.Table] = []
    var memories: [WasmParser.Memory] = []
    var globals: [WasmParser.Global] = []
    var exports: [Export] = []
    var start = false
    var codes: [Code] = []
    var tags = false
    var parser = Parser(bytes: bytes, features: .default)
    do {
        while let payload = try parser.parseNext() {
            switch payload {
            case .typeSection(let groups):
                for g in groups {
                    for t in g.types {
                        if case .function(let f) = t.body { types.append(f) } else { types.append(nil) }
                    }
                }
            case .importSection(let i): imports = i
            case .functionSection(let f): functionTypes = f
            case .tableSection(let t): tables = t
            case .memorySection(let m): memories = m
            case .globalSection(let g): globals = g
            case .exportSection(let e): exports = e
            case .startSection: start = true
            case .codeSection(let c): codes = c
            case .tagSection: tags = true
            default: break
            }
        }
    } catch {
        // A module that parses with every feature enabled uses a feature
        // beyond the allowed ones; otherwise the bytes are not a module.
        var all = Parser(bytes: bytes, features: .all)
        var parsesWithAll = true
        do { while try all.parseNext() != nil {} } catch { parsesWithAll = false }
        if parsesWithAll {
            set(.format, nil)
            set(.features, "\(error)")
        } else {
            set(.format, "\(error)")
        }
        return
    }
    set(.format, nil)
    ins.functionCount = functionTypes.count

    // Features and floats: types, globals, locals, instructions.
    var beyond: String? = tags ? "an exception tag" : nil
    var float: String?
    for (k, t) in types.enumerated() {
        guard let t else {
            beyond = beyond ?? "type \(k) is not a function type"
            continue
        }
        for v in t.parameters + t.results where !v.isMVPInteger {
            if v.isFloat {
                float = float ?? "type \(k) has a \(v) value"
            } else {
                beyond = beyond ?? "type \(k) has a \(v) value"
            }
        }
    }
    for (k, g) in globals.enumerated() where !g.type.valueType.isMVPInteger {
        if g.type.valueType.isFloat {
            float = float ?? "global \(k) is \(g.type.valueType)"
        } else {
            beyond = beyond ?? "global \(k) is \(g.type.valueType)"
        }
    }
    var count = 0
    for (k, code) in codes.enumerated() {
        for v in code.locals where !v.isMVPInteger {
            if v.isFloat {
                float = float ?? "function \(k) has a \(v) local"
            } else {
                beyond = beyond ?? "function \(k) has a \(v) local"
            }
        }
        var scan = InstructionScan()
        var expression = ExpressionParser(code: code)
        do {
            while let visit = try expression.parse() { visit(visitor: &scan) }
        } catch {
            set(.format, "function \(k): \(error)")
            return
        }
        count += scan.count
        float = float ?? scan.float
        beyond = beyond ?? scan.beyondMVP
    }
    ins.instructionCount = count
    set(.features, beyond)
    set(.floats, float)
    set(.imports, imports.first.map { "imports \($0.module).\($0.name)" })
    set(.start, start ? "declares a start function" : nil)

    // Memory.
    var memoryFailure: String?
    if memories.count != 1 {
        memoryFailure = "declares \(memories.count) memories, need exactly one"
    } else {
        let limits = memories[0].type
        ins.memoryMinPages = limits.min
        ins.memoryMaxPages = limits.max
        if let max = limits.max {
            if max > FunctionABI.maxPages {
                memoryFailure = "declared maximum \(max) pages exceeds \(FunctionABI.maxPages)"
            } else if limits.min > max {
                memoryFailure = "initial \(limits.min) pages exceed the maximum \(max)"
            }
        } else {
            memoryFailure = "declares no maximum (link with --max-memory=1048576 or less)"
        }
        if limits.shared || limits.isMemory64 { memoryFailure = memoryFailure ?? "shared or 64-bit memory" }
    }
    if memoryFailure == nil, !exports.contains(where: { $0.name == "memory" && $0.descriptor == .memory(0) }) {
        memoryFailure = "the memory is not exported as \"memory\""
    }
    set(.memory, memoryFailure)

    // Tables.
    var tableFailure: String?
    for (k, t) in tables.enumerated() where t.type.limits.min > FunctionABI.maxTableEntries {
        tableFailure = tableFailure ?? "table \(k) declares \(t.type.limits.min) entries"
    }
    set(.tables, tableFailure)

    // Exports.
    func functionType(_ index: UInt32) -> FunctionType? {
        let local =
            Int(index)
            - imports.filter { if case .function = $0.descriptor { return true } else { return false } }.count
        guard local >= 0, local < functionTypes.count, Int(functionTypes[local]) < types.count else { return nil }
        return types[Int(functionTypes[local])]
    }
    var exportFailure: String?
    ins.exports = exports.map { e in
        switch e.descriptor {
        case .function(let i):
            let t = functionType(i)
            return (e.name, "function " + (t.map(describe) ?? "?"))
        case .memory: return (e.name, "memory")
        case .table: return (e.name, "table")
        case .global: return (e.name, "global")
        default: return (e.name, "other")
        }
    }
    for (name, want) in [
        ("tp_buffer", FunctionType(parameters: [], results: [.i32])),
        ("tp_f", FunctionType(parameters: [.i32], results: [.i32])),
    ] {
        guard let e = exports.first(where: { $0.name == name }) else {
            exportFailure = exportFailure ?? "no export \(name)"
            continue
        }
        guard case .function(let i) = e.descriptor, let t = functionType(i) else {
            exportFailure = exportFailure ?? "\(name) is not a function"
            continue
        }
        if t != want { exportFailure = exportFailure ?? "\(name) has type \(describe(t)), need \(describe(want))" }
    }
    set(.exports, exportFailure)
}

func describe(_ t: FunctionType) -> String {
    let parameters: [String] = t.parameters.map { "\($0)" }
    let results: [String] = t.results.map { "\($0)" }
    let r: String = results.count == 1 ? results[0] : "(" + results.joined(separator: ", ") + ")"
    return "(" + parameters.joined(separator: ", ") + ") -> " + r
}

/// The number of locals the code section declares in all, read from the raw
/// bytes before WasmKit's parser materializes them; nil when the section
/// headers are malformed (the parser then reports the error). Stops counting
/// past `limit`.
func declaredLocals(_ b: [UInt8], limit: Int) -> Int? {
    var i = 8
    func leb() -> Int? {
        var result = 0
        var shift = 0
        while i < b.count && shift < 35 {
            let byte = b[i]
            i += 1
            result |= Int(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
    guard b.count >= 8 else { return nil }
    while i < b.count {
        let id = b[i]
        i += 1
        guard let size = leb(), size <= b.count - i else { return nil }
        let end = i + size
        guard id == 10 else {
            i = end
            continue
        }
        guard let count = leb() else { return nil }
        var total = 0
        for _ in 0..<min(count, b.count) {
            guard let bodySize = leb(), bodySize <= end - i else { return nil }
            let bodyEnd = i + bodySize
            guard let groups = leb() else { return nil }
            for _ in 0..<min(groups, bodySize) {
                guard let n = leb(), i < bodyEnd else { return nil }
                i += 1  // the value type
                total += n
                if total > limit { return total }
            }
            i = bodyEnd
        }
        return total
    }
    return 0
}
