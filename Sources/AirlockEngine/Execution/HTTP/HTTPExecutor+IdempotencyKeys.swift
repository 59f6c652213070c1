extension HTTPExecutor {
    /// The `Idempotency-Key` of the request applying one record: the mutation id when the change
    /// has one record; `<mutation id>:<record key, percent-encoded>` for each record of a bulk
    /// one (the encoding leaves no `:` in the record part, so no two keys coincide).
    static func idempotencyKey(mutationID: String, target: String, recordCount: Int) -> String {
        recordCount == 1 ? mutationID : mutationID + ":" + HTTPEndpoint.encoded(target)
    }

    /// The `Idempotency-Key` of the compensating request of one record: the record's key with
    /// `:rollback` for the first attempt (`<mutation id>:rollback` for a single-record change, as
    /// earlier versions sent), and `:rollback-<attempt>` for later ones, so that a service that
    /// refused an attempt and stored its answer takes the next one afresh.
    static func compensationKey(mutationID: String, target: String, recordCount: Int, attempt: Int) -> String {
        let key = idempotencyKey(mutationID: mutationID, target: target, recordCount: recordCount) + ":rollback"
        return attempt <= 1 ? key : key + "-\(attempt)"
    }
}
