/// The OpenAPI 3.1 description of the API, served at `/openapi.yaml`. A test holds the served
/// routes against its paths, both ways.
enum OpenAPIDocument {
    static let text = #"""
openapi: 3.1.0
info:
  title: Airlock gateway API
  version: "1"
  description: |
    Agents and services submit mutations; the active policy decides their tier; reviewers
    approve or reject; every decision lands in a tamper-evident audit log. Every /v1 call needs
    `Authorization: Bearer KEY`. Errors are application/problem+json.
servers:
  - url: http://127.0.0.1:8080
security:
  - bearer: []
paths:
  /v1/mutations:
    post:
      summary: Submit a mutation (role submitter)
      operationId: submitMutation
      parameters:
        - name: Idempotency-Key
          in: header
          required: false
          schema: { type: string, minLength: 1, maxLength: 255 }
          description: The same key with the same body returns the first answer (200) — the mutation it created, as it stands now; with a different body, 409.
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/MutationRequest" }
      responses:
        "201": { description: Decided and recorded, content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "200": { description: Replay of an earlier submission with the same Idempotency-Key, content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
        "422": { description: Invalid mutation, recorded as rejected; the problem carries its id and every validation error, content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } } }
    get:
      summary: List mutations, oldest first, a page at a time (any principal; each sees those it may read, and one without the reviewer, admin or auditor role only its own, so naming another actor is a 403)
      operationId: listMutations
      parameters:
        - { name: status, in: query, schema: { type: string }, description: "One status or several, comma-separated" }
        - { name: resource, in: query, schema: { type: string } }
        - { name: actor, in: query, schema: { type: string } }
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 500, default: 50 } }
        - { name: cursor, in: query, schema: { type: string }, description: "next_cursor of the previous page (an unknown one is 400)" }
      responses:
        "200":
          description: "A page. Follow next_cursor until it is null: a page holds fewer than limit items at the end, and may when most mutations it reads are ones the caller may not see."
          content:
            application/json:
              schema:
                type: object
                required: [items, next_cursor]
                properties:
                  items: { type: array, items: { $ref: "#/components/schemas/Mutation" } }
                  next_cursor: { type: [string, "null"] }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
  /v1/mutations/{id}:
    get:
      summary: One mutation (its submitter, reviewers of its pools, admins, auditors); optionally wait for a change
      operationId: getMutation
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
        - { name: wait, in: query, schema: { type: number, minimum: 0, maximum: 60 }, description: "Hold the request up to this many seconds until the status changes" }
        - { name: status, in: query, schema: { $ref: "#/components/schemas/Status" }, description: "The status the client already knows (default: the current one)" }
      responses:
        "200": { description: The mutation, content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
  /v1/mutations/{id}/approve:
    post:
      summary: Approve (a reviewer of the required pool, never the submitter nor anyone up its owner chain, once)
      operationId: approveMutation
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      requestBody:
        required: false
        content:
          application/json:
            schema: { $ref: "#/components/schemas/Vote" }
      responses:
        "200": { description: The mutation after the vote, content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
  /v1/mutations/{id}/reject:
    post:
      summary: Reject, with a note saying why (a reviewer of the required pool, never the submitter nor anyone up its owner chain, once)
      operationId: rejectMutation
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      requestBody:
        required: true
        content:
          application/json:
            schema:
              allOf:
                - { $ref: "#/components/schemas/Vote" }
                - { required: [note] }
      responses:
        "200": { description: The mutation after the vote, content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
  /v1/mutations/{id}/request-changes:
    post:
      summary: Ask for changes (a reviewer of its pools cleared for every changed field, never the submitter or its owners); the edited values become a revision that goes through the whole pipeline and supersedes this mutation
      operationId: requestChanges
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [changes, note]
              properties:
                changes: { type: object, description: "The revision's changes, whole: a field left out is dropped" }
                note: { type: string, description: "Why, for the submitter" }
      responses:
        "201": { description: "The revision, decided; the old mutation is superseded (superseded_by names it)", content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
        "422": { $ref: "#/components/responses/Problem" }
  /v1/mutations/{id}/rollback:
    post:
      summary: Roll an executed mutation back (admin, or a reviewer of its pools), with a note; audited
      operationId: rollbackMutation
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      requestBody:
        required: true
        content:
          application/json:
            schema: { type: object, required: [note], properties: { note: { type: string }, force: { type: boolean, description: "Roll back a change to a reversible: false resource (admins only; audited as forced)" } } }
      responses:
        "200": { description: "The mutation after the rollback (rolled_back)", content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { description: "Not executed, executed by its caller, of an irreversible resource and not forced, or refused because the target changed since (the change stands; a rollback_refused alarm is audited)", content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } } }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
        "503": { description: "The rollback failed (the change stands; a rollback_failed alarm is audited); it may be asked again", content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } } }
  /v1/mutations/{id}/outcome:
    post:
      summary: Report the outcome of a mutation the caller executes (resources without an executor; its submitter or an admin)
      operationId: reportOutcome
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [status]
              properties:
                status: { type: string, enum: [executed, failed] }
                detail: { type: string }
      responses:
        "200": { description: The mutation, now executed or failed, content: { application/json: { schema: { $ref: "#/components/schemas/Mutation" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
  /v1/reviews:
    get:
      summary: The head of this reviewer's queue, earliest deadline first (role reviewer)
      operationId: listReviews
      parameters:
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 500, default: 100 }, description: "How many of the queue's first reviews" }
      responses:
        "200":
          description: Open reviews
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items:
                    type: array
                    items:
                      type: object
                      required: [review_id, mutation_id, tier, mode, pool, sla_deadline, seconds_left, overdue, escalations, reasons, mutation]
                      properties:
                        review_id: { type: string }
                        mutation_id: { type: string }
                        tier: { type: [string, "null"] }
                        mode: { type: string, enum: [blocking, parallel] }
                        pool: { type: string }
                        pools: { type: array, items: { type: string } }
                        sla_deadline: { type: [string, "null"], format: date-time }
                        seconds_left: { type: [integer, "null"], description: "Whole seconds until sla_deadline; negative once it has passed" }
                        overdue: { type: boolean }
                        escalations: { type: integer, minimum: 0 }
                        reasons: { type: array, items: { $ref: "#/components/schemas/Reason" } }
                        mutation: { $ref: "#/components/schemas/Mutation" }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
  /v1/audit:
    get:
      summary: Audit records after a sequence number (roles auditor, admin)
      operationId: listAudit
      parameters:
        - { name: after, in: query, schema: { type: integer, minimum: 0, default: 0 } }
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 1000, default: 100 } }
      responses:
        "200":
          description: Records in order
          content:
            application/json:
              schema:
                type: object
                required: [items, next_after]
                properties:
                  items: { type: array, items: { $ref: "#/components/schemas/AuditRecord" } }
                  next_after: { type: [integer, "null"] }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
  /v1/audit/verify:
    get:
      summary: Verify the hash chain, the Merkle tree and every checkpoint signature (roles auditor, admin)
      operationId: verifyAudit
      responses:
        "200":
          description: The verification report
          content:
            application/json:
              schema:
                type: object
                required: [intact, records, checkpoints, valid_signatures, signed_size, root, problems]
                properties:
                  intact: { type: boolean }
                  records: { type: integer }
                  checkpoints: { type: integer }
                  valid_signatures: { type: integer }
                  signed_size: { type: integer }
                  root: { type: string }
                  problems:
                    type: array
                    items:
                      type: object
                      properties:
                        kind: { type: string }
                        seq: { type: integer }
                        detail: { type: string }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
  /v1/policies:
    get:
      summary: Known policy versions, oldest first (reviewer, admin, auditor)
      operationId: listPolicies
      responses:
        "200":
          description: Policy versions
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: { type: array, items: { $ref: "#/components/schemas/PolicyVersion" } }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
  /v1/policies/{name}:
    put:
      summary: Upload a pack (admin); it is checked and stored inactive
      description: >-
        One YAML document, or a pack of several files as one YAML stream: each document (after a
        line `---`) is one file of the pack, named NAME-1.yaml, NAME-2.yaml, … in its problems.
      operationId: uploadPolicy
      parameters:
        - { name: name, in: path, required: true, schema: { type: string, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" } }
      requestBody:
        required: true
        content:
          application/yaml:
            schema: { type: string }
      responses:
        "200": { description: "This version (same canonical form) was already stored; nothing changed", content: { application/json: { schema: { $ref: "#/components/schemas/PolicyVersion" } } } }
        "201": { description: Stored, inactive, content: { application/json: { schema: { $ref: "#/components/schemas/PolicyVersion" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
        "422": { $ref: "#/components/responses/Problem" }
  /v1/policies/{version}/activate:
    post:
      summary: Activate a stored version (admin; audited). Activating an earlier version is the rollback.
      operationId: activatePolicy
      parameters:
        - { name: version, in: path, required: true, schema: { type: string } }
      responses:
        "200": { description: Now active, content: { application/json: { schema: { $ref: "#/components/schemas/PolicyVersion" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "422": { $ref: "#/components/responses/Problem" }
  /v1/policies/{version}/shadow:
    post:
      summary: Run a stored version in shadow beside the active one (admin; audited; replaces any other candidate)
      description: |
        Every live mutation is then also decided by the candidate, with the same inputs and without
        effect; both decisions are kept (GET /v1/policies/shadow reports on them).
      operationId: startShadowPolicy
      parameters:
        - { name: version, in: path, required: true, schema: { type: string } }
      responses:
        "200": { description: Running in shadow, content: { application/json: { schema: { $ref: "#/components/schemas/ShadowSetting" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "422": { $ref: "#/components/responses/Problem" }
  /v1/policies/shadow:
    get:
      summary: How often and where the shadow candidate disagreed with the active policy (reviewer, admin, auditor)
      operationId: getShadowReport
      parameters:
        - { name: version, in: query, required: false, schema: { type: string }, description: "The candidate (default: the running one, else the latest)" }
        - { name: since, in: query, required: false, schema: { type: string, format: date-time } }
      responses:
        "200":
          description: The report; version is null when no candidate has run
          content:
            application/json:
              schema:
                type: object
                required: [version, running, evaluated, disagreements, pairs, rules, resources, recent]
                properties:
                  version: { type: [string, "null"] }
                  running: { oneOf: [{ $ref: "#/components/schemas/ShadowSetting" }, { type: "null" }] }
                  evaluated: { type: integer }
                  disagreements: { type: integer }
                  disagreement_rate: { type: [number, "null"] }
                  pairs: { type: array, items: { type: object, properties: { active: { type: string }, shadow: { type: string }, count: { type: integer } } } }
                  rules: { type: array, items: { type: object, properties: { rule: { type: string }, active_only: { type: integer }, shadow_only: { type: integer }, matched_both: { type: integer } } } }
                  resources: { type: array, items: { type: object, properties: { resource: { type: string }, evaluated: { type: integer }, disagreements: { type: integer } } } }
                  recent: { type: array, items: { type: object } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
    delete:
      summary: Stop the shadow candidate (admin; audited); its results stay
      operationId: stopShadowPolicy
      responses:
        "200": { description: Stopped, content: { application/json: { schema: { type: object, properties: { stopped: { $ref: "#/components/schemas/ShadowSetting" } } } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
  /metrics:
    get:
      summary: The gateway's metrics in the Prometheus text format (no key; no ids in any label)
      description: |
        Decisions by tier and resource, decision latency, votes by pool, time to a human decision,
        open and overdue reviews, executions by outcome, rollbacks, verification failures, alarms,
        escalations, webhook delivery failures, the policy in force. The README lists them.
      operationId: getMetrics
      security: []
      responses:
        "200": { description: Prometheus text exposition format 0.0.4, content: { text/plain: { schema: { type: string } } } }
  /mcp:
    post:
      summary: The gateway as MCP tools over streamable HTTP (any principal; the session acts as the key's principal)
      description: |
        The Model Context Protocol's streamable HTTP transport: an initialize request without
        Mcp-Session-Id opens a session bound to the bearer key's principal; later requests carry
        the session id and the same key. Tools: propose_mutation, get_mutation, list_resources.
        Answers are JSON-RPC over server-sent events. See the README's MCP section.
      operationId: mcpPost
      responses:
        "200": { description: A JSON-RPC answer as server-sent events }
        "202": { description: A notification or response accepted }
        "400": { $ref: "#/components/responses/McpError" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/McpError" }
        "404": { $ref: "#/components/responses/McpError" }
        "406": { $ref: "#/components/responses/McpError" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/McpError" }
    get:
      summary: The session's stream of server-sent messages (MCP; only with the key that opened the session)
      operationId: mcpGet
      responses:
        "200": { description: Server-sent events }
        "400": { $ref: "#/components/responses/McpError" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/McpError" }
        "404": { $ref: "#/components/responses/McpError" }
        "406": { $ref: "#/components/responses/McpError" }
        "409": { $ref: "#/components/responses/McpError" }
    delete:
      summary: Ends an MCP session (only with the key that opened it)
      operationId: mcpDelete
      responses:
        "200": { description: The session ended }
        "400": { $ref: "#/components/responses/McpError" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/McpError" }
        "404": { $ref: "#/components/responses/McpError" }
  /v1/resources:
    get:
      summary: The active pack's resources, with a JSON Schema of each one's changes (any principal)
      description: |
        What a client (or an AI agent, through the MCP gateway) may propose: each resource's
        operations, whether it is reversible, and its fields' types, ranges, lengths, patterns,
        allowed values and data classes (x-data-class).
      operationId: listResources
      responses:
        "200":
          description: The resources, in pack order
          content:
            application/json:
              schema:
                type: object
                required: [policy_version, items]
                properties:
                  policy_version: { type: string }
                  items:
                    type: array
                    items:
                      type: object
                      required: [name, operations, reversible, changes]
                      properties:
                        name: { type: string }
                        description: { type: string }
                        operations: { type: array, items: { type: string, enum: [create, update, delete] } }
                        reversible: { type: boolean }
                        changes: { type: object }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
  /v1/system:
    get:
      summary: The gateway's own state, as policies read it (system.*), and the policy in force (any principal)
      operationId: getSystem
      responses:
        "200": { description: The system state, content: { application/json: { schema: { $ref: "#/components/schemas/System" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
  /v1/system/freeze:
    post:
      summary: Freeze or thaw the gateway (admin; audited as freeze_changed; kept across restarts)
      description: |
        Sets system.freeze for every decision from now on. With the example pack a freeze holds
        every change by an agent or a service for a person's approval. A freeze needs a reason.
      operationId: setFreeze
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: ["on"]
              additionalProperties: false
              properties:
                "on": { type: boolean, description: "true freezes, false thaws" }
                reason: { type: [string, "null"], maxLength: 1000, description: "Why (required to freeze)" }
      responses:
        "200": { description: Now in force, content: { application/json: { schema: { $ref: "#/components/schemas/System" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "403": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "415": { $ref: "#/components/responses/Problem" }
  /healthz:
    get:
      summary: The process is up
      operationId: health
      security: []
      responses:
        "200": { description: Up, content: { application/json: { schema: { type: object, properties: { status: { type: string } } } } } }
  /readyz:
    get:
      summary: The store is reachable and a policy is loaded
      operationId: ready
      security: []
      responses:
        "200": { description: Ready, content: { application/json: { schema: { type: object, properties: { status: { type: string }, policy: { type: string }, policy_version: { type: string } } } } } }
        "503": { $ref: "#/components/responses/Problem" }
  /openapi.yaml:
    get:
      summary: This document
      operationId: openapi
      security: []
      responses:
        "200": { description: OpenAPI 3.1, content: { application/yaml: { schema: { type: object } } } }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
  responses:
    Problem:
      description: An error (RFC 9457)
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
    McpError:
      description: |
        Refused by the MCP transport (a JSON-RPC error object) or by the gateway before it (a
        problem): no session id, a session that ended or is another principal's, a missing Accept
        of application/json and text/event-stream, a body that is not JSON.
      content:
        application/json:
          schema:
            type: object
            required: [jsonrpc, error]
            properties:
              jsonrpc: { type: string, const: "2.0" }
              id: { type: [string, integer, "null"] }
              error: { type: object, required: [code, message], properties: { code: { type: integer }, message: { type: string }, data: {} } }
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
    TooManyRequests:
      description: The principal is over its rate limit (rate_limits, or its own rate_limit) or holds as many long polls as it may (limits.long_polls_per_principal)
      headers:
        Retry-After:
          description: Seconds after which the request may be tried again
          schema: { type: integer, minimum: 1 }
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
  schemas:
    Status:
      type: string
      enum: [received, pending_review, approved, executing, executed, failed, rejected, expired, rolling_back, rolled_back, superseded]
    MutationRequest:
      type: object
      required: [resource, operation]
      properties:
        resource: { type: string, examples: [payments.transfer] }
        operation: { type: string, enum: [create, update, delete] }
        target: { type: string }
        targets: { type: array, items: { type: string } }
        changes: { type: object }
        before: { type: object }
        context: { type: object }
    Reason:
      type: object
      required: [rule, message]
      properties:
        rule: { type: string }
        message: { type: string }
    Vote:
      type: object
      properties:
        note: { type: string, description: "Why (required to reject)" }
        content_hash: { type: string, description: "The content_hash the reviewer was shown; another one is refused with 409" }
        policy_version: { type: string, description: "The policy_version the reviewer was shown; another one is refused with 409" }
    Mutation:
      type: object
      required: [id, status, tier, score, reasons, approvals, policy_version, content_hash, actor, resource, operation, target, changes, created_at, updated_at]
      properties:
        id: { type: string }
        status: { $ref: "#/components/schemas/Status" }
        tier: { type: [string, "null"], enum: [low, medium, high, block, null] }
        score: { type: [integer, "null"] }
        reasons: { type: array, items: { $ref: "#/components/schemas/Reason" } }
        approvals:
          type: [object, "null"]
          properties:
            required: { type: integer }
            pool: { type: string }
            groups: { type: array, items: { type: object, required: [pool, count, approved], properties: { pool: { type: string }, count: { type: integer }, approved: { type: integer, description: "Approvals counted for this group so far" } } } }
            mode: { type: string, enum: [blocking, parallel] }
            state: { type: string, enum: [open, approved, rejected, expired, unreviewed, cancelled] }
            deadline: { type: [string, "null"], format: date-time }
            received: { type: array, items: { $ref: "#/components/schemas/ReceivedVote" } }
            rejections: { type: array, items: { $ref: "#/components/schemas/ReceivedVote" } }
        policy_version: { type: [string, "null"] }
        content_hash: { type: string, description: "Hex SHA-256 of the submitted document: what a vote names as seen" }
        revision_of: { type: string, description: "The mutation this one revises (a reviewer asked for changes)" }
        superseded_by: { type: string, description: "The revision that replaced this mutation" }
        actor: { type: string }
        resource: { type: string }
        operation: { type: string }
        target: { type: [string, "null"] }
        targets: { type: array, items: { type: string } }
        changes: { type: object }
        data_classes: { type: array, items: { type: string } }
        errors: { type: array, items: { $ref: "#/components/schemas/FieldError" } }
        created_at: { type: string, format: date-time }
        updated_at: { type: string, format: date-time }
    ReceivedVote:
      type: object
      required: [reviewer, at, note]
      properties:
        reviewer: { type: string }
        at: { type: string, format: date-time }
        note: { type: [string, "null"] }
    FieldError:
      type: object
      required: [path, message]
      properties:
        path: { type: string }
        message: { type: string }
    Problem:
      type: object
      required: [type, title, status, detail]
      properties:
        type: { type: string }
        title: { type: string }
        status: { type: integer }
        detail: { type: string }
        errors: { type: array, items: { $ref: "#/components/schemas/FieldError" } }
        id: { type: string, description: "The recorded mutation, for an invalid mutation" }
        mutation: { $ref: "#/components/schemas/Mutation" }
    ShadowSetting:
      type: object
      required: [version, since, by]
      properties:
        version: { type: string }
        since: { type: string, format: date-time }
        by: { type: string }
    PolicyVersion:
      type: object
      required: [name, version, active, created_at, created_by]
      properties:
        name: { type: string }
        version: { type: string }
        active: { type: boolean }
        created_at: { type: string, format: date-time }
        created_by: { type: string }
        activated_at: { type: [string, "null"], format: date-time }
        activated_by: { type: [string, "null"] }
    System:
      type: object
      required: [freeze, queue_depth, rollback_rate_1h, policy]
      properties:
        freeze:
          type: object
          required: [on, reason, since, by]
          properties:
            on: { type: boolean }
            reason: { type: [string, "null"] }
            since: { type: [string, "null"], format: date-time, description: "When it was last set (null: never)" }
            by: { type: [string, "null"], description: "Who last set it" }
        queue_depth: { type: integer, description: "Reviews open now, blocking and parallel" }
        rollback_rate_1h: { type: number, minimum: 0, maximum: 1, description: "Rolled back in the last hour / executed in the last hour (capped at 1; 0 when none executed)" }
        policy:
          type: [object, "null"]
          properties:
            name: { type: string }
            version: { type: string }
    AuditRecord:
      type: object
      properties:
        seq: { type: integer }
        kind: { type: string }
        mutation_id: { type: [string, "null"] }
        actor: { type: string }
        payload: { type: string }
        policy_version: { type: [string, "null"] }
        prev_hash: { type: string }
        hash: { type: string }
        time: { type: string, format: date-time, description: "When it was appended (UTC, microseconds)" }
        time_us: { type: integer, description: "The same instant in microseconds since 1970: the value the hash covers" }

"""#
}
