// The example course page's script (a file, so the page's CSP needs no 'unsafe-inline').
// It talks to the podflow iframes with postMessage; docs/embedding.md is the protocol.
"use strict";

// podflow is served from this site here; a course hosting it elsewhere names that origin.
const PODFLOW_ORIGIN = new URL("../index.html", location.href).origin;
const frames = {
  "lesson-a": document.getElementById("lesson-a"),
  "lesson-b": document.getElementById("lesson-b"),
};
const events = document.getElementById("events");

const WEB_POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx:1.27
    ports:
    - containerPort: 80
`;

function send(id, message) {
  frames[id].contentWindow.postMessage(message, PODFLOW_ORIGIN);
}

// One line per event, as text: nothing a message carries is ever parsed as HTML.
function log(text) {
  const item = document.createElement("li");
  item.textContent = text;
  events.append(item);
  while (events.children.length > 200) events.firstElementChild.remove();
  events.scrollTop = events.scrollHeight;
}

function describe(m) {
  switch (m.type) {
    case "podflow:ready": return `ready, ${m.steps} steps`;
    case "podflow:step": return `step ${m.step}/${m.total}: ${m.label}`;
    case "podflow:running": return `${m.pod} is Running at step ${m.step}`;
    case "podflow:error": return `error: ${m.message}`;
    default: return null;
  }
}

window.addEventListener("message", (event) => {
  // Only messages from our own frames, from podflow's origin, in podflow's shape.
  if (event.origin !== PODFLOW_ORIGIN) return;
  const id = Object.keys(frames).find((k) => frames[k].contentWindow === event.source);
  const m = event.data;
  if (!id || typeof m !== "object" || m === null || m.id !== id) return;
  const text = describe(m);
  if (text) log(`[${id}] ${text}`);
});

document.getElementById("load-web").addEventListener("click", () => {
  send("lesson-a", { type: "podflow:load", manifest: WEB_POD, commands: [[0, "kubectl get pods -w"]] });
});
document.getElementById("go").addEventListener("click", () => {
  const step = Number.parseInt(document.getElementById("step").value, 10);
  if (step >= 1) send("lesson-a", { type: "podflow:step", step });
});
document.getElementById("play").addEventListener("click", () => send("lesson-a", { type: "podflow:play" }));
document.getElementById("pause").addEventListener("click", () => send("lesson-a", { type: "podflow:pause" }));
