// The playground page: controls, and the scripting API window.playground.
//
// Nothing here computes an op, a derivative or a chain-rule step: every number, equation,
// step text and verdict comes from micrograd_nn running in Pyodide in worker.js (see
// app.py); the diagrams are micrograd_nn.viz.draw_dot's DOT, laid out here by Graphviz
// compiled to WebAssembly (@viz-js/viz). While a graph keeps its shape, a change of numbers
// is applied to the drawn SVG in place (texts and colours), with no new layout.

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------------------
// The worker

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const waiting = new Map();
let nextId = 0;

worker.onmessage = (event) => {
  const { id, text, ms } = event.data;
  const entry = waiting.get(id);
  waiting.delete(id);
  const reply = JSON.parse(text);
  if (reply.ok) {
    entry.resolve(reply.result);
  } else {
    entry.reject(new Error(reply.error));
  }
  timings.lastPythonMs = ms;
};

function call(method, ...args) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, method, args });
  });
}

// Milliseconds since navigation started (performance.now()'s origin): when main.js ran,
// when Python answered first, when the first graph was drawn (in the page, laid out),
// when the page was ready (the first graph's steps loaded too: playground.ready); the last
// leaf change's time from the call to the patched diagram, and Python's share of the last
// call; worker: the worker's own start-up split (see worker.js).
const timings = { scriptMs: performance.now(), pythonMs: null, firstGraphMs: null,
  readyMs: null, lastSetMs: null, lastPythonMs: null, lastLayoutMs: null };

// ---------------------------------------------------------------------------------------
// Diagrams: a fresh layout when the shape changes, else the new texts and colours in place

// Loaded after the worker has started: Python's start-up is the long part of the first load.
const vizReady = import("./vendor/viz.js").then((viz) => viz.instance());

class Diagram {
  // minScale: the smallest fraction of its natural size a wide diagram is shrunk to so
  // it fits the page's width (past it, the diagram scrolls).
  constructor(container, onNodeClick, minScale) {
    this.container = container;
    this.minScale = minScale;
    this.shape = null;
    this.nodes = new Map();
    this.edges = new Map();
    this.boxes = null;  // per node id, its text elements and the shape its fill is on
    this.plain = null;  // the last patch shown without a step's highlight and fading
    this.stepped = false;  // whether a step's look is drawn over it now
    this.onNodeClick = onNodeClick;
  }

  // d: app.diagram's {dot, shape, patch}; pending: the ids a step fades; stepped: whether
  // this is a step's look (a highlight, grads so far), not the plain end state.
  async show(d, pending = [], stepped = false) {
    if (d.shape !== this.shape) {
      const viz = await vizReady;
      const t0 = performance.now();
      const svg = viz.renderSVGElement(d.dot);
      timings.lastLayoutMs = performance.now() - t0;
      this.container.replaceChildren(svg);
      this.svg = svg;
      this.natural = (parseFloat(svg.getAttribute("width")) || 800) * 4 / 3;  // pt to px
      const room = this.container.clientWidth || 800;
      this.width(Math.min(this.natural, Math.max(room - 4, this.natural * this.minScale)));
      this.shape = d.shape;
      this.nodes.clear();
      this.edges.clear();
      this.boxes = null;
      for (const g of svg.querySelectorAll("g.node")) {
        this.nodes.set(g.id, g);
        if (this.onNodeClick) {
          g.addEventListener("click", () => this.onNodeClick(g.id.replace(/_op$/, "")));
        }
      }
      for (const g of svg.querySelectorAll("g.edge")) {
        const title = g.querySelector("title");
        if (title) this.edges.set(title.textContent.replace(/\s/g, ""), g);
      }
    }
    this.patch(d.patch, new Set(pending));
    if (!stepped) this.plain = d.patch;
    this.stepped = stepped;
  }

  // The same graph, new numbers: app.Expression.update's boxes ({id: [texts, fill]}, each
  // box as draw_dot would draw it now) written into the drawn SVG; no layout, no DOT.
  update(boxes) {
    if (this.stepped && this.plain) {  // take a step's highlight and fading off first
      this.patch(this.plain, new Set());
      this.stepped = false;
    }
    if (!this.boxes) {
      this.boxes = new Map();
      for (const [id, g] of this.nodes) {
        const fill = g.querySelector("polygon, path, ellipse");
        this.boxes.set(id, { texts: [...g.querySelectorAll("text")], fill });
      }
    }
    for (const [id, [texts, fill]] of Object.entries(boxes)) {
      const box = this.boxes.get(id);
      if (!box) continue;
      texts.forEach((t, i) => {
        const el = box.texts[i];
        if (el && el.textContent !== t) el.textContent = t;
      });
      if (box.fill && box.fill.getAttribute("fill") !== fill) box.fill.setAttribute("fill", fill);
    }
  }

  width(px) {
    if (!this.svg) return;
    this.svg.style.width = `${Math.max(50, px)}px`;
    this.svg.style.height = "auto";
  }

  zoom(how) {
    if (!this.svg) return;
    const now = this.svg.getBoundingClientRect().width;
    const sizes = { in: now * 1.25, out: now / 1.25, fit: this.container.clientWidth - 4,
      actual: this.natural };
    this.width(sizes[how]);
  }

  patch(patch, pending) {
    for (const [id, look] of Object.entries(patch.nodes)) {
      const g = this.nodes.get(id);
      if (!g) continue;
      const texts = g.querySelectorAll("text");
      look.texts.forEach((t, i) => { if (texts[i] && texts[i].textContent !== t) texts[i].textContent = t; });
      const shapes = g.querySelectorAll("polygon, path, ellipse, polyline");
      const filled = (look.style || "").includes("filled");
      shapes.forEach((s, i) => {
        s.setAttribute("stroke", look.color || "black");
        s.setAttribute("stroke-width", look.penwidth || "1");
        if (i === 0 && s.tagName !== "polyline") {
          s.setAttribute("fill", filled ? (look.fillcolor || "lightgrey") : "none");
        }
      });
      for (const t of texts) t.setAttribute("fill", look.fontcolor || "black");
      const base = id.endsWith("_op") ? id.slice(0, -3) : id;
      const classes = ["node"];
      if (look.class) classes.push(look.class);
      if (pending.has(base)) classes.push("pending");
      g.setAttribute("class", classes.join(" "));
    }
    for (const [key, look] of Object.entries(patch.edges)) {
      const g = this.edges.get(key);
      if (!g) continue;
      for (const s of g.querySelectorAll("path, polygon")) {
        s.setAttribute("stroke", look.color || "black");
        s.setAttribute("stroke-width", look.penwidth || "1");
        if (s.tagName === "polygon") s.setAttribute("fill", look.color || "black");
      }
      const [tail, head] = key.split("->");
      const faded = pending.has(tail.replace(/_op$/, "")) || pending.has(head.replace(/_op$/, ""));
      g.setAttribute("class", faded ? "edge pending" : "edge");
    }
  }
}

// ---------------------------------------------------------------------------------------
// Expression mode

const graph = new Diagram($("graph"), (id) => clickNode(id), 0.55);
const expr = { state: null, steps: null, step: null, playing: null, pendingSet: new Map(),
  busy: false };

function showText(id, text, cls) {
  const el = $(id);
  el.textContent = text || "";
  el.hidden = !text;
  if (cls !== undefined) el.className = cls;
}

function nodeList(state) {
  return state.nodes.map(({ id, label, op, kind, data, grad }) => ({ id, label, op, kind, data, grad }));
}

let presetTexts = {};

async function run(source) {
  if ($("source").value !== source) $("source").value = source;
  const preset = Object.keys(presetTexts).find((name) => presetTexts[name] === source);
  if (preset) $("preset").value = preset;
  showText("error", "");
  showText("verdict", "");
  try {
    const state = await call("run", source);
    expr.state = state;
    expr.steps = null;
    expr.step = null;
    stopPlaying();
    await graph.show(state.diagram);
    if (timings.firstGraphMs === null) timings.firstGraphMs = performance.now();
    renderLeaves(state.leaves);
    $("summary").textContent = state.summary;
    showText("printed", state.printed);
    $("prediction").textContent = "";
    $("step-text").textContent = "";
    await loadSteps();
    setStepControls(expr.steps.steps.length - 1);
    return { nodes: nodeList(state), root: state.root };
  } catch (error) {
    showText("error", error.message);
    throw error;
  }
}

function sliderRange(x) {
  const span = Math.max(1, Math.abs(x));
  return [x - 2 * span, x + 2 * span];
}

function renderLeaves(leaves) {
  const box = $("leaves");
  box.replaceChildren();
  for (const leaf of leaves) {
    const row = document.createElement("div");
    row.className = "leaf";
    const name = document.createElement("span");
    name.textContent = leaf.label;
    name.className = leaf.kind;
    name.title = leaf.kind;
    const slider = document.createElement("input");
    slider.type = "range";
    const [lo, hi] = sliderRange(leaf.data);
    Object.assign(slider, { min: lo, max: hi, step: (hi - lo) / 400, value: leaf.data });
    slider.setAttribute("aria-label", leaf.label);
    slider.dataset.label = leaf.label;
    const number = document.createElement("input");
    number.type = "number";
    number.value = leaf.data;
    number.step = "any";
    number.setAttribute("aria-label", `${leaf.label} value`);
    number.dataset.label = leaf.label;
    slider.addEventListener("input", () => { number.value = slider.value; queueSet(leaf.label, Number(slider.value)); });
    number.addEventListener("change", () => {
      const x = Number(number.value);
      if (x < Number(slider.min) || x > Number(slider.max)) {
        const [a, b] = sliderRange(x);
        Object.assign(slider, { min: a, max: b, step: (b - a) / 400 });
      }
      slider.value = x;
      queueSet(leaf.label, x);
    });
    row.append(name, slider, number);
    box.append(row);
  }
}

// Drags send many values: one set() runs at a time and the latest value waits for it.
function queueSet(label, x) {
  expr.pendingSet.set(label, x);
  if (!expr.busy) drainSets();
}

async function drainSets() {
  expr.busy = true;
  try {
    while (expr.pendingSet.size) {
      const [label, x] = expr.pendingSet.entries().next().value;
      expr.pendingSet.delete(label);
      try {
        await setLeaf(label, x);
      } catch {
        // setLeaf has shown the engine's message
      }
    }
  } finally {
    expr.busy = false;
  }
}

async function setLeaf(label, x) {
  const t0 = performance.now();
  try {
    const state = await call("set", label, x);
    expr.state = state;
    expr.steps = null;
    stopPlaying();
    graph.update(state.boxes);
    timings.lastSetMs = performance.now() - t0;
    $("summary").textContent = state.summary;
    $("prediction").textContent = state.prediction.text;
    showText("error", "");
    const data = new Map(state.leaves.map((leaf) => [leaf.label, leaf.data]));
    for (const input of document.querySelectorAll("#leaves input[type=number]")) {
      if (data.has(input.dataset.label) && document.activeElement !== input) input.value = data.get(input.dataset.label);
    }
    expr.step = null;  // the diagram shows the end state again
    setStepControls(Number($("step-slider").max), true);
    $("step-text").textContent = "";
    return nodeList(state);
  } catch (error) {
    showText("error", error.message);
    throw error;
  }
}

// -- step-through -------------------------------------------------------------------------

async function loadSteps() {
  if (!expr.steps) expr.steps = await call("steps");
  return expr.steps;
}

function setStepControls(k, quiet) {
  const total = expr.steps ? expr.steps.steps.length - 1 : Number($("step-slider").max);
  const slider = $("step-slider");
  slider.max = total;
  slider.value = k;
  $("step-counter").textContent = `Step ${k} / ${total}`;
  if (!quiet) expr.step = k;
}

async function gotoStep(k) {
  const steps = await loadSteps();
  const last = steps.steps.length - 1;
  k = Math.max(0, Math.min(last, k));
  const state = await call("step", k);
  expr.step = k;
  await graph.show(state.diagram, state.pending, true);
  setStepControls(k);
  const current = state.node && graph.nodes.get(state.node);
  if (current) current.scrollIntoView({ block: "nearest", inline: "nearest" });
  const phase = state.phase === "leaves" ? "The leaves" :
    state.phase === "forward" ? `Forward ${k} / ${steps.forward}` :
      `Backward ${k - steps.forward} / ${last - steps.forward}`;
  $("step-text").textContent = `${phase}\n${steps.steps[k].text}`;
  return { step: k, phase: state.phase, node: state.node, text: steps.steps[k].text, nodes: nodeList(state) };
}

function currentStep() {
  return expr.step === null ? Number($("step-slider").max) : expr.step;
}

async function clickNode(id) {
  const steps = await loadSteps();
  const inBackward = currentStep() > steps.forward;
  const table = inBackward ? steps.click.backward : steps.click.forward;
  if (id in table) await gotoStep(table[id]);
}

function stopPlaying() {
  if (expr.playing) clearInterval(expr.playing);
  expr.playing = null;
  $("play").innerHTML = "&#9654; Play";
}

async function togglePlay() {
  if (expr.playing) { stopPlaying(); return; }
  const steps = await loadSteps();
  if (currentStep() >= steps.steps.length - 1) await gotoStep(0);
  $("play").innerHTML = "&#10073;&#10073; Pause";
  let busy = false;
  expr.playing = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      if (currentStep() >= steps.steps.length - 1) { stopPlaying(); return; }
      await gotoStep(currentStep() + 1);
    } finally { busy = false; }
  }, 300);
}

async function check() {
  try {
    const verdict = await call("check");
    const look = {PASS: "pass", FAIL: "fail"}[verdict.verdict] || "unchecked";
    showText("verdict", verdict.text, look);
    return verdict;
  } catch (error) {
    showText("error", error.message);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// Training mode

const trainGraph = new Diagram($("train-graph"), null, 0);
const training = { state: null, playing: false, busy: null };

function config() {
  const hidden = $("sizes").value.split(",").map(Number);
  return [hidden, $("optimizer").value, Number($("lr").value)];
}

async function showTraining(state) {
  training.state = state;
  $("train-summary").textContent = state.summary;
  $("sample-text").textContent = state.sample_text || "";
  drawBoundary(state);
  drawLoss(state.losses);
  if (state.diagram) await trainGraph.show(state.diagram);
  if (state.layers) drawLayers(state.layers);
  showText("train-error", "");
}

function trainError(error) {
  pauseTraining();
  showText("train-error", error.message);
  throw error;
}

async function trainReset() {
  pauseTraining();
  try {
    await showTraining(await call("train_reset", ...config()));
  } catch (error) { trainError(error); }
}

async function trainSteps(n, graph = true) {
  try {
    const state = await call("train", n, graph);
    await showTraining(state);
    return state.losses.slice(-n);
  } catch (error) { return trainError(error); }
}

function pauseTraining() {
  training.playing = false;
  $("train-play").innerHTML = "&#9654; Play";
}

async function playTraining() {
  if (training.playing) { pauseTraining(); return; }
  training.playing = true;
  $("train-play").innerHTML = "&#10073;&#10073; Pause";
  // The boundary and the loss follow every call; the sample's diagram and the layer view
  // (a backward through one sample's graph, drawn) at most every 1.5 s, and on pausing.
  let lastGraph = 0;
  while (training.playing) {
    const withGraph = performance.now() - lastGraph > 1500;
    await trainSteps(5, withGraph);
    if (withGraph) lastGraph = performance.now();
    await new Promise((r) => requestAnimationFrame(r));
  }
  try { await showTraining(await call("train_state")); } catch (error) { trainError(error); }
}

function toCanvas(state, x, y) {
  const [x0, x1, y0, y1] = state.bounds;
  const c = $("boundary");
  return [(x - x0) / (x1 - x0) * c.width, (y1 - y) / (y1 - y0) * c.height];
}

function drawBoundary(state) {
  const c = $("boundary");
  const ctx = c.getContext("2d");
  const n = state.grid;
  const w = c.width / n;
  const h = c.height / n;
  state.boundary.forEach((p, k) => {
    const i = k % n;
    const j = Math.floor(k / n);
    const t = Math.max(0, Math.min(1, Number(p)));
    // the model's output: blue towards 0 (upper moon), red towards 1 (lower moon)
    const mix = (lo, hi) => Math.round(255 + ((lo + (hi - lo) * t) - 255) * 0.55);
    ctx.fillStyle = `rgb(${mix(90, 222)},${mix(155, 110)},${mix(210, 90)})`;
    ctx.fillRect(Math.floor(i * w), Math.floor(j * h), Math.ceil(w) + 1, Math.ceil(h) + 1);
  });
  state.X.forEach(([x, y], k) => {
    const [px, py] = toCanvas(state, x, y);
    ctx.beginPath();
    ctx.arc(px, py, k === state.sample ? 6 : 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = state.y[k] > 0.5 ? "#b2182b" : "#2166ac";
    ctx.fill();
    ctx.lineWidth = k === state.sample ? 3 : 1;
    ctx.strokeStyle = k === state.sample ? "#ff8c00" : "white";
    ctx.stroke();
  });
}

function drawLoss(losses) {
  const svg = $("loss");
  svg.replaceChildren();
  const W = Number(svg.getAttribute("width"));
  const H = Number(svg.getAttribute("height"));
  if (!losses.length) return;
  const top = Math.max(...losses.map(Number));
  const pts = losses.map((l, i) => `${(i / Math.max(1, losses.length - 1)) * (W - 20) + 10},${H - 10 - (Number(l) / top) * (H - 20)}`);
  const line = document.createElementNS(SVG_NS, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#333");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  if (training.state && training.state.loss_text) {
    const label = document.createElementNS(SVG_NS, "text");
    label.setAttribute("x", "14");
    label.setAttribute("y", "16");
    label.setAttribute("font-size", "11");
    label.textContent = training.state.loss_text;
    svg.append(label);
  }
}

function heatColour(v, scale) {
  if (!scale || !Number.isFinite(v)) return "#ffffff";
  const t = Math.sqrt(Math.min(1, Math.abs(v) / scale));
  const end = v > 0 ? [222, 110, 90] : [90, 155, 210];
  const c = end.map((e) => Math.round(255 + (e - 255) * t));
  return `rgb(${c.join(",")})`;
}

function heatmap(rows, key, title, textKey = "text") {
  const wrap = document.createElement("div");
  const caption = document.createElement("span");
  caption.textContent = title;
  const grid = document.createElement("div");
  grid.className = "heat";
  grid.style.gridTemplateColumns = `repeat(${rows[0].length}, 14px)`;
  const scale = Math.max(...rows.flat().map((e) => Math.abs(Number(e[key]))));
  rows.forEach((row, j) => row.forEach((entry, k) => {
    const cell = document.createElement("div");
    cell.style.background = heatColour(Number(entry[key]), scale);
    cell.dataset.entry = `${j},${k}`;
    cell.addEventListener("mouseenter", () => { $("hover").textContent = entry[textKey]; });
    grid.append(cell);
  }));
  wrap.append(caption, grid);
  return wrap;
}

function drawLayers(layers) {
  const box = $("layers");
  box.replaceChildren();
  for (const layer of layers) {
    const div = document.createElement("div");
    div.className = "layer";
    const head = document.createElement("strong");
    head.textContent = `${layer.name}: W is ${layer.shape[0]}×${layer.shape[1]}`;
    const formula = document.createElement("div");
    formula.className = "formula";
    formula.textContent = `${layer.formula}\n${layer.agreement}`;
    const maps = document.createElement("div");
    maps.className = "heatmaps";
    maps.append(heatmap(layer.rows, "w", "W"),
      heatmap(layer.delta.map((d) => [d]), "value", "δ"),
      heatmap([layer.a], "value", "aᵀ"),
      heatmap(layer.rows, "dw", "dW = δ·aᵀ (hover: the chain rule)"));
    div.append(head, formula, maps);
    box.append(div);
  }
}

async function chooseSample(event) {
  const state = training.state;
  if (!state) return;
  const rect = $("boundary").getBoundingClientRect();
  const scaleX = $("boundary").width / rect.width;
  const scaleY = $("boundary").height / rect.height;
  const mx = (event.clientX - rect.left) * scaleX;
  const my = (event.clientY - rect.top) * scaleY;
  let best = -1;
  let bestD = 100;
  state.X.forEach(([x, y], k) => {
    const [px, py] = toCanvas(state, x, y);
    const d = (px - mx) ** 2 + (py - my) ** 2;
    if (d < bestD) { best = k; bestD = d; }
  });
  if (best >= 0) {
    try { await showTraining(await call("choose", best)); } catch (error) { trainError(error); }
  }
}

// ---------------------------------------------------------------------------------------
// Modes, controls, keys

function setMode(mode) {
  for (const b of document.querySelectorAll("#modes button")) b.classList.toggle("active", b.dataset.mode === mode);
  $("expression").hidden = mode !== "expression";
  $("training").hidden = mode !== "training";
  if (mode === "training" && !training.state) trainReset().catch(() => {});
}

function wire(presets) {
  presetTexts = presets;
  const select = $("preset");
  for (const name of Object.keys(presets)) {
    const option = document.createElement("option");
    option.textContent = name;
    select.append(option);
  }
  select.addEventListener("change", () => {
    $("source").value = presets[select.value];
    run($("source").value).catch(() => {});
  });
  $("source").value = presets[select.value];
  $("run").addEventListener("click", () => run($("source").value).catch(() => {}));
  $("source").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run($("source").value).catch(() => {}); }
  });
  $("check").addEventListener("click", () => check().catch(() => {}));
  for (const how of ["in", "out", "fit", "actual"]) {
    $(`zoom-${how}`).addEventListener("click", () => graph.zoom(how));
  }
  $("prev").addEventListener("click", () => gotoStep(currentStep() - 1));
  $("next").addEventListener("click", () => gotoStep(currentStep() + 1));
  $("play").addEventListener("click", () => togglePlay());
  $("step-slider").addEventListener("input", () => gotoStep(Number($("step-slider").value)));
  document.addEventListener("keydown", (e) => {
    if ($("expression").hidden || ["TEXTAREA", "INPUT", "SELECT"].includes(document.activeElement.tagName)) return;
    const moves = { ArrowLeft: currentStep() - 1, ArrowRight: currentStep() + 1, Home: 0,
      End: Number($("step-slider").max) };
    if (e.key in moves) { e.preventDefault(); gotoStep(moves[e.key]); }
    if (e.key === " ") { e.preventDefault(); togglePlay(); }
  });
  for (const b of document.querySelectorAll("#modes button")) b.addEventListener("click", () => setMode(b.dataset.mode));
  $("train-reset").addEventListener("click", () => trainReset().catch(() => {}));
  $("train-step").addEventListener("click", () => trainSteps(1).catch(() => {}));
  $("train-play").addEventListener("click", () => playTraining().catch(() => {}));
  for (const id of ["sizes", "optimizer", "lr"]) $(id).addEventListener("change", () => trainReset().catch(() => {}));
  $("boundary").addEventListener("click", chooseSample);
}

// ---------------------------------------------------------------------------------------
// The scripting API

async function start() {
  const presets = await call("presets");
  wire(presets);
  timings.pythonMs = performance.now();
  const version = await call("__version__");
  $("status").textContent = `Python ${version ? "(Pyodide " + version + ")" : ""} running micrograd_nn in this page`;
  await run($("source").value).catch(() => {});
  timings.readyMs = performance.now();
  timings.worker = await call("__startup__");
}

const ready = start();

window.playground = {
  ready,
  timings,
  presets: () => call("presets"),
  run: (source) => run(source),
  nodes: () => call("nodes"),
  set: (label, number) => setLeaf(label, number),
  steps: async () => (await loadSteps()).steps,
  step: (k) => gotoStep(k),
  check: () => check(),
  mode: (m) => setMode(m),
  trainReset: (hidden = [8], optimizer = "adam", lr = 0.05) => {
    $("sizes").value = hidden.join(",");
    $("optimizer").value = optimizer;
    $("lr").value = lr;
    return trainReset().then(() => training.state);
  },
  train: (n) => trainSteps(n),
  trainState: () => training.state,
  // For playground/measure.py: the engine's own timers, run in the worker.
  measure: (method, ...args) => {
    if (!["time_train", "time_set"].includes(method)) throw new Error(`not a timer: ${method}`);
    return call(method, ...args);
  },
  choose: async (i) => { await showTraining(await call("choose", i)); return training.state; },
};
