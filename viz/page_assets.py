"""The step-through page's style sheet and script, kept as Python strings so the page is
one self-contained file and the package ships no data files.

The script reads the step data (``<script type="application/json" id="steps-data">``, see
:mod:`viz.page`) and drives the one embedded SVG: it writes each node's ``data``/``grad``
text and fill, marks the current node and the edges its value or gradient travels along,
and fills the side panel. It never re-lays out the graph.
"""

from __future__ import annotations

__all__ = ["STYLE", "SCRIPT"]

STYLE = """
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       background: #fff; display: flex; flex-direction: column; font-size: 14px; }
header { padding: .5rem .8rem .3rem; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.05rem; margin: 0 0 .35rem; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .6rem; }
nav button, nav select { font: inherit; padding: .15rem .55rem; cursor: pointer; }
#slider { flex: 1 1 14rem; min-width: 8rem; }
#step-counter { font-weight: 600; min-width: 8.5rem; text-align: center;
                font-variant-numeric: tabular-nums; }
.keys { color: #666; font-size: .85rem; }
#player { flex: 1 1 auto; display: flex; min-height: 0; }
#diagram { flex: 1 1 auto; min-width: 0; position: relative; overflow: hidden;
           cursor: grab; background: #fff; touch-action: none; }
#diagram.dragging { cursor: grabbing; }
/* Pan and zoom move the SVG with a CSS transform at its own size in pixels: a percentage
   size or a changing viewBox makes Chromium lay the whole SVG out again (0.05-0.2 s on
   700 nodes) at every step. */
#diagram svg { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#zoom-buttons { position: absolute; right: .5rem; top: .5rem; display: flex; gap: .25rem;
                z-index: 1; }
#zoom-buttons button { font: inherit; min-width: 2rem; padding: .1rem .4rem; cursor: pointer; }
aside { flex: 0 0 clamp(16rem, 30vw, 30rem); border-left: 1px solid #ddd; padding: .6rem .8rem;
        overflow-y: auto; background: #fafafa; }
#phase { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: #666;
         margin: 0 0 .3rem; }
#equation { font: 600 1rem ui-monospace, Menlo, Consolas, monospace; margin: 0 0 .5rem;
            overflow-wrap: anywhere; }
#lines { font: .85rem/1.45 ui-monospace, Menlo, Consolas, monospace; background: #fff;
         border: 1px solid #e4e4e4; padding: .45rem .55rem; margin: 0 0 .6rem;
         white-space: pre-wrap; overflow-wrap: anywhere; }
#lines:empty { display: none; }
#note { color: #444; font-size: .88rem; margin: 0 0 .6rem; }
.legend { color: #666; font-size: .8rem; border-top: 1px solid #e4e4e4; padding-top: .4rem; }
svg .node.pending { opacity: .28; }
svg .node { cursor: pointer; }
svg .node.current > polygon, svg .node.current > path, svg .node.current > ellipse {
  stroke: #ff8c00; stroke-width: 4px; }
svg .node.current > ellipse { fill: #ffd699; }
svg .edge.flow > path { stroke: #ff8c00; stroke-width: 2.5px; }
svg .edge.flow > polygon { stroke: #ff8c00; fill: #ff8c00; }
"""

# ES5, no modules, no network: it must run from file:// and inside an iframe's srcdoc.
SCRIPT = r"""
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('steps-data').textContent);
  var F = D.forward.length, B = D.backward.length, LAST = F + B;
  var player = document.getElementById('player');
  var box = document.getElementById('diagram');
  var svg = box.querySelector('svg');
  var slider = document.getElementById('slider');
  var counter = document.getElementById('step-counter');
  var playBtn = document.getElementById('play');
  var speed = document.getElementById('speed');
  var n = D.names.length;

  // --- the SVG's pieces, found once --------------------------------------------------
  var nodeEl = [], opEl = [], gradText = [], dataText = [], fillEl = [], dataShown = [];
  for (var k = 0; k < n; k++) {
    var g = document.getElementById('v' + k);
    nodeEl.push(g);
    opEl.push(document.getElementById('v' + k + '_op'));
    var texts = g ? g.getElementsByTagName('text') : [], gt = null, dt = null;
    for (var t = 0; t < texts.length; t++) {
      var s = texts[t].textContent;
      if (s.indexOf('grad ') === 0) gt = texts[t];
      if (s.indexOf('data ') === 0) dt = texts[t];
    }
    gradText.push(gt); dataText.push(dt);
    dataShown.push(dt ? dt.textContent : '');
    fillEl.push(g ? g.querySelector('polygon, path') : null);
  }
  var edges = {};
  var edgeEls = svg.querySelectorAll('g.edge');
  for (var e = 0; e < edgeEls.length; e++) {
    var title = edgeEls[e].getElementsByTagName('title')[0].textContent;
    (edges[title] = edges[title] || []).push(edgeEls[e]);
  }

  // --- which step shows each node: clicking jumps there ------------------------------
  var forwardStep = [], backwardStep = [];
  for (k = 0; k < n; k++) { forwardStep.push(0); backwardStep.push(-1); }
  D.forward.forEach(function (f, i) { forwardStep[f[0]] = i + 1; });
  D.backward.forEach(function (b, i) {
    backwardStep[b[0]] = F + 1 + i;
    // A leaf's backward step is the last one that added to its grad.
    b[4].forEach(function (c) { if (!D.inputs[c[0]].length) backwardStep[c[0]] = F + 1 + i; });
  });

  // --- state at the current step, replayed from the data -----------------------------
  var known = [], grad = [], fill = [], dirty = {}, cur = -1, marked = [], focus = D.first;
  function reset() {
    for (var k = 0; k < n; k++) {
      known[k] = !D.inputs[k].length; grad[k] = 'grad \u2013'; fill[k] = '#ffffff';
      dirty[k] = true;
    }
    cur = 0;
  }
  function apply(s) {  // from step s - 1 to step s
    if (s <= F) { var k = D.forward[s - 1][0]; known[k] = true; dirty[k] = true; return; }
    if (s === F + 1) {
      for (var j = 0; j < n; j++) { grad[j] = 'grad 0.0000'; fill[j] = '#ffffff'; dirty[j] = true; }
    }
    D.backward[s - F - 1][4].forEach(function (c) {
      grad[c[0]] = c[1]; fill[c[0]] = c[2]; dirty[c[0]] = true;
    });
  }
  function paint() {
    for (var key in dirty) {
      var k = +key, g = nodeEl[k];
      if (!g) continue;
      g.classList.toggle('pending', !known[k]);
      if (opEl[k]) opEl[k].classList.toggle('pending', !known[k]);
      if (dataText[k]) dataText[k].textContent = known[k] ? dataShown[k] : 'data ?';
      if (gradText[k]) gradText[k].textContent = grad[k];
      if (fillEl[k] && gradText[k]) fillEl[k].setAttribute('fill', fill[k]);
    }
    dirty = {};
  }

  // --- the current node and the edges its value or gradient travels ------------------
  function mark(k, passed) {
    marked.forEach(function (el) { el.classList.remove('current', 'flow'); });
    marked = [];
    if (k < 0) return;
    [nodeEl[k], opEl[k]].forEach(function (el) {
      if (el) { el.classList.add('current'); marked.push(el); }
    });
    D.inputs[k].forEach(function (i, j) {
      if (passed && passed.charAt(j) !== '1') return;
      (edges['v' + i + '->v' + k + '_op'] || []).forEach(function (el) {
        el.classList.add('flow'); marked.push(el);
      });
    });
    (edges['v' + k + '_op->v' + k] || []).forEach(function (el) {
      el.classList.add('flow'); marked.push(el);
    });
  }

  function describe(s) {
    var phase = document.getElementById('phase');
    var eq = document.getElementById('equation');
    var lines = document.getElementById('lines');
    var note = document.getElementById('note');
    if (s === 0) {
      phase.textContent = 'Forward: the leaves';
      eq.textContent = 'Inputs, parameters and constants are known';
      lines.textContent = D.leaves.join('\n');
      note.textContent = 'Next, each op computes its value from its inputs, in an order ' +
        'where every input is ready first.';
      return -1;
    }
    if (s <= F) {
      var f = D.forward[s - 1];
      phase.textContent = 'Forward ' + s + ' / ' + F;
      eq.textContent = f[1];
      lines.textContent = f[2];
      note.textContent = s === F ? 'The output is computed. Backward starts next: its ' +
        'grad is set to 1 and passed back.' : 'The orange edges carry the inputs\u2019 values.';
      return f[0];
    }
    var b = D.backward[s - F - 1];
    phase.textContent = 'Backward ' + (s - F) + ' / ' + B;
    eq.textContent = b[1];
    lines.textContent = b[2].join('\n');
    note.textContent = 'This node\u2019s grad is complete, so the chain rule adds ' +
      'local derivative \u00d7 its grad to each input (orange edges).';
    if (s === LAST) {
      lines.textContent += '\n\nDone: d ' + D.root + ' / d leaf\n' + D.done.join('\n');
    }
    return b[0];
  }

  function show(s) {
    s = Math.max(0, Math.min(LAST, s | 0));
    if (s < cur || cur < 0) reset();
    for (var t = cur + 1; t <= s; t++) apply(t);
    cur = s;
    paint();
    var k = describe(s);
    mark(k, s > F ? D.backward[s - F - 1][3] : null);
    slider.value = String(s);
    counter.textContent = 'Step ' + s + ' / ' + LAST;
    document.getElementById('prev').disabled = s === 0;
    document.getElementById('next').disabled = s === LAST;
    player.dataset.step = String(s);
    player.dataset.phase = s <= F ? 'forward' : 'backward';
    player.dataset.node = k < 0 ? '' : D.names[k];
    player.dataset.nodeId = k < 0 ? '' : 'v' + k;
    focus = k < 0 ? D.first : k;
    keepInView(focus);
  }

  // --- pan and zoom: view.x, view.y is the SVG point at the pane's top left ----------
  var full = svg.viewBox.baseVal, W = full.width, H = full.height;
  svg.setAttribute('width', String(W));  // one SVG unit to a CSS pixel at scale 1
  svg.setAttribute('height', String(H));
  var view = {x: 0, y: 0, scale: 1};
  function size() { return {w: box.clientWidth || 1, h: box.clientHeight || 1}; }
  function setView() {
    svg.style.transform = 'translate(' + (-view.x * view.scale) + 'px,' +
      (-view.y * view.scale) + 'px) scale(' + view.scale + ')';
    player.dataset.scale = view.scale.toFixed(3);
  }
  function zoomAt(factor, px, py) {  // px, py: a point of the box, in CSS pixels
    var next = Math.max(0.05, Math.min(8, view.scale * factor));
    view.x += px / view.scale - px / next;
    view.y += py / view.scale - py / next;
    view.scale = next;
    setView();
  }
  function fit() {
    var c = size();
    view.scale = Math.min(c.w / W, c.h / H, 1.5);
    view.x = -(c.w / view.scale - W) / 2;
    view.y = -(c.h / view.scale - H) / 2;
    setView();
  }
  // Pan (never zoom) so the node is on screen, with its op and inputs when they fit:
  // the reader sees what flows in or out at this step.
  function keepInView(k) {
    if (!nodeEl[k]) return;
    var c = box.getBoundingClientRect(), m = 24;
    var ins = D.inputs[k], leaves = ins.filter(function (i) { return !D.inputs[i].length; });
    var tries = [ins, leaves, []].map(function (group) {
      return span([nodeEl[k], opEl[k]].concat(group.map(function (i) { return nodeEl[i]; })));
    });
    var r = tries.filter(function (u) {
      return u.right - u.left <= c.width - 2 * m && u.bottom - u.top <= c.height - 2 * m;
    })[0] || tries[2];
    if (r.left >= c.left + m && r.right <= c.right - m &&
        r.top >= c.top + m && r.bottom <= c.bottom - m) return;
    view.x += ((r.left + r.right) / 2 - (c.left + c.right) / 2) / view.scale;
    view.y += ((r.top + r.bottom) / 2 - (c.top + c.bottom) / 2) / view.scale;
    setView();
  }
  function span(els) {  // the screen rectangle around the elements
    var u = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
    els.forEach(function (el) {
      if (!el) return;
      var r = el.getBoundingClientRect();
      u.left = Math.min(u.left, r.left); u.top = Math.min(u.top, r.top);
      u.right = Math.max(u.right, r.right); u.bottom = Math.max(u.bottom, r.bottom);
    });
    return u;
  }
  box.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var c = box.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - c.left, ev.clientY - c.top);
  }, {passive: false});
  function zoomButton(factor) {
    return function () { var c = size(); zoomAt(factor, c.w / 2, c.h / 2); keepInView(focus); };
  }
  document.getElementById('zoom-in').addEventListener('click', zoomButton(1.25));
  document.getElementById('zoom-out').addEventListener('click', zoomButton(0.8));
  document.getElementById('zoom-fit').addEventListener('click', fit);
  document.getElementById('zoom-1').addEventListener('click', function () {
    var c = size(); zoomAt(1 / view.scale, c.w / 2, c.h / 2);
  });

  // Drag to pan; a press that barely moves is a click (on a node: jump to its step).
  var drag = null;
  box.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0 || ev.target.closest('#zoom-buttons')) return;
    drag = {x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false};
  });
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    box.classList.add('dragging');
    view.x = drag.vx - dx / view.scale;
    view.y = drag.vy - dy / view.scale;
    setView();
  });
  window.addEventListener('pointerup', function (ev) {
    var was = drag;
    drag = null;
    box.classList.remove('dragging');
    if (!was || was.moved) return;
    var g = ev.target.closest && ev.target.closest('g.node');
    var m = g && /^v(\d+)(_op)?$/.exec(g.id);
    if (m) show(nodeStep(+m[1]));
  });
  // Forward phase: the step that computes the node (a leaf: step 0). Backward phase: the
  // step that passes its grad on (a leaf: the last step that adds to its grad).
  function nodeStep(k) {
    if (cur <= F || backwardStep[k] < 0) return forwardStep[k];
    return backwardStep[k];
  }

  // --- stepping controls -------------------------------------------------------------
  var timer = null;
  function pause() {
    if (timer) clearTimeout(timer);
    timer = null;
    playBtn.textContent = '\u25b6 Play';
    player.dataset.playing = 'false';
  }
  function tick() {
    if (cur >= LAST) { pause(); return; }
    show(cur + 1);
    timer = setTimeout(tick, 1000 / +speed.value);
  }
  function play() {
    if (cur >= LAST) show(0);
    playBtn.textContent = '\u275a\u275a Pause';
    player.dataset.playing = 'true';
    timer = setTimeout(tick, 1000 / +speed.value);
  }
  playBtn.addEventListener('click', function () { if (timer) pause(); else play(); });
  document.getElementById('prev').addEventListener('click', function () { show(cur - 1); });
  document.getElementById('next').addEventListener('click', function () { show(cur + 1); });
  slider.addEventListener('input', function () { show(+slider.value); });
  document.addEventListener('keydown', function (ev) {
    // The slider and the speed menu handle their own keys.
    if (ev.target === slider || ev.target === speed || ev.altKey || ev.ctrlKey) return;
    var moves = {ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: 0, End: LAST};
    if (ev.key in moves) { ev.preventDefault(); show(moves[ev.key]); }
    else if (ev.key === ' ') { ev.preventDefault(); if (timer) pause(); else play(); }
  });

  slider.max = String(LAST);
  var c0 = size();
  if (Math.min(c0.w / W, c0.h / H) >= 0.6) fit(); else { view.scale = 1; setView(); }
  show(0);
  window.addEventListener('resize', function () { setView(); keepInView(focus); });
})();
"""
