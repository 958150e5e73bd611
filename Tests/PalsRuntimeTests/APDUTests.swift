import PalsCore
import PalsModule
import PalsRuntime
import Testing
import TrustedPals

@Suite("The module's APDU interface", .timeLimit(.minutes(10)))
struct APDUTests {
    @Test("commands encode and parse back, short and extended")
    func roundTrip() {
        for length in [0, 1, 255, 256, 4000, 65535] {
            let c = CommandAPDU(ins: 0x32, p1: 0, p2: 0, data: (0..<length).map { UInt8(truncatingIfNeeded: $0) })
            #expect(CommandAPDU.parse(c.bytes) == .success(c))
        }
    }

    @Test("malformed commands get a status word, never a trap")
    func malformed() {
        #expect(CommandAPDU.parse([]) == .failure(.wrongLength))
        #expect(CommandAPDU.parse([0x80, 0x20, 0]) == .failure(.wrongLength))
        #expect(CommandAPDU.parse([0x80, 0x20, 0, 0, 3, 1, 2]) == .failure(.wrongLength))
        #expect(CommandAPDU.parse([0x80, 0x20, 0, 0, 2, 1, 2, 3]) == .failure(.wrongLength))
        #expect(CommandAPDU.parse([0x80, 0x20, 0, 0, 0, 0, 0]) == .failure(.wrongLength))
        #expect(CommandAPDU.parse([0x80, 0x20, 0, 0, 0, 1]) == .failure(.wrongLength))
    }

    @Test("the module enforces the order BEGIN, (ROUND OUT, ROUND IN)×R, RESULT")
    func order() throws {
        let d = try Deployment(n: 3, t: 1)
        let m = try d.modules()[0]
        func status(_ c: CommandAPDU) -> StatusWord { ResponseAPDU.parse(m.process(c.bytes))!.status }
        func round(_ r: Int) -> [UInt8] {
            var b: [UInt8] = []
            Bytes.append(UInt32(r), to: &b)
            return b
        }
        #expect(status(CommandAPDU(.roundOut, data: round(1))) == .conditionsNotSatisfied)
        #expect(status(CommandAPDU(.result)) == .conditionsNotSatisfied)
        #expect(status(CommandAPDU(cla: 0x00, ins: 0x20)) == .claNotSupported)
        #expect(status(CommandAPDU(ins: 0x99)) == .insNotSupported)
        var begin = SessionID(1).bytes
        Bytes.append(Int64(5), to: &begin)
        #expect(status(CommandAPDU(.begin, data: begin + Array("other instance".utf8))) == .wrongData)
        #expect(status(CommandAPDU(.begin, data: begin + Array(d.model.codec.instanceName.utf8))) == .ok)
        #expect(status(CommandAPDU(.roundOut, data: round(2))) == .conditionsNotSatisfied)
        #expect(status(CommandAPDU(.roundIn, data: round(1))) == .conditionsNotSatisfied)
        #expect(status(CommandAPDU(.roundOut, data: round(1))) == .ok)
        #expect(status(CommandAPDU(.roundOut, data: round(1))) == .conditionsNotSatisfied)
        // ROUND IN with a truncated slot list, a bad presence byte, trailing bytes.
        #expect(status(CommandAPDU(.roundIn, data: round(1) + [0, 0])) == .wrongLength)
        #expect(status(CommandAPDU(.roundIn, data: round(1) + [0, 2, 0])) == .wrongData)
        #expect(status(CommandAPDU(.roundIn, data: round(1) + [0, 0, 0, 9])) == .wrongLength)
        #expect(status(CommandAPDU(.roundIn, data: round(1) + [1, 0, 50, 1, 2])) == .wrongLength)
        #expect(status(CommandAPDU(.result)) == .conditionsNotSatisfied)
        // A well-formed ROUND IN with nothing in it is accepted (all omitted).
        #expect(status(CommandAPDU(.roundIn, data: round(1) + [0, 0, 0])) == .ok)
    }

    @Test("random bytes as APDUs and as frames never trap the module, and never count as a delivery")
    func garbage() throws {
        let d = try Deployment(n: 3, t: 1)
        let m = try d.modules()[1]
        let client = ModuleClient(m)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<3000 {
            let bytes = (0..<rng.below(80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let r = m.process(bytes)
            #expect(r.count >= 2)
        }
        for k in 0..<300 {
            try client.begin(session: SessionID(UInt64(k)), input: 1, instance: d.model.codec.instanceName)
            let own = try client.roundOut(1)
            let size = d.model.format.frameSize
            let lengths = [0, size - 1, size, size + 1, rng.below(200)]
            let junk = (0..<3).map { _ in
                (0..<lengths[rng.below(lengths.count)]).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            let verdicts = try client.roundIn(1, frames: [junk[0], own[1], junk[2]])
            #expect(verdicts[1] == .accepted)
            #expect(verdicts[0] != .accepted && verdicts[2] != .accepted)
        }
    }
}
