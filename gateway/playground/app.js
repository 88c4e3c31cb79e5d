// The scimgw mapping playground: every change (debounced) posts the try to
// /api/run and shows what comes back. A token, when the playground has
// one, comes in the page's address as #token=….
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
let tenants = [];
let timer = null;

const samples = {
  create: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "bjensen@example.com",
    name: { givenName: "Barbara", familyName: "Jensen" }, emails: [{ value: "bjensen@example.com", type: "work", primary: true }], active: true },
  replace: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "bjensen@example.com",
    name: { givenName: "Barbara", familyName: "Jensen-Smith" }, emails: [{ value: "bjensen@example.com", type: "work", primary: true }], active: true },
  patch: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] },
  filter: 'userName eq "bjensen@example.com"',
  response: { id: "2819c223", userName: "bjensen@example.com", active: true },
};

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const resp = await fetch(path, body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) });
  const text = await resp.text();
  if (!resp.ok) throw new Error(text.trim() || resp.statusText);
  return JSON.parse(text);
}

function tenant() { return tenants.find((t) => t.id === $("tenant").value); }

function sample(op) {
  const s = samples[op];
  return typeof s === "string" ? s : JSON.stringify(s, null, 2);
}

function run() {
  return {
    tenant: $("tenant").value, op: $("op").value, resource: $("resource").value,
    input: $("input").value, current: $("current").value, mapping: $("mapping").value, id: "ID",
  };
}

// gutter numbers the mapping's lines and marks those with problems.
function gutter(bad) {
  const n = $("mapping").value.split("\n").length;
  const g = $("gutter");
  g.textContent = "";
  for (let i = 1; i <= n; i++) {
    const line = document.createElement("span");
    line.dataset.line = i;
    line.textContent = (bad.has(i) ? "● " : "") + i + "\n";
    if (bad.has(i)) line.className = "bad";
    g.appendChild(line);
  }
  g.scrollTop = $("mapping").scrollTop;
}

// goTo puts the caret at a line and column of the mapping.
function goTo(line, col) {
  const ta = $("mapping");
  const lines = ta.value.split("\n");
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  ta.focus();
  ta.setSelectionRange(at + col - 1, at + col - 1);
}

function show(res) {
  const list = $("lints");
  list.textContent = "";
  const bad = new Set();
  for (const l of res.lints) {
    bad.add(l.line);
    const li = document.createElement("li");
    li.dataset.line = l.line;
    li.dataset.col = l.col;
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = l.line + ":" + l.col;
    b.setAttribute("aria-label", "line " + l.line + ", column " + l.col + ": go there");
    b.addEventListener("click", () => goTo(l.line, l.col));
    li.append(b, " " + l.message);
    list.appendChild(li);
  }
  $("mapping").setAttribute("aria-invalid", res.lints.length ? "true" : "false");
  gutter(bad);
  $("requests").textContent = res.output || "";
  $("error").textContent = res.error || "";
  $("schema").textContent = res.schema || "";
  const e = res.emulated || {};
  $("emulated-note").textContent = e.note || "";
  $("calls").textContent = e.calls || "";
  $("answer-status").textContent = e.status ? "(" + e.status + ")" : "";
  $("answer").textContent = e.answer ? JSON.stringify(e.answer, null, 2) : "";
  $("stored").textContent = e.stored || "";
  $("status").textContent = res.lints.length ? res.lints.length + " problem(s) in the mapping" : "up to date";
}

async function refresh() {
  $("status").textContent = "translating…";
  try {
    show(await api("/api/run", run()));
  } catch (e) {
    $("status").textContent = "failed: " + e.message;
  }
}

function later() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 300);
}

function pickTenant() {
  const t = tenant();
  $("mapping").value = t.mapping;
  $("mapping-file").textContent = "(" + t.file + (t.override ? ", over the built-in mapping" : "") + ")";
  refresh();
}

async function saveCase() {
  try {
    const tc = await api("/api/testcase", Object.assign(run(), { name: $("case-name").value }));
    $("testcase").value = tc.yaml;
    $("save-mapping").textContent = tc.mapping_file;
    $("save-file").textContent = tc.file;
    const link = (id, name, text) => {
      const a = $(id);
      a.download = name;
      a.href = URL.createObjectURL(new Blob([text], { type: "text/yaml" }));
    };
    link("download-test", tc.file, tc.yaml);
    link("download-mapping", tc.mapping_file, $("mapping").value);
    $("status").textContent = "test case made";
  } catch (e) {
    $("status").textContent = "no test case: " + e.message;
  }
}

async function start() {
  tenants = await api("/api/tenants");
  for (const t of tenants) {
    const o = document.createElement("option");
    o.value = t.id;
    o.textContent = t.id + " (" + t.dialect + ")";
    $("tenant").appendChild(o);
  }
  $("input").value = sample("create");
  $("tenant").addEventListener("change", pickTenant);
  $("op").addEventListener("change", () => { $("input").value = sample($("op").value); refresh(); });
  $("resource").addEventListener("change", refresh);
  for (const id of ["input", "current", "mapping"]) $(id).addEventListener("input", later);
  $("mapping").addEventListener("scroll", () => { $("gutter").scrollTop = $("mapping").scrollTop; });
  $("save").addEventListener("click", saveCase);
  pickTenant();
}

start().catch((e) => { $("status").textContent = "failed: " + e.message; });
