// Browser budget: serves dist/ and measures podflow in headless Chromium (playwright-core).
//
//   node scripts/measure-browser.mjs <dist-dir> <playwright-core-dir>
//
// For the default manifest, a generated 50-document manifest and 3,000 pods (three
// 1,000-replica Deployments) on a 100-node cluster it measures:
// - first render: from navigation start until the timeline shows a simulated trace (for
//   a large run, its first messages: the rest is simulated after, in slices);
// - whole trace: until the timeline no longer says it is simulating the rest;
// - edit latency: from an input event in the editor (the first pod renamed) until the
//   DOM shows the new name (a MutationObserver), and until the next animation frame,
//   p50/p95 over 30 edits;
// the wasm linear memory after the first render (the trace lives there), and whether the
// page still answers (a cursor move to the last step and back, timed);
// and the transferred size of the wasm, JS and CSS (raw, gzip -6, brotli -11).
// The 3,000-pod case loads once and edits 3 times (a run takes seconds, not ms).
// A benchmark, not a test: it asserts nothing about time.

import { createServer } from "node:http";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, extname } from "node:path";
import { createRequire } from "node:module";
import { gzipSync, brotliCompressSync, constants as zc } from "node:zlib";
import { cpus, totalmem } from "node:os";

const [dist, pwDir] = process.argv.slice(2);
if (!dist || !pwDir) {
  console.error("usage: node measure-browser.mjs <dist-dir> <playwright-core-dir>");
  process.exit(2);
}
const { chromium } = createRequire(join(pwDir, "package.json"))("playwright-core");

const EDITS = 30;
const SUB = "/podflow/";
const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json" };

function serve(dir) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(req.url.split(/[?#]/)[0]);
    if (!path.startsWith(SUB) || path.includes("..")) { res.writeHead(404); return res.end(); }
    const rel = path.slice(SUB.length) || "index.html";
    try {
      const body = readFileSync(join(dir, rel));
      res.writeHead(200, { "Content-Type": MIME[extname(rel)] || "application/octet-stream" });
      res.end(body);
    } catch { res.writeHead(404); res.end(); }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

function sizes(dir) {
  const rows = [];
  for (const name of readdirSync(dir)) {
    const ext = extname(name);
    if (![".wasm", ".js", ".css"].includes(ext) || !statSync(join(dir, name)).isFile()) continue;
    const data = readFileSync(join(dir, name));
    rows.push({
      kind: ext.slice(1), raw: data.length,
      gzip: gzipSync(data, { level: 6 }).length,
      brotli: brotliCompressSync(data, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  rows.sort((a, b) => a.kind.localeCompare(b.kind));
  const total = rows.reduce((t, r) => ({ kind: "total", raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
  return [...rows, total];
}

function fiftyPods() {
  const docs = [];
  for (let i = 1; i <= 50; i++) {
    docs.push(`apiVersion: v1
kind: Pod
metadata:
  name: pod-${i}
  labels:
    app: bench
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources:
      requests:
        cpu: 10m
        memory: 16Mi
`);
  }
  return docs.join("---\n");
}

// Three 1,000-replica Deployments (the shape of sim::scenarios::scale::deployments).
function threeThousandPods() {
  const docs = [];
  for (let i = 1; i <= 3; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${i}
spec:
  replicas: 1000
  selector:
    matchLabels:
      app: web-${i}
  template:
    metadata:
      labels:
        app: web-${i}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
`);
  }
  return docs.join("---\n");
}

// The default cluster with `n` nodes: cp (control plane, tainted) and workers w1…w<n-1>.
function clusterYaml(n) {
  const lines = ["nodes:", "- name: cp", "  controlPlane: true", "  taints:",
    "  - key: node-role.kubernetes.io/control-plane", "    effect: NoSchedule"];
  for (let i = 1; i < n; i++) lines.push(`- name: w${i}`);
  return lines.join("\n") + "\n";
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

// Runs in the page before the app: records when the timeline first shows a trace.
const FIRST_RENDER = () => {
  window.__firstRender = null;
  window.__whole = null;
  const check = () => {
    const pos = document.querySelector(".timeline .position");
    if (!window.__firstRender && pos && / of [1-9]/.test(pos.textContent)) {
      window.__firstRender = performance.now();
      window.__firstRenderText = pos.textContent;
    }
    if (window.__firstRender && !window.__whole && !document.querySelector(".timeline .simulating")) {
      window.__whole = performance.now();
      window.__wholeText = pos.textContent;
      return true;
    }
    return false;
  };
  new MutationObserver((_, obs) => { if (check()) obs.disconnect(); })
    .observe(document, { childList: true, subtree: true, characterData: true });
};

// Runs in the page: renames the first pod `EDITS` times and times each update.
async function editLoop([edits, timeout]) {
  const ta = document.querySelector('[data-testid="manifest-editor"] textarea');
  const dom = [], frame = [];
  const original = ta.value;
  for (let i = 1; i <= edits; i++) {
    const name = `edit-${i}-x`;
    const text = original.replace(/^  name: .*$/m, `  name: ${name}`);
    const seen = new Promise((resolve) => {
      const obs = new MutationObserver(() => {
        // A row of the message flow names the pod (GET …/pods/<name>).
        if (document.querySelector('[data-testid="message-flow"]')?.textContent.includes(name)) {
          obs.disconnect();
          resolve(performance.now());
        }
      });
      obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const t0 = performance.now();
    ta.value = text;
    ta.dispatchEvent(new Event("input", { bubbles: true }));
    const t1 = await Promise.race([seen, new Promise((r) => setTimeout(() => r(NaN), timeout))]);
    const t2 = await new Promise((r) => requestAnimationFrame(() => r(performance.now())));
    dom.push(t1 - t0);
    frame.push(t2 - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  const steps = document.querySelector(".timeline .position")?.textContent ?? "";
  return { dom, frame, steps };
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}${SUB}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

// Runs in the page: the wasm linear memory (Trunk hands the instance to this event).
const WASM_MEMORY = () => {
  addEventListener("TrunkApplicationStarted", (e) => { window.__wasm = e.detail?.wasm; });
};

// Runs in the page: moves the cursor to the last step (End) and back (Home), timing each
// until the timeline's position text changes.
async function scrub() {
  const pos = () => document.querySelector(".timeline .position")?.textContent ?? "";
  const press = async (key) => {
    const before = pos();
    const t0 = performance.now();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    while (pos() === before && performance.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => requestAnimationFrame(r));
    return performance.now() - t0;
  };
  return { end: await press("End"), home: await press("Home") };
}

const CASES = [
  { label: "default (1 pod)", manifest: null, cluster: null, loads: 5, edits: EDITS, timeout: 60000 },
  { label: "50 documents", manifest: fiftyPods(), cluster: null, loads: 5, edits: EDITS, timeout: 60000 },
  { label: "3,000 pods on 100 nodes", manifest: threeThousandPods(), cluster: clusterYaml(100), loads: 1, edits: 3, timeout: 600000 },
].filter((c) => !process.env.ONLY || c.label.includes(process.env.ONLY));

const results = [];
for (const { label, manifest, cluster, loads: nloads, edits, timeout } of CASES) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  if (manifest) {
    await context.addInitScript(([m, c]) => {
      if (!sessionStorage.getItem("seeded")) {
        localStorage.setItem("podflow.manifest", m);
        if (c) localStorage.setItem("podflow.cluster", c);
        sessionStorage.setItem("seeded", "1");
      }
    }, [manifest, cluster]);
  }
  await context.addInitScript(FIRST_RENDER);
  await context.addInitScript(WASM_MEMORY);
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const loads = [];
  const wholes = [];
  let memory = NaN;
  for (let run = 0; run < nloads; run++) {
    await page.goto(url, { waitUntil: "load", timeout });
    await page.waitForFunction(() => window.__firstRender !== null, null, { timeout });
    loads.push(await page.evaluate(() => window.__firstRender));
    await page.waitForFunction(() => window.__whole !== null, null, { timeout });
    wholes.push(await page.evaluate(() => window.__whole));
    memory = await page.evaluate(() => window.__wasm?.memory?.buffer?.byteLength ?? NaN);
    if (process.env.DEBUG) console.error(label, await page.evaluate(() => window.__firstRenderText));
  }
  const scrubbed = await page.evaluate(scrub);
  console.error(`${label}: first render ${loads.map((x) => x.toFixed(0)).join(", ")} ms, whole trace ${wholes.map((x) => x.toFixed(0)).join(", ")} ms, wasm memory ${(memory / 2 ** 20).toFixed(0)} MiB, cursor to the end ${scrubbed.end.toFixed(0)} ms, back ${scrubbed.home.toFixed(0)} ms`);
  const { dom, frame, steps } = await page.evaluate(editLoop, [edits, timeout]);
  results.push({ label, loads, wholes, dom, frame, steps, errors, memory, scrubbed });
  await context.close();
}
const version = browser.version();
await browser.close();
server.close();

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "timeout");
const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Chromium ${version} headless, 1440×900`);
console.log("");
console.log("| manifest | trace | first render (ms, median) | whole trace (ms, median) | edit → DOM p50 / p95 (ms) | edit → next frame p50 / p95 (ms) | wasm memory (MiB) | cursor to the end / back (ms) |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.label} | ${r.steps.replace(/^step \d+ of /, "") } steps | ${f(pct(r.loads, 50))} | ${f(pct(r.wholes, 50))} | ${f(pct(r.dom, 50))} / ${f(pct(r.dom, 95))} | ${f(pct(r.frame, 50))} / ${f(pct(r.frame, 95))} | ${f(r.memory / 2 ** 20)} | ${f(r.scrubbed.end)} / ${f(r.scrubbed.home)} |`);
}
console.log("");
console.log("| file | raw (KiB) | gzip -6 (KiB) | brotli -11 (KiB) |");
console.log("|---|---|---|---|");
for (const s of sizes(dist)) {
  const k = (n) => (n / 1024).toFixed(1);
  console.log(`| ${s.kind} | ${k(s.raw)} | ${k(s.gzip)} | ${k(s.brotli)} |`);
}
const errs = results.flatMap((r) => r.errors);
if (errs.length) {
  console.log("");
  console.log(`console errors (${errs.length}):`);
  for (const e of errs.slice(0, 10)) console.log(`  ${e}`);
}
