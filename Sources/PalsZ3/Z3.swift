import CZ3

/// An error reported by Z3 (a sort mismatch, an invalid argument, …). Z3 never
/// terminates the process: every context installs a null error handler and
/// each call's error code is turned into this error.
public struct Z3Error: Error, CustomStringConvertible, Equatable, Sendable {
    /// The raw `Z3_error_code`.
    public let code: Int
    /// Z3's message for the code, with what the wrapper was doing.
    public let message: String

    /// An error with Z3's code `code` (−1 for a failure the wrapper detects itself) and `message`.
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    /// `Z3 error <code>: <message>`.
    public var description: String { "Z3 error \(code): \(message)" }
}

/// A Z3 term of any sort (untyped; see `Z3Bool` and `Z3BitVector` for the
/// typed forms). Only valid while its `Z3Context` lives. Z3 hash-conses terms,
/// so two structurally equal terms of one context have the same `raw` pointer.
public struct Z3Term: Hashable {
    /// The underlying Z3 AST, owned by the context that made it.
    public let raw: Z3_ast
    /// Wraps an AST of a live context; does not take a reference.
    @inlinable public init(_ raw: Z3_ast) { self.raw = raw }
}

/// A Boolean term, with its value when it is a known constant (so that code
/// built over it can fold constants without asking Z3).
public struct Z3Bool: Hashable {
    /// The underlying term, of Boolean sort.
    public let term: Z3Term
    /// `true`/`false` when the term is the constant, nil otherwise.
    public let constant: Bool?
    /// A Boolean term; pass `constant` only when the term is that constant.
    @inlinable public init(_ term: Z3Term, constant: Bool? = nil) {
        self.term = term
        self.constant = constant
    }
}

/// A bit-vector term of a fixed width, with its value when it is a numeral.
public struct Z3BitVector: Hashable {
    /// The underlying term, of bit-vector sort.
    public let term: Z3Term
    /// The numeral's value when the term is a numeral, nil otherwise.
    public let constant: UInt64?
    /// A bit-vector term; pass `constant` only when the term is that numeral.
    @inlinable public init(_ term: Z3Term, constant: UInt64? = nil) {
        self.term = term
        self.constant = constant
    }
}

/// A Z3 context: owns every term, solver and model made from it.
///
/// Not thread-safe and deliberately not `Sendable`: use one context per task.
/// Calls check Z3's error code: the throwing methods throw `Z3Error`; the
/// typed builders used by the symbolic interpretation (which cannot throw)
/// record the first error in `firstError`, return a well-sorted placeholder so
/// that construction can continue safely, and the caller checks
/// `throwIfFailed()` before trusting any result.
public final class Z3Context {
    /// The underlying Z3 context, deleted when this object is.
    public let raw: Z3_context
    /// The first error a non-throwing builder ran into, if any.
    public private(set) var firstError: Z3Error?
    /// The constant `true`.
    public let trueTerm: Z3Bool
    /// The constant `false`.
    public let falseTerm: Z3Bool
    private var counter = 0

    /// Creates a context with model generation enabled and a null error handler.
    public init() throws(Z3Error) {
        guard let cfg = Z3_mk_config() else { throw Z3Error(code: -1, message: "Z3_mk_config failed") }
        Z3_set_param_value(cfg, "model", "true")
        guard let ctx = Z3_mk_context(cfg) else {
            Z3_del_config(cfg)
            throw Z3Error(code: -1, message: "Z3_mk_context failed")
        }
        Z3_del_config(cfg)
        // A null handler: Z3 only records the error code; it never exits.
        Z3_set_error_handler(ctx, nil)
        raw = ctx
        trueTerm = Z3Bool(Z3Term(Z3_mk_true(ctx)), constant: true)
        falseTerm = Z3Bool(Z3Term(Z3_mk_false(ctx)), constant: false)
    }

    deinit { Z3_del_context(raw) }

    /// A handle that may stop this context's running query from another thread.
    public var interrupter: Z3Interrupter { Z3Interrupter(self) }

    /// Z3's version, e.g. "4.8.12".
    public static var version: String {
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var build: UInt32 = 0
        var rev: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &rev)
        return "\(major).\(minor).\(build)"
    }

    /// Throws the error of the last Z3 call, if there was one.
    @inlinable
    public func check(_ what: @autoclosure () -> String) throws(Z3Error) {
        let code = Z3_get_error_code(raw)
        if code != Z3_OK {
            let msg = Z3_get_error_msg(raw, code).map { String(cString: $0) } ?? "unknown error"
            throw Z3Error(code: Int(code.rawValue), message: "\(what()): \(msg)")
        }
    }

    /// Throws the first error recorded by a non-throwing builder.
    public func throwIfFailed() throws(Z3Error) {
        if let e = firstError { throw e }
    }

    /// Runs a Z3 call that returns an AST; on error throws.
    @inlinable
    public func ast(_ what: @autoclosure () -> String, _ body: () -> Z3_ast?) throws(Z3Error) -> Z3Term {
        let r = body()
        try check(what())
        guard let r else { throw Z3Error(code: -1, message: "\(what()): Z3 returned no term") }
        return Z3Term(r)
    }

    /// Runs a Z3 call for a non-throwing builder: on error records it and
    /// returns `fallback`.
    func recorded(_ what: @autoclosure () -> String, fallback: Z3Term, _ body: () -> Z3_ast?) -> Z3Term {
        do {
            return try ast(what(), body)
        } catch {
            if firstError == nil { firstError = error }
            return fallback
        }
    }

    // MARK: Sorts and fresh names

    /// The Boolean sort of this context.
    public var boolSort: Z3_sort { Z3_mk_bool_sort(raw) }
    /// The sort of bit-vectors of `width` bits (`width ≥ 1`).
    public func bitVectorSort(_ width: Int) -> Z3_sort { Z3_mk_bv_sort(raw, UInt32(width)) }

    /// A fresh, unique name with the given prefix (deterministic: a counter).
    public func freshName(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)!\(counter)"
    }

    // MARK: Untyped, throwing API

    /// A constant (free variable) of `sort` named `name`.
    public func constant(_ name: String, sort: Z3_sort) throws(Z3Error) -> Z3Term {
        try ast("declare \(name)") { Z3_mk_const(raw, Z3_mk_string_symbol(raw, name), sort) }
    }

    /// `a = b`; throws when the sorts differ.
    public func eq(_ a: Z3Term, _ b: Z3Term) throws(Z3Error) -> Z3Term {
        try ast("eq") { Z3_mk_eq(raw, a.raw, b.raw) }
    }

    /// `¬a`; throws when `a` is not Boolean.
    public func not(_ a: Z3Term) throws(Z3Error) -> Z3Term {
        try ast("not") { Z3_mk_not(raw, a.raw) }
    }

    /// Conjunction; throws when an argument is not Boolean.
    public func and(_ args: [Z3Term]) throws(Z3Error) -> Z3Term {
        let raws: [Z3_ast?] = args.map { $0.raw }
        return try ast("and") { raws.withUnsafeBufferPointer { Z3_mk_and(raw, UInt32($0.count), $0.baseAddress) } }
    }

    /// Disjunction; throws when an argument is not Boolean.
    public func or(_ args: [Z3Term]) throws(Z3Error) -> Z3Term {
        let raws: [Z3_ast?] = args.map { $0.raw }
        return try ast("or") { raws.withUnsafeBufferPointer { Z3_mk_or(raw, UInt32($0.count), $0.baseAddress) } }
    }

    /// `c ? a : b`; throws when `c` is not Boolean or `a`, `b` differ in sort.
    public func ite(_ c: Z3Term, _ a: Z3Term, _ b: Z3Term) throws(Z3Error) -> Z3Term {
        try ast("ite") { Z3_mk_ite(raw, c.raw, a.raw, b.raw) }
    }

    /// Bit-vector addition; throws on sort mismatch.
    public func bvAdd(_ a: Z3Term, _ b: Z3Term) throws(Z3Error) -> Z3Term {
        try ast("bvadd") { Z3_mk_bvadd(raw, a.raw, b.raw) }
    }

    /// Z3's simplifier.
    public func simplify(_ a: Z3Term) throws(Z3Error) -> Z3Term {
        try ast("simplify") { Z3_simplify(raw, a.raw) }
    }

    /// The value of a Boolean constant term, nil when it is not `true`/`false`.
    public func boolValue(_ a: Z3Term) -> Bool? {
        switch Z3_get_bool_value(raw, a.raw) {
        case Z3_L_TRUE: return true
        case Z3_L_FALSE: return false
        default: return nil
        }
    }

    /// The value of a numeral term (≤ 64 bits), nil when it is not a numeral.
    public func numeralValue(_ a: Z3Term) -> UInt64? {
        guard Z3_is_numeral_ast(raw, a.raw) else { return nil }
        var v: UInt64 = 0
        guard Z3_get_numeral_uint64(raw, a.raw, &v) else { return nil }
        return v
    }

    /// Z3's rendering of a term (SMT-LIB syntax).
    public func string(_ a: Z3Term) -> String {
        Z3_ast_to_string(raw, a.raw).map { String(cString: $0) } ?? "?"
    }

    // MARK: Typed, non-throwing builders (errors recorded in `firstError`)

    /// A fresh Boolean variable.
    public func freshBool(_ prefix: String) -> Z3Bool {
        let name = freshName(prefix)
        return Z3Bool(
            recorded("declare \(name)", fallback: falseTerm.term) {
                Z3_mk_const(raw, Z3_mk_string_symbol(raw, name), Z3_mk_bool_sort(raw))
            })
    }

    /// The constant `b`, with its value known.
    @inlinable
    public func bool(_ b: Bool) -> Z3Bool { b ? trueTerm : falseTerm }

    /// The numeral `value` of `width` bits.
    public func bitVector(_ value: UInt64, width: Int) -> Z3BitVector {
        let sort = bitVectorSort(width)
        let t = recorded("numeral \(value)", fallback: falseTerm.term) { Z3_mk_unsigned_int64(raw, value, sort) }
        return Z3BitVector(t, constant: value)
    }

    /// `¬a`, with folding.
    public func not(_ a: Z3Bool) -> Z3Bool {
        if let c = a.constant { return bool(!c) }
        return Z3Bool(recorded("not", fallback: falseTerm.term) { Z3_mk_not(raw, a.term.raw) })
    }

    /// Conjunction with constant folding (true when empty).
    public func and(_ args: [Z3Bool]) -> Z3Bool {
        var kept: [Z3Term] = []
        var seen = Set<Z3Term>()
        for a in args {
            if let c = a.constant {
                if !c { return falseTerm }
                continue
            }
            if seen.insert(a.term).inserted { kept.append(a.term) }
        }
        if kept.isEmpty { return trueTerm }
        if kept.count == 1 { return Z3Bool(kept[0]) }
        let rest: [Z3_ast?] = kept.map(\.raw)
        return Z3Bool(
            recorded("and", fallback: falseTerm.term) {
                rest.withUnsafeBufferPointer { Z3_mk_and(raw, UInt32($0.count), $0.baseAddress) }
            })
    }

    /// Disjunction with constant folding (false when empty).
    public func or(_ args: [Z3Bool]) -> Z3Bool {
        var kept: [Z3Term] = []
        var seen = Set<Z3Term>()
        for a in args {
            if let c = a.constant {
                if c { return trueTerm }
                continue
            }
            if seen.insert(a.term).inserted { kept.append(a.term) }
        }
        if kept.isEmpty { return falseTerm }
        if kept.count == 1 { return Z3Bool(kept[0]) }
        let rest: [Z3_ast?] = kept.map(\.raw)
        return Z3Bool(
            recorded("or", fallback: falseTerm.term) {
                rest.withUnsafeBufferPointer { Z3_mk_or(raw, UInt32($0.count), $0.baseAddress) }
            })
    }

    /// `c ? a : b` on Booleans, with folding.
    public func ite(_ c: Z3Bool, _ a: Z3Bool, _ b: Z3Bool) -> Z3Bool {
        if let k = c.constant { return k ? a : b }
        if a.term == b.term { return a }
        if a.constant == true && b.constant == false { return c }
        if a.constant == false && b.constant == true { return not(c) }
        if a.constant == false { return and([not(c), b]) }
        if b.constant == false { return and([c, a]) }
        if a.constant == true { return or([c, b]) }
        if b.constant == true { return or([not(c), a]) }
        return Z3Bool(recorded("ite", fallback: falseTerm.term) { Z3_mk_ite(raw, c.term.raw, a.term.raw, b.term.raw) })
    }

    /// `c ? a : b` on bit-vectors, with folding.
    public func ite(_ c: Z3Bool, _ a: Z3BitVector, _ b: Z3BitVector) -> Z3BitVector {
        if let k = c.constant { return k ? a : b }
        if a.term == b.term { return a }
        return Z3BitVector(recorded("ite", fallback: a.term) { Z3_mk_ite(raw, c.term.raw, a.term.raw, b.term.raw) })
    }

    /// `a = b` on bit-vectors, with folding.
    public func eq(_ a: Z3BitVector, _ b: Z3BitVector) -> Z3Bool {
        if let x = a.constant, let y = b.constant { return bool(x == y) }
        if a.term == b.term { return trueTerm }
        return Z3Bool(recorded("eq", fallback: falseTerm.term) { Z3_mk_eq(raw, a.term.raw, b.term.raw) })
    }

    /// `a + b` modulo 2^width, with folding.
    public func add(_ a: Z3BitVector, _ b: Z3BitVector, width: Int) -> Z3BitVector {
        if let x = a.constant, let y = b.constant {
            let mask: UInt64 = width >= 64 ? ~0 : (UInt64(1) << UInt64(width)) - 1
            return bitVector((x &+ y) & mask, width: width)
        }
        if a.constant == 0 { return b }
        if b.constant == 0 { return a }
        return Z3BitVector(recorded("bvadd", fallback: a.term) { Z3_mk_bvadd(raw, a.term.raw, b.term.raw) })
    }

    /// `a < b` as unsigned numbers, with folding.
    public func unsignedLess(_ a: Z3BitVector, _ b: Z3BitVector) -> Z3Bool {
        if let x = a.constant, let y = b.constant { return bool(x < y) }
        if a.term == b.term { return falseTerm }
        return Z3Bool(recorded("bvult", fallback: falseTerm.term) { Z3_mk_bvult(raw, a.term.raw, b.term.raw) })
    }

    /// Bits `low ..< low + count` of `a` (of width `width`), zero-extended
    /// back to `width` bits; bits beyond the width read as zero.
    public func bitField(_ a: Z3BitVector, low: Int, count: Int, width: Int) -> Z3BitVector {
        let high = min(low + count, width)
        guard low < high else { return bitVector(0, width: width) }
        if let x = a.constant {
            let field = (x >> UInt64(low)) & ((UInt64(1) << UInt64(high - low)) - 1)
            return bitVector(field, width: width)
        }
        let extracted = recorded("extract", fallback: a.term) {
            Z3_mk_extract(raw, UInt32(high - 1), UInt32(low), a.term.raw)
        }
        if high - low == width { return Z3BitVector(extracted) }
        return Z3BitVector(
            recorded("zero_ext", fallback: a.term) { Z3_mk_zero_ext(raw, UInt32(width - (high - low)), extracted.raw) })
    }

    /// At least `k` of `bits` are true (a cardinality constraint), with folding.
    public func atLeast(_ k: Int, _ bits: [Z3Bool]) -> Z3Bool {
        var need = k
        var kept: [Z3Bool] = []
        for b in bits {
            if let c = b.constant {
                if c { need -= 1 }
            } else {
                kept.append(b)
            }
        }
        if need <= 0 { return trueTerm }
        if need > kept.count { return falseTerm }
        if need == kept.count { return and(kept) }
        if need == 1 { return or(kept) }
        let rest: [Z3_ast?] = kept.map(\.term.raw)
        return Z3Bool(
            recorded("atleast", fallback: falseTerm.term) {
                rest.withUnsafeBufferPointer { Z3_mk_atleast(raw, UInt32($0.count), $0.baseAddress, UInt32(need)) }
            })
    }

    /// At most `k` of `bits` are true, with folding.
    public func atMost(_ k: Int, _ bits: [Z3Bool]) -> Z3Bool {
        var allow = k
        var kept: [Z3Bool] = []
        for b in bits {
            if let c = b.constant {
                if c { allow -= 1 }
            } else {
                kept.append(b)
            }
        }
        if allow < 0 { return falseTerm }
        if allow >= kept.count { return trueTerm }
        if allow == 0 { return and(kept.map { not($0) }) }
        let rest: [Z3_ast?] = kept.map(\.term.raw)
        return Z3Bool(
            recorded("atmost", fallback: falseTerm.term) {
                rest.withUnsafeBufferPointer { Z3_mk_atmost(raw, UInt32($0.count), $0.baseAddress, UInt32(allow)) }
            })
    }
}

/// The answer of one satisfiability check.
public enum Z3CheckResult: Equatable, Sendable {
    /// The assertions have a model; `model()` returns it.
    case sat
    /// The assertions have no model.
    case unsat
    /// Z3 gave up (timeout, resource limit, incompleteness); never read as
    /// "unsat".
    case unknown(reason: String)
}

/// Stops the query a `Z3Context` is running, from any thread: the one use of a
/// context Z3 allows off its own thread (`Z3_interrupt`). The interrupted
/// `check()` returns `unknown` (reason "canceled"); a context that is not
/// solving ignores it. Holds its context, so it never outlives it.
public final class Z3Interrupter: @unchecked Sendable {
    private let context: Z3Context

    init(_ context: Z3Context) { self.context = context }

    /// Asks the running query, if any, to stop.
    public func interrupt() { Z3_interrupt(context.raw) }
}

/// How a `Z3Solver` decides its assertions.
public enum Z3SolverKind: Equatable, Sendable {
    /// Bit-vectors are bit-blasted and the propositional result, cardinality
    /// constraints included, goes straight to Z3's SAT solver (the tactic
    /// `(then bit-blast sat)`), with none of the rewriting Z3's QF_FD solver
    /// does first; a goal whose operators bit-blasting refuses is simplified
    /// first (`(or-else (then bit-blast sat) (then simplify bit-blast sat))`).
    /// On the unrolled runs of the symbolic engine the QF_FD solver's rewriting
    /// costs far more than it saves (UIC (11,5) Validity: 49 s under QF_FD,
    /// 0.45 s here). Not incremental: one solver per query.
    case bitBlastSAT
    /// Z3's solver for a logic, e.g. "QF_FD" (finite domains, bit-blasted to SAT after its own preprocessing).
    case logic(String)
    /// Z3's simple solver (the SMT core, incremental).
    case simple

    /// The solver's name in reports: "bit-blast+sat", the logic's name, or "simple".
    public var name: String {
        switch self {
        case .bitBlastSAT: "bit-blast+sat"
        case .logic(let logic): logic
        case .simple: "simple"
        }
    }
}

/// A Z3 solver of one context.
public final class Z3Solver {
    /// The context that owns the solver and every term asserted in it.
    public let context: Z3Context
    /// The underlying Z3 solver, referenced while this object lives.
    public let raw: Z3_solver

    /// A solver for `logic` (e.g. "QF_FD": finite domains, bit-blasted to SAT),
    /// or Z3's simple solver when `logic` is nil.
    public convenience init(_ context: Z3Context, logic: String? = "QF_FD") throws(Z3Error) {
        try self.init(context, kind: logic.map { .logic($0) } ?? .simple)
    }

    /// A solver of the given kind.
    public init(_ context: Z3Context, kind: Z3SolverKind) throws(Z3Error) {
        self.context = context
        let c = context.raw
        let s: Z3_solver?
        switch kind {
        case .logic(let logic):
            s = Z3_mk_solver_for_logic(c, Z3_mk_string_symbol(c, logic))
        case .simple:
            s = Z3_mk_simple_solver(c)
        case .bitBlastSAT:
            // Bit-blasting refuses a few operators (unsigned comparisons, among others) until `simplify` has
            // rewritten them; only a goal that has them pays for the rewriting.
            let direct = try Self.tactics(context, ["bit-blast", "sat"])
            defer { Z3_tactic_dec_ref(c, direct) }
            let simplified = try Self.tactics(context, ["simplify", "bit-blast", "sat"])
            defer { Z3_tactic_dec_ref(c, simplified) }
            guard let either = Z3_tactic_or_else(c, direct, simplified) else {
                try context.check("combine tactics")
                throw Z3Error(code: -1, message: "Z3 returned no tactic")
            }
            Z3_tactic_inc_ref(c, either)
            defer { Z3_tactic_dec_ref(c, either) }
            s = Z3_mk_solver_from_tactic(c, either)
        }
        try context.check("create solver \(kind.name)")
        guard let s else { throw Z3Error(code: -1, message: "Z3 returned no solver") }
        Z3_solver_inc_ref(c, s)
        raw = s
        // Z3 would take over SIGINT while it solves and turn Ctrl-C into an
        // `unknown` answer, unseen by the process; the process decides what
        // SIGINT does (`Z3Interrupter` stops a query on its behalf).
        let p = Z3_mk_params(c)
        Z3_params_inc_ref(c, p)
        defer { Z3_params_dec_ref(c, p) }
        Z3_params_set_bool(c, p, Z3_mk_string_symbol(c, "ctrl_c"), false)
        Z3_solver_set_params(c, s, p)
        try context.check("leave SIGINT to the process")
    }

    deinit { Z3_solver_dec_ref(context.raw, raw) }

    /// The tactics `names` applied one after the other, referenced (the caller releases it).
    private static func tactics(_ context: Z3Context, _ names: [String]) throws(Z3Error) -> Z3_tactic {
        let c = context.raw
        var combined: Z3_tactic?
        for name in names {
            guard let next = Z3_mk_tactic(c, name) else {
                if let combined { Z3_tactic_dec_ref(c, combined) }
                try context.check("create tactic \(name)")
                throw Z3Error(code: -1, message: "Z3 returned no tactic \(name)")
            }
            Z3_tactic_inc_ref(c, next)
            guard let previous = combined else {
                combined = next
                continue
            }
            let both = Z3_tactic_and_then(c, previous, next)
            Z3_tactic_dec_ref(c, previous)
            Z3_tactic_dec_ref(c, next)
            guard let both else {
                try context.check("combine tactics")
                throw Z3Error(code: -1, message: "Z3 returned no tactic")
            }
            Z3_tactic_inc_ref(c, both)
            combined = both
        }
        guard let combined else { throw Z3Error(code: -1, message: "no tactic named") }
        return combined
    }

    /// Sets the solver's wall-clock timeout (Z3 parameter "timeout", in ms).
    public func setTimeout(seconds: Double) throws(Z3Error) {
        let c = context.raw
        let p = Z3_mk_params(c)
        Z3_params_inc_ref(c, p)
        defer { Z3_params_dec_ref(c, p) }
        let ms = UInt32(max(1, min(Double(UInt32.max - 1), (seconds * 1000).rounded(.up))))
        Z3_params_set_uint(c, p, Z3_mk_string_symbol(c, "timeout"), ms)
        Z3_solver_set_params(c, raw, p)
        try context.check("set timeout")
    }

    /// Asserts a Boolean term.
    public func assert(_ b: Z3Bool) throws(Z3Error) {
        Z3_solver_assert(context.raw, raw, b.term.raw)
        try context.check("assert")
    }

    /// Asserts any term (throws unless it is Boolean).
    public func assert(_ t: Z3Term) throws(Z3Error) {
        Z3_solver_assert(context.raw, raw, t.raw)
        try context.check("assert")
    }

    /// Opens a backtracking point; `pop()` removes everything asserted since.
    public func push() throws(Z3Error) {
        Z3_solver_push(context.raw, raw)
        try context.check("push")
    }

    /// Removes every assertion since the matching `push()`.
    public func pop() throws(Z3Error) {
        Z3_solver_pop(context.raw, raw, 1)
        try context.check("pop")
    }

    /// Checks satisfiability of the assertions.
    public func check() throws(Z3Error) -> Z3CheckResult {
        let r = Z3_solver_check(context.raw, raw)
        try context.check("check")
        switch r {
        case Z3_L_TRUE: return .sat
        case Z3_L_FALSE: return .unsat
        default:
            let reason = Z3_solver_get_reason_unknown(context.raw, raw).map { String(cString: $0) } ?? "unknown"
            return .unknown(reason: reason)
        }
    }

    /// The model of the last `sat` check.
    public func model() throws(Z3Error) -> Z3Model {
        let m = Z3_solver_get_model(context.raw, raw)
        try context.check("get model")
        guard let m else { throw Z3Error(code: -1, message: "no model") }
        return Z3Model(context, m)
    }

    /// Z3's statistics for this solver, in Z3's order (deterministic).
    public func statistics() throws(Z3Error) -> [(key: String, value: Double)] {
        let c = context.raw
        let st = Z3_solver_get_statistics(c, raw)
        try context.check("statistics")
        guard let st else { return [] }
        Z3_stats_inc_ref(c, st)
        defer { Z3_stats_dec_ref(c, st) }
        var out: [(key: String, value: Double)] = []
        for i in 0..<Z3_stats_size(c, st) {
            let key = Z3_stats_get_key(c, st, i).map { String(cString: $0) } ?? "?"
            let v =
                Z3_stats_is_uint(c, st, i)
                ? Double(Z3_stats_get_uint_value(c, st, i)) : Z3_stats_get_double_value(c, st, i)
            out.append((key, v))
        }
        return out
    }
}

/// A model (a satisfying assignment) of a `sat` check.
public final class Z3Model {
    /// The context the model belongs to.
    public let context: Z3Context
    /// The underlying Z3 model, referenced while this object lives.
    public let raw: Z3_model

    init(_ context: Z3Context, _ raw: Z3_model) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
    }

    deinit { Z3_model_dec_ref(context.raw, raw) }

    /// Evaluates `t` in the model, completing unconstrained variables.
    public func eval(_ t: Z3Term) throws(Z3Error) -> Z3Term {
        var out: Z3_ast?
        let ok = Z3_model_eval(context.raw, raw, t.raw, true, &out)
        try context.check("model eval")
        guard ok, let out else { throw Z3Error(code: -1, message: "model evaluation failed") }
        return Z3Term(out)
    }

    /// The value of a Boolean term in the model.
    public func bool(_ b: Z3Bool) throws(Z3Error) -> Bool {
        if let c = b.constant { return c }
        let v = try eval(b.term)
        guard let r = context.boolValue(v) else {
            throw Z3Error(code: -1, message: "model value of a Boolean is not a constant: \(context.string(v))")
        }
        return r
    }

    /// The value of a bit-vector term in the model.
    public func bitVector(_ x: Z3BitVector) throws(Z3Error) -> UInt64 {
        if let c = x.constant { return c }
        let v = try eval(x.term)
        guard let r = context.numeralValue(v) else {
            throw Z3Error(code: -1, message: "model value of a bit-vector is not a numeral: \(context.string(v))")
        }
        return r
    }
}
