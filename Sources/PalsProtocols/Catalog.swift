import PalsCore

/// Receives a concrete protocol instance with its properties; lets the CLI
/// and tests run any engine on any catalogued protocol without either side
/// knowing the other.
public protocol ConcreteModelVisitor {
    /// What a visit returns.
    associatedtype Result
    /// Called once, with the instance, the properties to check and a short note
    /// per state for diagrams.
    func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> Result where P.L == Concrete, P.State: Hashable
}

/// Receives one protocol instance twice: over the visitor's logic (e.g. the
/// symbolic one) and over `Concrete`, with the same properties in the same
/// order; the symbolic engine checks the first and replays on the second.
public protocol LogicModelVisitor {
    /// The logic of the first instance.
    associatedtype L: Logic
    /// What a visit returns.
    associatedtype Result
    /// The logic the first instance is built over.
    var logic: L { get }
    /// Called once, with both instances and their properties.
    func visit<S: StateSelecting, C: RoundProtocol & Sendable>(
        _ proto: S, properties: [Property<S>], concrete: C, concreteProperties: [Property<C>]
    ) throws -> Result where S.L == L, C.L == Concrete, C.State: Hashable
}

/// Receives a concrete protocol that says what its hosts observe
/// (`Observable`), for the noninterference checks.
public protocol ObservableModelVisitor {
    /// What a visit returns.
    associatedtype Result
    /// Called once, with the instance and a short note per state for diagrams.
    func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> Result where P.L == Concrete, P.State: Hashable
}

/// Receives an observable protocol instance over the visitor's logic, for
/// the symbolic noninterference check.
public protocol LogicObservableVisitor {
    /// The logic of the instance.
    associatedtype L: Logic
    /// What a visit returns.
    associatedtype Result
    /// The logic the instance is built over.
    var logic: L { get }
    /// Called once, with the instance.
    func visit<P: StateSelecting & Observable>(_ proto: P) throws -> Result where P.L == L
}

/// A protocol instance as named on the command line.
public struct ModelSpec: Hashable, Sendable, CustomStringConvertible {
    /// The catalogue's name of the protocol (`CataloguedProtocol.name`), e.g.
    /// `uic` or `fair-exchange`.
    public var protocolName: String
    /// The variant (a mutant, an F or a mode); `standard` stands for the
    /// protocol's default.
    public var variant: String
    /// The number of processes, p0 … p(n-1).
    public var n: Int
    /// The bound on faulty processes.
    public var t: Int
    /// Overrides the protocol's number of rounds.
    public var rounds: Int?

    /// A spec of `protocolName`, variant `standard` unless given;
    /// `Catalog.validate` checks it.
    public init(protocolName: String, variant: String = "standard", n: Int, t: Int, rounds: Int? = nil) {
        self.protocolName = protocolName
        self.variant = variant
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    /// The spec as reports show it, e.g. `smc/max n=3 t=1 rounds=2`; the
    /// variant is left out when `standard`.
    public var description: String {
        "\(protocolName)\(variant == "standard" ? "" : "/\(variant)") n=\(n) t=\(t)"
            + (rounds.map { " rounds=\($0)" } ?? "")
    }
}

/// A protocol the catalogue knows: everything a command, an engine adapter
/// or the runtime needs to find out about it, in one place. A protocol is
/// added by one type conforming to this (usually a case-less enum in its
/// own file) and one line in `Catalog.registry`.
///
/// Every requirement but `name`, `summary`, `variants` and `visit` has a
/// default; the generic ones are called with concrete types from the
/// registry, so the engines are specialized for each protocol.
public protocol CataloguedProtocol: SendableMetatype {
    /// The name on the command line and in files, e.g. `fair-exchange`.
    static var name: String { get }
    /// One line saying what the protocol is and where it comes from.
    static var summary: String { get }
    /// The variant names listings show.
    static var variants: [String] { get }
    /// What the variant `standard` stands for (default: `standard`).
    static var defaultVariant: String { get }
    /// The option that names a variant in this protocol's terms, e.g.
    /// `function` for smc (default: none; `variant` always works).
    static var variantOption: String? { get }
    /// Whether the run's length is given as M, the number of fake rounds
    /// (M + 1 rounds in all).
    static var roundsAreFakeRounds: Bool { get }
    /// Does the protocol accept `variant` (already resolved)? Default: one
    /// of `variants`.
    static func accepts(variant: String) -> Bool
    /// Checks what is particular to the protocol (n, t and the variant's
    /// name are checked already); throws an error naming the value out of
    /// range. Default: nothing to check.
    static func validate(_ spec: ModelSpec) throws(PalsError)
    /// The inputs a check uses unless told otherwise (default: 0, 1, …, n−1,
    /// distinct, which suffices for data-independent protocols).
    static func defaultInputs(_ spec: ModelSpec) -> [Int]
    /// Rejects inputs the protocol cannot take (default: accepts any).
    static func checkInputs(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError)
    /// Rejects inputs on which the protocol's arithmetic would leave the
    /// 64-bit integers (default: none does).
    static func checkInputsFit(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError)
    /// An exclusive upper bound on every value the instance computes with on
    /// `inputs` (sums, process indices, frame sizes, packed fields): the
    /// symbolic values must be wide enough that none wraps around or
    /// collides with ⊥. Default: one more than the largest input.
    static func valueBound(_ spec: ModelSpec, inputs: [Int]) -> Int
    /// Why the symbolic engine cannot check `spec`, or nil when it can
    /// (default: it can).
    static func symbolicRestriction(_ spec: ModelSpec) -> String?
    /// The number of rounds of `spec` (validated, resolved).
    static func rounds(_ spec: ModelSpec) -> Int
    /// Instantiates `spec` (validated, resolved) over `Concrete` and hands it
    /// to `visitor`.
    static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result
    /// Instantiates `spec` over the visitor's logic and over `Concrete`.
    static func visit<V: LogicModelVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result
    /// Whether the protocol models what hosts observe (`Observable`).
    static var isObservable: Bool { get }
    /// Instantiates an observable `spec` over `Concrete` (default: throws,
    /// the protocol does not model observations).
    static func visitObservable<V: ObservableModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result
    /// Instantiates an observable `spec` over the visitor's logic (default:
    /// throws).
    static func visitObservable<V: LogicObservableVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result
    /// The families of runs the noninterference check compares, per faulty
    /// set: two runs of a family may differ only in what must stay secret.
    /// `values` lets the user choose the secret inputs' range where the
    /// protocol has one (`noninterferenceTakesValues`).
    static func interferenceRuns(_ spec: ModelSpec, values: [Int]?) -> @Sendable (ProcessSet) -> [[Int]]
    /// Whether `values` applies to the noninterference families.
    static var noninterferenceTakesValues: Bool { get }
    /// Whether noninterference is also checked as privacy (runs whose
    /// correct processes' results agree may not be told apart).
    static var checksPrivacy: Bool { get }
    /// One line describing the families, for reports: explicit (`runs` is
    /// the number with nobody faulty) or symbolic (`runs` nil, `largest` the
    /// bound on free values).
    static func interferenceDescription(_ spec: ModelSpec, values: [Int]?, runs: Int?, largest: Int) -> String
    /// The second run of the symbolic noninterference check: the constraint
    /// on its inputs `b`, given the first run's `inputs`, all below
    /// `largest`.
    static func allowedVariation<L: Logic>(
        _ logic: L, spec: ModelSpec, inputs: [Int], largest: Int, b: [L.Value]
    ) -> L.Bit
}

extension CataloguedProtocol {
    /// `standard`.
    public static var defaultVariant: String { "standard" }
    /// None.
    public static var variantOption: String? { nil }
    /// No.
    public static var roundsAreFakeRounds: Bool { false }
    /// One of `variants`.
    public static func accepts(variant: String) -> Bool { variants.contains(variant) }
    /// Nothing to check.
    public static func validate(_ spec: ModelSpec) throws(PalsError) {}
    /// 0, 1, …, n−1.
    public static func defaultInputs(_ spec: ModelSpec) -> [Int] { Array(0..<spec.n) }
    /// Accepts any.
    public static func checkInputs(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {}
    /// None does.
    public static func checkInputsFit(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {}
    /// One more than the largest input.
    public static func valueBound(_ spec: ModelSpec, inputs: [Int]) -> Int { (inputs.max() ?? 0) + 1 }
    /// None.
    public static func symbolicRestriction(_ spec: ModelSpec) -> String? { nil }
    /// t + 1 unless the spec says otherwise.
    public static func rounds(_ spec: ModelSpec) -> Int { spec.rounds ?? spec.t + 1 }
    /// No.
    public static var isObservable: Bool { false }
    /// Throws: not observable.
    public static func visitObservable<V: ObservableModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        throw Catalog.notObservable(name)
    }
    /// Throws: not observable.
    public static func visitObservable<V: LogicObservableVisitor>(
        _ spec: ModelSpec, logic visitor: V
    ) throws -> V.Result {
        throw Catalog.notObservable(name)
    }
    /// Each correct process's input over `values` (default: x_i and x_i + 256), the faulty keep theirs.
    public static func interferenceRuns(_ spec: ModelSpec, values: [Int]?) -> @Sendable (ProcessSet) -> [[Int]] {
        let base = defaultInputs(spec)
        let n = spec.n
        return { faulty in
            var runs: [[Int]] = [[]]
            for i in 0..<n {
                let choices = faulty.contains(i) ? [base[i]] : (values ?? [base[i], base[i] + 256])
                runs = runs.flatMap { r in choices.map { r + [$0] } }
            }
            return runs
        }
    }
    /// Yes.
    public static var noninterferenceTakesValues: Bool { true }
    /// No.
    public static var checksPrivacy: Bool { false }
    /// The correct processes' inputs and their range.
    public static func interferenceDescription(_ spec: ModelSpec, values: [Int]?, runs: Int?, largest: Int) -> String {
        guard let runs else { return "correct inputs free below \(largest)" }
        let domain = values ?? []
        return
            "correct inputs over \(domain.isEmpty ? "{x_i, x_i + 256}" : "{\(domain.map(String.init).joined(separator: ","))}") (\(runs) runs with none faulty)"
    }
    /// Every input below `largest`.
    public static func allowedVariation<L: Logic>(
        _ logic: L, spec: ModelSpec, inputs: [Int], largest: Int, b: [L.Value]
    ) -> L.Bit {
        logic.all(b.map { logic.less($0, logic.value(largest)) })
    }
}

/// Receives a catalogued protocol's type; `Catalog.registry` hands every
/// protocol to one.
public protocol CatalogueVisitor {
    /// What a visit returns.
    associatedtype Result
    /// Called with one catalogued protocol.
    func visit<E: CataloguedProtocol>(_ entry: E.Type) throws -> Result
}

/// Passes on only the protocol of a given name.
@usableFromInline
struct NamedEntryVisitor<V: CatalogueVisitor>: CatalogueVisitor {
    @usableFromInline let name: String
    @usableFromInline let inner: V
    @inlinable init(name: String, inner: V) {
        self.name = name
        self.inner = inner
    }
    @inlinable func visit<E: CataloguedProtocol>(_ entry: E.Type) throws -> V.Result? {
        E.name == name ? try inner.visit(entry) : nil
    }
}

/// Collects the registered types.
@usableFromInline
struct EntryTypeCollector: CatalogueVisitor {
    @usableFromInline init() {}
    @usableFromInline func visit<E: CataloguedProtocol>(_ entry: E.Type) -> any CataloguedProtocol.Type { entry }
}

/// The protocols the tool knows, by name.
public enum Catalog {
    /// Hands every catalogued protocol, in the order listings show them, to
    /// `visitor`. **The registry: one line per protocol.**
    @inlinable
    public static func registry<V: CatalogueVisitor>(_ visitor: V) throws -> [V.Result] {
        [
            try visitor.visit(UICEntry.self),
            try visitor.visit(FloodSetEntry.self),
            try visitor.visit(SMCEntry.self),
            try visitor.visit(FairExchangeEntry.self),
        ]
    }

    /// Every catalogued protocol's type, in registry order.
    public static let registered: [any CataloguedProtocol.Type] = (try? registry(EntryTypeCollector())) ?? []

    /// The catalogued protocol named `name`, if any.
    public static func entry(named name: String) -> (any CataloguedProtocol.Type)? {
        registered.first { $0.name == name }
    }

    /// The catalogued protocol named by `spec`.
    ///
    /// - Throws: `unknownProtocol`, listing the known names.
    public static func entry(_ spec: ModelSpec) throws(PalsError) -> any CataloguedProtocol.Type {
        guard let e = entry(named: spec.protocolName) else { throw unknownProtocol(spec.protocolName) }
        return e
    }

    /// Hands the catalogued protocol named by `spec` to `visitor`, its type
    /// known statically (so what the visitor runs is specialized for it).
    ///
    /// - Throws: `unknownProtocol`, or what the visitor throws.
    @inlinable
    public static func withEntry<V: CatalogueVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        for case let r? in try registry(NamedEntryVisitor(name: spec.protocolName, inner: visitor)) { return r }
        throw unknownProtocol(spec.protocolName)
    }

    /// The error of a name the catalogue does not know.
    public static func unknownProtocol(_ name: String) -> PalsError {
        PalsError(
            .unknownProtocol,
            "unknown protocol \"\(name)\"; known: \(registered.map { $0.name }.joined(separator: ", "))")
    }

    /// The error of a protocol that does not model observations.
    public static func notObservable(_ name: String) -> PalsError {
        PalsError(
            .invalidArgument,
            "\(name) does not model what hosts observe; use one of: \(observable.joined(separator: ", "))")
    }

    /// One catalogued protocol, as listings show it.
    public struct Entry: Sendable {
        /// The name on the command line, e.g. `fair-exchange`.
        public let name: String
        /// One line saying what the protocol is and where it comes from.
        public let summary: String
        /// The variant names the catalogue accepts (smc also takes registered
        /// users' functions).
        public let variants: [String]
    }

    /// Every catalogued protocol, in the order listings show them.
    public static var entries: [Entry] {
        registered.map { Entry(name: $0.name, summary: $0.summary, variants: $0.variants) }
    }

    /// The protocols whose hosts' observations are modelled.
    public static var observable: [String] { registered.filter { $0.isObservable }.map { $0.name } }

    /// The variant `standard` stands for a protocol's default variant
    /// (`CataloguedProtocol.defaultVariant`, e.g. `sum` for smc).
    public static func resolved(_ spec: ModelSpec) -> ModelSpec {
        var s = spec
        if s.variant == "standard", let e = entry(named: s.protocolName) { s.variant = e.defaultVariant }
        return s
    }

    /// The default M of the fake-rounds modes (the run has M + 1 rounds;
    /// `rounds` of a spec sets it).
    public static let defaultM = 4

    /// The inputs a check uses unless told otherwise
    /// (`CataloguedProtocol.defaultInputs`).
    public static func defaultInputs(_ spec: ModelSpec) -> [Int] {
        entry(named: spec.protocolName)?.defaultInputs(resolved(spec)) ?? Array(0..<spec.n)
    }

    /// Rejects inputs the protocol cannot take, or on which its arithmetic
    /// would leave the 64-bit integers.
    public static func checkInputs(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {
        let spec = resolved(spec)
        let e = try entry(spec)
        try e.checkInputsFit(spec, inputs)
        try e.checkInputs(spec, inputs)
    }

    /// Rejects inputs on which the protocol's arithmetic would leave the
    /// 64-bit integers: for smc with F = sum, inputs some of whose sums do.
    public static func checkInputsFit(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {
        let spec = resolved(spec)
        try entry(spec).checkInputsFit(spec, inputs)
    }

    /// The number of rounds of `spec` (validated).
    public static func rounds(_ spec: ModelSpec) throws(PalsError) -> Int {
        let spec = resolved(spec)
        return try entry(spec).rounds(spec)
    }

    /// The fair-exchange instance of `spec` (validated).
    @inlinable
    public static func fairExchange<L: Logic>(_ spec: ModelSpec, logic: L) -> FairExchange<L> {
        guard let mode = FairExchange<L>.Mode(rawValue: resolved(spec).variant) else {
            preconditionFailure("Invalid state: fair-exchange mode \(spec.variant) was not validated")
        }
        return FairExchange(logic: logic, n: spec.n, t: spec.t, mode: mode, M: (spec.rounds ?? defaultM + 1) - 1)
    }

    /// The UIC variant named by `spec`, over the logic `L`.
    ///
    /// - Throws: `invalidArgument` when `spec.variant` names no UIC variant.
    @inlinable
    public static func uicVariant<L: Logic>(_ spec: ModelSpec, over _: L.Type) throws(PalsError) -> UIC<L>.Variant {
        guard let variant = UIC<L>.Variant(rawValue: spec.variant) else {
            throw PalsError(.invalidArgument, "unknown uic variant \"\(spec.variant)\"")
        }
        return variant
    }

    /// The SMC variant (the function F) named by `spec`, over the logic `L`.
    ///
    /// - Throws: `invalidArgument` when `spec.variant` names no registered function.
    @inlinable
    public static func smcVariant<L: Logic>(_ spec: ModelSpec, over _: L.Type) throws(PalsError) -> SMC<L>.Variant {
        guard let variant = SMC<L>.Variant(name: spec.variant) else {
            throw PalsError(.invalidArgument, "unknown smc function \"\(spec.variant)\"")
        }
        return variant
    }

    /// Checks `spec` (n, t, rounds, protocol, variant, then what the
    /// protocol checks itself); throws an error that names the first value
    /// out of range.
    public static func validate(_ spec: ModelSpec) throws(PalsError) {
        let spec = resolved(spec)
        guard spec.n >= 1 && spec.n <= ProcessSet.maxProcesses else {
            throw PalsError(.invalidArgument, "n = \(spec.n) is out of range: need 1 ≤ n ≤ \(ProcessSet.maxProcesses)")
        }
        guard spec.t >= 0 && spec.t < spec.n else {
            throw PalsError(.invalidArgument, "t = \(spec.t) is out of range: need 0 ≤ t < n = \(spec.n)")
        }
        if let r = spec.rounds, r < 0 || r > 64 {
            throw PalsError(.invalidArgument, "rounds = \(r) is out of range: need 0 ≤ rounds ≤ 64")
        }
        let e = try entry(spec)
        guard e.accepts(variant: spec.variant) else {
            throw PalsError(
                .unknownProtocol,
                "unknown variant \"\(spec.variant)\" of \(e.name); known: \(e.variants.joined(separator: ", "))")
        }
        try e.validate(spec)
    }

    /// Instantiates `spec` over `Concrete` and hands it to `visitor`.
    /// Inlinable so that the engines are specialized for each protocol.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try validate(spec)
        let spec = resolved(spec)
        return try withEntry(spec, ConcreteDispatch(spec: spec, visitor: visitor))
    }

    /// Instantiates `spec` over the visitor's logic and over `Concrete`.
    @inlinable
    public static func visit<V: LogicModelVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result {
        try validate(spec)
        let spec = resolved(spec)
        return try withEntry(spec, LogicDispatch(spec: spec, visitor: visitor))
    }

    /// Instantiates an observable protocol of `spec` and hands it to `visitor`.
    @inlinable
    public static func visitObservable<V: ObservableModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try validate(spec)
        let spec = resolved(spec)
        return try withEntry(spec, ObservableDispatch(spec: spec, visitor: visitor))
    }

    /// Instantiates an observable protocol of `spec` over the visitor's logic.
    @inlinable
    public static func visitObservable<V: LogicObservableVisitor>(
        _ spec: ModelSpec, logic visitor: V
    ) throws -> V.Result {
        try validate(spec)
        let spec = resolved(spec)
        return try withEntry(spec, LogicObservableDispatch(spec: spec, visitor: visitor))
    }
}

@usableFromInline
struct ConcreteDispatch<V: ConcreteModelVisitor>: CatalogueVisitor {
    @usableFromInline let spec: ModelSpec
    @usableFromInline let visitor: V
    @inlinable init(spec: ModelSpec, visitor: V) {
        self.spec = spec
        self.visitor = visitor
    }
    @inlinable func visit<E: CataloguedProtocol>(_ entry: E.Type) throws -> V.Result { try E.visit(spec, visitor) }
}

@usableFromInline
struct LogicDispatch<V: LogicModelVisitor>: CatalogueVisitor {
    @usableFromInline let spec: ModelSpec
    @usableFromInline let visitor: V
    @inlinable init(spec: ModelSpec, visitor: V) {
        self.spec = spec
        self.visitor = visitor
    }
    @inlinable func visit<E: CataloguedProtocol>(_ entry: E.Type) throws -> V.Result {
        try E.visit(spec, logic: visitor)
    }
}

@usableFromInline
struct ObservableDispatch<V: ObservableModelVisitor>: CatalogueVisitor {
    @usableFromInline let spec: ModelSpec
    @usableFromInline let visitor: V
    @inlinable init(spec: ModelSpec, visitor: V) {
        self.spec = spec
        self.visitor = visitor
    }
    @inlinable func visit<E: CataloguedProtocol>(_ entry: E.Type) throws -> V.Result {
        try E.visitObservable(spec, visitor)
    }
}

@usableFromInline
struct LogicObservableDispatch<V: LogicObservableVisitor>: CatalogueVisitor {
    @usableFromInline let spec: ModelSpec
    @usableFromInline let visitor: V
    @inlinable init(spec: ModelSpec, visitor: V) {
        self.spec = spec
        self.visitor = visitor
    }
    @inlinable func visit<E: CataloguedProtocol>(_ entry: E.Type) throws -> V.Result {
        try E.visitObservable(spec, logic: visitor)
    }
}

extension FairExchange where L == Concrete {
    /// A short note for diagrams: `A` aborted, `C` committed, `H` halted
    /// (deterministic mode), else `-`.
    @inlinable
    public static func describe(_ s: State) -> String {
        s.committed ? "C" : s.uic.halted ? "H" : s.aborted ? "A" : "-"
    }
}

extension UIC where L == Concrete {
    /// A short note for diagrams: `H` once halted, else the trusted set size.
    @inlinable
    public static func describe(_ s: State) -> String {
        s.halted ? "H" : "T\(s.trusted.filter { $0 }.count)"
    }
}
