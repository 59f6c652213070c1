import CEL

/// An open review a reviewer may act on, as `GET /v1/reviews` lists it.
struct OpenReview: Sendable {
    var reviewID: String
    var tier: String?
    /// `blocking` (the mutation waits) or `parallel` (it already ran).
    var mode: String
    var pools: [String]
    var slaDeadline: String?
    var mutation: RemoteMutation

    /// Reads one item of the list; `nil` when it carries no readable mutation.
    init?(json: Value) {
        guard let mutation = RemoteMutation(json: json[field: "mutation"]) else { return nil }
        self.mutation = mutation
        reviewID = json[field: "review_id"].stringValue ?? ""
        tier = json[field: "tier"].stringValue ?? mutation.tier
        mode = json[field: "mode"].stringValue ?? ""
        let pools = json[field: "pools"].stringList
        self.pools = pools.isEmpty ? json[field: "pool"].stringValue.map { [$0] } ?? [] : pools
        slaDeadline = json[field: "sla_deadline"].stringValue
    }
}
