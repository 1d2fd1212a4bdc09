// The moderation desk's waiting count, kept up to date from the server's events (views/live.py).
for (const element of document.querySelectorAll("[data-live-waiting]")) {
  const source = new EventSource(element.dataset.liveWaiting);
  source.addEventListener("message", (event) => {
    element.textContent = event.data;
  });
}
