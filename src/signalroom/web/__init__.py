"""The command centre's pages: server-rendered HTML that works without JavaScript, enhanced by a
little of it (charts, drag and drop) — docs/web.md."""
