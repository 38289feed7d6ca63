// Drives the example's page in headless Chromium (playwright-core, the machine's browser) as a
// person would. Every step waits for what the page must show and fails naming what it saw
// instead. Prints one JSON report on the last line; the Python test checks it.
//
//   node drive.mjs flow <page url> <chromium executable> <screenshot folder>
//     read the list the backend sends, add a to-do, tick it, edit one, and get each kind of error
//   node drive.mjs reload <page url> <chromium executable>
//     print "ready" once the page shows the three priorities, then wait until a change of the
//     Python enum (made by the test) reloads the page with a fourth
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [mode, url, executablePath, shots] = process.argv.slice(2);
const TIMEOUT = 15_000;

function isoDate(offsetDays) {
  const day = new Date();
  day.setDate(day.getDate() + offsetDays);
  const pad = (n) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

// A fresh, empty profile, and no connections of Chromium's own (this machine's network is closed).
const userDataDir = mkdtempSync(join(tmpdir(), "pyrpc-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  chromiumSandbox: false, // --no-sandbox: CI runs as root
  args: [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 900, height: 640 },
  locale: "en-GB",
  timezoneId: "UTC",
});
const report = { steps: [], pageErrors: [], rpc: [] };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") report.pageErrors.push(message.text());
  });
  page.on("request", (request) => {
    if (request.url().endsWith("/rpc") && request.method() === "POST")
      report.rpc.push(JSON.parse(request.postData() ?? "null").method);
  });

  const summary = page.locator("#summary");
  const error = page.locator("#error");
  const rows = page.locator("#todos li");
  const rowOf = (title) => rows.filter({ has: page.locator(".title", { hasText: title }) });

  /** Waits until `locator`'s text contains `text`; on timeout says what it was. */
  async function waitForText(locator, text, what) {
    const deadline = Date.now() + TIMEOUT;
    let seen = "";
    while (Date.now() < deadline) {
      seen = (await locator.count()) ? await locator.first().innerText() : "<absent>";
      if (seen.includes(text)) return seen;
      await page.waitForTimeout(50);
    }
    throw new Error(`${what}: expected ${JSON.stringify(text)}, the page shows ${JSON.stringify(seen)}`);
  }

  function step(name, details) {
    report.steps.push({ name, ...details });
  }

  if (mode === "reload") {
    let loads = 0;
    page.on("load", () => loads++);
    const options = page.locator("#priority option");
    await page.goto(url);
    await waitForText(summary, "done", "the summary");
    const before = await options.allInnerTexts();
    console.log("ready");
    await page.waitForFunction(() => document.querySelectorAll("#priority option").length === 4);
    await waitForText(summary, "done", "the summary after the reload");
    step("reloaded", { before, after: await options.allInnerTexts(), loads });
  } else {
    await flow();
  }

  async function flow() {
    // 1. The page loads and shows what Python has: two seeded to-dos, one of them done.
    await page.goto(url);
    await waitForText(summary, "1 of 2 done", "the summary from todos.summary");
    const seeded = await rows.locator(".title").allInnerTexts();
    const created = await rows.first().locator("time.created").getAttribute("datetime");
    step("loaded", { titles: seeded, summary: await summary.innerText(), created });

    // 2. Add a to-do with a priority (an enum) and a due date: the row comes back from Python.
    const due = isoDate(7);
    await page.fill("#title", "Buy oat milk");
    await page.selectOption("#priority", "high");
    await page.fill("#due", due);
    await page.click("#submit");
    await waitForText(rowOf("Buy oat milk"), "high", "the created row");
    await waitForText(summary, "1 of 3 done", "the summary after todos.create");
    const added = rowOf("Buy oat milk");
    step("created", {
      id: await added.getAttribute("data-id"),
      priority: await added.locator(".priority").innerText(),
      due: await added.locator(".due").innerText(),
      created: await added.locator("time.created").getAttribute("datetime"),
      formCleared: (await page.inputValue("#title")) === "",
    });

    // 3. Tick it: todos.update(id, { done: true }).
    await added.locator("input.toggle").check();
    await waitForText(summary, "2 of 3 done", "the summary after ticking");
    step("ticked", { rowClass: await rowOf("Buy oat milk").getAttribute("class") });

    // 4. An empty title: pydantic's error, from RpcError.data, next to the field.
    await page.fill("#title", "");
    await page.click("#submit");
    const emptyTitle = await waitForText(
      error,
      "title: String should have at least 1 character",
      "the error for an empty title",
    );
    step("empty title", { error: emptyTitle, titleInvalid: await page.locator("#title.invalid").count() });

    // 5. Edit a to-do with a title that is too long: the same kind of error, from todos.update.
    await rowOf("Ship the release").locator("button.edit").click();
    await waitForText(page.locator("#submit"), "Save", "the form in edit mode");
    await page.fill("#title", "x".repeat(61));
    await page.click("#submit");
    const tooLong = await waitForText(
      error,
      "title: String should have at most 60 characters",
      "the error for a long title",
    );
    await page.screenshot({ path: join(shots, "validation-error.png"), fullPage: true });
    step("too long", { error: tooLong, stillEditing: (await page.locator("#submit").innerText()) === "Save" });

    // 6. Fix it and save: the edit goes through and the error goes away.
    await page.fill("#title", "Ship the release notes");
    await page.click("#submit");
    await waitForText(rows.locator(".title"), "Read the pyRPC docs", "the list after saving");
    await rowOf("Ship the release notes").waitFor();
    step("edited", { errorHidden: await error.isHidden(), button: await page.locator("#submit").innerText() });

    // 7. A due date in the past: the procedure's own RpcError(4022, ..., data={"field": "due"}).
    await page.fill("#title", "Time travel");
    await page.fill("#due", isoDate(-1));
    await page.click("#submit");
    const past = await waitForText(error, "the due date is in the past (error 4022)", "the error for a past due date");
    step("past due", { error: past, dueInvalid: await page.locator("#due.invalid").count() });
    await page.screenshot({ path: join(shots, "page.png"), fullPage: true });
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
