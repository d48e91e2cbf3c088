// Codex pages' DOM helpers and data fetch, shared by the dashboard (app.js) and the
// organisation overview (org.js), loaded before either: every value reaches the page as text
// (text nodes, setAttribute on names the code fixes), never as markup; innerHTML is never used.
"use strict";

(function () {
  const SVG_NS = "http://www.w3.org/2000/svg";

  // An HTML element with attributes and children (strings become text nodes).
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  // The same for an SVG element.
  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  // A value as the text shown for it ("—" when absent).
  function text(value) {
    if (value === undefined || value === null || value === "") return "—";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function isNum(v) {
    return typeof v === "number" && Number.isFinite(v);
  }

  function list(v) {
    return Array.isArray(v) ? v : [];
  }

  function obj(v) {
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  }

  // Fetch `file` (a JSON file at a path relative to the page, never cached): a promise of the
  // parsed value, rejected with "FILE: HTTP 404" or the parser's message.
  function fetchJson(file) {
    return fetch(file, { cache: "no-store" }).then((r) => {
      if (!r.ok) throw new Error(file + ": HTTP " + r.status);
      return r.json();
    });
  }

  // Fetch `file` (a JSON file next to the page, never cached), then call render(data, now);
  // on a failed request or unreadable JSON call fail(message) instead.
  function load(file, render, fail) {
    fetchJson(file)
      .then((d) => render(d, Date.now()))
      .catch((e) => fail(e && e.message ? e.message : String(e)));
  }

  window.CodexDom = Object.freeze({ h, s, append, text, isNum, list, obj, load, fetchJson });
})();
