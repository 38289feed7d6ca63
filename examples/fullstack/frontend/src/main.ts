// The page: every call below is typed by @pyrpc/types, which `pyrpc dev` generates from the
// Python procedures in ../backend/main.py. Change a procedure there and `tsc` points here.
import { createClient, RpcError, TransportError } from "@pyrpc/client";
import type { Procedures, Todo, TodoPatch, Types } from "@pyrpc/types";
import { meta, Priority } from "@pyrpc/types";

// meta: the server's limits and idempotent procedures (generated with the types); with
// Procedures, calls by wire name (client.$call("todos.list", [null])) are typed too.
const client = createClient<Types, Procedures>({ url: "/rpc", meta });

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

async function refresh(): Promise<void> {
  const [todos, summary] = await Promise.all([
    client.todos.list(openOnly.checked ? false : null),
    client.todos.summary(),
  ]);
  list.replaceChildren(...todos.map(row));
  summaryLine.textContent = `${summary.done} of ${summary.total} done` + (summary.overdue ? `, ${summary.overdue} overdue` : "");
}

/** Runs a call, then shows the new state, or the error the server answered with. */
async function run(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    clearError();
    await refresh();
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
      const patch: TodoPatch = { title, priority, due };
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
element<HTMLButtonElement>("refresh").addEventListener("click", () => void run(async () => undefined));
openOnly.addEventListener("change", () => void run(async () => undefined));

void run(async () => undefined);
