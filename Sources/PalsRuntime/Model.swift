import PalsCore
import PalsModule

/// A protocol instance as the runtime runs it: the module codec (which holds
/// the concrete protocol), its catalogue name and its properties.
public struct RuntimeModel<C: ModuleCodec>: Sendable {
    public let codec: C
    public let protocolName: String
    public let variant: String
    public let properties: [Property<C.P>]
    /// The inputs of a run when none are given.
    public let defaultInputs: [Int]
    /// Inputs for a campaign's run.
    public let randomInputs: @Sendable (inout SplitMix64) -> [Int]

    public init(
        codec: C, protocolName: String, variant: String, properties: [Property<C.P>], defaultInputs: [Int]? = nil,
        randomInputs: (@Sendable (inout SplitMix64) -> [Int])? = nil
    ) {
        let n = codec.proto.n
        self.codec = codec
        self.protocolName = protocolName
        self.variant = variant
        self.properties = properties
        self.defaultInputs = defaultInputs ?? Array(10..<(10 + n))
        self.randomInputs = randomInputs ?? { rng in (0..<n).map { _ in rng.below(1000) } }
    }

    public var proto: C.P { codec.proto }
    public var n: Int { codec.proto.n }
    public var t: Int { codec.proto.t }
    public var rounds: Int { codec.proto.rounds }
    public var format: FrameFormat { FrameFormat(maxMessageBytes: codec.maxMessageBytes) }
}
