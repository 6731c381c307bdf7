"""The pieces generate.py writes the manifests from, one concern a module:

table.py        the services' ports and roles (replicas, autoscaling, resources)
config.py       the ConfigMaps' settings and the Secrets' names and keys
objects.py      labels, metadata, security contexts, settings sources, probes
workloads.py    each role's Deployment, Service, HPA and PDB; the migrate Job
rabbitmq.py     the queue policies and the Job that applies them
networking.py   the Ingress and the NetworkPolicies
development.py  the development overlay (placeholder Secrets, Mailpit)
"""
