"""Tooling around the services: the `marketplace` command and what it does (migrate, seed,
run, dead-letter queues). No service imports it; it imports the services it drives."""
