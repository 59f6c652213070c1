/// The console's style sheet and its few lines of script, served from the binary (nothing is
/// fetched from outside the machine).
enum ConsoleAssets {
    static let css = #"""
        :root { --ink: #1a1a1a; --sub: #4a4a4a; --line: #d0d0d0; --bg: #ffffff; --panel: #f5f6f8; --link: #0a4fb5;
          --ok: #135e2b; --bad: #9b1c1c; --warn: #7a4b00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--link); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible, pre:focus-visible
          { outline: 3px solid #1d4ed8; outline-offset: 2px; }
        .top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .6rem 1rem; background: #15213a; color: #fff; }
        .top a { color: #fff; }
        .top nav { display: flex; gap: 1rem; flex-wrap: wrap; }
        .top nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
        .brand { font-weight: 700; letter-spacing: .02em; }
        .who { margin-left: auto; }
        .top button { background: transparent; color: #fff; border: 1px solid #fff; }
        .skip { position: absolute; left: -10000px; }
        .skip:focus { position: static; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; margin: .4rem 0 1rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; }
        h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
        code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; overflow-wrap: anywhere; }
        .sub { color: var(--sub); font-size: .92rem; }
        .flash { padding: .6rem .8rem; border-radius: 6px; background: #e7f2ea; color: var(--ok); border: 1px solid #9cc9a8; }
        .flash.error { background: #fbeaea; color: var(--bad); border-color: #e2a3a3; }
        .flash.warn { background: #fdf3e1; color: var(--warn); border-color: #e6c27e; }
        button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #6b7280; background: #fff; color: var(--ink); cursor: pointer; }
        button.approve { background: #135e2b; border-color: #135e2b; color: #fff; }
        button.reject { background: #9b1c1c; border-color: #9b1c1c; color: #fff; }
        label { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
        input, select, textarea { font: inherit; padding: .4rem; border: 1px solid #6b7280; border-radius: 6px; width: 100%; max-width: 100%; background: #fff; color: var(--ink); }
        .filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end; margin-bottom: 1rem; }
        .filters label { margin: 0; }
        .filters select { width: auto; }
        .card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; }
        .narrow { max-width: 26rem; }
        .card button { margin-top: .6rem; }
        .decide { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
        details.card { margin-top: 1rem; }
        table.rows { width: 100%; border-collapse: collapse; }
        table.rows th, table.rows td { text-align: left; padding: .45rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
        table.rows thead th { font-size: .85rem; color: var(--sub); }
        tr.overdue { background: #fff4f4; }
        .late { color: var(--bad); font-weight: 600; }
        .tier, .badge, .status { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .82rem; font-weight: 600; border: 1px solid; }
        .tier-low { color: #135e2b; background: #eaf6ee; }
        .tier-medium { color: #7a4b00; background: #fdf3e1; }
        .tier-high { color: #9b1c1c; background: #fbeaea; }
        .tier-block { color: #fff; background: #3a3a3a; border-color: #3a3a3a; }
        .badge { color: #2b3a67; background: #eef1fa; }
        .badge.class-financial { color: #6b3a00; background: #fff1de; }
        .badge.class-pii, .badge.class-restricted, .badge.class-confidential { color: #7a1740; background: #fcebf2; }
        .badge.active { color: #135e2b; background: #eaf6ee; }
        .status { color: #15213a; background: #eef1fa; }
        .status-executed { color: #135e2b; background: #eaf6ee; }
        .status-rejected, .status-rolled_back, .status-failed, .status-expired { color: #9b1c1c; background: #fbeaea; }
        .masked { color: var(--sub); font-style: italic; }
        tr.changed td.after { background: #eef7f0; }
        .impact { font-weight: 600; }
        .read { margin-top: .2rem; font-size: .9rem; color: var(--sub); }
        #reasons li, #signals li, #timeline li, #votes li { margin-bottom: .35rem; }
        .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .8rem; margin: 0 0 1rem; padding: 0; list-style: none; }
        .kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
        .kpi-label { display: block; font-size: .85rem; color: var(--sub); }
        .kpi-value { display: block; font-size: 1.4rem; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
        figure { margin: 0; }
        figure svg { width: 100%; height: auto; }
        figcaption { font-size: .9rem; color: var(--sub); }
        .periods { display: flex; gap: 1rem; margin-bottom: .5rem; }
        .periods a[aria-current="page"] { font-weight: 700; }
        pre.diff { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .8rem; overflow-x: auto; font-size: .85rem; }
        pre.diff .added { color: #135e2b; background: #e3f3e8; display: block; }
        pre.diff .removed { color: #9b1c1c; background: #fbe6e6; display: block; }
        pre.diff .same { color: var(--ink); display: block; }
        @media (max-width: 640px) {
          main { padding: .6rem; }
          table.rows thead { position: absolute; left: -10000px; }
          table.rows, table.rows tbody, table.rows tr, table.rows th, table.rows td { display: block; width: 100%; }
          table.rows tr { border-bottom: 2px solid var(--line); padding: .3rem 0; }
          table.rows td, table.rows th { border: 0; padding: .15rem 0; }
          table.rows td[data-label]::before { content: attr(data-label) ": "; color: var(--sub); font-size: .85rem; }
          .who { margin-left: 0; }
        }

        """#

    /// Keeps a page current: a long poll on `/console/changes` answers when anything changes,
    /// and then the page's live regions are replaced with fresh ones (a region the reviewer is
    /// typing in is left alone).
    static let js = #"""
        (function () {
          "use strict";
          var main = document.getElementById("main");
          if (!main || !main.hasAttribute("data-live-seq")) { return; }
          var seq = main.getAttribute("data-live-seq");
          function busy(region) {
            var fields = region.querySelectorAll("textarea, input:not([type=hidden])");
            for (var i = 0; i < fields.length; i++) {
              if (fields[i].value !== fields[i].defaultValue || fields[i] === document.activeElement) { return true; }
            }
            return false;
          }
          function refresh() {
            return fetch(location.href, { credentials: "same-origin" }).then(function (response) {
              if (response.redirected || !response.ok) { throw new Error("page " + response.status); }
              return response.text();
            }).then(function (html) {
              var fresh = new DOMParser().parseFromString(html, "text/html");
              var regions = document.querySelectorAll("[data-live]");
              for (var i = 0; i < regions.length; i++) {
                var name = regions[i].getAttribute("data-live");
                var next = fresh.querySelector('[data-live="' + name + '"]');
                if (next && next.innerHTML !== regions[i].innerHTML && !busy(regions[i])) { regions[i].innerHTML = next.innerHTML; }
              }
            });
          }
          function poll() {
            fetch("/console/changes?after=" + encodeURIComponent(seq), { credentials: "same-origin" }).then(function (response) {
              if (!response.ok) { throw new Error("changes " + response.status); }
              return response.json();
            }).then(function (body) {
              if (body.signed_out) { location.assign("/sign-in"); return new Promise(function () {}); }
              var changed = String(body.seq) !== seq;
              seq = String(body.seq);
              return changed ? refresh() : null;
            }).then(function () { setTimeout(poll, 100); }, function () { setTimeout(poll, 3000); });
          }
          poll();
        })();

        """#
}
