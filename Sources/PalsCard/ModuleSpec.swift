import PalsModule

/// The card forms of a host's `--module` option: `pcsc` (the only reader
/// pcscd offers) or `pcsc:READER` (a reader's name, or a prefix of exactly
/// one reader's name).
public enum CardModuleSpec {
    /// The reader a `--module` value names (nil inside: any one reader);
    /// nil when the value is not a card form.
    public static func reader(_ module: String) -> String?? {
        if module == "pcsc" { return .some(nil) }
        if module.hasPrefix("pcsc:") {
            let name = String(module.dropFirst(5))
            return .some(name.isEmpty ? nil : name)
        }
        return nil
    }

    /// Connects to the card (waiting up to `cardTimeout` seconds for one in
    /// the reader) and selects the TrustedPals applet. An APDU that gets no
    /// answer within `transmitTimeout` seconds breaks the link: the card is
    /// gone (a `ModuleError`), as if it had been pulled out.
    public static func connect(
        reader: String?, cardTimeout: Double = 5, transmitTimeout: Double = PCSCChannel.defaultTransmitTimeout
    ) throws(ModuleError) -> CardModuleLink {
        try CardModuleLink(
            channel: PCSCChannel(reader: reader, cardTimeout: cardTimeout, transmitTimeout: transmitTimeout))
    }
}
