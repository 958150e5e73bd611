/// The explorer's single page: HTML, CSS and script inline, nothing fetched
/// but the explorer's own JSON API on the same origin.
enum ExplorerPage {
    static let html = #"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>pals explore</title><link rel="icon" href="data:,">
        <style>
        body{font-family:system-ui,sans-serif;margin:16px;color:#222}
        h1{font-size:20px;margin:0 0 8px}h2{font-size:15px;margin:18px 0 6px}
        #model label{margin-right:10px}#model input{width:60px}#model input#inputs{width:140px}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 7px;font-family:monospace;font-size:13px;text-align:left}
        td.changed{background:#fff3c4;font-weight:bold}
        tr.holds td,tr.witnessed td{background:#e8f5e9}tr.violated td{background:#fdecea}tr.pending td{background:#f4f4f4}
        tr.not-witnessed td{background:#fff8e1}
        tr.faulty td:first-child{color:#b3261e}tr.crashed td{color:#888}
        #error{color:#b3261e;font-weight:bold;min-height:1.2em;white-space:pre-wrap}
        #diagram{overflow-x:auto;border:1px solid #eee;padding:4px}
        #links td{text-align:center}#links input:disabled{opacity:.35}
        .bar button{margin-right:6px}.row{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}
        #grid td a{text-decoration:none}#grid td.violated{background:#fdecea}#grid td.holds{background:#e8f5e9}
        ul.legend{font-size:12px;color:#444;margin:4px 0}small{color:#555}
        </style></head>
        <body>
        <h1>pals explore <small id="title"></small></h1>
        <div id="opened"></div>
        <form id="model">
        <label>protocol <select id="protocol"></select></label>
        <label>variant <select id="variant"></select></label>
        <label>n <input id="n" type="number" min="1" max="64"></label>
        <label>t <input id="t" type="number" min="0"></label>
        <label>inputs <input id="inputs" placeholder="default"></label>
        <label>faults <select id="fm"><option value="">general omission</option><option value="crash">crash</option></select></label>
        <button type="submit">start</button>
        </form>
        <div class="bar"><button id="back" type="button">◀ back (k)</button><button id="step" type="button">step ▶ (j)</button>
        <span id="where"></span></div>
        <div id="error" role="alert"></div>
        <h2>Space-time diagram</h2>
        <div id="diagram"></div><div id="legend"></div>
        <div class="row">
        <div><h2>Processes after round <span id="round"></span></h2><table id="processes"></table>
        <p><small>Highlighted: changed in the last round. Faulty: tick to put a process in the faulty set (at most t).</small></p></div>
        <div><h2>Properties at this state</h2><table id="properties"></table></div>
        <div><h2 id="nexttitle">Next round</h2><table id="links"></table>
        <p><small>Tick a message to drop it in the next round; a greyed box says why it cannot be dropped.</small></p></div>
        </div>
        <script>
        "use strict";
        let catalogue = [];
        let view = null;
        const $ = id => document.getElementById(id);
        function text(s) { const d = document.createElement("span"); d.textContent = s; return d.innerHTML; }
        function params() { return new URLSearchParams(location.hash.slice(1)); }
        function setParams(p, push) {
          const h = "#" + p.toString();
          if (push) history.pushState(null, "", h); else history.replaceState(null, "", h);
          load();
        }
        function listOf(p, key) { return (p.get(key) || "").split(",").filter(s => s.length > 0); }
        async function api(path) {
          const r = await fetch(path);
          const j = await r.json();
          if (!r.ok || j.error) throw new Error(j.error || ("HTTP " + r.status));
          return j;
        }
        async function load() {
          const p = params();
          if (!p.get("p")) return;
          try {
            view = await api("/api/view?" + p.toString());
            $("error").textContent = "";
            render();
          } catch (e) {
            $("error").textContent = e.message;
          }
        }
        function fillVariants(name, chosen) {
          const entry = catalogue.find(e => e.name === name);
          $("variant").innerHTML = (entry ? entry.variants : []).map(v => `<option${v === chosen ? " selected" : ""}>${text(v)}</option>`).join("");
        }
        function render() {
          const v = view;
          $("title").textContent = `${v.protocol}/${v.variant} n=${v.n} t=${v.t}`;
          $("protocol").value = v.protocol; fillVariants(v.protocol, v.variant);
          $("n").value = v.n; $("t").value = v.t;
          $("where").textContent = `round ${v.round} of ${v.rounds}`;
          $("round").textContent = v.round;
          $("diagram").innerHTML = v.svg;
          $("legend").innerHTML = v.legend;
          const fields = v.processes.length ? v.processes[0].fields.map(f => f.name) : [];
          let h = "<tr><th>process</th><th>faulty</th><th>input</th>" + fields.map(f => `<th>${text(f)}</th>`).join("") + "<th>decision</th><th>crash</th></tr>";
          for (const p of v.processes) {
            const cls = (p.faulty ? "faulty " : "") + (p.crashed ? "crashed" : "");
            h += `<tr class="${cls}" data-process="${p.id}"><td>p${p.id}${p.faulty ? "*" : ""}</td>`;
            h += `<td><input type="checkbox" class="faulty" data-p="${p.id}"${p.faulty ? " checked" : ""}></td><td>${p.input}</td>`;
            h += p.fields.map(f => `<td class="${f.changed ? "changed" : ""}">${text(f.value)}</td>`).join("");
            h += `<td>${p.decision === null ? "-" : text(p.decision)}</td>`;
            const crash = listOf(params(), "c").map(s => s.split("@")).find(c => c[0] === String(p.id));
            let opts = `<option value="">never</option>`;
            for (let r = 1; r <= v.rounds + 1; r++) {
              const sel = crash && crash[1] === String(r) ? " selected" : "";
              opts += `<option value="${r}"${sel}>${r <= v.rounds ? "round " + r : "before deciding"}</option>`;
            }
            h += `<td><select class="crash" data-p="${p.id}"${p.faulty ? "" : " disabled title=\"only a faulty process crashes\""}>${opts}</select></td></tr>`;
          }
          $("processes").innerHTML = h;
          $("properties").innerHTML = "<tr><th>property</th><th>kind</th><th>status</th><th></th></tr>" + v.properties.map(p =>
            `<tr class="${p.status.replace(" ", "-")}" data-property="${text(p.name)}" title="${text(p.definition)}"><td>${text(p.name)}</td><td>${p.kind}</td><td class="status">${p.status}</td><td>${text(p.detail)}</td></tr>`).join("");
          if (v.round < v.rounds) {
            $("nexttitle").textContent = `Round ${v.round + 1}: drop which messages? (row: sender, column: receiver)`;
            let t = "<tr><th></th>" + v.processes.map(p => `<th>p${p.id}</th>`).join("") + "</tr>";
            for (const a of v.processes) {
              t += `<tr><th>p${a.id}</th>`;
              for (const b of v.processes) {
                const l = v.next.find(x => x.from === a.id && x.to === b.id);
                if (!l) { t += "<td>·</td>"; continue; }
                const dis = l.locked ? ` disabled title="${text(l.locked)}"` : ` title="drop p${a.id}→p${b.id} in round ${v.round + 1}"`;
                t += `<td><input type="checkbox" class="drop" data-from="${a.id}" data-to="${b.id}"${l.dropped ? " checked" : ""}${dis}></td>`;
              }
              t += "</tr>";
            }
            $("links").innerHTML = t;
          } else {
            $("nexttitle").textContent = "The run is complete";
            $("links").innerHTML = "";
          }
          $("back").disabled = v.round === 0;
          $("step").disabled = v.round >= v.rounds;
        }
        function edit(change, push) { const p = params(); change(p); setParams(p, push); }
        function step(delta) {
          if (!view) return;
          const k = view.round + delta;
          if (k < 0 || k > view.rounds) return;
          edit(p => p.set("k", String(k)), true);
        }
        document.addEventListener("change", ev => {
          const el = ev.target;
          if (el.classList.contains("drop")) {
            const link = `${view.round + 1}:${el.dataset.from}>${el.dataset.to}`;
            edit(p => { const d = listOf(p, "d").filter(x => x !== link); if (el.checked) d.push(link); p.set("d", d.join(",")); }, false);
          } else if (el.classList.contains("faulty")) {
            const id = el.dataset.p;
            edit(p => {
              const f = listOf(p, "f").filter(x => x !== id); if (el.checked) f.push(id);
              p.set("f", f.sort((a, b) => a - b).join(","));
              if (!el.checked) {
                p.set("c", listOf(p, "c").filter(c => c.split("@")[0] !== id).join(","));
                p.set("d", listOf(p, "d").filter(d => { const [, e] = d.split(":"); const [a, b] = e.split(">"); return a !== id && b !== id || f.includes(a) || f.includes(b); }).join(","));
              }
            }, false);
          } else if (el.classList.contains("crash")) {
            const id = el.dataset.p;
            edit(p => { const c = listOf(p, "c").filter(x => x.split("@")[0] !== id); if (el.value) c.push(`${id}@${el.value}`); p.set("c", c.join(",")); }, false);
          } else if (el.id === "protocol") {
            fillVariants(el.value, "");
          }
        });
        $("model").addEventListener("submit", ev => {
          ev.preventDefault();
          const p = new URLSearchParams();
          p.set("p", $("protocol").value); p.set("v", $("variant").value); p.set("n", $("n").value); p.set("t", $("t").value);
          p.set("in", $("inputs").value.trim()); p.set("f", ""); p.set("c", ""); p.set("d", ""); p.set("k", "0");
          if ($("fm").value) p.set("fm", $("fm").value);
          setParams(p, true);
        });
        $("back").addEventListener("click", () => step(-1));
        $("step").addEventListener("click", () => step(1));
        document.addEventListener("keydown", ev => {
          if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
          if (ev.key === "j") step(1); else if (ev.key === "k") step(-1);
        });
        window.addEventListener("popstate", load);
        async function openFile(file) {
          try {
            const o = await api("/api/open?file=" + encodeURIComponent(file));
            showOpened(o);
            if (o.query) setParams(new URLSearchParams(o.query), true);
          } catch (e) { $("error").textContent = e.message; }
        }
        function showOpened(o) {
          let h = `<p>Opened <b>${text(o.file)}</b> (${text(o.kind)})${o.note ? ": " + text(o.note) : ""}</p>`;
          if (o.alternatives && o.alternatives.length)
            h += "<p>" + o.alternatives.map(a => `<a href="#${text(a.query)}">${text(a.label)}</a>`).join(" · ") + "</p>";
          if (o.grid) {
            h += `<table id="grid"><tr><th>n \\ t</th>` + o.grid.ts.map(t => `<th>${t}</th>`).join("") + "</tr>";
            for (const row of o.grid.rows) {
              h += `<tr><th>${row.n}</th>` + row.cells.map(c => !c ? "<td></td>" :
                `<td class="${c.verdict}">${c.counterexample ? `<a href="#" data-open="${text(c.counterexample)}">${c.verdict}</a>` : c.verdict}</td>`).join("") + "</tr>";
            }
            h += "</table>";
          }
          $("opened").innerHTML = h;
        }
        document.addEventListener("click", ev => {
          const a = ev.target.closest("a[data-open]");
          if (a) { ev.preventDefault(); openFile(a.dataset.open); }
        });
        async function start() {
          try {
            catalogue = await api("/api/catalog");
            $("protocol").innerHTML = catalogue.map(e => `<option title="${text(e.summary)}">${text(e.name)}</option>`).join("");
            fillVariants(catalogue[0].name, "");
            const o = await api("/api/opened");
            if (o.file) {
              showOpened(o);
              if (!params().get("p") && o.query) { setParams(new URLSearchParams(o.query), false); return; }
            }
            if (!params().get("p")) { setParams(new URLSearchParams("p=uic&v=standard&n=4&t=1&in=&f=&c=&d=&k=0"), false); return; }
            load();
          } catch (e) { $("error").textContent = e.message; }
        }
        start();
        </script>
        </body></html>
        """#
}
