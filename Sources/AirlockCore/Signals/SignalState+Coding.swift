/// How an actor's history is saved. `lastActive` was added with the bound on actors; a history
/// saved before it derives it from its rate windows, which then counted every recorded mutation.
extension SignalState.ActorHistory: Codable {
    private enum CodingKeys: String, CodingKey {
        case lastMinute, lastHour, resources, lastActive
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lastMinute = try container.decode(RateWindow.self, forKey: .lastMinute)
        lastHour = try container.decode(RateWindow.self, forKey: .lastHour)
        resources = try container.decode(NameTable<NameTable<RunningStats>>.self, forKey: .resources)
        lastActive =
            try container.decodeIfPresent(Int64.self, forKey: .lastActive)
            ?? max(lastMinute.newestBucketStart ?? Int64.min, lastHour.newestBucketStart ?? Int64.min)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lastMinute, forKey: .lastMinute)
        try container.encode(lastHour, forKey: .lastHour)
        try container.encode(resources, forKey: .resources)
        try container.encode(lastActive, forKey: .lastActive)
    }
}
