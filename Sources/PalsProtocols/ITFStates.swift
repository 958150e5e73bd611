import PalsCore

extension UIC: ITFDescribable where L == Concrete {
    /// `view` (per entry `{v}`, or `{}` for ⊥), `trusted` (a set of
    /// processes) and `halted`.
    public func itfFields(_ s: State) -> [(name: String, value: ITFValue)] {
        UIC<Concrete>.itfFields(s)
    }

    /// The ITF fields of a UIC state, shared by the protocols built on UIC.
    public static func itfFields(_ s: State) -> [(name: String, value: ITFValue)] {
        var trusted = ProcessSet()
        for (j, b) in s.trusted.enumerated() where b { trusted.insert(j) }
        return [
            ("view", .list(s.view.map { .option($0 == Concrete.bottomValue ? nil : $0) })),
            ("trusted", .processes(trusted)),
            ("halted", .bool(s.halted)),
        ]
    }
}

extension FloodSet: ITFDescribable where L == Concrete {
    /// `view` (per entry `{v}`, or `{}` for ⊥).
    public func itfFields(_ s: State) -> [(name: String, value: ITFValue)] {
        [("view", .list(s.view.map { .option($0 == Concrete.bottomValue ? nil : $0) }))]
    }
}

extension SMC: ITFDescribable where L == Concrete {
    /// The fields of the UIC run underneath.
    public func itfFields(_ s: State) -> [(name: String, value: ITFValue)] {
        UIC<Concrete>.itfFields(s)
    }
}

extension FairExchange: ITFDescribable where L == Concrete {
    /// `items` received (`{}` where none), `rho` (`{}` until known),
    /// `aborted`, `committed`, and the UIC fields of the deterministic mode
    /// prefixed `uic`.
    public func itfFields(_ s: State) -> [(name: String, value: ITFValue)] {
        func opt(_ v: Int) -> ITFValue { .option(v == Concrete.bottomValue ? nil : v) }
        return [
            ("items", .list(s.items.map(opt))),
            ("rho", opt(s.rho)),
            ("aborted", .bool(s.aborted)),
            ("committed", .bool(s.committed)),
        ]
            + UIC<Concrete>.itfFields(s.uic).map {
                ("uic" + $0.name.prefix(1).uppercased() + $0.name.dropFirst(), $0.value)
            }
    }
}

extension UIC: DiagramLegend {
    /// The legend of UIC's notes (`describe`): `Tk` for a process that trusts k
    /// processes, `H` once it has halted.
    public static var noteLegend: String { "Tk trusts k processes, H halted (knows it is faulty)" }
}

extension SMC: DiagramLegend {
    /// SMC's notes are those of the UIC run underneath, so is their legend.
    public static var noteLegend: String { UIC<L>.noteLegend }
}

extension FairExchange: DiagramLegend {
    /// The legend of fair exchange's notes (`describe`): `C` committed, `A`
    /// aborted, `H` halted in UIC (deterministic mode), `-` neither yet.
    public static var noteLegend: String {
        "C committed, A aborted, H halted (deterministic mode), - neither yet"
    }
}
