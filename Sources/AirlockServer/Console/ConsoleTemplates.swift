import Mustache

/// The console's pages as mustache templates. `{{…}}` escapes HTML, so everything a mutation, a
/// reviewer or a policy carries is shown as text; the only `{{{…}}}` are the charts, which the
/// server draws itself (``ConsoleCharts``) from numbers and escaped labels.
enum ConsoleTemplates {
    /// The templates, parsed once.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            do {
                try library.register(text, named: name)
            } catch {
                fatalError("console template '\(name)' does not parse: \(error)")  // a bug in this file
            }
        }
        return library
    }()

    static let sources: [(String, String)] = [
        ("head", head), ("foot", foot), ("sign-in", signIn), ("queue", queue), ("mutation", mutation),
        ("dashboard", dashboard), ("policies", policies), ("policy-diff", policyDiff), ("activate", activate),
        ("message", message),
    ]

    static let head = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Airlock</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/console/console.css">
        <script src="/console/console.js" defer></script>
        </head>
        <body>
        {{#signedIn}}
        <header class="top">
        <a class="skip" href="#main">Skip to content</a>
        <span class="brand">Airlock</span>
        <nav aria-label="Console">
        <a id="nav-queue" href="/"{{#navQueue}} aria-current="page"{{/navQueue}}>Queue</a>
        <a id="nav-dashboard" href="/dashboard"{{#navDashboard}} aria-current="page"{{/navDashboard}}>Dashboard</a>
        <a id="nav-policies" href="/policies"{{#navPolicies}} aria-current="page"{{/navPolicies}}>Policies</a>
        </nav>
        <span class="who">{{principal}}</span>
        <form id="sign-out-form" method="post" action="/sign-out"><input type="hidden" name="_csrf" value="{{csrf}}"><button id="sign-out" type="submit">Sign out</button></form>
        </header>
        {{/signedIn}}
        <main id="main"{{#live}} data-live-seq="{{seq}}"{{/live}}>
        {{#flash}}<p id="flash" role="status" class="flash {{kind}}">{{text}}</p>{{/flash}}

        """#

    static let foot = #"""
        </main>
        </body>
        </html>

        """#

    static let signIn = #"""
        {{> head}}
        <h1>Sign in to Airlock</h1>
        <form id="sign-in-form" class="card narrow" method="post" action="/sign-in">
        <input type="hidden" name="_csrf" value="{{signInToken}}">
        <label for="key">Your Airlock key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required>
        <button id="sign-in" type="submit">Sign in</button>
        </form>
        <p class="sub">The key is exchanged for a session that lasts {{hours}} hours; the browser never keeps the key.</p>
        {{> foot}}
        """#

    static let queue = #"""
        {{> head}}
        <h1>{{heading}}</h1>
        {{#isReviewer}}
        <form id="filters" class="filters" method="get" action="/">
        <label for="f-pool">Pool</label>
        <select id="f-pool" name="pool"><option value="">all</option>{{#pools}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/pools}}</select>
        <label for="f-tier">Tier</label>
        <select id="f-tier" name="tier"><option value="">all</option>{{#tiers}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/tiers}}</select>
        <label for="f-resource">Resource</label>
        <select id="f-resource" name="resource"><option value="">all</option>{{#resources}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/resources}}</select>
        <button type="submit">Filter</button>
        </form>
        <div data-live="queue">
        <p class="sub">{{countText}}</p>
        {{#hasReviews}}
        <table id="queue" class="rows">
        <thead><tr><th scope="col">Tier</th><th scope="col">Mutation</th><th scope="col">Pool</th><th scope="col">Actor</th><th scope="col">Age</th><th scope="col">Time left</th></tr></thead>
        <tbody>
        {{#reviews}}
        <tr class="review{{#isOverdue}} overdue{{/isOverdue}}" data-mutation="{{id}}" data-tier="{{tier}}" data-overdue="{{overdue}}">
        <td data-label="Tier"><span class="tier tier-{{tier}}">{{tier}}</span></td>
        <td data-label="Mutation"><a class="open" href="/mutations/{{id}}">{{summary}}</a><div class="sub">{{resource}} · {{id}}</div></td>
        <td data-label="Pool">{{pool}}</td>
        <td data-label="Actor">{{actor}}</td>
        <td data-label="Age">{{age}}</td>
        <td data-label="Time left" class="{{#isOverdue}}late{{/isOverdue}}">{{timeLeft}}</td>
        </tr>
        {{/reviews}}
        </tbody>
        </table>
        {{/hasReviews}}
        {{^hasReviews}}<p id="queue-empty">Nothing waits for you{{#filtered}} with these filters{{/filtered}}.</p>{{/hasReviews}}
        </div>
        {{/isReviewer}}
        {{^isReviewer}}
        <div data-live="queue">
        <p class="sub">You are not a reviewer; these are the mutations you submitted lately.</p>
        {{#hasOwn}}
        <table id="own" class="rows">
        <thead><tr><th scope="col">Status</th><th scope="col">Mutation</th><th scope="col">Submitted</th></tr></thead>
        <tbody>{{#own}}<tr data-mutation="{{id}}"><td data-label="Status">{{status}}</td><td data-label="Mutation"><a href="/mutations/{{id}}">{{summary}}</a></td><td data-label="Submitted">{{age}} ago</td></tr>{{/own}}</tbody>
        </table>
        {{/hasOwn}}
        {{^hasOwn}}<p id="queue-empty">You have submitted nothing lately.</p>{{/hasOwn}}
        </div>
        {{/isReviewer}}
        {{> foot}}
        """#

    static let mutation = #"""
        {{> head}}
        <h1>{{operation}} {{resource}}{{#target}} <span class="target">{{target}}</span>{{/target}}</h1>
        <div data-live="summary">
        <p class="meta">Status <span id="status" class="status status-{{status}}">{{status}}</span>
        · Tier <span id="tier" class="tier tier-{{tier}}">{{tier}}</span> · Score {{score}}
        · Submitted by <strong>{{actor}}</strong> {{age}} ago · Policy <code>{{policyShort}}</code></p>
        <p id="impact" class="impact">{{impact}}</p>
        {{#revisionOf}}<p>A revision of <a href="/mutations/{{revisionOf}}">{{revisionOf}}</a>.</p>{{/revisionOf}}
        {{#supersededBy}}<p class="flash warn">Superseded by the revision <a href="/mutations/{{supersededBy}}">{{supersededBy}}</a>.</p>{{/supersededBy}}
        {{#hasErrors}}<ul class="errors">{{#errors}}<li><code>{{path}}</code>: {{message}}</li>{{/errors}}</ul>{{/hasErrors}}
        </div>
        <section aria-labelledby="h-diff">
        <h2 id="h-diff">What changes</h2>
        <div data-live="diff">
        <table id="diff" class="rows">
        <thead><tr><th scope="col">Field</th><th scope="col">Class</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
        <tbody>
        {{#fields}}
        <tr data-field="{{name}}"{{#changed}} class="changed"{{/changed}}>
        <th scope="row">{{name}}</th>
        <td data-label="Class">{{#hasClass}}<span class="badge class-{{dataClass}}" data-class="{{dataClass}}">{{dataClass}}</span>{{/hasClass}}{{^hasClass}}<span class="sub">none</span>{{/hasClass}}</td>
        {{#masked}}<td data-label="Before" class="masked before">hidden</td><td data-label="After" class="masked after">changed — hidden: you are not cleared for {{dataClass}}</td>{{/masked}}
        {{^masked}}<td data-label="Before" class="before">{{before}}</td><td data-label="After" class="after">{{after}}</td>{{/masked}}
        </tr>
        {{/fields}}
        </tbody>
        </table>
        </div>
        </section>
        <section aria-labelledby="h-why">
        <h2 id="h-why">Why it is {{tier}}</h2>
        <div data-live="why">
        <ul id="reasons">
        {{#reasons}}<li data-rule="{{rule}}"><strong>{{rule}}</strong>{{#effect}} <span class="sub">({{effect}})</span>{{/effect}}: {{message}}{{#hasValues}}<div class="read">read {{#values}}<code>{{path}} = {{value}}</code> {{/values}}</div>{{/hasValues}}</li>{{/reasons}}
        {{^reasons}}<li class="sub">No rule matched.</li>{{/reasons}}
        </ul>
        <h3>Signals</h3>
        <ul id="signals">{{#signals}}<li>{{text}}</li>{{/signals}}{{^signals}}<li class="sub">none recorded</li>{{/signals}}</ul>
        </div>
        </section>
        <section id="approvals" aria-labelledby="h-approvals">
        <h2 id="h-approvals">Approvals</h2>
        <div data-live="approvals">
        {{#review}}
        <p><span id="approvals-count">{{count}}</span> of <span id="approvals-required">{{required}}</span> approvals · {{mode}} review, {{state}}{{#deadline}} · deadline <time datetime="{{deadline}}">{{deadlineText}}</time> (<span id="time-left" class="{{#overdue}}late{{/overdue}}">{{timeLeft}}</span>){{/deadline}}{{#escalations}} · escalated {{escalations}}×{{/escalations}}</p>
        <ul class="groups">{{#groups}}<li>{{pool}}: {{approved}} of {{count}}</li>{{/groups}}</ul>
        <ul id="votes">{{#votes}}<li>{{verb}} by <strong>{{reviewer}}</strong> at {{at}}{{#note}}: “{{note}}”{{/note}}</li>{{/votes}}{{^votes}}<li class="sub">No votes yet.</li>{{/votes}}</ul>
        {{/review}}
        {{^review}}<p id="approvals-none"><span id="approvals-count">0</span> of <span id="approvals-required">0</span> approvals: no review was opened for this mutation.</p>{{/review}}
        </div>
        </section>
        <div data-live="actions">
        {{#mayVote}}
        <section aria-labelledby="h-decide">
        <h2 id="h-decide">Your decision</h2>
        <div class="decide">
        <form id="approve-form" class="card" method="post" action="/mutations/{{id}}/approve">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <input type="hidden" name="content_hash" value="{{contentHash}}">
        <input type="hidden" name="policy_version" value="{{policyVersion}}">
        <label for="approve-note">Note (optional)</label>
        <textarea id="approve-note" name="note" rows="2"></textarea>
        <button id="approve" class="approve" type="submit">Approve</button>
        </form>
        <form id="reject-form" class="card" method="post" action="/mutations/{{id}}/reject">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <input type="hidden" name="content_hash" value="{{contentHash}}">
        <input type="hidden" name="policy_version" value="{{policyVersion}}">
        <label for="reject-note">Why reject (required)</label>
        <textarea id="reject-note" name="note" rows="2" required></textarea>
        <button id="reject" class="reject" type="submit">Reject</button>
        </form>
        </div>
        {{#mayRequestChanges}}
        <details class="card">
        <summary>Request changes</summary>
        <form id="changes-form" method="post" action="/mutations/{{id}}/request-changes">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p class="sub">The edited values go back through the policy as a revision, submitted in {{actor}}'s name.</p>
        {{#editable}}
        <label for="change-{{name}}">{{name}}</label>
        <input id="change-{{name}}" name="change.{{name}}" value="{{value}}">
        {{/editable}}
        <label for="changes-note">Why (required)</label>
        <textarea id="changes-note" name="note" rows="2" required></textarea>
        <button id="request-changes" type="submit">Send back as a revision</button>
        </form>
        </details>
        {{/mayRequestChanges}}
        </section>
        {{/mayVote}}
        {{^mayVote}}<p id="no-vote" class="sub">{{whyNoVote}}</p>{{/mayVote}}
        </div>
        <section aria-labelledby="h-timeline">
        <h2 id="h-timeline">Audit timeline</h2>
        <div data-live="timeline">
        <ol id="timeline">{{#timeline}}<li><time datetime="{{iso}}">{{at}}</time> <strong>{{kind}}</strong> by {{actor}}{{#detail}} — {{detail}}{{/detail}} <span class="sub">#{{seq}}</span></li>{{/timeline}}</ol>
        </div>
        </section>
        {{> foot}}
        """#

    static let dashboard = #"""
        {{> head}}
        <h1>Dashboard</h1>
        <nav aria-label="Period" class="periods">{{#periods}}<a href="/dashboard?period={{name}}"{{#current}} aria-current="page"{{/current}}>last {{name}}</a> {{/periods}}</nav>
        <div data-live="kpis">
        <section id="kpis" aria-labelledby="h-kpis">
        <h2 id="h-kpis">The last {{period}}</h2>
        <ul class="kpis">{{#kpis}}<li class="kpi"><span class="kpi-label">{{label}}</span> <strong class="kpi-value">{{value}}</strong></li>{{/kpis}}</ul>
        <div class="charts">
        <figure>{{{tierChart}}}<figcaption>Decisions per tier</figcaption></figure>
        <figure>{{{seriesChart}}}<figcaption>Decisions over the last {{period}}</figcaption></figure>
        </div>
        </section>
        </div>
        {{> foot}}
        """#

    static let policies = #"""
        {{> head}}
        <h1>Policies</h1>
        <p>Active: <strong>{{activeName}}</strong> <code>{{activeShort}}</code></p>
        <table id="policy-versions" class="rows">
        <thead><tr><th scope="col">Version</th><th scope="col">Pack</th><th scope="col">Stored</th><th scope="col">By</th><th scope="col">Last activated</th><th scope="col">Action</th></tr></thead>
        <tbody>
        {{#versions}}
        <tr data-version="{{hash}}"{{#active}} class="active"{{/active}}>
        <td data-label="Version"><code>{{short}}</code>{{#active}} <span class="badge active">active</span>{{/active}}</td>
        <td data-label="Pack">{{name}}</td>
        <td data-label="Stored">{{createdAt}}</td>
        <td data-label="By">{{createdBy}}</td>
        <td data-label="Last activated">{{activatedAt}}</td>
        <td data-label="Action">{{#canActivate}}<a href="/policies/{{hash}}/activate">Activate…</a>{{/canActivate}}</td>
        </tr>
        {{/versions}}
        </tbody>
        </table>
        <form id="diff-form" class="filters" method="get" action="/policies/diff">
        <label for="from">From</label>
        <select id="from" name="from">{{#fromOptions}}<option value="{{hash}}"{{#selected}} selected{{/selected}}>{{short}} {{name}}</option>{{/fromOptions}}</select>
        <label for="to">To</label>
        <select id="to" name="to">{{#toOptions}}<option value="{{hash}}"{{#selected}} selected{{/selected}}>{{short}} {{name}}</option>{{/toOptions}}</select>
        <button type="submit">Show the difference</button>
        </form>
        {{> foot}}
        """#

    static let policyDiff = #"""
        {{> head}}
        <h1>From <code>{{fromShort}}</code> to <code>{{toShort}}</code></h1>
        <p class="sub">{{summary}} · <a href="/policies">all versions</a></p>
        <pre id="policy-diff" class="diff" tabindex="0">{{#lines}}<span class="{{kind}}">{{sign}} {{text}}</span>
        {{/lines}}</pre>
        {{> foot}}
        """#

    static let activate = #"""
        {{> head}}
        <h1>Activate <code>{{short}}</code>?</h1>
        <p>It replaces the active version <code>{{activeShort}}</code>. Every open review is decided again under it, and every
        new mutation is decided by it. The activation is audited under your name.</p>
        <form id="activate-form" method="post" action="/policies/{{hash}}/activate">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <button id="confirm-activate" type="submit">Activate {{short}}</button>
        <a href="/policies">Cancel</a>
        </form>
        <h2>What changes</h2>
        <pre id="policy-diff" class="diff" tabindex="0">{{#lines}}<span class="{{kind}}">{{sign}} {{text}}</span>
        {{/lines}}</pre>
        {{> foot}}
        """#

    static let message = #"""
        {{> head}}
        <h1>{{heading}}</h1>
        <p id="message">{{text}}</p>
        {{#back}}<p><a href="{{back}}">Back</a></p>{{/back}}
        {{> foot}}
        """#
}
