// The content calendar (FullCalendar, vendored). Events come from the server as wall times in the
// viewer's zone, so the calendar runs in "UTC" and shows them as they are; a drop posts the new
// wall time back, and the server checks it like a new schedule (permission, blackout, limits).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("calendar");
  if (!element || !window.FullCalendar) return;
  const data = element.dataset;
  const filters = document.getElementById("calendar-filters");
  const message = document.getElementById("calendar-message");
  const csrf = document.querySelector("meta[name=csrf-token]")?.content
    || (document.body.getAttribute("hx-headers") ? JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] : "");

  function say(text, kind) {
    message.textContent = text;
    message.className = `alert alert-${kind}`;
  }

  function filterParams() {
    const params = {};
    if (!filters) return params;
    for (const [name, value] of new FormData(filters).entries()) {
      if (value) params[name] = value;
    }
    return params;
  }

  function wallTime(date) {
    // The calendar runs in UTC, so the UTC fields are the wall time the person sees.
    return date.toISOString().slice(0, 16);
  }

  async function move(info, confirmed) {
    const body = new URLSearchParams({
      targets: info.event.extendedProps.targets.join(","),
      start: wallTime(info.event.start),
    });
    if (confirmed) body.set("confirmed", "1");
    let response;
    try {
      response = await fetch(data.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body,
        credentials: "same-origin",
      });
    } catch (error) {
      info.revert();
      say(data.textFailed, "danger");
      return;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status === 409 && answer.confirm) {
      if (window.confirm(`${data.textConfirm}\n\n${answer.confirm.join("\n")}`)) {
        await move(info, true);
      } else {
        info.revert();
      }
      return;
    }
    if (!response.ok) {
      info.revert();
      say(answer.error || data.textFailed, "danger");
      return;
    }
    say(data.textMoved, "success");
    calendar.refetchEvents();
  }

  const calendar = new FullCalendar.Calendar(element, {
    timeZone: "UTC",
    locale: data.locale === "fi" ? "fi" : "en-gb",
    firstDay: 1,
    initialView: window.innerWidth < 768 ? "listWeek" : "dayGridMonth",
    headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
    buttonText: { today: data.textToday, month: data.textMonth, week: data.textWeek, list: data.textList },
    nowIndicator: true,
    editable: data.editable === "1",
    eventDurationEditable: false,
    dayMaxEvents: 4,
    height: "auto",
    slotMinTime: "06:00:00",
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    events: { url: data.eventsUrl, extraParams: filterParams },
    eventDidMount(info) {
      const props = info.event.extendedProps;
      if (props.gap) {
        info.el.title = info.event.title;
        return;
      }
      info.el.title = [info.event.title, props.status, ...(props.accounts || []), props.campaign]
        .filter(Boolean).join("\n");
    },
    eventDrop(info) {
      move(info, false);
    },
    dateClick(info) {
      if (!data.composeUrl) return;
      const when = info.date.toISOString();
      const params = new URLSearchParams({ date: when.slice(0, 10) });
      if (!info.allDay) params.set("time", when.slice(11, 16));
      window.location.href = `${data.composeUrl}?${params}`;
    },
  });
  calendar.render();
  if (filters) filters.addEventListener("change", () => calendar.refetchEvents());
});
