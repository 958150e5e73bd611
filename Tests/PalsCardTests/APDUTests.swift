import PalsCard
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

/// n modules of a UIC instance with fresh keys.
struct CardDeployment {
    let model: RuntimeModel<UICModuleCodec>
    let keys: [ModuleKey]
    let roster: Roster

    init(n: Int, t: Int) throws {
        model = try uicRuntimeModel(ModelSpec(protocolName: "uic", variant: "standard", n: n, t: t))
        keys = (0..<n).map { ModuleKey.generate(id: $0) }
        roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
    }

    func module(_ i: Int) throws -> SecurityModule<UICModuleCodec> {
        try SecurityModule(codec: model.codec, key: keys[i], roster: roster)
    }

    func applet(_ i: Int) throws -> CardApplet { CardApplet(module: try module(i)) }

    /// BEGIN's data for session `s`, input `input`.
    func begin(session s: UInt64, input: Int) -> [UInt8] {
        var d = SessionID(s).bytes
        Bytes.append(Int64(input), to: &d)
        return d + Array(model.codec.instanceName.utf8)
    }
}

func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { !$0.isWhitespace }
    return stride(from: 0, to: digits.count, by: 2).map {
        let a = digits.index(digits.startIndex, offsetBy: $0)
        return UInt8(digits[a...digits.index(after: a)], radix: 16)!
    }
}

func sw(_ r: [UInt8]) -> UInt16 { UInt16(r[r.count - 2]) << 8 | UInt16(r[r.count - 1]) }

let select = hex("00 A4 04 00 07 F0 54 50 41 4C 53 01")

@Suite("ISO 7816-4 APDU layer of the card", .timeLimit(.minutes(10)))
struct APDULayerTests {
    @Test("every case of ISO 7816-4 parses and encodes back to the same bytes")
    func cases() throws {
        let examples: [(String, ISOCommand)] = [
            ("80 40 00 00", ISOCommand(cla: 0x80, ins: 0x40)),
            ("80 40 00 00 00", ISOCommand(cla: 0x80, ins: 0x40, ne: 256)),
            ("80 40 00 00 10", ISOCommand(cla: 0x80, ins: 0x40, ne: 16)),
            ("80 30 00 00 02 AA BB", ISOCommand(cla: 0x80, ins: 0x30, data: [0xAA, 0xBB])),
            ("80 30 00 00 02 AA BB 00", ISOCommand(cla: 0x80, ins: 0x30, data: [0xAA, 0xBB], ne: 256)),
            ("80 40 00 00 00 00 00", ISOCommand(cla: 0x80, ins: 0x40, ne: 65536, extended: true)),
            ("80 40 00 00 00 01 00", ISOCommand(cla: 0x80, ins: 0x40, ne: 256, extended: true)),
            ("80 30 00 00 00 00 02 AA BB", ISOCommand(cla: 0x80, ins: 0x30, data: [0xAA, 0xBB], extended: true)),
            (
                "80 30 00 00 00 00 02 AA BB 01 02",
                ISOCommand(cla: 0x80, ins: 0x30, data: [0xAA, 0xBB], ne: 258, extended: true)
            ),
        ]
        for (text, expected) in examples {
            let parsed = ISOCommand.parse(hex(text))
            #expect(parsed == .success(expected), "\(text)")
            #expect(expected.bytes == hex(text), "\(text)")
        }
        let long = ISOCommand(cla: 0x80, ins: 0x32, data: Array(repeating: 7, count: 300), ne: 256)
        #expect(long.extended && long.bytes.count == 4 + 3 + 300 + 2)
        #expect(ISOCommand.parse(long.bytes) == .success(long))
    }

    @Test("malformed lengths are 6700")
    func malformed() {
        for text in [
            "", "80", "80 40 00", "80 30 00 00 03 AA", "80 30 00 00 01 AA BB CC", "80 30 00 00 00 00",
            "80 30 00 00 00 00 00 AA", "80 30 00 00 00 00 03 AA BB", "80 30 00 00 00 00 01 AA BB",
        ] {
            #expect(ISOCommand.parse(hex(text)) == .failure(.wrongLength), "\(text)")
        }
    }

    @Test("SELECT by AID, and the status words of the card layer")
    func selectAndStatus() throws {
        let d = try CardDeployment(n: 3, t: 1)
        let card = try d.applet(0)
        let begin = ISOCommand(cla: 0x80, ins: 0x20, data: d.begin(session: 1, input: 5)).bytes
        // Before SELECT: conditions of use not satisfied.
        #expect(sw(card.process(begin)) == 0x6985)
        #expect(sw(card.process(hex("00 A4 04 00 07 F0 54 50 41 4C 53 02"))) == 0x6A82)
        #expect(sw(card.process(hex("00 A4 00 00 07 F0 54 50 41 4C 53 01"))) == 0x6A86)
        #expect(sw(card.process(hex("00 B0 00 00 00"))) == 0x6D00)
        #expect(sw(card.process(hex("A0 A4 04 00 07 F0 54 50 41 4C 53 01"))) == 0x6E00)
        #expect(sw(card.process(select)) == 0x9000)
        #expect(sw(card.process(hex("80 99 00 00"))) == 0x6D00)
        #expect(sw(card.process(hex("81 20 00 00"))) == 0x6E00)
        #expect(sw(card.process(hex("80 40 01 00 00"))) == 0x6A80)
        #expect(sw(card.process(hex("80 40 00 00 00"))) == 0x6985)
        #expect(sw(card.process(hex("00 C0 00 00 00"))) == 0x6985)
        let r = card.process(begin)
        #expect(sw(r) == 0x9000 && r.count == 8)
        #expect(sw(card.process(begin)) == 0x6982)
        // A reset deselects.
        card.reset()
        #expect(sw(card.process(hex("80 30 00 00 04 00 00 00 01"))) == 0x6985)
    }

    @Test("chaining: parts answer 9000, out-of-order parts 6985, too much data 6700")
    func chaining() throws {
        let d = try CardDeployment(n: 3, t: 1)
        let card = try d.applet(0)
        #expect(sw(card.process(select)) == 0x9000)
        let data = d.begin(session: 2, input: 5)
        let first = ISOCommand(cla: 0x90, ins: 0x20, data: Array(data[..<10])).bytes
        let rest = ISOCommand(cla: 0x80, ins: 0x20, data: Array(data[10...])).bytes
        #expect(card.process(first) == [0x90, 0x00])
        let r = card.process(rest)
        #expect(sw(r) == 0x9000 && r.count == 8)
        // Another INS inside a chain discards it.
        #expect(card.process(first) == [0x90, 0x00])
        #expect(sw(card.process(hex("80 40 00 00 00"))) == 0x6985)
        #expect(sw(card.process(rest)) == 0x6A80)  // alone: not a BEGIN of this instance
        // 65535 bytes at most, joined.
        let big = ISOCommand(cla: 0x90, ins: 0x32, data: Array(repeating: 0, count: 65535), extended: true).bytes
        #expect(card.process(big) == [0x90, 0x00])
        #expect(sw(card.process(hex("80 32 00 00 01 00"))) == 0x6700)
        #expect(sw(card.process(hex("00 A4 04 00 07 F0 54 50 41 4C 53 01"))) == 0x9000)
    }

    @Test("long answers: first piece with 61xx, the rest by GET RESPONSE; an extended command gets all")
    func getResponse() throws {
        let d = try CardDeployment(n: 4, t: 1)
        let frame = d.model.format.frameSize
        let expected = 4 * frame
        #expect(expected > 256)
        for extended in [false, true] {
            let card = try d.applet(0)
            #expect(sw(card.process(select)) == 0x9000)
            #expect(
                sw(card.process(ISOCommand(cla: 0x80, ins: 0x20, data: d.begin(session: 3, input: 1)).bytes)) == 0x9000)
            let out = ISOCommand(
                cla: 0x80, ins: 0x30, data: [0, 0, 0, 1], ne: extended ? 65536 : 256, extended: extended
            ).bytes
            var r = card.process(out)
            var data = Array(r.dropLast(2))
            if extended {
                #expect(sw(r) == 0x9000 && data.count == expected)
                continue
            }
            #expect(data.count == 256 && r[r.count - 2] == 0x61)
            #expect(sw(card.process(hex("00 C0 01 00 00"))) == 0x6A86)  // discards the rest
            #expect(sw(card.process(hex("00 C0 00 00 00"))) == 0x6985)
            // From the start again, in small pieces.
            let card2 = try d.applet(1)
            #expect(sw(card2.process(select)) == 0x9000)
            #expect(
                sw(card2.process(ISOCommand(cla: 0x80, ins: 0x20, data: d.begin(session: 3, input: 1)).bytes)) == 0x9000
            )
            r = card2.process(ISOCommand(cla: 0x80, ins: 0x30, data: [0, 0, 0, 1], ne: 100).bytes)
            data = Array(r.dropLast(2))
            #expect(data.count == 100)
            while r[r.count - 2] == 0x61 {
                r = card2.process(hex("00 C0 00 00 64"))
                data += r.dropLast(2)
            }
            #expect(sw(r) == 0x9000 && data.count == expected)
        }
    }

    @Test("ten thousand random and mutated APDUs: always a status word, never a trap")
    func fuzz() throws {
        let d = try CardDeployment(n: 3, t: 1)
        let card = try d.applet(0)
        var rng = SplitMix64(seed: 42)
        let seeds: [[UInt8]] = [
            select, ISOCommand(cla: 0x80, ins: 0x20, data: d.begin(session: 9, input: 1)).bytes,
            hex("80 30 00 00 04 00 00 00 01 00"), hex("80 32 00 00 05 00 00 00 01 00"), hex("00 C0 00 00 00"),
            hex("90 32 00 00 00 00 05 00 00 00 01 00"),
        ]
        for k in 0..<10_000 {
            var apdu: [UInt8]
            if k % 2 == 0 {
                apdu = (0..<Int(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                apdu = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + Int(rng.next() % 3)) where !apdu.isEmpty {
                    switch rng.next() % 3 {
                    case 0: apdu[Int(rng.next() % UInt64(apdu.count))] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: apdu.removeLast()
                    default: apdu.append(UInt8(truncatingIfNeeded: rng.next()))
                    }
                }
            }
            let r = card.process(apdu)
            #expect(r.count >= 2)
        }
    }
}

@Suite("The host's card link against the applet in memory", .timeLimit(.minutes(10)))
struct CardLinkTests {
    @Test("a UIC run with every module behind the card layer decides as with direct modules, and counts its APDUs")
    func memoryRun() throws {
        let d = try CardDeployment(n: 4, t: 1)
        let links = try (0..<4).map { i in try CardModuleLink(channel: AppletChannel(d.applet(i))) }
        let trace = try MemoryCluster(
            model: d.model, links: links, session: SessionID(11), inputs: [10, 11, 12, 13], adversary: .none
        ).run()
        let report = try Oracle(model: d.model, roster: d.roster, keys: d.keys).check(trace)
        #expect(report.verdict == .conforms)
        for log in trace.logs { #expect(log?.decision == Decision(decided: true, value: [10, 11, 12, 13])) }
        // SELECT, BEGIN, per round ROUND OUT (+ GET RESPONSE) and ROUND IN
        // (two chained parts), RESULT.
        let frame = d.model.format.frameSize
        let outAPDUs = 1 + (4 * frame - 1) / 256
        let inAPDUs = 1 + (4 + 4 * (3 + frame) - 1) / 255
        #expect(links[0].apdus == 2 + d.model.rounds * (outAPDUs + inAPDUs) + 1)
    }

    @Test("a card that refuses SELECT is a clear host error")
    func refusedSelect() {
        final class Mute: CardChannel {
            func transmitAPDU(_ command: [UInt8]) throws(ModuleError) -> [UInt8] { [0x6A, 0x82] }
        }
        #expect(throws: ModuleError.self) { try CardModuleLink(channel: Mute()) }
    }
}
