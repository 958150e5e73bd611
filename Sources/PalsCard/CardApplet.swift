import PalsModule

/// The TrustedPals applet: the card side of specs/apdu.md. It answers
/// SELECT by its AID, assembles chained commands, hands each whole module
/// command to the security module, and serves long answers in pieces
/// through GET RESPONSE. Every byte sequence gets an answer with a status
/// word; none traps.
///
/// Not thread-safe: one reader drives one card.
public final class CardApplet {
    /// The application identifier: F0 (a proprietary, unregistered RID)
    /// then "TPALS" and version 01.
    public static let aid: [UInt8] = [0xF0, 0x54, 0x50, 0x41, 0x4C, 0x53, 0x01]

    /// The answer to reset: direct convention, T=1, historical bytes
    /// announcing command chaining and extended Lc/Le (card capabilities,
    /// ISO/IEC 7816-4 §8.1.1.2.7), then the check byte TCK.
    public static let atr: [UInt8] = {
        let historical: [UInt8] = [0x80, 0x73, 0x00, 0x00, 0xC0] + Array("TPALS".utf8)
        var atr: [UInt8] = [0x3B, 0x80 | UInt8(historical.count), 0x80, 0x01] + historical
        atr.append(atr.dropFirst().reduce(0, ^))
        return atr
    }()

    /// Class bytes: interindustry (SELECT, GET RESPONSE) and the module's
    /// proprietary class; bit 0x10 marks a command that a chain continues.
    public static let interindustry: UInt8 = 0x00
    /// CLA bit 0x10: more commands of the same chain follow this one.
    public static let chainingBit: UInt8 = 0x10
    /// INS of SELECT: by DF name, the applet's AID.
    public static let selectINS: UInt8 = 0xA4
    /// INS of GET RESPONSE, which fetches the rest of a long answer.
    public static let getResponseINS: UInt8 = 0xC0
    /// The largest whole command (after chaining) the applet accepts.
    public static let maxCommandData = CommandAPDU.maxData
    /// The largest answer the vpcd link carries in one message, SW included.
    public static let maxExtendedAnswer = 65533

    private let module: ModuleLink
    private var selected = false
    private var chain: (cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8])?
    private var pending: [UInt8] = []

    /// Counts of what the applet answered (for reports).
    public private(set) var commands = 0

    /// An applet, nothing selected yet, that hands every whole module command
    /// to `module`.
    public init(module: ModuleLink) {
        self.module = module
    }

    /// Power off, power on or reset: nothing is selected, no chain is open,
    /// no answer is pending. The module's session is its own business (a
    /// reset card keeps its state, as its EEPROM would).
    public func reset() {
        selected = false
        chain = nil
        pending = []
    }

    /// Answers one command APDU (response data then SW1 SW2).
    public func process(_ bytes: [UInt8]) -> [UInt8] {
        commands += 1
        let command: ISOCommand
        switch ISOCommand.parse(bytes) {
        case .failure(let sw):
            chain = nil
            pending = []
            return sw.bytes
        case .success(let c): command = c
        }
        // Logical channels other than 0 and secure messaging are not offered.
        let base = command.cla & ~Self.chainingBit
        guard base == Self.interindustry || base == ModuleInstruction.cla else {
            chain = nil
            pending = []
            return CardStatus.claNotSupported.bytes
        }
        if command.ins == Self.getResponseINS && command.cla & Self.chainingBit == 0 {
            return getResponse(command)
        }
        pending = []
        // A chain is continued only by the same command.
        if let open = chain,
            base != open.cla || command.ins != open.ins || command.p1 != open.p1 || command.p2 != open.p2
        {
            chain = nil
            return CardStatus.conditionsNotSatisfied.bytes
        }
        if base == Self.interindustry {
            guard command.cla & Self.chainingBit == 0 else { return CardStatus.claNotSupported.bytes }
            guard command.ins == Self.selectINS else { return CardStatus.insNotSupported.bytes }
            return select(command)
        }
        guard selected else {
            chain = nil
            return CardStatus.conditionsNotSatisfied.bytes
        }
        guard ModuleInstruction(rawValue: command.ins) != nil else {
            chain = nil
            return CardStatus.insNotSupported.bytes
        }
        var data = chain?.data ?? []
        guard data.count + command.data.count <= Self.maxCommandData else {
            chain = nil
            return CardStatus.wrongLength.bytes
        }
        data += command.data
        if command.cla & Self.chainingBit != 0 {
            chain = (base, command.ins, command.p1, command.p2, data)
            return CardStatus.ok.bytes
        }
        chain = nil
        let inner = CommandAPDU(cla: base, ins: command.ins, p1: command.p1, p2: command.p2, data: data)
        let raw: [UInt8]
        do {
            raw = try module.transmit(inner.bytes)
        } catch {
            return CardStatus(rawValue: StatusWord.unknown.rawValue).bytes
        }
        guard raw.count >= 2 else { return CardStatus(rawValue: StatusWord.unknown.rawValue).bytes }
        let status = CardStatus(raw[raw.count - 2], raw[raw.count - 1])
        guard status == .ok else { return status.bytes }
        return answer(Array(raw.dropLast(2)), limit: limit(command))
    }

    /// Ne of a command: Le absent counts as Le = 00 (256, or 65536 in the
    /// extended form), capped at what one answer can carry.
    private func limit(_ c: ISOCommand) -> Int {
        let ne = c.ne ?? (c.extended ? 65536 : 256)
        return min(ne, Self.maxExtendedAnswer)
    }

    private func answer(_ data: [UInt8], limit: Int) -> [UInt8] {
        if data.count <= limit { return data + CardStatus.ok.bytes }
        pending = Array(data[limit...])
        return Array(data[..<limit]) + CardStatus.moreData(pending.count).bytes
    }

    private func select(_ c: ISOCommand) -> [UInt8] {
        // By DF name (P1 04), first or only occurrence, FCI or no answer.
        guard c.p1 == 0x04, c.p2 == 0x00 || c.p2 == 0x0C else { return CardStatus.wrongP1P2.bytes }
        guard c.data == Self.aid else { return CardStatus.notFound.bytes }
        selected = true
        return CardStatus.ok.bytes
    }

    private func getResponse(_ c: ISOCommand) -> [UInt8] {
        guard c.p1 == 0, c.p2 == 0, c.data.isEmpty else {
            pending = []
            return (c.data.isEmpty ? CardStatus.wrongP1P2 : CardStatus.wrongLength).bytes
        }
        guard chain == nil, !pending.isEmpty else {
            chain = nil
            return CardStatus.conditionsNotSatisfied.bytes
        }
        let rest = pending
        pending = []
        return answer(rest, limit: limit(c))
    }
}
