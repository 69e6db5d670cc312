// raidbot's API viewer: reads this server's OpenAPI document and renders its operations
// grouped by tag, with parameters, request and response schemas, and a small "Try it"
// form. Plain JavaScript, no dependencies, served from the binary; every text from the
// document goes into the page as text, never as HTML.
(function () {
  "use strict";
  var SPEC_URL = "/v1/openapi.json";
  var METHODS = ["get", "post", "put", "patch", "delete"];
  var spec = null;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "class") node.className = attrs[k];
        else node.setAttribute(k, attrs[k]);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function refName(ref) { return ref.split("/").pop(); }

  function resolve(schema) {
    var seen = 0;
    while (schema && schema.$ref && seen < 20) {
      var name = refName(schema.$ref);
      schema = (spec.components && spec.components.schemas && spec.components.schemas[name]) || {};
      seen++;
    }
    return schema || {};
  }

  // "string", "integer (int64)", "array of RunBody", "RunBody | null"...
  function typeText(schema) {
    if (!schema) return "any";
    if (schema.$ref) return refName(schema.$ref);
    var alts = schema.oneOf || schema.anyOf;
    if (alts) return alts.map(typeText).join(" | ");
    if (schema.allOf) return schema.allOf.map(typeText).join(" & ");
    var t = schema.type;
    if (Array.isArray(t)) t = t.join(" | ");
    if (t === "array" || (Array.isArray(schema.type) && schema.type.indexOf("array") >= 0)) {
      return String(t).replace("array", "array of " + typeText(schema.items));
    }
    if (!t) t = schema.properties ? "object" : "any";
    if (schema.format) t += " (" + schema.format + ")";
    return t;
  }

  function constraints(schema) {
    var parts = [];
    if (!schema) return "";
    if (schema["enum"]) parts.push("one of: " + schema["enum"].map(function (v) { return JSON.stringify(v); }).join(", "));
    if (schema.pattern) parts.push("pattern " + schema.pattern);
    if (schema.minimum !== undefined) parts.push("≥ " + schema.minimum);
    if (schema.maximum !== undefined) parts.push("≤ " + schema.maximum);
    if (schema.minLength !== undefined) parts.push("length ≥ " + schema.minLength);
    if (schema.maxLength !== undefined) parts.push("length ≤ " + schema.maxLength);
    if (schema.minItems !== undefined) parts.push("items ≥ " + schema.minItems);
    if (schema.maxItems !== undefined) parts.push("items ≤ " + schema.maxItems);
    if (schema["default"] !== undefined) parts.push("default " + JSON.stringify(schema["default"]));
    if (schema.example !== undefined) parts.push("e.g. " + JSON.stringify(schema.example));
    return parts.join("; ");
  }

  // A schema as a nested list of its properties; `$ref`s are followed, a cycle stops.
  function schemaTree(schema, path) {
    path = path || [];
    var box = el("div", { "class": "schema" });
    if (!schema) return box;
    if (schema.$ref) {
      var name = refName(schema.$ref);
      if (path.indexOf(name) >= 0) {
        box.appendChild(el("div", { "class": "desc", text: name + " (see above)" }));
        return box;
      }
      path = path.concat([name]);
    }
    var s = resolve(schema);
    var alts = s.oneOf || s.anyOf;
    if (alts) {
      alts.forEach(function (alt) {
        if (alt.type === "null") return;
        box.appendChild(schemaTree(alt, path));
      });
      return box;
    }
    if (s.allOf) {
      s.allOf.forEach(function (part) { box.appendChild(schemaTree(part, path)); });
      return box;
    }
    var isArray = s.type === "array" || (Array.isArray(s.type) && s.type.indexOf("array") >= 0);
    if (isArray && s.items) {
      box.appendChild(el("div", { "class": "desc", text: "array of " + typeText(s.items) }));
      box.appendChild(schemaTree(s.items, path));
      return box;
    }
    var props = s.properties || {};
    var required = s.required || [];
    var names = Object.keys(props);
    if (!names.length) {
      box.appendChild(el("div", null, el("span", { "class": "type", text: typeText(s) }),
        s.description ? el("span", { "class": "desc", text: " — " + s.description }) : null));
      return box;
    }
    names.forEach(function (n) {
      var p = props[n];
      var rp = resolve(p);
      var line = el("div", { "class": "prop" },
        el("span", { "class": "name", text: n }), " ",
        el("span", { "class": "type", text: typeText(p) }),
        required.indexOf(n) >= 0 ? el("span", { "class": "req", text: " required" }) : null);
      var desc = p.description || rp.description;
      if (desc) line.appendChild(el("div", { "class": "desc", text: desc }));
      var c = constraints(p) || (p.$ref ? "" : constraints(rp));
      if (c) line.appendChild(el("div", { "class": "constraint", text: c }));
      var nested = rp.properties || rp.items || rp.oneOf || rp.anyOf || rp.allOf;
      if (nested && (p.$ref || rp.type === "array" || rp.oneOf || rp.anyOf)) {
        line.appendChild(schemaTree(p, path));
      }
      box.appendChild(line);
    });
    return box;
  }

  function opId(method, path) {
    return "op-" + method + "-" + path.replace(/[^A-Za-z0-9]+/g, "-");
  }

  function parametersTable(params) {
    var table = el("table", null, el("thead", null, el("tr", null,
      el("th", { text: "Name" }), el("th", { text: "In" }), el("th", { text: "Type" }),
      el("th", { text: "Description" }))));
    var body = el("tbody");
    params.forEach(function (p) {
      var c = constraints(p.schema);
      body.appendChild(el("tr", null,
        el("td", null, el("code", { text: p.name }), p.required ? el("span", { "class": "req", text: " required" }) : null),
        el("td", { text: p["in"] }),
        el("td", null, el("span", { "class": "type", text: typeText(p.schema) })),
        el("td", null, p.description || "", c ? el("div", { "class": "constraint", text: c }) : null)));
    });
    table.appendChild(body);
    return table;
  }

  function jsonContent(content) {
    if (!content) return null;
    return content["application/json"] || content[Object.keys(content)[0]] || null;
  }

  function responsesList(responses) {
    var box = el("div");
    Object.keys(responses).sort().forEach(function (status) {
      var r = responses[status];
      var cls = "status s" + status.charAt(0);
      var item = el("div", { "class": "prop" }, el("span", { "class": cls, text: status }), " ",
        el("span", { text: r.description || "" }));
      var media = jsonContent(r.content);
      if (media && media.schema) {
        item.appendChild(el("div", { "class": "desc", text: typeText(media.schema) }));
        if (status.charAt(0) === "2") item.appendChild(schemaTree(media.schema));
      }
      if (r.headers) {
        Object.keys(r.headers).forEach(function (h) {
          item.appendChild(el("div", { "class": "constraint", text: "header " + h + ": " + (r.headers[h].description || "") }));
        });
      }
      box.appendChild(item);
    });
    return box;
  }

  // An example body from a schema: examples where given, else a value of the right type.
  function sample(schema, depth) {
    depth = depth || 0;
    if (!schema || depth > 6) return null;
    var s = resolve(schema);
    if (s.example !== undefined) return s.example;
    if (schema.example !== undefined) return schema.example;
    var alts = s.oneOf || s.anyOf;
    if (alts) {
      for (var i = 0; i < alts.length; i++) if (alts[i].type !== "null") return sample(alts[i], depth + 1);
      return null;
    }
    if (s["enum"]) return s["enum"][0];
    var t = Array.isArray(s.type) ? s.type.filter(function (x) { return x !== "null"; })[0] : s.type;
    if (t === "array") return [sample(s.items, depth + 1)];
    if (t === "integer" || t === "number") return s.minimum !== undefined ? s.minimum : 1;
    if (t === "boolean") return false;
    if (t === "string") return "";
    if (s.properties) {
      var out = {};
      Object.keys(s.properties).forEach(function (k) { out[k] = sample(s.properties[k], depth + 1); });
      return out;
    }
    return null;
  }

  function tryIt(method, path, op) {
    var box = el("details", { "class": "try" }, el("summary", { text: "Try it" }));
    var params = (op.parameters || []).filter(function (p) { return p["in"] === "path" || p["in"] === "query"; });
    var inputs = {};
    params.forEach(function (p) {
      var input = el("input", { name: p.name, placeholder: (p.schema && p.schema.example !== undefined) ? String(p.schema.example) : "" });
      inputs[p.name] = { param: p, input: input };
      box.appendChild(el("label", null, p.name + " (" + p["in"] + (p.required ? ", required" : "") + ")", input));
    });
    var bodyInput = null;
    var media = op.requestBody && jsonContent(op.requestBody.content);
    if (media) {
      bodyInput = el("textarea", { spellcheck: "false" });
      bodyInput.value = JSON.stringify(sample(media.schema), null, 2);
      box.appendChild(el("label", null, "JSON body", bodyInput));
    }
    var out = el("pre", { "aria-live": "polite" });
    var button = el("button", { type: "button", text: "Send " + method.toUpperCase() });
    button.addEventListener("click", function () {
      var url = path;
      var query = [];
      Object.keys(inputs).forEach(function (name) {
        var value = inputs[name].input.value;
        if (inputs[name].param["in"] === "path") {
          url = url.replace("{" + name + "}", encodeURIComponent(value));
        } else if (value !== "") {
          query.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
        }
      });
      if (query.length) url += "?" + query.join("&");
      var headers = {};
      var token = document.getElementById("token").value.trim();
      var actor = document.getElementById("actor").value.trim();
      if (token) headers.Authorization = "Bearer " + token;
      if (actor) headers["X-Actor-Id"] = actor;
      var init = { method: method.toUpperCase(), headers: headers };
      if (bodyInput) {
        headers["Content-Type"] = "application/json";
        init.body = bodyInput.value;
      }
      out.textContent = "…";
      fetch(url, init).then(function (res) {
        return res.text().then(function (text) {
          var shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
          out.textContent = res.status + " " + res.statusText + "\n\n" + shown;
        });
      }, function (err) {
        out.textContent = "The request failed: " + err;
      });
    });
    box.appendChild(button);
    box.appendChild(out);
    return box;
  }

  function operation(method, path, op) {
    var id = opId(method, path);
    var details = el("details", { "class": "op", id: id },
      el("summary", null,
        el("span", { "class": "method m-" + method, text: method }),
        el("span", { "class": "path", text: path }),
        el("span", { "class": "summary", text: op.summary || "" })));
    var body = el("div", { "class": "body" });
    if (op.description && op.description !== op.summary) body.appendChild(el("p", { text: op.description }));
    if (op.security && op.security.length) body.appendChild(el("p", { "class": "desc", text: "Needs an API key (Authorization: Bearer)." }));
    if (op.parameters && op.parameters.length) {
      body.appendChild(el("h3", { text: "Parameters" }));
      body.appendChild(parametersTable(op.parameters));
    }
    var media = op.requestBody && jsonContent(op.requestBody.content);
    if (media) {
      body.appendChild(el("h3", { text: "Request body " + typeText(media.schema) + (op.requestBody.required ? " (required)" : "") }));
      body.appendChild(schemaTree(media.schema));
    }
    if (op.responses) {
      body.appendChild(el("h3", { text: "Responses" }));
      body.appendChild(responsesList(op.responses));
    }
    body.appendChild(tryIt(method, path, op));
    details.appendChild(body);
    return details;
  }

  function render() {
    var info = spec.info || {};
    document.getElementById("title").textContent = (info.title || "API") + (info.version ? " " + info.version : "");
    if (info.description) document.getElementById("description").textContent = info.description;
    document.title = info.title || "API";
    var groups = {};
    var order = (spec.tags || []).map(function (t) { return t.name; });
    Object.keys(spec.paths || {}).forEach(function (path) {
      var item = spec.paths[path];
      METHODS.forEach(function (method) {
        var op = item[method];
        if (!op) return;
        if (!op.parameters && item.parameters) op.parameters = item.parameters;
        var tag = (op.tags && op.tags[0]) || "other";
        if (!groups[tag]) { groups[tag] = []; if (order.indexOf(tag) < 0) order.push(tag); }
        groups[tag].push([method, path, op]);
      });
    });
    var nav = document.getElementById("nav");
    var main = document.getElementById("main");
    main.textContent = "";
    var descriptions = {};
    (spec.tags || []).forEach(function (t) { descriptions[t.name] = t.description; });
    order.forEach(function (tag) {
      var ops = groups[tag];
      if (!ops) return;
      var list = el("ul");
      nav.appendChild(el("h2", { text: tag }));
      nav.appendChild(list);
      var section = el("section", { "class": "tag", id: "tag-" + tag.replace(/\W+/g, "-") },
        el("h2", { text: tag }), descriptions[tag] ? el("p", { text: descriptions[tag] }) : null);
      ops.forEach(function (o) {
        var link = el("a", { href: "#" + opId(o[0], o[1]) },
          el("span", { "class": "method m-" + o[0], text: o[0] }), el("span", { text: o[1].replace("/v1/guilds/{guild_id}", "…") }));
        link.addEventListener("click", function () {
          var target = document.getElementById(opId(o[0], o[1]));
          if (target) target.open = true;
        });
        list.appendChild(el("li", null, link));
        section.appendChild(operation(o[0], o[1], o[2]));
      });
      main.appendChild(section);
    });
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) { target.open = true; target.scrollIntoView(); }
    }
  }

  function remember(id) {
    var input = document.getElementById(id);
    try {
      input.value = sessionStorage.getItem("raidbot-docs-" + id) || "";
      input.addEventListener("input", function () { sessionStorage.setItem("raidbot-docs-" + id, input.value); });
    } catch (e) { /* storage off: nothing kept */ }
  }

  remember("token");
  remember("actor");
  fetch(SPEC_URL).then(function (res) {
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    return res.json();
  }).then(function (doc) {
    spec = doc;
    render();
  }).catch(function (err) {
    document.getElementById("status").textContent = "The OpenAPI document could not be loaded (" + err.message + ").";
  });
})();
