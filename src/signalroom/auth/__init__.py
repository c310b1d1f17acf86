"""Who may use the command centre: users and roles, passwords, API tokens, web sessions, the audit
log and login rate limiting (docs/serve.md#users-and-roles). No web framework is imported here."""
