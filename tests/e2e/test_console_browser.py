"""The console in a real headless Chromium (Debian's, through chromium-driver) on the real stack.

A biller signs in through the sign-in form, finds a denied claim in her queue with its
appeal deadline, opens it, appeals with an attachment and watches it get paid without
reloading the page. An ops user signs in, sees the same claim with no appeal button, and the
overview's aging totals match a hand-computed answer. Both are local users with passwords,
signed in with the session cookie the form gets from ``POST /auth/login``. Screenshots of
every page go to ``.state/artifacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from temporalio.client import Client

from claims.roles import Role
from claims.status import ClaimStatus as S
from services import x12_store
from services.auth import users
from services.auth.authenticate import SESSION_COOKIE
from services.settings import REPO_ROOT, Settings
from tests.support import (
    Harness,
    claim_payload,
    denied_for_auth_payload,
    harness,
    unique_settings,
)

BILLER = ("bea-biller", "biller-password-1")
OPS = ("otto-ops", "ops-password-1")

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = REPO_ROOT / ".state" / "artifacts" / "screenshots"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("needs Debian's chromium and chromium-driver (make test installs them)",
                allow_module_level=True)  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    profile = tempfile.mkdtemp(prefix="claimflow-chromium-")
    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1440,1000", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shot(driver: WebDriver, name: str) -> Path:
    """A full-page screenshot (the window grows to the page's height first)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1440, min(max(int(height) + 20, 800), 3000))
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1440, 1000)
    return path


def wait(driver: WebDriver, timeout: float = 60) -> WebDriverWait[WebDriver]:
    """Live pages swap a claim's parts in as events arrive: an element read between the
    swap and the next poll is stale, and the next poll finds the new one."""
    return WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.2,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def live(driver: WebDriver) -> None:
    """Wait until the page listens to the stream and has caught up once."""
    wait(driver, 30).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-refreshed")
    )


def sign_in(driver: WebDriver, base: str, user: tuple[str, str], page: str) -> None:
    """Sign in as a person would: open a page, get sent to the form, fill it in, land back."""
    driver.delete_all_cookies()
    driver.get(f"{base}{page}")
    wait(driver, 30).until(lambda d: "/console/login" in d.current_url)
    driver.find_element(By.ID, "username").send_keys(user[0])
    driver.find_element(By.ID, "password").send_keys(user[1])
    driver.find_element(By.ID, "signin-button").click()
    wait(driver, 30).until(lambda d: d.current_url.endswith(page))
    assert driver.find_element(By.ID, "viewer-name").text == user[0]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(
    test_stack: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Harness, str]]:
    """claimflow, with a biller and an ops user who sign in: (harness, API URL)."""
    settings = unique_settings(
        test_stack,
        tmp_path_factory.mktemp("console-browser"),
        # Slow enough that the appeal's answer arrives after the page has loaded.
        payer_delay_seconds=3.0,
    )
    async with harness(settings, client) as h:
        users.add_user(h.engine, BILLER[0], BILLER[1], frozenset({Role.BILLER}))
        users.add_user(h.engine, OPS[0], OPS[1], frozenset({Role.OPS}))
        yield h, h.api


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def batch(stack: tuple[Harness, str]) -> dict[str, str]:
    """A known batch, all billed today: what each still owes is known by hand."""
    h, _ = stack
    ids = {
        "paid": await h.submit(claim_payload()),  # paid: owes 0
        "denied": await h.submit(denied_for_auth_payload()),  # CO-197: owes 1450.00
        "partial": await h.submit(  # CO-97 on 36415: owes 25.00
            claim_payload(procedures=(("99214", "210.00"), ("36415", "25.00")))
        ),
        "uncovered": await h.submit(claim_payload(procedures=(("97810", "95.00"),))),  # 95.00
    }
    ends = {"paid": S.PAID, "denied": S.DENIED, "partial": S.PARTIALLY_PAID, "uncovered": S.DENIED}
    for name, claim_id in ids.items():
        view = await h.wait_status(claim_id, ends[name], timeout=120)
        await h.wait_read_model(claim_id, ends[name], seq=view["seq"], timeout=120)
    return ids


def aging_totals(driver: WebDriver) -> dict[str, tuple[str, str]]:
    cells = driver.find_elements(By.CSS_SELECTOR, "#aging-totals [data-total-bucket]")
    return {
        c.get_attribute("data-total-bucket") or "": (
            c.get_attribute("data-amount") or "",
            c.get_attribute("data-claims") or "",
        )
        for c in cells
    }


async def test_ops_sees_the_aging_totals_and_no_appeal_button(
    stack: tuple[Harness, str], batch: dict[str, str], browser: WebDriver
) -> None:
    # Selenium blocks, and the servers run in this event loop: drive the browser on a thread.
    await asyncio.to_thread(ops_view, browser, stack[1], batch)


def ops_view(browser: WebDriver, ops: str, batch: dict[str, str]) -> None:
    browser.delete_all_cookies()
    browser.get(f"{ops}/console/overview")
    wait(browser, 30).until(lambda d: "/console/login" in d.current_url)
    shot(browser, "sign-in")
    wrong = browser.find_element(By.ID, "password")
    browser.find_element(By.ID, "username").send_keys(OPS[0])
    wrong.send_keys("not the password")
    browser.find_element(By.ID, "signin-button").click()
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "signin-error").is_displayed())
    assert "wrong user name or password" in browser.find_element(By.ID, "signin-error").text
    sign_in(browser, ops, OPS, "/console/overview")
    live(browser)
    totals = aging_totals(browser)
    # Hand-computed: 1450.00 + 25.00 + 95.00 owed, all billed today; the paid claim owes 0.
    assert totals["0-30"] == ("1570.00", "3")
    assert {b: totals[b][0] for b in ("31-60", "61-90", "91-120", "120+")} == dict.fromkeys(
        ("31-60", "61-90", "91-120", "120+"), "0.00"
    )
    assert totals["all"][0] == "1570.00"
    assert browser.find_element(By.ID, "viewer-roles").text == "ops"
    assert browser.find_elements(By.CSS_SELECTOR, "#aging-chart .main-svg")  # plotly drew it
    shot(browser, "ops-overview")

    browser.get(f"{ops}/console/claims/{batch['denied']}")
    assert browser.find_element(By.ID, "claim-status").get_attribute("data-status") == "DENIED"
    assert not browser.find_elements(By.ID, "appeal-form")
    assert "No action for ops" in browser.find_element(By.ID, "no-actions").text
    shot(browser, "ops-claim-denied")
    # A hidden button is not a permission: the console refuses the post itself.
    session = (browser.get_cookie(SESSION_COOKIE) or {})["value"]
    refused = httpx.post(
        f"{ops}/console/claims/{batch['denied']}/appeal",
        data={"reason": "try"},
        cookies={SESSION_COOKIE: session},
    )
    assert refused.status_code == 403, refused.text
    assert "biller" in refused.json()["detail"][0]["msg"]
    nobody = httpx.post(f"{ops}/console/claims/{batch['denied']}/appeal", data={"reason": "x"})
    assert nobody.status_code == 401


async def test_biller_appeals_a_denial_from_her_queue_and_watches_it_paid(
    stack: tuple[Harness, str], batch: dict[str, str], browser: WebDriver, tmp_path: Path
) -> None:
    h, ops = stack
    claim_id = batch["denied"]
    deadline = dt.datetime.fromisoformat((await h.view(claim_id))["appeal_deadline"])
    await asyncio.to_thread(biller_appeal, browser, h, ops, claim_id, deadline, tmp_path)
    # The payer knows the claim by the patient control number it was sent with.
    ref = x12_store.patient_control_number_of(h.engine, claim_id) or claim_id
    received = (await h.http.get(f"{h.settings.payer_url}/v1/appeals/{ref}")).json()
    assert received[0]["attachments"][0]["name"] == "retro-authorization.pdf"
    await asyncio.to_thread(ops_overview_follows, browser, h, ops)


def biller_appeal(
    browser: WebDriver, h: Harness, ops: str, claim_id: str, deadline: dt.datetime, tmp_path: Path
) -> None:
    sign_in(browser, h.api, BILLER, "/console/queues/denials")
    assert browser.find_element(By.ID, "viewer-roles").text == "biller"
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-claim='{claim_id}']")
    assert "CO-197" in row.text
    assert deadline.date().isoformat() in row.text
    days = int(
        row.find_element(By.CSS_SELECTOR, "[data-days-left]").get_attribute("data-days-left") or -1
    )
    assert days == (deadline - dt.datetime.now(dt.UTC)).days
    assert f"{days} days left" in row.text
    shot(browser, "biller-denials-queue")

    row.find_element(By.LINK_TEXT, claim_id).click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "appeal-form"))
    assert (
        "Precertification/notification/authorization"
        in browser.find_element(By.ID, "claim-decision").text
    )
    shot(browser, "biller-claim-denied")

    letter = tmp_path / "retro-authorization.pdf"
    letter.write_bytes(b"%PDF-1.4\n% retro authorization AUTH-9913 for 70553\n")
    form = browser.find_element(By.ID, "appeal-form")
    form.find_element(By.NAME, "reason").send_keys(
        "Authorization AUTH-9913 was obtained retroactively"
    )
    form.find_element(By.NAME, "files").send_keys(str(letter))
    form.find_element(By.ID, "appeal-submit").click()

    wait(browser).until(lambda d: "done=appeal" in d.current_url)
    live(browser)
    status = browser.find_element(By.ID, "claim-status").get_attribute("data-status")
    assert status in ("APPEALED", "ADJUDICATED"), status  # the payer has not answered yet
    assert "retro-authorization.pdf" in browser.find_element(By.ID, "claim-attachments").text
    browser.execute_script("window.__sameDocument = true;")
    wait(browser, 90).until(
        lambda d: d.find_element(By.ID, "claim-status").get_attribute("data-status") == "PAID"
    )
    assert browser.execute_script("return window.__sameDocument === true;")  # no reload
    timeline = browser.find_element(By.ID, "claim-timeline").text
    assert "PAID" in timeline and BILLER[0] in timeline  # the appeal names her
    assert browser.find_element(By.ID, "still-owed").text == "$0.00"
    shot(browser, "biller-claim-paid")


def ops_overview_follows(browser: WebDriver, h: Harness, ops: str) -> None:
    """Ops' overview follows: the appealed claim no longer owes anything."""
    sign_in(browser, ops, OPS, "/console/overview")
    live(browser)
    wait(browser).until(lambda d: aging_totals(d)["0-30"] == ("120.00", "2"))
    for name, path in (("biller-queues", "/console/queues"), ("biller-alerts", "/console/alerts"),
                       ("biller-claims", "/console/claims"),
                       ("biller-unmatched", "/console/queues/unmatched")):  # fmt: skip
        if name == "biller-queues":
            sign_in(browser, h.api, BILLER, path)
        browser.get(f"{h.api}{path}")
        shot(browser, name)


def with_member(member_id: str) -> dict[str, object]:
    payload = claim_payload(days_ago=20)
    payload["subscriber"]["member_id"] = member_id
    return payload


async def test_biller_works_an_eligibility_hold_and_books_a_patient_payment(
    stack: tuple[Harness, str], browser: WebDriver
) -> None:
    h, _ = stack
    held = await h.submit(with_member("INACTIVE77"))
    hdhp = await h.submit(with_member("HDHP78"))
    for claim_id, end in ((held, S.ELIGIBILITY_HOLD), (hdhp, S.PAID)):
        view = await h.wait_status(claim_id, end, timeout=120)
        await h.wait_read_model(claim_id, end, seq=view["seq"], timeout=120)
    for _ in range(150):  # the payer's decision reaches the projected ledger
        if any(e["activity"] == "adjudicated"
               for e in (await h.http.get(f"/claims/{hdhp}/ledger")).json()):  # fmt: skip
            break
        await asyncio.sleep(0.2)
    await asyncio.to_thread(biller_hold_and_payment, browser, h, held, hdhp)
    [payment] = (await h.http.get(f"/claims/{hdhp}/patient-payments")).json()
    assert (payment["amount"], payment["recorded_by"]) == ("20.00", BILLER[0])


def biller_hold_and_payment(browser: WebDriver, h: Harness, held: str, hdhp: str) -> None:
    sign_in(browser, h.api, BILLER, "/console/queues")
    card = browser.find_element(By.CSS_SELECTOR, "a[data-queue='eligibility_hold']")
    assert card.find_element(By.CLASS_NAME, "q-count").text == "1"
    card.click()
    wait(browser).until(lambda d: d.current_url.endswith("/console/queues/eligibility_hold"))
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-claim='{held}']")
    assert "inactive (EB 6), terminated" in row.text
    shot(browser, "biller-eligibility-hold-queue")

    row.find_element(By.LINK_TEXT, held).click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "claim-eligibility-hold"))
    hold = browser.find_element(By.ID, "claim-eligibility-hold").text
    assert "Held: no coverage confirmed" in hold and "terminated" in hold
    assert "Correct the member id or payer" in hold and "bill the patient" in hold
    assert browser.find_element(By.ID, "coverage-form").is_displayed()
    assert browser.find_element(By.ID, "write-off-form").is_displayed()
    shot(browser, "biller-claim-eligibility-hold")

    browser.get(f"{h.api}/console/claims/{hdhp}")
    live(browser)
    coverage = browser.find_element(By.ID, "claim-coverage").text
    assert "Covered" in coverage and "expected to pay about $" in coverage
    patient = browser.find_element(By.ID, "claim-patient").text
    assert "Deductible" in patient and "Balance the patient owes" in patient
    form = browser.find_element(By.ID, "payment-form")
    form.find_element(By.NAME, "amount").send_keys("twenty")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "flash"))
    assert "amount: Input should be a valid decimal" in browser.find_element(By.ID, "flash").text
    shot(browser, "biller-payment-refused")
    form = browser.find_element(By.ID, "payment-form")
    form.find_element(By.NAME, "amount").send_keys("20.00")
    form.find_element(By.NAME, "reference").send_keys("TX-2020")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(lambda d: "done=payment" in d.current_url)
    assert browser.find_element(By.ID, "patient-paid").text == "$20.00"
    assert "TX-2020" in browser.find_element(By.ID, "patient-payments").text
    shot(browser, "biller-claim-patient-payment")
