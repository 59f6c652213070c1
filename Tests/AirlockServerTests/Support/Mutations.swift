/// Mutations of the example pack, one per outcome, for an agent in business hours
/// (`airlock policy eval examples/policies` confirms each tier).
enum Mutations {
    /// Low: a product title. Approved at once.
    static let lowTitle = #"{"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "Desk lamp"}}"#

    /// Medium: an email address (personal data). Approved, with a parallel review by `privacy`.
    static let mediumEmail =
        #"{"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"email": "zoe@example.com"}}"#

    /// High: deleting a customer. Waits for one approval from `support-leads`.
    static let highDelete = #"{"resource": "crm.customer", "operation": "delete", "target": "cus-42"}"#

    /// High: re-pricing 21 products. Waits for two approvals from `pricing`.
    static let highRepricing: String = {
        let targets = (1...21).map { "\"sku-\($0)\"" }.joined(separator: ", ")
        return #"{"resource": "catalog.product", "operation": "update", "targets": [\#(targets)], "changes": {"price": 9.99}}"#
    }()

    /// High: a new address for 100 customers. Waits for one approval from `privacy` and two
    /// from `support-leads`.
    static let highBulkAddress: String = {
        let targets = (1...100).map { "\"cus-\($0)\"" }.joined(separator: ", ")
        return #"{"resource": "crm.customer", "operation": "update", "targets": [\#(targets)], "changes": {"address": "Bahnhofstrasse 1"}}"#
    }()

    /// Block: an agent writing a social security number. Rejected at once.
    static let blockSSN =
        #"{"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"ssn": "123-45-6789"}}"#

    /// Invalid: four schema problems in one transfer.
    static let invalidTransfer =
        #"{"resource": "payments.transfer", "operation": "create", "changes": {"amount": -5, "currency": "XXX", "from_account": "nope"}}"#

    /// Invalid: a resource the pack does not declare.
    static let unknownResource = #"{"resource": "payments.refund", "operation": "create", "changes": {"amount": 5}}"#
}
