// The supervisors' live page: keeps the sessions table and the alerts list up to date from the
// /api/v1/assist/watch WebSocket, reconnecting when the connection drops.
(function () {
  "use strict";
  const table = document.querySelector("#live-sessions tbody");
  const alerts = document.getElementById("live-alerts");
  const status = document.getElementById("live-status");
  const empty = document.getElementById("live-empty");
  if (!table || !alerts) return;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    return td;
  }

  function showSession(s) {
    let row = table.querySelector('tr[data-session="' + CSS.escape(s.session) + '"]');
    if (s.status && s.status !== "live") {
      if (row) row.remove();
    } else {
      const fresh = document.createElement("tr");
      fresh.dataset.session = s.session;
      [s.session, s.agent_name || s.agent, s.team, s.channel, s.turns, s.reason ? s.reason.label : "",
       (s.open_nudges || []).map((n) => n.name).join("; "), (s.alerts || []).map((a) => a.kind).join(", "),
       s.last_customer_turn].forEach((value) => fresh.appendChild(cell(value)));
      if (row) row.replaceWith(fresh); else table.appendChild(fresh);
    }
    empty.hidden = table.children.length > 0;
  }

  function showAlert(event) {
    const placeholder = alerts.querySelector(".empty");
    if (placeholder) placeholder.remove();
    const item = document.createElement("li");
    item.className = "alert alert-" + event.alert.kind;
    item.dataset.kind = event.alert.kind;
    item.dataset.session = event.session;
    const strong = document.createElement("strong");
    strong.textContent = event.alert.message;
    item.appendChild(strong);
    const who = event.agent_name || event.agent || "unknown agent";
    item.appendChild(document.createTextNode(
      " — " + who + (event.team ? " (" + event.team + ")" : "") + ", session " + event.session +
      ": “" + event.alert.evidence + "”"));
    alerts.prepend(item);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/v1/assist/watch");
    socket.onopen = () => { status.textContent = "live"; status.dataset.state = "live"; };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "snapshot") {
        table.replaceChildren();
        event.sessions.forEach(showSession);
        empty.hidden = table.children.length > 0;
      } else if (event.type === "alert") {
        showAlert(event);
      } else if (event.type === "error") {
        status.textContent = event.message;
        status.dataset.state = "error";
      } else {
        showSession(event);
      }
    };
    socket.onclose = () => {
      if (status.dataset.state === "error") return;
      status.textContent = "reconnecting…";
      status.dataset.state = "connecting";
      setTimeout(connect, 2000);
    };
  }
  connect();
})();
