// Drives the example's page in headless Chromium (playwright-core, the machine's browser) as a
// person would. Every step waits for what the page must show and fails naming what it saw
// instead. Prints one JSON report on the last line; the Python test checks it.
//
//   node drive.mjs flow <page url> <chromium executable> <screenshot folder>
//     read the list the backend sends, add a to-do, tick it, edit one, and get each kind of error
//   node drive.mjs live <page url> <chromium executable> <screenshot folder>
//     the live view: start an import (the stream todos.import), watch its progress grow, cancel
//     it and time how soon the backend's `finally` ran (todos.import_status), then let another
//     import finish and read the list that TanStack Query fetched again after it
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

  /** A call through the page's origin (Vite proxies /rpc to the backend), as the test's own look. */
  async function call(method, params = []) {
    const response = await fetch(new URL("rpc", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 }),
    });
    const answer = await response.json();
    if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result;
  }

  if (mode === "live") {
    await live();
  } else if (mode === "reload") {
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
  } else if (mode === "flow") {
    await flow();
  } else {
    throw new Error(`no mode ${mode}`);
  }

  async function live() {
    const importCount = page.locator("#import-count");
    const start = page.locator("#import-start");
    const cancel = page.locator("#import-cancel");
    const progress = page.locator("#import-progress");
    const state = page.locator("#import-state");
    const progressValue = () => progress.evaluate((bar) => bar.value);
    const total = async () => Number(/ of (\d+) done/.exec(await summary.innerText())?.[1]);

    await page.goto(url);
    await waitForText(summary, "done", "the summary");
    const before = { rows: await rows.count(), total: await total() };

    // 1. Import 40 to-dos: the bar grows as the stream's items arrive, and so does the list.
    await importCount.fill("40");
    const button = await start.innerText();
    await start.click();
    const values = [];
    const deadline = Date.now() + TIMEOUT;
    while (!values.length || values[values.length - 1] < 3) {
      if (Date.now() > deadline) throw new Error(`the progress bar stayed at ${JSON.stringify(values)}`);
      const value = await progressValue();
      if (value !== values[values.length - 1]) values.push(value);
      await page.waitForTimeout(10);
    }
    // The new rows come from the cache, where each item's to-do is put as it arrives.
    await page.waitForFunction((n) => document.querySelectorAll("#todos li").length >= n, before.rows + 3);
    // One look at the bar, its text and the list together: the next item may come at any time.
    const now = await page.evaluate(() => ({
      value: document.querySelector("#import-progress").value,
      text: document.querySelector("#import-state").textContent,
      rows: document.querySelectorAll("#todos li").length,
    }));
    step("progress", {
      button,
      values,
      now: { ...now, rows: now.rows - before.rows },
      startDisabled: await start.isDisabled(),
    });

    // 2. Cancel: the page aborts the request; the server stops the generator and its `finally`
    //    records "stopped", seen through todos.import_status.
    const clicked = Date.now();
    await cancel.click();
    let status = await call("todos.import_status");
    while (status.state === "running") {
      if (Date.now() - clicked > 10_000) throw new Error(`the import still runs 10 s after cancel: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = await call("todos.import_status");
    }
    const stoppedAfterMs = Date.now() - clicked;
    const cancelled = await waitForText(state, "cancelled", "the import's state after cancel");
    await page.waitForTimeout(500); // more than 3 items' time: nothing more is created
    step("cancelled", {
      text: cancelled,
      state: await page.locator("#import").getAttribute("data-state"),
      stoppedAfterMs,
      status,
      statusLater: await call("todos.import_status"),
      cancelHidden: await cancel.isHidden(),
      startEnabled: await start.isEnabled(),
    });

    // 3. Import 5 and let it finish: the stream ends, the page invalidates the todos.* queries,
    //    and the list and the summary come back from the server with every imported to-do.
    await importCount.fill("5");
    const again = await start.innerText();
    await start.click();
    const finished = await waitForText(state, "finished", "the import's state at its end");
    const expected = before.total + status.done + 5;
    await waitForText(summary, ` of ${expected} done`, "the summary after the import");
    step("finished", {
      button: again,
      text: finished,
      state: await page.locator("#import").getAttribute("data-state"),
      progress: [await progressValue(), await progress.evaluate((bar) => bar.max)],
      status: await call("todos.import_status"),
    });
    const titles = await rows.locator(".title").allInnerTexts();
    step("listed", {
      summary: await summary.innerText(),
      imported: titles.filter((title) => title.startsWith("Imported ")),
      rows: titles.length - before.rows,
    });
    await page.screenshot({ path: join(shots, "live.png"), fullPage: true });
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
