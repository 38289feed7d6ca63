// The page: every call below is typed by @pyrpc/types, which `pyrpc dev` generates from the
// Python procedures in ../backend/main.py. Change a procedure there and `tsc` points here.
import { createClient, RpcError, TransportError } from "@pyrpc/client";
import { createQueryUtils } from "@pyrpc/tanstack-query";
import type { ImportStep, Procedures, Todo, TodoPatchInput, Types } from "@pyrpc/types";
import { meta, Priority } from "@pyrpc/types";
import { QueryClient, QueryObserver } from "@tanstack/query-core";

// meta: the server's limits, its idempotent procedures (todos.list, todos.summary: retried after
// a network error, as `retry: true` allows only for those) and its streaming ones (todos.import:
// its call is iterated with `for await`); generated with the types. With Procedures, calls by
// wire name (client.$call("todos.list", [null])) are typed too.
const client = createClient<Types, Procedures>({ url: "/rpc", meta, retry: true });

// TanStack Query, with its framework-agnostic core: the list and the summary are queries kept by
// a QueryClient and watched by QueryObservers; after a change, invalidating every todos.* query
// (rpc.todos.pathKey()) refetches the watched ones, and the page shows them. `rpc` mirrors the
// client: rpc.todos.list.queryOptions([done]) is the typed query of client.todos.list(done).
const rpc = createQueryUtils(client);
// No retries of TanStack's own (the client's know which procedures may run twice); the data
// stays fresh until invalidated.
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

const form = element<HTMLFormElement>("todo-form");
const titleInput = element<HTMLInputElement>("title");
const prioritySelect = element<HTMLSelectElement>("priority");
const dueInput = element<HTMLInputElement>("due");
const submitButton = element<HTMLButtonElement>("submit");
const cancelButton = element<HTMLButtonElement>("cancel");
const errorBox = element<HTMLDivElement>("error");
const list = element<HTMLUListElement>("todos");
const summaryLine = element<HTMLParagraphElement>("summary");
const openOnly = element<HTMLInputElement>("open-only");
const importSection = element<HTMLElement>("import");
const importCount = element<HTMLInputElement>("import-count");
const importStart = element<HTMLButtonElement>("import-start");
const importCancel = element<HTMLButtonElement>("import-cancel");
const importProgress = element<HTMLProgressElement>("import-progress");
const importState = element<HTMLOutputElement>("import-state");

/** The to-do being edited in the form, or null when the form adds a new one. */
let editing: Todo | null = null;

// The enum is a value too: its members fill the <select>.
for (const priority of Object.values(Priority)) {
  prioritySelect.append(new Option(priority, priority, priority === Priority.NORMAL, priority === Priority.NORMAL));
}

function isPriority(value: string): value is Priority {
  return (Object.values(Priority) as string[]).includes(value);
}

// -- errors ---------------------------------------------------------------------------------

/** One entry of pydantic's validation errors, as the server sends them in `RpcError.data`. */
interface FieldError {
  loc: (string | number)[];
  msg: string;
}

function isFieldErrors(data: unknown): data is FieldError[] {
  return Array.isArray(data) && data.every((item) => typeof item === "object" && item !== null && "loc" in item && "msg" in item);
}

/** The form field a problem is about: `["title"]` for create, `["patch", "title"]` for update. */
function fieldOf(loc: (string | number)[]): string {
  return String(loc[loc.length - 1] ?? "");
}

function showError(error: unknown): void {
  const lines: string[] = [];
  const fields: string[] = [];
  let heading: string;
  if (error instanceof RpcError && error.isValidationError && isFieldErrors(error.data)) {
    heading = "Please check the form:";
    for (const problem of error.data) {
      fields.push(fieldOf(problem.loc));
      lines.push(`${fieldOf(problem.loc)}: ${problem.msg}`);
    }
  } else if (error instanceof RpcError) {
    heading = `${error.message} (error ${error.code})`;
    // The procedure's own data: here {"field": ..., and details}; shown as "key: value" lines.
    const data = error.data;
    if (typeof data === "object" && data !== null && !Array.isArray(data)) {
      for (const [key, value] of Object.entries(data)) {
        if (key === "field" && typeof value === "string") fields.push(value);
        else lines.push(`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
      }
    } else if (data !== undefined) {
      lines.push(JSON.stringify(data));
    }
  } else if (error instanceof TransportError) {
    heading = `The backend cannot be reached (${error.kind}): is \`pyrpc dev\` running?`;
  } else {
    heading = String(error);
  }
  errorBox.replaceChildren(Object.assign(document.createElement("strong"), { textContent: heading }));
  if (lines.length) {
    const details = document.createElement("ul");
    details.append(...lines.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
    errorBox.append(details);
  }
  errorBox.hidden = false;
  for (const input of [titleInput, prioritySelect, dueInput]) {
    input.classList.toggle("invalid", fields.includes(input.name));
  }
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  for (const input of [titleInput, prioritySelect, dueInput]) input.classList.remove("invalid");
}

// -- rendering ------------------------------------------------------------------------------

function row(todo: Todo): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.id = String(todo.id);
  item.classList.toggle("done", todo.done);

  const done = Object.assign(document.createElement("input"), { type: "checkbox", checked: todo.done, className: "toggle" });
  done.setAttribute("aria-label", `Done: ${todo.title}`);
  done.addEventListener("change", () => void run(() => client.todos.update(todo.id, { done: done.checked })));

  const title = Object.assign(document.createElement("span"), { className: "title", textContent: todo.title });
  const priority = Object.assign(document.createElement("span"), {
    className: `priority priority-${todo.priority}`,
    textContent: todo.priority,
  });
  const due = Object.assign(document.createElement("span"), {
    className: "due",
    textContent: todo.due ? `due ${todo.due}` : "",
  });
  const created = Object.assign(document.createElement("time"), {
    className: "created",
    dateTime: todo.created,
    textContent: `added ${new Date(todo.created).toLocaleString()}`,
  });
  const edit = Object.assign(document.createElement("button"), { type: "button", className: "edit", textContent: "Edit" });
  edit.addEventListener("click", () => startEditing(todo));

  item.append(done, title, priority, due, created, edit);
  return item;
}

// -- the queries: the list and the summary, through TanStack Query ---------------------------

/** The params of the list's query: only the open to-dos, or all. */
function listParams(): [done: boolean | null] {
  return [openOnly.checked ? false : null];
}

const todosQuery = new QueryObserver(queryClient, rpc.todos.list.queryOptions(listParams()));
const summaryQuery = new QueryObserver(queryClient, rpc.todos.summary.queryOptions());

/** Shows the list and the summary once neither is being fetched, so that they change together. */
function render(): void {
  const todos = todosQuery.getCurrentResult();
  const summary = summaryQuery.getCurrentResult();
  const error = todos.error ?? summary.error;
  if (error) showError(error);
  if (todos.isFetching || summary.isFetching) return;
  if (todos.data) list.replaceChildren(...todos.data.map(row));
  if (summary.data) {
    const { done, total, overdue } = summary.data;
    summaryLine.textContent = `${done} of ${total} done` + (overdue ? `, ${overdue} overdue` : "");
  }
}

// Subscribing fetches each query once; then each change of either (a refetch, setQueryData) renders.
todosQuery.subscribe(render);
summaryQuery.subscribe(render);

/** Every todos.* query is out of date: the watched ones (the list, the summary) are fetched again. */
function invalidate(): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: rpc.todos.pathKey() });
}

/** Runs a change, then shows the new state, or the error the server answered with. */
async function run(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    clearError();
    await invalidate();
    return true;
  } catch (error) {
    showError(error);
    return false;
  }
}

// -- the form: add, or edit ---------------------------------------------------------------

function startEditing(todo: Todo): void {
  editing = todo;
  titleInput.value = todo.title;
  prioritySelect.value = todo.priority;
  dueInput.value = todo.due ?? "";
  submitButton.textContent = "Save";
  cancelButton.hidden = false;
  clearError();
  titleInput.focus();
}

function resetForm(): void {
  editing = null;
  form.reset();
  prioritySelect.value = Priority.NORMAL;
  submitButton.textContent = "Add";
  cancelButton.hidden = true;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const title = titleInput.value.trim();
  const priority = isPriority(prioritySelect.value) ? prioritySelect.value : Priority.NORMAL;
  const due = dueInput.value || null; // <input type="date"> gives "YYYY-MM-DD", as the server expects
  const target = editing;
  void run(() => {
    if (target) {
      const patch: TodoPatchInput = { title, priority, due };
      return client.todos.update(target.id, patch);
    }
    return client.todos.create(title, priority, due);
  }).then((saved) => {
    if (saved) resetForm();
  });
});

cancelButton.addEventListener("click", () => {
  resetForm();
  clearError();
});
element<HTMLButtonElement>("refresh").addEventListener("click", () => {
  clearError();
  void invalidate();
});
openOnly.addEventListener("change", () => todosQuery.setOptions(rpc.todos.list.queryOptions(listParams())));

// -- the live view: todos.import streams each to-do as the server creates it --------------------

/** Aborts the import under way; null when there is none. */
let importing: AbortController | null = null;

function importSize(): number {
  const count = importCount.valueAsNumber;
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

function showImport(state: "running" | "finished" | "cancelled" | "failed", text: string): void {
  importSection.dataset.state = state;
  importState.textContent = text;
  const running = state === "running";
  importStart.disabled = running;
  importCount.disabled = running;
  importCancel.hidden = !running;
}

async function importTodos(count: number): Promise<void> {
  const controller = new AbortController();
  importing = controller;
  importProgress.hidden = false;
  importProgress.max = count;
  importProgress.value = 0;
  showImport("running", `importing 0 of ${count}`);
  let last: ImportStep | undefined;
  try {
    // One request, its items as they come; the signal aborts it, and the server then stops the
    // generator (its `finally` runs). A dropped connection is resumed with Last-Event-ID.
    for await (const step of client.$with({ signal: controller.signal }).todos.import(count)) {
      last = step;
      importProgress.max = step.of;
      importProgress.value = step.done;
      showImport("running", `importing ${step.done} of ${step.of}: ${step.todo.title}`);
      // The new to-do joins the cached list at once (the key is typed: Todo[]); the summary follows at the end.
      queryClient.setQueryData(rpc.todos.list.queryKey(listParams()), (todos) => todos && [...todos, step.todo]);
    }
    showImport("finished", `finished: ${last?.done ?? 0} of ${count} imported`);
  } catch (error) {
    if (controller.signal.aborted) {
      showImport("cancelled", `cancelled after ${last?.done ?? 0} of ${count}`);
    } else {
      showImport("failed", "the import failed");
      showError(error);
    }
  } finally {
    importing = null;
    await invalidate(); // the list and the summary as the server has them now
  }
}

importCount.addEventListener("input", () => {
  const count = importSize();
  importStart.textContent = `Import ${count} ${count === 1 ? "to-do" : "to-dos"}`;
});
importStart.addEventListener("click", () => void importTodos(importSize()));
importCancel.addEventListener("click", () => importing?.abort());
