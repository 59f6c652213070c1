#!/usr/bin/env python3
"""Drives the reviewer console in headless Chromium, as a reviewer would.

Run by Tests/AirlockCLITests/ConsoleBrowserTests.swift against a fresh `airlock serve` on the
example pack with its demo principals:

    console_test.py --base-url http://127.0.0.1:PORT --credentials STATE/demo-credentials --out DIR [--docs DIR]

Every check prints what it checks; the first failure saves a screenshot and the page source to
DIR and exits 1 with the reason.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Failure(Exception):
    pass


class Terminated(BaseException):
    """SIGTERM (CommandRunner's timeout): not an Exception, so no `except Exception` swallows it."""


def terminated(signum, frame):
    raise Terminated()


class Console:
    def __init__(self, base, keys, out):
        self.base = base.rstrip("/")
        self.keys = keys
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.drivers = []
        self.scratch = []
        self.current = None

    # --- the API, as an agent uses it -------------------------------------------------------

    def api(self, method, path, key, body=None, headers=None, form=None):
        data = None
        all_headers = dict(headers or {})
        if key:
            all_headers["Authorization"] = "Bearer " + key
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def submit(self, mutation, key=None):
        status, text = self.api("POST", "/v1/mutations", key or self.keys["AGENT_7"], body=mutation)
        check(status in (200, 201), f"submitting {mutation['resource']} answered {status}: {text}")
        return json.loads(text)

    def status_of(self, mutation_id):
        status, text = self.api("GET", f"/v1/mutations/{mutation_id}", self.keys["ROOT"])
        check(status == 200, f"reading {mutation_id} answered {status}")
        return json.loads(text)["status"]

    # --- the browser ------------------------------------------------------------------------

    def driver(self, width=1280, height=900):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={width},{height}"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Chromium keeps its profile lock under TMPDIR and leaves it behind when the driver stops
        # it: each browser gets a folder of its own, removed in quit().
        scratch = tempfile.mkdtemp(prefix="airlock-chromium-")
        self.scratch.append(scratch)
        service = Service(CHROMEDRIVER, env={**os.environ, "TMPDIR": scratch})
        options.add_argument(f"--user-data-dir={scratch}/profile")
        driver = webdriver.Chrome(service=service, options=options)
        driver.implicitly_wait(0)
        self.drivers.append(driver)
        self.current = driver
        return driver

    def open(self, driver, path):
        self.current = driver
        driver.get(self.base + path)

    def sign_in(self, driver, who):
        self.open(driver, "/sign-in")
        driver.find_element(By.ID, "key").send_keys(self.keys[who])
        driver.find_element(By.ID, "sign-in").click()
        wait(lambda: driver.current_url.rstrip("/") == self.base, f"signing in as {who} leads to the queue")

    def sign_out(self, driver):
        driver.find_element(By.ID, "sign-out").click()
        wait(lambda: "/sign-in" in driver.current_url, "signing out leads to the sign-in page")

    def quit(self):
        for driver in self.drivers:
            try:
                driver.quit()
            except Exception:
                pass
        for scratch in self.scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    # --- checks every page gets -------------------------------------------------------------

    def accessible(self, driver, page):
        axe = Axe(driver)
        axe.inject()
        result = axe.run()
        violations = result["violations"]
        details = "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}" for v in violations)
        check(not violations, f"{page}: axe finds {len(violations)} accessibility violation(s): {details}")
        say(f"{page}: axe-core finds no violation ({len(result['passes'])} rules pass)")

    def no_console_errors(self, driver, page):
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        check(not errors, f"{page}: the browser logged errors: {errors}")

    def fits_phone(self, driver, page):
        width, inner = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        check(width <= inner + 1, f"{page}: at phone width the page is {width}px wide in a {inner}px window")

    def screenshot(self, driver, name):
        driver.execute_script("window.scrollTo(0, 0)")
        path = self.out / name
        driver.save_screenshot(str(path))
        say(f"screenshot {path}")
        return path

    def save_failure(self):
        driver = self.current
        if driver is None:
            return
        try:
            driver.save_screenshot(str(self.out / "failure.png"))
            (self.out / "failure.html").write_text(driver.page_source)
            say(f"saved failure.png and failure.html of {driver.current_url} in {self.out}")
        except Exception as error:
            say(f"could not save the failing page: {error}")


def say(text):
    print(text, flush=True)


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait(condition, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception as error:  # the element may not be there yet
            last = error
        time.sleep(0.05)
    raise Failure(f"{what}: not within {timeout} s" + (f" (last error: {last})" if last else ""))


def text_of(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text


def exists(driver, selector):
    return len(driver.find_elements(By.CSS_SELECTOR, selector)) > 0


TRANSFER = {"resource": "payments.transfer", "operation": "create",
            "changes": {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}}


def run(console, docs):
    bob = console.driver()
    carol = console.driver()

    # Sign-in page: accessible, no errors.
    say("== sign-in page")
    console.open(bob, "/sign-in")
    console.accessible(bob, "sign-in")
    console.screenshot(bob, "signin.png")
    console.no_console_errors(bob, "sign-in")

    # a. A pending high-tier transfer: bob and carol approve it, carol's window updates live.
    say("== a. bob and carol approve a high-tier transfer; carol's open window updates live")
    transfer = console.submit(TRANSFER)
    check(transfer["status"] == "pending_review" and transfer["tier"] == "high",
          f"the transfer is pending at high tier (got {transfer['status']}, {transfer['tier']})")
    medium = console.submit({"resource": "crm.customer", "operation": "update", "target": "cus-42",
                             "changes": {"email": "ana@example.com"}})
    check(medium["tier"] == "medium", f"the email change is medium (got {medium['tier']})")
    console.sign_in(bob, "BOB")
    wait(lambda: exists(bob, f'tr.review[data-mutation="{transfer["id"]}"]'), "bob's queue lists the transfer")
    row = bob.find_element(By.CSS_SELECTOR, f'tr.review[data-mutation="{transfer["id"]}"]')
    check(row.get_attribute("data-tier") == "high", "the transfer's row says high")
    console.accessible(bob, "queue")
    console.screenshot(bob, "queue.png")
    console.no_console_errors(bob, "queue")
    row.find_element(By.CSS_SELECTOR, "a.open").click()
    wait(lambda: exists(bob, "#diff"), "the transfer's page opens")
    amount = bob.find_element(By.CSS_SELECTOR, '#diff tr[data-field="amount"]')
    check(amount.find_element(By.CSS_SELECTOR, "td.after").text == "25000",
          f"the diff shows the amount 25000 (got {amount.text})")
    check(amount.find_element(By.CSS_SELECTOR, ".badge").get_attribute("data-class") == "financial",
          "the amount carries the financial badge")
    rules = [li.get_attribute("data-rule") for li in bob.find_elements(By.CSS_SELECTOR, "#reasons li[data-rule]")]
    check("large-transfer" in rules, f"the reasons include large-transfer (got {rules})")
    check(text_of(bob, "#status") == "pending_review", "the page says pending_review")
    check(text_of(bob, "#approvals-required") == "2", "two approvals are required")
    bob.set_window_size(1280, 1500)
    console.accessible(bob, "mutation")
    console.screenshot(bob, "mutation.png")
    bob.set_window_size(1280, 900)
    console.no_console_errors(bob, "mutation")

    console.sign_in(carol, "CAROL")
    console.open(carol, f"/mutations/{transfer['id']}")
    wait(lambda: text_of(carol, "#approvals-count") == "0", "carol's window shows no approval yet")
    carol.execute_script("window.__notReloaded = true")
    console.current = bob
    bob.find_element(By.ID, "approve-note").send_keys("invoice checked")
    bob.find_element(By.ID, "approve").click()
    wait(lambda: exists(bob, "#flash") and text_of(bob, "#approvals-count") == "1", "bob's approval is counted")
    check(not exists(bob, "#approve"), "bob, having voted, sees no approve button")
    console.current = carol
    wait(lambda: text_of(carol, "#approvals-count") == "1", "carol's open window shows bob's approval without a reload", 3.0)
    check(carol.execute_script("return window.__notReloaded === true"), "carol's window was updated in place, not reloaded")
    say("a second window updated live after the first approval")
    carol.find_element(By.ID, "approve").click()
    wait(lambda: text_of(carol, "#status") == "executed", "after the second approval the transfer is executed")
    check(console.status_of(transfer["id"]) == "executed", "the API agrees: executed")
    say("the transfer was executed after two approvals")
    console.sign_out(bob)
    console.sign_in(bob, "BOB")

    # b. A new high-tier review appears in an open queue within a second, without a reload.
    say("== b. a new review appears in an open queue within 1.5 s, without a reload")
    console.open(carol, "/")
    wait(lambda: exists(carol, "#queue") or exists(carol, "#queue-empty"), "carol's queue opens")
    carol.execute_script("window.__notReloaded = true")
    time.sleep(0.3)  # the page's long poll is parked
    started = time.monotonic()
    fresh = console.submit(TRANSFER)
    wait(lambda: exists(carol, f'tr.review[data-mutation="{fresh["id"]}"]'), "the new review appears in the open queue", 1.5)
    check(carol.execute_script("return window.__notReloaded === true"), "the queue was updated in place, not reloaded")
    say(f"a new high-tier review appeared in the queue after {time.monotonic() - started:.2f} s")

    # c. Reject the medium change: the note is required, then it is rolled back.
    say("== c. rejecting a medium change needs a note (browser and server), then it is rolled back")
    console.open(bob, f"/mutations/{medium['id']}")
    wait(lambda: exists(bob, "#reject"), "the medium change offers reject")
    bob.find_element(By.ID, "reject").click()
    time.sleep(0.3)
    check("/mutations/" in bob.current_url and exists(bob, "#reject"), "an empty note keeps the form on the page")
    check(bob.execute_script("return document.getElementById('reject-note').validity.valueMissing"),
          "the browser marks the empty note as missing")
    cookie = bob.get_cookie("airlock_session")["value"]
    page = console.api("GET", f"/mutations/{medium['id']}", None, headers={"Cookie": f"airlock_session={cookie}"})[1]
    token = page.split('name="_csrf" value="')[1].split('"')[0]
    content = page.split('name="content_hash" value="')[1].split('"')[0]
    version = page.split('name="policy_version" value="')[1].split('"')[0]
    status, _ = console.api("POST", f"/mutations/{medium['id']}/reject", None, headers={"Cookie": f"airlock_session={cookie}"},
                            form={"_csrf": token, "content_hash": content, "policy_version": version, "note": ""})
    check(status == 400, f"a rejection without a note, bypassing the browser, is refused with 400 (got {status})")
    bob.find_element(By.ID, "reject-note").send_keys("the customer did not ask for this")
    bob.find_element(By.ID, "reject").click()
    wait(lambda: text_of(bob, "#status") == "rolled_back", "the rejected medium change is rolled back")
    say("the medium change was rolled back after the rejection")

    # d. A submitter sees no buttons on its own mutation.
    say("== d. alice sees no approve or reject on her own mutation")
    own = console.submit(TRANSFER, key=console.keys["ALICE"])
    alice = console.driver()
    console.sign_in(alice, "ALICE")
    console.open(alice, f"/mutations/{own['id']}")
    wait(lambda: exists(alice, "#status"), "alice's own mutation opens")
    check(not exists(alice, "#approve") and not exists(alice, "#reject"), "alice sees no approve or reject button on her own mutation")
    say("the submitter sees no buttons on her own mutation")

    # e. CSRF: a post without or with a wrong token is refused.
    say("== e. a POST without or with a wrong _csrf is refused with 403")
    headers = {"Cookie": f"airlock_session={cookie}"}
    for form, what in [({"content_hash": "x", "policy_version": "y"}, "without a CSRF token"),
                       ({"_csrf": token + "x", "content_hash": "x", "policy_version": "y"}, "with a wrong CSRF token")]:
        status, _ = console.api("POST", f"/mutations/{fresh['id']}/approve", None, headers=headers, form=form)
        check(status == 403, f"a POST {what} is refused with 403 (got {status})")
    check(console.status_of(fresh["id"]) == "pending_review", "the refused posts changed nothing")
    say("posts without or with a wrong CSRF token are refused")

    # f. Escaping: a script in a field is shown, not run.
    say("== f. a <script> in a field is shown as text, not run")
    hostile = console.submit({"resource": "crm.customer", "operation": "update", "target": "cus-42",
                              "changes": {"email": "x@example.com", "notes": "<script>window.__pwned=1</script><b>bold</b>"}})
    console.open(bob, f"/mutations/{hostile['id']}")
    wait(lambda: exists(bob, '#diff tr[data-field="notes"]'), "the hostile mutation opens")
    shown = bob.find_element(By.CSS_SELECTOR, '#diff tr[data-field="notes"] td.after').text
    check("<script>window.__pwned=1</script>" in shown, f"the script is shown as text (got {shown!r})")
    check(bob.execute_script("return typeof window.__pwned") == "undefined", "the script did not run")
    check(not bob.find_elements(By.CSS_SELECTOR, "#diff b"), "no <b> element came from the field")
    console.no_console_errors(bob, "hostile mutation")
    say("a <script> in a field is shown, not run")

    # g. Keyboard only: approve a pending transfer with TAB and Enter.
    say("== g. approving with TAB and Enter only")
    console.open(bob, f"/mutations/{fresh['id']}")
    wait(lambda: exists(bob, "#approve"), "the fresh transfer offers approve")
    check(bob.switch_to.active_element.tag_name == "body", "nothing has the focus when the page opens")
    for presses in range(1, 61):
        ActionChains(bob).send_keys(Keys.TAB).perform()
        if bob.switch_to.active_element.get_attribute("id") == "approve":
            break
    else:
        raise Failure("60 TAB presses never reached the approve button")
    ActionChains(bob).send_keys(Keys.ENTER).perform()
    wait(lambda: exists(bob, "#flash") and text_of(bob, "#approvals-count") == "1", "the keyboard approval is counted")
    say(f"approved with the keyboard alone ({presses} TAB presses and Enter)")

    # Dashboard and policies.
    say("== dashboard, policies and a policy diff")
    console.open(bob, "/dashboard")
    wait(lambda: exists(bob, "#kpis svg[role=img]"), "the dashboard draws its charts")
    console.accessible(bob, "dashboard")
    console.screenshot(bob, "dashboard.png")
    console.no_console_errors(bob, "dashboard")
    console.open(bob, "/policies")
    wait(lambda: exists(bob, "#policy-versions tr[data-version]"), "the policies page lists versions")
    console.accessible(bob, "policies")
    console.screenshot(bob, "policies.png")
    console.no_console_errors(bob, "policies")
    bob.find_element(By.CSS_SELECTOR, "#diff-form button").click()
    wait(lambda: exists(bob, "#policy-diff"), "the policy diff opens")
    console.accessible(bob, "policy diff")
    console.screenshot(bob, "policy-diff.png")
    console.no_console_errors(bob, "policy diff")

    # h. Phone width.
    say("== h. every page fits a 390x844 phone")
    phone = console.driver(390, 844)
    console.sign_in(phone, "CAROL")
    for path, page in [("/", "queue"), (f"/mutations/{transfer['id']}", "mutation"), ("/dashboard", "dashboard"),
                       ("/policies", "policies")]:
        console.open(phone, path)
        wait(lambda: exists(phone, "main"), f"{page} opens at phone width")
        console.fits_phone(phone, page)
        console.accessible(phone, f"{page} at phone width")
        console.no_console_errors(phone, f"{page} at phone width")
    console.screenshot(phone, "queue-phone.png")
    say("every page fits a 390 px wide phone")

    # j. Whatever the other windows logged since their last check (carol's, alice's).
    say("== j. no window logged an error")
    for driver in console.drivers:
        console.current = driver
        console.no_console_errors(driver, f"the window last at {driver.current_url}")
    say("no browser window logged an error")

    if docs:
        target = Path(docs)
        target.mkdir(parents=True, exist_ok=True)
        for name in ["queue.png", "mutation.png", "dashboard.png"]:
            shutil.copy(console.out / name, target / name)
        say(f"copied the screenshots of the queue, a mutation and the dashboard to {target}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--credentials", required=True, help="the demo-credentials file of the server's state directory")
    parser.add_argument("--out", required=True, help="where screenshots go")
    parser.add_argument("--docs", help="also copy the queue, mutation and dashboard screenshots here")
    arguments = parser.parse_args()
    keys = {}
    for line in Path(arguments.credentials).read_text().splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):]
        if line.startswith("AIRLOCK_KEY_") and "=" in line:
            name, value = line.split("=", 1)
            keys[name[len("AIRLOCK_KEY_"):]] = value.strip().strip("'\"")
    for needed in ["AGENT_7", "ALICE", "BOB", "CAROL", "ROOT"]:
        if needed not in keys:
            print(f"FAILED: {arguments.credentials} has no AIRLOCK_KEY_{needed}", flush=True)
            return 1
    console = Console(arguments.base_url, keys, arguments.out)
    # CommandRunner ends a run past its timeout with SIGTERM: close the browsers (else Chromium
    # outlives this script) and keep the page it was stuck on.
    signal.signal(signal.SIGTERM, terminated)
    try:
        run(console, arguments.docs)
    except Terminated:
        console.save_failure()
        print("FAILED: terminated (SIGTERM), most likely by the test's timeout; the last output above shows where",
              flush=True)
        return 1
    except Failure as failure:
        console.save_failure()
        print(f"FAILED: {failure}", flush=True)
        return 1
    except Exception:
        console.save_failure()
        print("FAILED with an unexpected error:", flush=True)
        traceback.print_exc()
        return 1
    finally:
        console.quit()
    print("PASSED: every console check in the browser", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
