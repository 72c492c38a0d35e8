// A form generated from a JSON Schema (the plugin's config schema), so no
// form is written per mechanic. It renders into <div data-schema-form>,
// reading the schema from the <script type="application/json"> its
// data-schema names and the value from the <textarea> its data-target
// names; every edit writes the JSON back into that textarea and fires
// "change" on it (htmx checks the draft from there). Every control has a
// <label>; descriptions are tied with aria-describedby.
(() => {
  let seq = 0;
  const nextId = () => `sf-${++seq}`;

  function resolve(root, s) {
    let guard = 0;
    while (s && s.$ref && guard++ < 20) {
      const path = s.$ref.replace(/^#\//, "").split("/");
      let t = root;
      for (const p of path) t = t ? t[p] : undefined;
      s = Object.assign({}, t || {}, ...Object.keys(s).filter((k) => k !== "$ref").map((k) => ({ [k]: s[k] })));
    }
    if (s && Array.isArray(s.allOf) && s.allOf.length === 1) s = Object.assign({}, resolve(root, s.allOf[0]), s, { allOf: undefined });
    return s || {};
  }

  function kindOf(s) {
    let t = s.type;
    let nullable = false;
    if (Array.isArray(t)) {
      nullable = t.includes("null");
      t = t.find((x) => x !== "null");
    }
    if (!t && (s.oneOf || s.anyOf)) t = "variant";
    if (!t && s.enum) t = "string";
    if (!t && s.properties) t = "object";
    return { t: t || "json", nullable };
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids) if (k) e.append(k);
    return e;
  }

  function labelled(name, s, control, required) {
    const id = control.id || (control.id = nextId());
    const wrap = el("div", { class: "sf-field" });
    wrap.append(el("label", { for: id, text: (s.title || name) + (required ? " *" : "") }));
    if (s.description) {
      const d = el("small", { id: id + "-desc", class: "sf-desc", text: s.description });
      control.setAttribute("aria-describedby", d.id);
      wrap.append(control, d);
    } else wrap.append(control);
    return wrap;
  }

  // Each renderer returns { node, get } where get() is the value, or
  // undefined to leave the field out.
  function render(root, s, name, value, required, changed) {
    s = resolve(root, s);
    const { t, nullable } = kindOf(s);
    const optional = !required || nullable;
    if (t === "object") return renderObject(root, s, name, value, changed);
    if (t === "array") return renderArray(root, s, name, value, changed);
    if (t === "variant") return renderVariant(root, s, name, value, required, changed);
    if (t === "boolean") {
      const c = el("input", { type: "checkbox", id: nextId() });
      c.checked = value === undefined ? s.default === true : !!value;
      c.addEventListener("change", changed);
      return { node: labelled(name, s, c, false), get: () => c.checked };
    }
    if (t === "integer" || t === "number") {
      const c = el("input", { type: "number", id: nextId(), step: t === "integer" ? "1" : "any",
        min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum, required: !optional });
      if (value !== undefined && value !== null) c.value = value;
      c.addEventListener("input", changed);
      return { node: labelled(name, s, c, !optional), get: () => (c.value === "" ? (optional ? undefined : null) : Number(c.value)) };
    }
    if (t === "string") {
      let c;
      if (Array.isArray(s.enum)) {
        c = el("select", { id: nextId() });
        if (optional) c.append(el("option", { value: "", text: "—" }));
        for (const v of s.enum) c.append(el("option", { value: v, text: v }));
        c.value = value ?? (optional ? "" : s.enum[0]);
        c.addEventListener("change", changed);
      } else {
        c = el("input", { type: "text", id: nextId(), required: !optional, maxlength: s.maxLength });
        if (value !== undefined && value !== null) c.value = value;
        c.addEventListener("input", changed);
      }
      return { node: labelled(name, s, c, !optional), get: () => (c.value === "" && optional ? undefined : c.value) };
    }
    // Anything else: its JSON, as text.
    const c = el("textarea", { id: nextId(), rows: "3" });
    if (value !== undefined) c.value = JSON.stringify(value);
    c.addEventListener("input", changed);
    return { node: labelled(name, s, c, !optional), get: () => { try { return c.value.trim() === "" ? undefined : JSON.parse(c.value); } catch { return c.value; } } };
  }

  function renderObject(root, s, name, value, changed) {
    value = value && typeof value === "object" ? value : {};
    const fs = el("fieldset", { class: "sf-object" });
    if (name) fs.append(el("legend", { text: s.title || name }));
    if (s.description && name) fs.append(el("small", { class: "sf-desc", text: s.description }));
    const required = new Set(s.required || []);
    const parts = [];
    for (const [k, sub] of Object.entries(s.properties || {})) {
      const r = render(root, sub, k, value[k], required.has(k), changed);
      parts.push([k, r]);
      fs.append(r.node);
    }
    return { node: fs, get: () => {
      const out = {};
      for (const [k, r] of parts) { const v = r.get(); if (v !== undefined) out[k] = v; }
      return out;
    } };
  }

  function renderArray(root, s, name, value, changed) {
    const items = Array.isArray(value) ? value.slice() : [];
    const fs = el("fieldset", { class: "sf-array" });
    fs.append(el("legend", { text: s.title || name }));
    if (s.description) fs.append(el("small", { class: "sf-desc", text: s.description }));
    const list = el("ol", {});
    fs.append(list);
    const rows = [];
    const addRow = (v) => {
      const li = el("li", {});
      const r = render(root, s.items || {}, `${name} ${rows.length + 1}`, v, true, changed);
      const remove = el("button", { type: "button", class: "sf-remove", text: "−", "aria-label": `remove ${name} ${rows.length + 1}` });
      const row = { li, r };
      remove.addEventListener("click", () => { rows.splice(rows.indexOf(row), 1); li.remove(); changed(); });
      li.append(r.node, remove);
      list.append(li);
      rows.push(row);
    };
    items.forEach(addRow);
    const add = el("button", { type: "button", class: "sf-add", text: `+ ${s.title || name}` });
    add.addEventListener("click", () => { addRow(undefined); changed(); });
    fs.append(add);
    return { node: fs, get: () => rows.map((x) => x.r.get()) };
  }

  // oneOf/anyOf: a select of the variants, then the chosen one's form.
  function renderVariant(root, s, name, value, required, changed) {
    const variants = (s.oneOf || s.anyOf).map((v) => resolve(root, v));
    const labelOf = (v, i) => v.title || (v.const !== undefined ? String(v.const) : null) ||
      (Array.isArray(v.enum) && v.enum.length === 1 ? String(v.enum[0]) : null) ||
      (v.required && v.required.length === 1 ? v.required[0] : null) || (v.type === "null" ? "—" : `#${i + 1}`);
    const matches = (v) => {
      if (value === undefined || value === null) return v.type === "null";
      if (v.const !== undefined) return v.const === value;
      if (Array.isArray(v.enum)) return v.enum.includes(value);
      if (v.required && typeof value === "object") return v.required.every((k) => k in value);
      return false;
    };
    let chosen = Math.max(0, variants.findIndex(matches));
    const fs = el("fieldset", { class: "sf-variant" });
    fs.append(el("legend", { text: (s.title || name) + (required ? " *" : "") }));
    const sel = el("select", { id: nextId(), "aria-label": s.title || name });
    variants.forEach((v, i) => sel.append(el("option", { value: String(i), text: labelOf(v, i) })));
    sel.value = String(chosen);
    fs.append(sel);
    const body = el("div", {});
    fs.append(body);
    let current = null;
    const show = (v) => {
      body.replaceChildren();
      const sub = variants[chosen];
      if (sub.type === "null") { current = { get: () => null }; return; }
      if (sub.const !== undefined) { current = { get: () => sub.const }; return; }
      if (Array.isArray(sub.enum) && sub.enum.length === 1) { current = { get: () => sub.enum[0] }; return; }
      current = render(root, sub, "", v, true, changed);
      body.append(current.node);
    };
    show(value);
    sel.addEventListener("change", () => { chosen = Number(sel.value); show(undefined); changed(); });
    return { node: fs, get: () => current.get() };
  }

  function mount(host) {
    const schemaEl = document.getElementById(host.dataset.schema);
    const target = document.getElementById(host.dataset.target);
    if (!schemaEl || !target) return;
    const root = JSON.parse(schemaEl.textContent);
    let built;
    const write = () => {
      target.value = JSON.stringify(built.get(), null, 2);
      target.dispatchEvent(new Event("change", { bubbles: true }));
    };
    const build = () => {
      let value = {};
      try { value = JSON.parse(target.value || "{}"); } catch { return; }
      built = render(root, root, "", value, true, write);
      host.replaceChildren(built.node);
    };
    build();
    // Hand-edited JSON rebuilds the form when the operator leaves it.
    target.addEventListener("blur", build);
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-schema-form]").forEach(mount));
})();
